"""Start-up check of the broker: Redis answers, or one clear line saying why not."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import Redis
from redis.exceptions import RedisError

from opsgraph.core.errors import ConfigurationError


def describe_broker_url(url: str) -> str:
    """The URL fit for messages: no password."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.split(':', 1)[0]}:***@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


async def ensure_broker_reachable(url: str, timeout: float = 3.0) -> None:
    try:
        async with Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout) as client:
            await client.ping()
    except (RedisError, OSError, ValueError) as exc:
        reason = str(exc).strip() or type(exc).__name__
        raise ConfigurationError(f"cannot reach the broker {describe_broker_url(url)}: {reason}") from exc


async def broker_answers(url: str, timeout: float = 1.0) -> str:
    """ "" when Redis answers a PING, else why not (for /readyz)."""
    try:
        await ensure_broker_reachable(url, timeout)
    except ConfigurationError as exc:
        return exc.message
    return ""
