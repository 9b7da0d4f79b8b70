"""The GraphiQL page works without Internet access: it references only files the server itself
serves, and each of those answers 200 with a script/stylesheet type and long-lived caching.

Checked on the routes mounted in a tiny Starlette app, and on the real server as app.py wires them."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from opsgraph.http.graphiql import ASSETS, STATIC_PREFIX, asset_file, graphiql_asset_routes, graphiql_html
from tests.support.server import Server

URL_ATTRIBUTE = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
ABSOLUTE_URL = re.compile(r"""(?:https?:)?//[^\s"'<>)]+""", re.IGNORECASE)
SCRIPT_TYPES = {"text/javascript", "application/javascript"}


async def _page(request: Request) -> HTMLResponse:
    return HTMLResponse(graphiql_html())


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """The routes mounted in a tiny Starlette app, called in-process over ASGI."""
    app = Starlette(routes=[Route("/graphql", _page), *graphiql_asset_routes()])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://opsgraph.test") as http:
        yield http


def referenced(page: str) -> list[str]:
    return URL_ATTRIBUTE.findall(page)


def test_page_references_no_url_outside_the_server() -> None:
    page = graphiql_html()
    assert not ABSOLUTE_URL.findall(page), "the page must not load anything from another host"
    urls = referenced(page)
    local = [url for url in urls if url.startswith(f"{STATIC_PREFIX}/")]
    assert len(local) == 7, urls  # react, react-dom, js-cookie, graphiql js+css, explorer js+css
    assert set(urls) - set(local) == {"data:,"}  # the empty favicon: no request at all


def assert_served(page: str, responses: dict[str, httpx.Response]) -> None:
    """`responses`: the answer to every URL the page references."""
    assert not ABSOLUTE_URL.findall(page), "the page must not load anything from another host"
    served = {asset.url: asset for asset in ASSETS.values()}
    assert set(responses) == {url for url in referenced(page) if not url.startswith("data:")}
    assert set(responses) <= set(served), set(responses) - set(served)
    for url, response in responses.items():
        assert response.status_code == 200, url
        media_type = response.headers["content-type"].split(";")[0].strip()
        assert media_type in ({"text/css"} if url.endswith(".css") else SCRIPT_TYPES), (url, media_type)
        assert "max-age=31536000" in response.headers["cache-control"], url
        assert "immutable" in response.headers["cache-control"], url
        assert response.content == asset_file(served[url].path).read_bytes(), url


async def test_every_referenced_asset_is_served_with_its_type_and_cache_headers(client: httpx.AsyncClient) -> None:
    page = (await client.get("/graphql")).text
    urls = [url for url in referenced(page) if not url.startswith("data:")]
    assert_served(page, {url: await client.get(url) for url in urls})


def test_the_real_server_serves_the_local_page(server: Server) -> None:
    """As wired into the app: GET /graphql from a browser answers this page, and its assets load."""
    with httpx.Client(base_url=server.url, timeout=30) as http:
        response = http.get("/graphql", headers={"Accept": "text/html"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        page = response.text
        assert page == graphiql_html()
        urls = [url for url in referenced(page) if not url.startswith("data:")]
        assert_served(page, {url: http.get(url) for url in urls})


def test_integrity_attributes_match_the_files() -> None:
    """The files are the published ones (strawberry pins the same sha384 digests for unpkg)."""
    page = graphiql_html()
    for asset in ASSETS.values():
        if not asset.integrity:
            continue
        digest = base64.b64encode(hashlib.sha384(asset_file(asset.path).read_bytes()).digest()).decode()
        assert asset.integrity == f"sha384-{digest}", asset.path
        assert f'"{asset.url}" integrity="{asset.integrity}"' in page


async def test_licenses_are_served_and_unknown_paths_are_not(client: httpx.AsyncClient) -> None:
    licenses = [asset for asset in ASSETS.values() if asset.path.endswith("/LICENSE")]
    assert len(licenses) == 5
    for asset in licenses:
        response = await client.get(asset.url)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        assert "MIT" in response.text or "Permission is hereby granted" in response.text
    for path in ("nope.js", "../graphiql.py", "graphiql-3.8.3/../../graphiql.py", "graphiql-3.8.3/package.json"):
        assert (await client.get(f"{STATIC_PREFIX}/{path}")).status_code == 404, path


def test_page_keeps_subscriptions_and_the_explorer() -> None:
    page = graphiql_html()
    assert "subscriptionUrl" in page
    assert "GraphiQL.createFetcher" in page
    assert "GraphiQLPluginExplorer.explorerPlugin()" in page
    assert "isHeadersEditorEnabled: true" in page
    assert page.count("<script") == 6  # five scripts (two assets are stylesheets) and the page's own
