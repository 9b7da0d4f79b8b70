"""Prometheus metrics (`prometheus-client`), served at `/metrics` (and by `opsgraph worker
--metrics-port`). One registry per process; counters count what this process did, gauges read at
scrape time (`refresh_cluster_gauges`) describe the deployment as the database sees it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)

HTTP_REQUESTS = Counter(
    "opsgraph_http_requests",
    "HTTP requests answered, by API dialect and status code",
    ["dialect", "status"],
    registry=REGISTRY,
)
HTTP_SECONDS = Histogram(
    "opsgraph_http_request_seconds",
    "Time to answer an HTTP request, by API dialect",
    ["dialect"],
    registry=REGISTRY,
)
GRAPHQL_SECONDS = Histogram(
    "opsgraph_graphql_operation_seconds",
    "Time to execute one GraphQL operation over HTTP (queries and mutations)",
    registry=REGISTRY,
)
QUEUE_DEPTH = Gauge("opsgraph_queue_depth", "Task messages waiting in the queue", registry=REGISTRY)
TASKS_BY_STATUS = Gauge(
    "opsgraph_tasks", "Tasks not finished, by status (the whole deployment)", ["status"], registry=REGISTRY
)
HOSTS_IN_FLIGHT = Gauge("opsgraph_hosts_in_flight", "Hosts being worked on by this process", registry=REGISTRY)
SSH_FAILURES = Counter(
    "opsgraph_ssh_failures", "Hosts that failed over SSH in this process, by reason", ["reason"], registry=REGISTRY
)
EVENT_LAG = Histogram(
    "opsgraph_event_delivery_lag_seconds",
    "From an event's commit to its hand-off to this process's live subscribers (once per event)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
WORKER_LEASES = Gauge(
    "opsgraph_worker_leases", "Live leases: tasks owned by workers, and workers alive", ["kind"], registry=REGISTRY
)
TASKS_RESOLVED = Counter(
    "opsgraph_tasks_taken_over", "Tasks of dead workers resolved by this process's supervisor", registry=REGISTRY
)


def dialect_of(path: str) -> str:
    if path.startswith("/graphql"):
        return "graphql"
    if path.startswith("/api/c/compapi"):
        return "bk"
    if path.startswith(("/v3/", "/v5/")):
        return "huawei"
    if path.startswith("/api/"):
        return "openc3"
    if path in {"/healthz", "/readyz", "/metrics"}:
        return "operations"
    return "other"


def observe_lag(at: object) -> None:
    """An event stamped `at` (its commit time) reaches this process's live subscribers now."""
    if isinstance(at, datetime):
        EVENT_LAG.observe(max(0.0, (datetime.now(tz=UTC) - at).total_seconds()))
