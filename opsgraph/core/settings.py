"""Configuration from `OPSGRAPH_*` environment variables.

Example:
    OPSGRAPH_DATA_DIR=/var/lib/opsgraph OPSGRAPH_SECRET_KEY=... opsgraph serve
"""

from __future__ import annotations

import os
import posixpath
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from opsgraph.core.errors import ConfigurationError

PREFIX = "OPSGRAPH_"
_SECRET_FILE = "secret_key"
_MIN_SECRET_LENGTH = 32


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(PREFIX + name, default)


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{PREFIX}{name} must be an integer, got {raw!r}") from exc


def _env_positive(name: str, default: int) -> int:
    value = _env_int(name, default)
    if value < 1:
        raise ConfigurationError(f"{PREFIX}{name} must be at least 1, got {value}")
    return value


def _agent_install_root(path: str) -> str:
    """Absolute and not `/`: uninstalling removes `<root>/<host id>`, nothing wider."""
    cleaned = posixpath.normpath(path.strip())
    if not cleaned.startswith("/") or cleaned.strip("/") == "":
        raise ConfigurationError(f"{PREFIX}AGENT_INSTALL_ROOT must be an absolute directory below /, got {path!r}")
    return cleaned


def _public_url(raw: str | None) -> str:
    url = (raw or "").strip().rstrip("/")
    if url and not url.startswith(("http://", "https://")):
        raise ConfigurationError(f"{PREFIX}PUBLIC_URL must be an http(s) URL, got {url!r}")
    return url


