"""Metrics, request and event logs, trace ids, readiness when a dependency hangs."""

import json
import logging
import socket
import threading

from prometheus_client.parser import text_string_to_metric_families

from tests.helpers.sockets import ack


def sample(client, name, **labels):
    text = client.get("/metrics").get_data(as_text=True)
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return 0.0


def test_metrics_count_messages_events_requests_and_refusals(make_app):
    from chatapp.extensions import socketio

    app = make_app(RATELIMIT_MESSAGES="2 per minute")
    client = app.test_client()
    body = {"username": "alice", "password": "correct horse"}
    client.post("/api/auth/register", json=body)
    client.post("/api/auth/login", json=body)
    before = {
        "stored": sample(client, "chatapp_messages_stored_total"),
        "sends": sample(client, "chatapp_socket_events_total", event="send", outcome="ok"),
        "refused": sample(client, "chatapp_rate_limit_refusals_total", scope="socket"),
        "logins": sample(
            client,
            "chatapp_http_requests_total",
            method="POST",
            endpoint="/api/auth/login",
            status="200",
        ),
    }
    sock = socketio.test_client(app, flask_test_client=client)
    ack(sock, "join", {"room": "general", "create": True})
    for n in range(3):
        ack(sock, "send", {"room": "general", "text": f"m{n}"})
    assert sample(client, "chatapp_messages_stored_total") == before["stored"] + 2
    assert sample(client, "chatapp_socket_events_total", event="send", outcome="ok") == (
        before["sends"] + 2
    )
    assert sample(client, "chatapp_rate_limit_refusals_total", scope="socket") == (
        before["refused"] + 1
    )
    assert sample(client, "chatapp_socket_connections") == 1
    assert sample(client, "chatapp_online_users") == 1
    assert sample(client, "chatapp_send_latency_seconds_count") >= 2
    assert sample(client, "chatapp_deliveries_total") >= 2
    assert (
        sample(
            client,
            "chatapp_http_requests_total",
            method="POST",
            endpoint="/api/auth/login",
            status="200",
        )
        == before["logins"]
    )
    sock.disconnect()
    assert sample(client, "chatapp_socket_connections") == 0


def test_outbox_backlog_and_nats_state_are_exported(make_app):
    app = make_app(NATS_URL="nats://127.0.0.1:1")  # nothing there; the relay is not started
    client = app.test_client()
    client.post("/api/auth/register", json={"username": "alice", "password": "correct horse"})
    assert sample(client, "chatapp_outbox_backlog") == 1  # the user.created event waits
    assert sample(client, "chatapp_nats_connected") == 0


def test_requests_and_socket_events_are_logged_with_trace_ids_and_no_secrets(app, client, captured):
    from chatapp.extensions import socketio

    secret = "correct horse battery"
    body = {"username": "alice", "password": secret}
    client.post("/api/auth/register", json=body)
    token = client.post(
        "/api/auth/login", json=body, headers={"X-Request-ID": "login-trace-0001"}
    ).get_json()["token"]
    sock = socketio.test_client(app, flask_test_client=client)
    assert sock.emit("join", {"room": "general", "create": True}, callback=True)["ok"]
    everything = json.dumps(captured)
    assert secret not in everything and token not in everything
    login = next(e for e in captured if e.get("path") == "/api/auth/login")
    assert login["trace_id"] == "login-trace-0001" and login["status"] == 200
    assert {"ts", "level", "logger", "msg", "method", "duration_ms"} <= set(login)
    # A successful event is counted, not logged at INFO; a refused one is logged.
    assert not [e for e in captured if e.get("event") == "join"]
    refused = sock.emit("history", {"room": "nowhere"}, callback=True)
    event = next(e for e in captured if e.get("event") == "history")
    assert event["trace_id"] == refused["trace_id"] and event["level"] == "INFO"
    assert (event["user"], event["room"], event["outcome"]) == ("alice", "nowhere", "not_found")
    sock.disconnect()


def test_successful_socket_events_are_logged_at_debug(app, client, captured):
    from chatapp.extensions import socketio

    body = {"username": "alice", "password": "correct horse"}
    client.post("/api/auth/register", json=body)
    client.post("/api/auth/login", json=body)
    sock = socketio.test_client(app, flask_test_client=client)
    dispatch_log = logging.getLogger("chatapp.sockets.dispatch")
    dispatch_log.setLevel(logging.DEBUG)
    try:
        reply = sock.emit("join", {"room": "general", "create": True}, callback=True)
    finally:
        dispatch_log.setLevel(logging.NOTSET)
    event = next(e for e in captured if e.get("event") == "join")
    assert event["trace_id"] == reply["trace_id"] and event["level"] == "DEBUG"
    assert (event["user"], event["room"], event["outcome"]) == ("alice", "general", "ok")
    sock.disconnect()


