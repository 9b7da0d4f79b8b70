"""Who an OpenC3 request acts as: a login token (the cookie), or an app (`appname` + `appkey`).

Upstream, an app bypasses every permission point. Here it does not: an app acts as the user
`<appname>@app` with exactly the roles granted to that user (`opsgraph admin grant-role
<appname>@app …`); without such a user it has no role at all and sees nothing. Either way its
runs are recorded as API calls (`calltype: api`) under the app's code.

Example:
    principal = await principal_for_app("deployer", "app-secret-1")   # AuthenticationError if wrong
    principal.username                                                # "deployer@app"
"""

from __future__ import annotations

from opsgraph.core.auth.principal import NO_USER_ID, Principal
from opsgraph.models.identity import User
from opsgraph.resolvers.identity import authenticate_app, principal_for_user

APP_SUFFIX = "@app"


async def principal_for_app(appname: str, appkey: str) -> Principal:
    app = await authenticate_app(appname, appkey)
    username = f"{app.code}{APP_SUFFIX}"
    user = await User.get_or_none(username=username, is_active=True)
    if user is None:
        return Principal(user_id=NO_USER_ID, username=username, app_code=app.code)
    return await principal_for_user(user, app_code=app.code)