def _env_bool(name: str, default: bool = False) -> bool:
    raw = _env(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class QueryLimits:
    """Read without the secret: the schema is built at import time, before any server starts."""

    max_depth: int
    max_aliases: int
    max_tokens: int
    max_cost: int
    max_repeated_fields: int
    cache_size: int


def load_query_limits() -> QueryLimits:
    return QueryLimits(
        max_depth=_env_int("MAX_QUERY_DEPTH", 12),
        max_aliases=_env_int("MAX_ALIASES", 30),
        max_tokens=_env_int("MAX_TOKENS", 4000),
        max_cost=_env_int("MAX_QUERY_COST", 100_000),
        max_repeated_fields=_env_int("MAX_REPEATED_FIELDS", 20),
        cache_size=_env_int("QUERY_CACHE_SIZE", 512),
    )


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    secret_key: str
    dev_mode: bool
    token_ttl_seconds: int = 12 * 3600
    max_page_size: int = 500
    debug_sql_count: bool = False
    ssh_default_port: int = 22
    ssh_connect_timeout: float = 10.0
    ssh_strict_host_keys: bool = False
    runner_global_concurrency: int = 200
    runner_task_concurrency: int = 100
    max_log_bytes_per_host: int = 1024 * 1024
    # File sources: files one REGEX: pattern may bring, files and directories one directory source
    # may hold, and bytes one source may bring (each source is held in memory while its step runs).
    file_pattern_max_matches: int = 1000
    file_directory_max_entries: int = 10_000
    file_source_max_bytes: int = 512 * 1024 * 1024
    callback_attempts: int = 4
    callback_timeout: float = 10.0
    cron_interval_seconds: float = 5.0
    # Agents: where they report to (empty = where `opsgraph serve` listens), where they live on a host,
    # how often they beat, how long a silence still counts as alive, how long an install waits for it.
    public_url: str = ""
    agent_install_root: str = "/opt/opsgraph-agent"
    agent_heartbeat_seconds: int = 15
    agent_alive_seconds: int = 60
    agent_install_wait_seconds: int = 60
    # What a client may send: total header bytes; bodies on the REST dialects and /graphql; and
    # /graphql bodies from callers without valid credentials (only `login` is open to them).
    max_header_bytes: int = 16 * 1024
    max_body_bytes: int = 16 * 1024 * 1024
    max_graphql_body_bytes: int = 16 * 1024 * 1024
    max_anonymous_body_bytes: int = 16 * 1024
    # CMDB event push: how often the dispatcher looks for new events (ms), the retry backoff
    # (first delay in ms, doubling up to a cap in s), how long an undelivered event is still owed
    # (s), and how many subscribers are pushed to at once.
    event_poll_ms: int = 250
    event_retry_first_ms: int = 1000
    event_retry_max_seconds: int = 60
    event_max_age_seconds: int = 86_400
    event_push_concurrency: int = 20
    # Beyond one machine: a Redis broker URL switches to the distributed deployment (workers run the
    # tasks; events and control messages cross processes over Redis). A worker owns a task through
    # a lease it renews; a dead worker's tasks are resolved within about lease + lease/3 seconds.
    broker_url: str = ""
    worker_lease_seconds: int = 30
    requeue_after_seconds: int = 60
    worker_shutdown_seconds: int = 30
    # A host step with more hosts than this is split into shards of at most this many hosts, each a
    # queue message any worker may run (distributed deployment only; one process never splits).
    shard_hosts: int = 100
    log_format: str = "text"

    @property
    def distributed(self) -> bool:
        return bool(self.broker_url)


def _dev_secret(data_dir: Path) -> str:
    """Dev mode keeps one generated secret in the data dir so tokens survive restarts."""
    path = data_dir / _SECRET_FILE
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # owner-only: it holds the secret
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def load_settings() -> Settings:
    data_dir = Path(_env("DATA_DIR") or "./data").expanduser().resolve()
    dev_mode = _env_bool("DEV")
    secret = _env("SECRET_KEY") or ""
    if not secret:
        if not dev_mode:
            raise ConfigurationError(
                f"{PREFIX}SECRET_KEY is not set. Set it (at least {_MIN_SECRET_LENGTH} characters), "
                f"or set {PREFIX}DEV=1 to generate and keep one in the data directory."
            )
        secret = _dev_secret(data_dir)
    elif len(secret) < _MIN_SECRET_LENGTH and not dev_mode:
        raise ConfigurationError(f"{PREFIX}SECRET_KEY must be at least {_MIN_SECRET_LENGTH} characters")
    database_url = _env("DATABASE_URL") or f"sqlite://{data_dir / 'opsgraph.sqlite3'}"
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        secret_key=secret,
        dev_mode=dev_mode,
        token_ttl_seconds=_env_int("TOKEN_TTL_SECONDS", 12 * 3600),
        max_page_size=_env_int("MAX_PAGE_SIZE", 500),
        debug_sql_count=_env_bool("DEBUG_SQL_COUNT"),
        ssh_default_port=_env_int("SSH_DEFAULT_PORT", 22),
        ssh_connect_timeout=float(_env_int("SSH_CONNECT_TIMEOUT", 10)),
        ssh_strict_host_keys=_env_bool("SSH_STRICT_HOST_KEYS"),
        runner_global_concurrency=_env_int("RUNNER_GLOBAL_CONCURRENCY", 200),
        runner_task_concurrency=_env_int("RUNNER_TASK_CONCURRENCY", 100),
        max_log_bytes_per_host=_env_int("MAX_LOG_BYTES_PER_HOST", 1024 * 1024),
        file_pattern_max_matches=_env_positive("FILE_PATTERN_MAX_MATCHES", 1000),
        file_directory_max_entries=_env_positive("FILE_DIRECTORY_MAX_ENTRIES", 10_000),
        file_source_max_bytes=_env_positive("FILE_SOURCE_MAX_BYTES", 512 * 1024 * 1024),
        callback_attempts=_env_int("CALLBACK_ATTEMPTS", 4),
        callback_timeout=float(_env_int("CALLBACK_TIMEOUT", 10)),
        cron_interval_seconds=float(_env_int("CRON_INTERVAL_SECONDS", 5)),
        public_url=_public_url(_env("PUBLIC_URL")),
        agent_install_root=_agent_install_root(_env("AGENT_INSTALL_ROOT") or "/opt/opsgraph-agent"),
        agent_heartbeat_seconds=_env_positive("AGENT_HEARTBEAT_SECONDS", 15),
        agent_alive_seconds=_env_positive("AGENT_ALIVE_SECONDS", 60),
        agent_install_wait_seconds=_env_positive("AGENT_INSTALL_WAIT_SECONDS", 60),
        max_header_bytes=_env_positive("MAX_HEADER_BYTES", 16 * 1024),
        max_body_bytes=_env_positive("MAX_BODY_BYTES", 16 * 1024 * 1024),
        max_graphql_body_bytes=_env_positive("MAX_GRAPHQL_BODY_BYTES", 16 * 1024 * 1024),
        max_anonymous_body_bytes=_env_positive("MAX_ANONYMOUS_BODY_BYTES", 16 * 1024),
        event_poll_ms=_env_positive("EVENT_POLL_MS", 250),
        event_retry_first_ms=_env_positive("EVENT_RETRY_FIRST_MS", 1000),
        event_retry_max_seconds=_env_positive("EVENT_RETRY_MAX_SECONDS", 60),
        event_max_age_seconds=_env_positive("EVENT_MAX_AGE_SECONDS", 86_400),
        event_push_concurrency=_env_positive("EVENT_PUSH_CONCURRENCY", 20),
        broker_url=_broker_url(_env("BROKER_URL"), database_url),
        worker_lease_seconds=_env_positive("WORKER_LEASE_SECONDS", 30),
        requeue_after_seconds=_env_positive("REQUEUE_AFTER_SECONDS", 60),
        worker_shutdown_seconds=_env_positive("WORKER_SHUTDOWN_SECONDS", 30),
        shard_hosts=_env_positive("SHARD_HOSTS", 100),
        log_format=_log_format(_env("LOG_FORMAT")),
    )


def _broker_url(raw: str | None, database_url: str) -> str:
    """A Redis URL, and only over PostgreSQL: SQLite cannot be shared by several processes on
    several machines, so the combination is refused at start-up rather than failing later."""
    url = (raw or "").strip()
    if not url:
        return ""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigurationError(f"{PREFIX}BROKER_URL must be a redis:// or rediss:// URL, got {url[:200]!r}")
    if not database_url.startswith(("postgres://", "postgresql://", "asyncpg://")):
        raise ConfigurationError(
            f"{PREFIX}BROKER_URL is set but the database is not PostgreSQL: several servers and workers need a "
            f"shared database; set {PREFIX}DATABASE_URL=postgres://… or unset {PREFIX}BROKER_URL"
        )
    return url


def _log_format(raw: str | None) -> str:
    value = (raw or "text").strip().lower()
    if value not in {"text", "json"}:
        raise ConfigurationError(f"{PREFIX}LOG_FORMAT must be text or json, got {value[:50]!r}")
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


def reset_settings_cache() -> None:
    """Tests and the CLI re-read the environment after changing it."""
    get_settings.cache_clear()
