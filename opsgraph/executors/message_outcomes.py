"""What one delivery attempt came to, whatever the transport: sent, worth retrying, or refused for good."""

from __future__ import annotations

from dataclasses import dataclass

MAX_ERROR_LENGTH = 1024


@dataclass(frozen=True)
class AttemptResult:
    ok: bool
    permanent: bool = False  # a refusal that retrying cannot change (SMTP 5xx, HTTP 4xx)
    error: str = ""


SENT = AttemptResult(ok=True)


def retry(error: str) -> AttemptResult:
    return AttemptResult(ok=False, permanent=False, error=error[:MAX_ERROR_LENGTH])


def refused(error: str) -> AttemptResult:
    return AttemptResult(ok=False, permanent=True, error=error[:MAX_ERROR_LENGTH])
