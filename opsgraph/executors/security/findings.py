"""A finding (one rule checked against one target) and how a scan records its findings.

Example:
    Finding("ssh.permit_root_login", "ssh", FindingSeverity.HIGH, "SSH root login is disabled",
            passed=False, evidence="PermitRootLogin yes (sshd -T)")
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from opsgraph.models.security import FindingSeverity, SecurityFinding

MAX_EVIDENCE = 4000


@dataclass(frozen=True)
class Finding:
    rule_id: str
    category: str
    severity: FindingSeverity
    title: str
    passed: bool
    evidence: str = ""


def evidence_list(items: Sequence[str], *, limit: int = 20, total: int | None = None) -> str:
    """`a, b, c (+N more)`: long lists stay readable and bounded."""
    shown = ", ".join(items[:limit])
    rest = (total if total is not None else len(items)) - min(len(items), limit)
    return f"{shown} (+{rest} more)" if rest > 0 else shown


async def replace_findings(
    task_id: int,
    findings: Sequence[Finding],
    *,
    target: str,
    host_id: int | None = None,
    file_id: int | None = None,
) -> None:
    """Store one target's findings, replacing what an earlier (retried) run of it stored."""
    rows = [
        SecurityFinding(
            task_id=task_id,
            host_id=host_id,
            file_id=file_id,
            target=target[:256],
            rule_id=f.rule_id,
            category=f.category,
            severity=f.severity,
            title=f.title[:256],
            evidence=f.evidence[:MAX_EVIDENCE],
            passed=f.passed,
        )
        for f in findings
    ]
    # A file is known by its id (two uploads may share a name); a host by its address in the task.
    earlier = (
        SecurityFinding.filter(task_id=task_id, file_id=file_id)
        if file_id is not None
        else SecurityFinding.filter(task_id=task_id, target=target[:256])
    )
    async with in_transaction():
        await earlier.delete()
        if rows:
            await SecurityFinding.bulk_create(rows)
