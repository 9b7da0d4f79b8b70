"""What every ticket operation checks first (the action among those allowed, the comment) and the
ticket row it then holds locked, so two operators acting at once are serialised."""

from __future__ import annotations

from opsgraph.core.errors import ValidationFailed
from opsgraph.models.tickets import Ticket

MAX_COMMENT = 1024


def parse_action(raw: str, allowed: frozenset[str]) -> str:
    action = (raw or "").strip().upper()
    if action not in allowed:
        raise ValidationFailed(
            f"unsupported action {raw!r} (one of {', '.join(sorted(allowed))})",
            field="action",
            code="UNSUPPORTED_ACTION",
        )
    return action


def parse_comment(text: str | None, required_for: str | None) -> str:
    comment = (text or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationFailed(f"the comment is longer than {MAX_COMMENT} characters", field="comment")
    if required_for and not comment:
        raise ValidationFailed(
            f"{required_for} needs a comment (action_message)", field="comment", code="FIELD_REQUIRED"
        )
    return comment


async def locked_ticket(ticket_id: int) -> Ticket:
    """The ticket row, locked for this transaction (PostgreSQL; SQLite has one writer anyway)."""
    return await Ticket.select_for_update().get(id=ticket_id)
