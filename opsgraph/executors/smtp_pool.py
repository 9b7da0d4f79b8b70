"""SMTP connections kept open between delivery passes, per server (host, port, security, login).

Opening a connection costs a TCP (and TLS) handshake, the greeting, EHLO and maybe AUTH: more than
sending a short mail on an open one. The delivery worker sends each pass's mail over connections
taken from this pool and gives them back; a connection idle longer than `idle_seconds` is closed
(servers drop idle clients after a minute or so, RFC 5321 §4.5.3.2 allows 5 minutes). A connection
the server closed while idle is noticed on its first command and replaced, once, by the caller
(`mail_transport.send_mails`), so nothing is lost to a stale connection.

Example:
    pool = SmtpPool()
    smtp = await pool.acquire(settings)      # open, connected and logged in
    ...                                      # send on it
    pool.release(settings, smtp)             # back for the next pass (or close it on error)
    await pool.close()                       # when the worker stops
"""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict

import aiosmtplib

from opsgraph.executors.message_channels import MailSettings

IDLE_SECONDS = 30.0
MAX_IDLE_PER_SERVER = 8


async def connect(settings: MailSettings) -> aiosmtplib.SMTP:
    smtp = aiosmtplib.SMTP(
        hostname=settings.host,
        port=settings.port,
        use_tls=settings.security == "tls",
        start_tls=settings.security == "starttls",
        validate_certs=settings.validate_certs,
        cert_bundle=settings.ca_file or None,
        timeout=settings.timeout,
    )
    await smtp.connect()
    if settings.username:
        try:
            await smtp.login(settings.username, settings.password)
        except BaseException:
            smtp.close()
            raise
    return smtp


async def close_quietly(smtp: aiosmtplib.SMTP) -> None:
    try:
        await smtp.quit()
    except (aiosmtplib.SMTPException, OSError):
        smtp.close()


class SmtpPool:
    def __init__(self, idle_seconds: float = IDLE_SECONDS) -> None:
        self.idle_seconds = idle_seconds
        # Settings are frozen (hashable) and include the login: a changed password is another key.
        self._idle: dict[MailSettings, list[tuple[float, aiosmtplib.SMTP]]] = defaultdict(list)
        self.opened = 0  # connections opened so far (the benchmark and tests read it)

    async def acquire(self, settings: MailSettings) -> tuple[aiosmtplib.SMTP, bool]:
        """An open connection and whether it was reused (a reused one may turn out stale)."""
        await self.expire()
        idle = self._idle.get(settings)
        while idle:
            _, smtp = idle.pop()
            if smtp.is_connected:
                return smtp, True
            smtp.close()
        smtp = await connect(settings)
        self.opened += 1
        return smtp, False

    def release(self, settings: MailSettings, smtp: aiosmtplib.SMTP) -> None:
        idle = self._idle[settings]
        if smtp.is_connected and len(idle) < MAX_IDLE_PER_SERVER:
            idle.append((time.monotonic(), smtp))
        else:
            smtp.close()

    async def expire(self) -> None:
        """Close connections idle too long, and those of servers no longer configured the same way."""
        horizon = time.monotonic() - self.idle_seconds
        for settings, idle in list(self._idle.items()):
            stale = [smtp for since, smtp in idle if since < horizon]
            idle[:] = [(since, smtp) for since, smtp in idle if since >= horizon]
            for smtp in stale:
                await close_quietly(smtp)
            if not idle:
                del self._idle[settings]

    async def forget_others(self, keep: set[MailSettings]) -> None:
        for settings in [s for s in self._idle if s not in keep]:
            for _, smtp in self._idle.pop(settings):
                await close_quietly(smtp)

    async def close(self) -> None:
        idle, self._idle = self._idle, defaultdict(list)
        for connections in idle.values():
            for _, smtp in connections:
                with contextlib.suppress(Exception):
                    await close_quietly(smtp)
