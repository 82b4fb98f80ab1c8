"""Prometheus metrics at GET /metrics (per process: scrape every instance).

Metric objects live in prometheus_client's process-wide registry, as that
library intends; values that are cheaper to read than to track (backlog,
connections, NATS state) are read when /metrics is scraped.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

from chatapp.extensions import limiter

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)

HTTP_REQUESTS = Counter(
    "chatapp_http_requests_total", "HTTP requests answered.", ["method", "endpoint", "status"]
)
HTTP_LATENCY = Histogram(
    "chatapp_http_request_duration_seconds",
    "HTTP request latency.",
    ["method", "endpoint"],
    buckets=LATENCY_BUCKETS,
)
SOCKET_EVENTS = Counter(
    "chatapp_socket_events_total", "Socket events handled, by outcome.", ["event", "outcome"]
)
SEND_LATENCY = Histogram(
    "chatapp_send_latency_seconds",
    "Time from a send event to its ack (stored and broadcast).",
    buckets=LATENCY_BUCKETS,
)
MESSAGES_STORED = Counter("chatapp_messages_stored_total", "Messages stored.")
DELIVERIES = Counter(
    "chatapp_deliveries_total", "Messages handed to this process's sessions in the room."
)
REFUSALS = Counter(
    "chatapp_rate_limit_refusals_total", "Requests refused by a rate limit.", ["scope"]
)
HANDSHAKES_REFUSED = Counter(
    "chatapp_handshakes_refused_total",
    "Socket.IO connections refused or closed before logging in, by reason.",
    ["reason"],  # rate, pending (per-address cap), timeout (CONNECT_TIMEOUT)
)
SENDS_REFUSED = Counter(
    "chatapp_sends_refused_total",
    "Sends answered `busy` by the group commit's queue, by reason.",
    ["reason"],  # queue_full, waited_too_long, pool_timeout
)
SEND_BATCH_SIZE = Histogram(
    "chatapp_send_batch_size",
    "Sends stored per group-commit transaction.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)
SEND_BATCH_RETRIES = Counter(
    "chatapp_send_batch_retries_total",
    "Group-commit batches stored again, by reason.",
    ["reason"],  # reconnect (a dropped connection), repeat (a client_id used before), one_by_one
)
DB_PINGS = Counter(
    "chatapp_db_pings_total",
    "Pooled connections pinged at checkout: idle for long, or the server sent something.",
)
DB_CONNECTIONS_REPLACED = Counter(
    "chatapp_db_connections_replaced_total",
    "Pooled connections found closed by the database at checkout, and replaced.",
)
SQLITE_LOCK_WAITS = Gauge(
    "chatapp_sqlite_lock_waits", "Statements waiting for SQLite's write lock (held elsewhere)."
)
PROTOCOL_ERRORS = Counter(
    "chatapp_protocol_errors_total", "Connections closed for sending undecodable packets."
)
CONNECTIONS = Gauge("chatapp_socket_connections", "Socket connections open on this process.")
ONLINE_USERS = Gauge("chatapp_online_users", "Distinct users with a session on this process.")
OUTBOX_BACKLOG = Gauge("chatapp_outbox_backlog", "Events waiting to be published to NATS.")
RELAY_LAG = Gauge("chatapp_relay_lag_seconds", "Age of the oldest event waiting for NATS.")
RELAY_STUCK = Gauge(
    "chatapp_relay_stuck",
    "1 while the oldest outbox event has not moved for NATS_RELAY_STUCK_AFTER seconds.",
)
PUBLISH_FAILURES = Counter(
    "chatapp_relay_publish_failures_total",
    "Relay batches stopped by a transient NATS failure (retried in order).",
)
DEAD_LETTERS_TOTAL = Counter(
    "chatapp_outbox_dead_letters_total",
    "Events this process's relay moved to the dead letters: NATS can never accept them.",
)
DEAD_LETTER_ROWS = Gauge(
    "chatapp_outbox_dead_letter_rows", "Events in the dead-letter table (all processes)."
)
NATS_CONNECTED = Gauge("chatapp_nats_connected", "1 while this process is connected to NATS.")
RELAY_LEADER = Gauge("chatapp_relay_leader", "1 while this process's relay is the leader.")


# The counter of each (event, outcome), looked up once: `.labels()` validates
# its arguments, takes the metric's lock and builds a key tuple on every call.
# Both label values are bounded (handler names, error codes), so is this dict;
# a lost race between two threads only looks the same child up twice.
_event_counters: dict[tuple[str, str], Any] = {}
_SOCKET_REFUSALS = REFUSALS.labels("socket")


def socket_event(event: str, outcome: str, elapsed: float) -> None:
    """Count one acknowledged socket event; a stored send's latency too."""
    counter = _event_counters.get((event, outcome))
    if counter is None:
        counter = _event_counters[event, outcome] = SOCKET_EVENTS.labels(event, outcome)
    counter.inc()
    if event == "send" and outcome == "ok":
        SEND_LATENCY.observe(elapsed)
    elif outcome == "rate_limited":
        _SOCKET_REFUSALS.inc()


bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
@limiter.exempt
def metrics():
    """The Prometheus text format."""
    _read_gauges()
    return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)


def _read_gauges() -> None:
    from chatapp.outbox import current_link, current_relay, current_watch
    from chatapp.presence import local_sessions

    sessions = local_sessions()
    CONNECTIONS.set(len(sessions))
    ONLINE_USERS.set(sessions.distinct_users())
    link, relay, watch = current_link(), current_relay(), current_watch()
    if link is not None and watch is not None:  # all three or none: NATS_URL is set
        from chatapp.outbox import dead_letters

        NATS_CONNECTED.set(1 if link.connected else 0)
        RELAY_LEADER.set(1 if relay is not None and relay.leading else 0)
        state = watch.observe()
        OUTBOX_BACKLOG.set(state.backlog)
        RELAY_LAG.set(state.oldest_age_s or 0)
        RELAY_STUCK.set(1 if state.stuck else 0)
        DEAD_LETTER_ROWS.set(dead_letters.count())


def _endpoint() -> str:
    # The route pattern, never the raw path: bounded label values.
    return request.url_rule.rule if request.url_rule else "unmatched"


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.before_request
    def start_timer() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def count_request(response):
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        endpoint = _endpoint()
        HTTP_REQUESTS.labels(request.method, endpoint, response.status_code).inc()
        HTTP_LATENCY.labels(request.method, endpoint).observe(elapsed)
        if response.status_code == 429:
            REFUSALS.labels("http").inc()
        return response
