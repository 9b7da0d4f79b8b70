"""GraphiQL served from the package, so the IDE works on a host without Internet access.

`graphiql_html()` is strawberry's own GraphiQL page (strawberry/static/graphiql.html: GraphiQL 3.8.3
with the explorer plugin, the HTTP fetcher and graphql-transport-ws subscriptions on the same URL)
with every script and stylesheet pointing at `/graphql/static/…` instead of unpkg.com.
`graphiql_asset_routes()` serves those files: the unmodified published npm files (their sha384
digests are the `integrity` values strawberry pins), stored with their LICENSE files under
`graphiql_assets/<package>-<version>/`. Paths carry the version, so answers are cacheable forever.

The headers editor's JSON (e.g. `{"Authorization": "Bearer <token>"}`) is sent with every HTTP
request and, by GraphiQL's fetcher, as the `connection_init` payload of subscriptions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

STATIC_PREFIX = "/graphql/static"
CACHE_CONTROL = "public, max-age=31536000, immutable"
JS = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
ASSET_DIR = Path(__file__).parent / "graphiql_assets"


@dataclass(frozen=True)
class Asset:
    path: str  # under graphiql_assets/, also the URL path under STATIC_PREFIX
    media_type: str
    integrity: str = ""  # sha384 subresource integrity of scripts and stylesheets

    @property
    def url(self) -> str:
        return f"{STATIC_PREFIX}/{self.path}"


REACT = Asset(
    "react-18.2.0/react.production.min.js",
    JS,
    "sha384-tMH8h3BGESGckSAVGZ82T9n90ztNXxvdwvdM6UoR56cYcf+0iGXBliJ29D+wZ/x8",
)
REACT_DOM = Asset(
    "react-dom-18.2.0/react-dom.production.min.js",
    JS,
    "sha384-bm7MnzvK++ykSwVJ2tynSE5TRdN+xL418osEVF2DE/L/gfWHj91J2Sphe582B1Bh",
)
JS_COOKIE = Asset(
    "js-cookie-3.0.5/js.cookie.min.js",
    JS,
    "sha384-/vxhYfM1LENRhdpZ8dwEsQn/X4VhpbEZSiU4m/FwR+PVpzar4fkEOw8FP9Y+OfQN",
)
GRAPHIQL_CSS = Asset(
    "graphiql-3.8.3/graphiql.min.css",
    CSS,
    "sha384-Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM",
)
EXPLORER_CSS = Asset(
    "graphiql-plugin-explorer-1.0.2/style.css",
    CSS,
    "sha384-5DFJlDPW2tSATRbM8kzoP1j194jexLswuNmClWoRr2Q0x7R68JIQzPHZ02Faktwi",
)
GRAPHIQL_JS = Asset(
    "graphiql-3.8.3/graphiql.min.js",
    JS,
    "sha384-HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie",
)
EXPLORER_JS = Asset(
    "graphiql-plugin-explorer-1.0.2/index.umd.js",
    JS,
    "sha384-2oonKe47vfHIZnmB6ZZ10vl7T0Y+qrHQF2cmNTaFDuPshpKqpUMGMc9jgj9MLDZ9",
)
LICENSES = tuple(
    Asset(f"{package}/LICENSE", TEXT)
    for package in (
        "react-18.2.0",
        "react-dom-18.2.0",
        "js-cookie-3.0.5",
        "graphiql-3.8.3",
        "graphiql-plugin-explorer-1.0.2",
    )
)
ASSETS: dict[str, Asset] = {
    asset.path: asset
    for asset in (REACT, REACT_DOM, JS_COOKIE, GRAPHIQL_CSS, EXPLORER_CSS, GRAPHIQL_JS, EXPLORER_JS, *LICENSES)
}

WELCOME = """\
# OpsGraph GraphiQL
#
# Log in first (the only operation allowed without credentials); the token comes back as the
# bk_token cookie too, so the queries after it are authenticated:
#
#   mutation { login(input: {username: "alice", password: "…"}) { token errors { code message } } }
#
# Subscriptions (taskEvents) authenticate from the connection_init payload: put
#   {"Authorization": "Bearer <token>"}
# in the Headers pane below; GraphiQL sends those headers there too.
#
# Run: Ctrl-Enter.  Complete: Ctrl-Space.
"""


def _tag_script(asset: Asset) -> str:
    return f'<script src="{asset.url}" integrity="{asset.integrity}"></script>'


def _tag_style(asset: Asset) -> str:
    return f'<link rel="stylesheet" href="{asset.url}" integrity="{asset.integrity}" />'


_PAGE = """<!doctype html>
<html>
  <head>
    <meta charset="utf-8" />
    <title>OpsGraph GraphiQL</title>
    <link rel="icon" href="data:," />
    <style>
      body { height: 100%; margin: 0; width: 100%; overflow: hidden; }
      #graphiql { height: 100vh; display: flex; }
      .docExplorerHide { display: none; }
      .doc-explorer-contents { overflow-y: hidden !important; }
      .docExplorerWrap { width: unset !important; min-width: unset !important; }
      .graphiql-explorer-actions select { margin-left: 4px; }
    </style>
    @HEAD@
  </head>
  <body>
    <div id="graphiql" class="graphiql-container">Loading...</div>
    @BODY@
    <script>
      const EXAMPLE_QUERY = @WELCOME@;

      // Parse URL parameters for sharing queries
      const parameters = {};
      for (const entry of window.location.search.slice(1).split("&")) {
        const eq = entry.indexOf("=");
        if (eq >= 0) {
          parameters[decodeURIComponent(entry.slice(0, eq))] = decodeURIComponent(entry.slice(eq + 1));
        }
      }

      function updateURL(data) {
        Object.assign(parameters, data);
        const newSearch =
          "?" +
          Object.keys(parameters)
            .filter((key) => Boolean(parameters[key]))
            .map((key) => encodeURIComponent(key) + "=" + encodeURIComponent(parameters[key]))
            .join("&");
        history.replaceState(null, null, newSearch);
      }

      const fetchURL = window.location.href.split("?")[0];

      function httpUrlToWebSocketUrl(url) {
        const parsedURL = new URL(url);
        parsedURL.protocol = parsedURL.protocol === "http:" ? "ws:" : "wss:";
        parsedURL.hash = "";
        return parsedURL.toString();
      }

      const defaultHeaders = {};
      const csrfToken = Cookies.get("csrftoken");
      if (csrfToken) {
        defaultHeaders["x-csrftoken"] = csrfToken;
      }

      // Subscriptions go over graphql-transport-ws on the same URL; GraphiQL puts the headers of
      // its Headers pane into the connection_init payload, which is where OpsGraph reads the token.
      const fetcher = GraphiQL.createFetcher({
        url: fetchURL,
        headers: defaultHeaders,
        subscriptionUrl: httpUrlToWebSocketUrl(fetchURL),
      });

      function GraphiQLWithExplorer() {
        const [query, setQuery] = React.useState(parameters.q || EXAMPLE_QUERY);
        const [variables, setVariables] = React.useState(parameters.variables);
        const [headers, setHeaders] = React.useState(parameters.headers);

        function onEditQuery(newQuery) {
          setQuery(newQuery);
          updateURL({ q: newQuery });
        }

        function onEditVariables(newVariables) {
          setVariables(newVariables);
          updateURL({ variables: newVariables });
        }

        function onEditHeaders(newHeaders) {
          setHeaders(newHeaders);
        }

        const explorerPlugin = GraphiQLPluginExplorer.explorerPlugin();

        return React.createElement(GraphiQL, {
          fetcher: fetcher,
          defaultEditorToolsVisibility: true,
          plugins: [explorerPlugin],
          query: query,
          variables: variables,
          headers: headers,
          onEditQuery: onEditQuery,
          onEditVariables: onEditVariables,
          onEditHeaders: onEditHeaders,
          inputValueDeprecation: true,
          isHeadersEditorEnabled: true,
          shouldPersistHeaders: true,
        });
      }

      const root = ReactDOM.createRoot(document.getElementById("graphiql"));
      root.render(React.createElement(GraphiQLWithExplorer));
    </script>
  </body>
