"""Who is calling an OpenC3 path.

- The login cookie: its name is what `/connectorx/cookiekey` answers (`bk_token`, the cookie the
  GraphQL `login` mutation sets) and its value the same JWT; `Authorization: Bearer` works too.
- Headers `appname` + `appkey`: an app's code and secret. The app acts as `<appname>@app` with the
  roles granted to that user, never with a bypass (resolvers/service_tree/callers.py).
Upstream's front end also sends the token in a `token` header on `/connectorx/sso/userinfo`.
Either way a refusal is `{stat: false, code: 10000}`: not logged in.

Example:
    caller = await authenticate(request, settings, required=True)
    caller.principal.username, caller.calltype        # "alice", "page"; "deployer@app", "api"
"""

from __future__ import annotations

from dataclasses import dataclass

from opsgraph.compat_rest.openc3.request import C3Request
from opsgraph.core.auth.principal import NO_USER_ID, Principal
from opsgraph.core.errors import AuthenticationError
from opsgraph.core.settings import Settings
from opsgraph.resolvers.identity import principal_from_token
from opsgraph.resolvers.service_tree.callers import principal_for_app
from opsgraph.schema.mutations.identity import TOKEN_COOKIE

COOKIE_KEY = TOKEN_COOKIE
# Who acts on the routes that need no login (the no-login approval, the token upload, /release):
# nobody, with no role; those resolvers decide by the uuid or token the request carries.
ANONYMOUS = Principal(user_id=NO_USER_ID, username="anonymous")


@dataclass(frozen=True)
class C3Caller:
    principal: Principal
    token: str | None = None  # the login token, when it came from the cookie or a header
    authenticated: bool = True

    @property
    def calltype(self) -> str:
        """OpenC3's `calltype`: `api` for apps, `page` for people."""
        return "api" if self.principal.app_code and self.principal.username.endswith("@app") else "page"


def _token(request: C3Request, allow_token_header: bool) -> str | None:
    cookie = request.cookies.get(COOKIE_KEY)
    if cookie:
        return cookie
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    if allow_token_header and request.headers.get("token"):
        return request.headers["token"].strip() or None
    return None


async def authenticate(
    request: C3Request, settings: Settings, *, required: bool, allow_token_header: bool = False
) -> C3Caller:
    appname, appkey = request.headers.get("appname"), request.headers.get("appkey")
    token = _token(request, allow_token_header)
    try:
        if appname and appkey:
            return C3Caller(principal=await principal_for_app(appname.strip(), appkey.strip()))
        if token:
            return C3Caller(principal=await principal_from_token(token, settings), token=token)
    except AuthenticationError:
        if required:
            raise
        return C3Caller(principal=ANONYMOUS, authenticated=False)
    if required:
        raise AuthenticationError("not logged in: send the login cookie or the appname and appkey headers")
    return C3Caller(principal=ANONYMOUS, authenticated=False)