def test_refusals_under_load_are_summed_up_not_logged_each(make_app, captured, monkeypatch):
    from chatapp.extensions import socketio
    from chatapp.log_throttle import LogThrottle
    from chatapp.sockets import dispatch

    throttles = {code: LogThrottle(dispatch.log, every=3600) for code in dispatch.LOAD_REFUSALS}
    monkeypatch.setattr(dispatch, "_load_log", throttles)  # none logged yet in this process
    app = make_app(RATELIMIT_MESSAGES="1 per minute")
    client = app.test_client()
    body = {"username": "alice", "password": "correct horse"}
    client.post("/api/auth/register", json=body)
    client.post("/api/auth/login", json=body)
    sock = socketio.test_client(app, flask_test_client=client)
    ack(sock, "join", {"room": "general", "create": True})
    replies = [ack(sock, "send", {"room": "general", "text": f"m{n}"}) for n in range(4)]
    assert [r["ok"] for r in replies] == [True, False, False, False]
    assert {r["error"]["code"] for r in replies[1:]} == {"rate_limited"}
    lines = [e["msg"] for e in captured if "refused" in e["msg"]]
    assert lines == ["socket events refused: rate_limited"]
    assert not [e for e in captured if e.get("event") == "send"]
    sock.disconnect()


def test_secrets_passed_as_log_fields_are_redacted(captured):
    logging.getLogger("chatapp.test").info("x", extra={"password": "hunter2", "token": "abc"})
    assert captured[-1]["password"] == "[redacted]" and captured[-1]["token"] == "[redacted]"


def test_log_dir_gets_a_rotating_file(make_app, tmp_path):
    from chatapp.logs import configure_logging

    root = logging.getLogger()
    saved = list(root.handlers), root.level
    app = make_app(LOG_DIR=str(tmp_path / "logs"), LOG_MAX_BYTES=2000, LOG_BACKUP_COUNT=2)
    try:
        configure_logging(app)
        for n in range(200):
            logging.getLogger("chatapp.test").warning("line %d %s", n, "x" * 40)
    finally:
        for handler in list(root.handlers):
            handler.close()
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
    files = sorted(p.name for p in (tmp_path / "logs").iterdir())
    assert files == ["chatapp.log", "chatapp.log.1", "chatapp.log.2"]
    last = (tmp_path / "logs" / "chatapp.log").read_text().splitlines()[-1]
    assert json.loads(last)["msg"].startswith("line 199")


def test_readyz_stays_fast_when_redis_hangs(make_app):
    """A Redis that accepts connections and never answers: readiness says so, in time."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held = []
    stop = threading.Event()

    def accept_and_ignore():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    acceptor = threading.Thread(target=accept_and_ignore, daemon=True)
    acceptor.start()
    try:
        port = listener.getsockname()[1]
        app = make_app(REDIS_URL=f"redis://127.0.0.1:{port}/0")
        response = app.test_client().get("/readyz")
        body = response.get_json()
        assert response.status_code == 503
        assert body["checks"]["redis"]["status"] == "down"
        assert body["checks"]["redis"]["error"] == "timeout"
        assert body["checks"]["database"]["status"] == "up"
    finally:
        stop.set()
        # Joined before closing what it accepted: a connection accepted after
        # the close would leak, and its ResourceWarning fail the next test.
        acceptor.join(5)
        for conn in held:
            conn.close()
        listener.close()


def test_readyz_hides_backend_errors_and_logs_them_once(make_app, captured):
    from tests.helpers.services import free_port

    app = make_app(
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
        NATS_URL=f"nats://127.0.0.1:{free_port()}",
        RATELIMIT_READYZ="1000 per minute",
    )
    client = app.test_client()
    for _ in range(3):
        response = client.get("/readyz")
        assert response.status_code == 503
        checks = response.get_json()["checks"]
        assert checks["redis"] == {**checks["redis"], "status": "down", "error": "unavailable"}
        assert checks["nats"]["error"] == "unavailable"
        text = response.get_data(as_text=True)
        assert "127.0.0.1" not in text and "refused" not in text.lower() and "Error" not in text
    warnings = [e for e in captured if e["msg"].startswith("readiness check redis failed")]
    assert len(warnings) == 1 and warnings[0]["level"] == "WARNING"
    assert "refused" in warnings[0]["msg"].lower()  # the operator gets the details


def test_readyz_is_rate_limited_per_address_and_healthz_is_not(make_app):
    app = make_app(RATELIMIT_READYZ="3 per minute")
    client = app.test_client()
    assert [client.get("/readyz").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/readyz")
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    assert refused.get_json()["error"]["code"] == "rate_limited"
    other = client.get("/readyz", environ_base={"REMOTE_ADDR": "127.0.0.2"})
    assert other.status_code == 200  # another prober's budget
    assert {client.get("/healthz").status_code for _ in range(20)} == {200}