</html>
"""


@cache
def graphiql_html() -> str:
    """The GraphiQL page; it loads scripts and styles from `/graphql/static/…` only."""
    head = "\n    ".join(
        [_tag_script(REACT), _tag_script(REACT_DOM), _tag_script(JS_COOKIE), _tag_style(GRAPHIQL_CSS),
         _tag_style(EXPLORER_CSS)]
    )  # fmt: skip
    body = "\n    ".join([_tag_script(GRAPHIQL_JS), _tag_script(EXPLORER_JS)])
    # json.dumps gives a JS string literal; "</" is escaped so the text cannot close the <script>.
    welcome = json.dumps(WELCOME, ensure_ascii=False).replace("</", "<\\/")
    return _PAGE.replace("@HEAD@", head).replace("@BODY@", body).replace("@WELCOME@", welcome)


def asset_file(path: str) -> Path:
    """The file of a packaged asset (package data installed beside this module)."""
    return ASSET_DIR.joinpath(*path.split("/"))


async def _serve_asset(request: Request) -> Response:
    asset = ASSETS.get(request.path_params["path"])
    if asset is None:  # only the files listed above: no path is ever joined from the request
        return PlainTextResponse("not found", status_code=404)
    return FileResponse(asset_file(asset.path), media_type=asset.media_type, headers={"Cache-Control": CACHE_CONTROL})


def graphiql_asset_routes() -> list[BaseRoute]:
    """GET/HEAD `/graphql/static/<package>-<version>/<file>` for the scripts, styles and licenses."""
    return [Route(f"{STATIC_PREFIX}/{{path:path}}", _serve_asset, methods=["GET", "HEAD"])]
