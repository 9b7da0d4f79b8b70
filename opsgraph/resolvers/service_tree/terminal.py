"""The OpenC3 web terminal (`/cmd/:treeid`): who may open one on which machines, as which account,
and the log of every line typed (`/cmd/:treeid/log`).

Opening needs level 1 (control) on the node; the machines must be under it (at most `MAX_HOSTS`);
`sudo` names the account (an Account alias or login name; default: the business's default). The
session is audited when it opens; every line typed is recorded per machine before its Enter is
sent. The terminal gets keystrokes (it runs on a PTY), so `TypedLines` rebuilds the lines from
them as a line editor would: printable text, Backspace, Ctrl-U (kill the line) and Ctrl-C (drop
it); escape sequences (arrow keys…) are not text. A line recalled from the shell's history or
completed with Tab is recorded as typed, not as the shell expanded it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.crypto import SecretBox
from opsgraph.core.errors import ValidationFailed
from opsgraph.core.settings import Settings
from opsgraph.executors.ssh import SshTarget
from opsgraph.models.jobs import AccountAuth
from opsgraph.models.service_tree import TerminalCommand
from opsgraph.models.topology import Host
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.jobs.accounts import resolve_account
from opsgraph.resolvers.service_tree.access import CONTROL, READ, TreeNode, node_for
from opsgraph.resolvers.service_tree.jobs import account_alias
from opsgraph.resolvers.service_tree.targets import hosts_by_name

MAX_HOSTS = 50
MAX_LINE = 4096
MAX_LOG = 1000
ENTER = frozenset("\r\n")
_ESCAPE = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|O.|.)?")


class TypedLines:
    """Keystrokes in, (keys to send, line completed by them or None) pieces out, in order."""

    def __init__(self) -> None:
        self.line = ""

    def feed(self, keys: str) -> list[tuple[str, str | None]]:
        pieces: list[tuple[str, str | None]] = []
        start = 0
        for index, char in enumerate(keys):
            if char in ENTER:
                before = keys[start:index]
                self._edit(before)
                if before:
                    pieces.append((before, None))
                pieces.append((char, self.line))
                self.line, start = "", index + 1
        rest = keys[start:]
        self._edit(rest)
        if rest:
            pieces.append((rest, None))
        return pieces

    def _edit(self, text: str) -> None:
        for char in _ESCAPE.sub("", text):
            if char in "\x7f\b":
                self.line = self.line[:-1]
            elif char in "\x03\x15":  # Ctrl-C drops the line, Ctrl-U kills it
                self.line = ""
            elif char == "\t" or char.isprintable():
                self.line += char
        if len(self.line) > MAX_LINE:
            self.line = self.line[:MAX_LINE]


@dataclass
class TerminalSession:
    node: TreeNode
    user: str
    usr: str  # the OS login the shells run as
    targets: list[SshTarget]


async def open_terminal(
    principal: Principal, settings: Settings, tree_id: int, nodes: list[str], sudo: str = ""
) -> TerminalSession:
    node = await node_for(principal, tree_id, CONTROL)
    if not nodes:
        raise ValidationFailed("check format fail node: name the machines, separated by commas", field="node")
    if len(nodes) > MAX_HOSTS:
        raise ValidationFailed(f"check format fail node: at most {MAX_HOSTS} machines per terminal", field="node")
    hosts = await hosts_by_name(node, nodes, "node")
    alias = await account_alias(node.business_id, sudo, "sudo") if sudo else None
    account = await resolve_account(node.business_id, alias=alias)
    secret = SecretBox(settings.secret_key).decrypt(account.secret)
    ports = dict(await Host.filter(id__in=[h["id"] for h in hosts]).values_list("id", "ssh_port"))
    targets = [
        SshTarget(
            address=host["inner_ip"],
            port=ports.get(host["id"]) or settings.ssh_default_port,
            username=account.username,
            password=secret if account.auth == AccountAuth.PASSWORD else None,
            private_key=secret if account.auth == AccountAuth.KEY else None,
        )
        for host in hosts
    ]
    await record_operation(
        principal,
        op_type="open",
        op_target="terminal",
        op_desc=f"open a terminal on {', '.join(h['inner_ip'] for h in hosts)} as {account.username}",
        business_id=node.business_id,
    )
    return TerminalSession(node=node, user=principal.username, usr=account.username, targets=targets)


async def record_line(session: TerminalSession, line: str, nodes: list[str]) -> None:
    """One typed line, once per machine it goes to, before it is sent."""
    if not line.strip():
        return
    await TerminalCommand.bulk_create(
        [
            TerminalCommand(
                business_id=session.node.business_id,
                tree_id=session.node.tree_id,
                user=session.user,
                node=ip,
                usr=session.usr,
                cmd=line[:MAX_LINE],
            )
            for ip in nodes
        ]
    )


async def terminal_log(principal: Principal, tree_id: int, filters: dict[str, Any]) -> list[dict[str, Any]]:
    """Newest first; user, node, usr and cmd match as substrings, dates are inclusive."""
    node = await node_for(principal, tree_id, READ)
    query = TerminalCommand.filter(tree_id=node.tree_id)
    for key in ("user", "node", "usr", "cmd"):
        if filters.get(key):
            query = query.filter(**{f"{key}__icontains": filters[key]})
    start: date | None = filters.get("time_start")
    end: date | None = filters.get("time_end")
    if start:
        query = query.filter(created_at__gte=datetime.combine(start, time.min, tzinfo=UTC))
    if end:
        query = query.filter(created_at__lte=datetime.combine(end, time.max, tzinfo=UTC))
    return list(await query.order_by("-id").limit(MAX_LOG).values("id", "user", "node", "usr", "cmd", "created_at"))
