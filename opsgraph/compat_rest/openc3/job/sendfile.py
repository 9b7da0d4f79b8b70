"""`/sendfile`: a directory listing of one machine of the node, and deleting a file there (over SSH).

The doc prints the listing path as `/sendile/list/:treeid` (a typo) and the delete parameter as
`paht`; upstream's code uses `/sendfile/list/:treeid` and `path`. Both spellings are accepted.
"""

from __future__ import annotations

import re
from typing import Any

from opsgraph.compat_rest.execute import load_operation, raise_user_errors, run_operation
from opsgraph.compat_rest.openc3 import C3_ROUTES, C3Caller, C3Request
from opsgraph.compat_rest.openc3.checks import text, tree_id
from opsgraph.core.settings import Settings

SUDO = re.compile(r"^[a-zA-Z0-9_\-]{1,64}$")


@C3_ROUTES.route("job", "GET", "/sendile/list/:treeid", corrected=("/sendfile/list/:treeid",))
async def list_directory(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """`path` "<ip>/<dir>": its entries (name, type, size, mtime)."""
    variables = {
        "treeId": tree_id(request),
        "path": text(request, "path", required=True, max_length=4096),
        "sudo": text(request, "sudo", pattern=SUDO),
    }
    data = await run_operation(
        load_operation(__name__, "remote_directory.graphql"), variables, caller.principal, settings
    )
    return list(data["remoteDirectory"])


@C3_ROUTES.route("job", "POST", "/sendfile/unlink/:treeid")
async def unlink(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """Delete `path` (or the doc's `paht`) "<ip>/<file>"."""
    path = text(request, "path", max_length=4096) or text(request, "paht", required=True, max_length=4096)
    variables = {"treeId": tree_id(request), "path": path, "sudo": text(request, "sudo", pattern=SUDO)}
    payload = (
        await run_operation(
            load_operation(__name__, "delete_remote_file.graphql"), variables, caller.principal, settings
        )
    )["deleteRemoteFile"]
    raise_user_errors(payload)
    return 1
