"""connectorx identity: who is calling, the cookie's name, single sign-on pages and logout.

- `cookiekey` names the login cookie (`bk_token`: the GraphQL `login` mutation sets it);
- `username` and `sso/userinfo` describe the caller; an app is `<appname>@app`, company `@app`,
  a person's company is their email domain;
- `sso/loginredirect` and `sso/chpasswdredirect` send the browser to GraphiQL, where `login`
  sets the cookie (OpsGraph has no other login page);
- `ssologout` revokes the token (like GraphQL `logout`) and clears the cookie;
- `setcookie` sets the cookie only to a valid login token, and redirects only within this site
  (upstream redirects anywhere: an open redirect).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.responses import JSONResponse, RedirectResponse, Response

from opsgraph.compat_rest.execute import load_operation, raise_user_errors, run_operation
from opsgraph.compat_rest.openc3 import C3_ROUTES, C3Caller, C3Request
from opsgraph.compat_rest.openc3.auth import COOKIE_KEY, authenticate
from opsgraph.compat_rest.openc3.checks import text
from opsgraph.core.errors import AuthenticationError, ValidationFailed
from opsgraph.core.settings import Settings

LOGIN_PAGE = "/graphql"


async def describe(caller: C3Caller, settings: Settings) -> dict[str, Any]:
    """user, company and admin flag of the caller."""
    principal = caller.principal
    if principal.username.endswith("@app"):
        return {"user": principal.username, "company": "@app", "admin": principal.is_superuser}
    profile = await run_operation(
        load_operation(__name__, "user_profile.graphql"), {"username": principal.username}, principal, settings
    )
    email = str((profile.get("user") or {}).get("email") or "")
    company = email.rpartition("@")[2] if "@" in email else ""
    return {"user": principal.username, "company": company, "email": email, "admin": principal.is_superuser}


@C3_ROUTES.route("connector", "GET", "/connectorx/cookiekey", public=True)
async def cookie_key(request: C3Request, caller: C3Caller, settings: Settings) -> str:
    """The login cookie's name."""
    return COOKIE_KEY


@C3_ROUTES.route("connector", "GET", "/connectorx/username", public=True)
async def username(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, Any]:
    """The caller's name and company (credentials from the cookie, the headers or the query)."""
    if not caller.authenticated:
        caller = await _from_query(request, settings)
    who = await describe(caller, settings)
    return {"user": who["user"], "company": who["company"]}


async def _from_query(request: C3Request, settings: Settings) -> C3Caller:
    """Upstream's internal callers pass `cookie`, or `appname` + `appkey`, as parameters."""
    cookie, appname, appkey = text(request, "cookie"), text(request, "appname"), text(request, "appkey")
    headers = dict(request.headers)
    if appname and appkey:
        headers.update(appname=appname, appkey=appkey)
    probe = C3Request(
        method=request.method,
        path=request.path,
        path_params={},
        query={},
        headers=type(request.headers)(headers=headers),
        cookies={COOKIE_KEY: cookie} if cookie else {},
        body=b"",
    )
    return await authenticate(probe, settings, required=True)


@C3_ROUTES.route("connector", "GET", "/connectorx/sso/userinfo", answers="profile")
async def user_info(request: C3Request, caller: C3Caller, settings: Settings) -> Response:
    """The front end's view of the caller (upstream answers it outside the envelope)."""
    who = await describe(caller, settings)
    body = {
        "name": who["user"].partition("@")[0].upper(),
        "email": who.get("email") or who["user"],
        "company": who["company"],
        "admin": "1" if who["admin"] else "0",
        "showconnector": "1" if who["admin"] else "0",
        "menu": {},
    }
    return JSONResponse(body)


def _relative(target: str, field: str) -> str:
    """Only paths of this site: "/x", never "//host" or "http://…" (no open redirect)."""
    if not target:
        return "/"
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        raise ValidationFailed(f"check format fail {field}: must be a path on this site, like /#/home", field=field)
    return target


@C3_ROUTES.route("connector", "GET", "/connectorx/sso/loginredirect", public=True, answers="redirect")
async def login_redirect(request: C3Request, caller: C3Caller, settings: Settings) -> Response:
    """To the login page (GraphiQL's `login` sets the cookie), keeping the callback."""
    callback = _relative(text(request, "callback"), "callback")
    return RedirectResponse(f"{LOGIN_PAGE}?{urlencode({'callback': callback})}", status_code=302)


@C3_ROUTES.route("connector", "GET", "/connectorx/sso/chpasswdredirect", public=True, answers="redirect")
async def change_password_redirect(request: C3Request, caller: C3Caller, settings: Settings) -> Response:
    """Passwords are changed by an operator (`opsgraph admin`); this goes to the login page."""
    return RedirectResponse(LOGIN_PAGE, status_code=302)


@C3_ROUTES.route("connector", "GET", "/connectorx/ssologout", public=True)
async def sso_logout(request: C3Request, caller: C3Caller, settings: Settings) -> Response:
    """Revoke the login token and clear the cookie."""
    if caller.authenticated and caller.token:
        payload = await run_operation(
            load_operation(__name__, "logout.graphql"), {}, caller.principal, settings, token=caller.token
        )
        raise_user_errors(payload["logout"])
    response = JSONResponse({"stat": True, "info": "ok", "data": LOGIN_PAGE})
    response.delete_cookie(COOKIE_KEY)
    return response


@C3_ROUTES.route("connector", "GET", "/connectorx/setcookie", public=True, answers="redirect")
async def set_cookie(request: C3Request, caller: C3Caller, settings: Settings) -> Response:
    """Set (a valid login token) or clear (no `cookie`) the login cookie, then redirect."""
    target = _relative(text(request, "c3redirect"), "c3redirect")
    token = text(request, "cookie", max_length=8192)
    response = RedirectResponse(target, status_code=302)
    if not token:
        response.delete_cookie(COOKIE_KEY)
        return response
    probe = await _from_query(request, settings)
    if not probe.authenticated:
        raise AuthenticationError("the cookie is not a valid login token")
    response.set_cookie(COOKIE_KEY, token, max_age=8 * 3600, httponly=True, samesite="lax")
    return response
