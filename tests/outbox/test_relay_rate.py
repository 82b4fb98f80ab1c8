"""The relay's publish-rate cap: a one-second token bucket, checked with a fake clock."""

from chatapp.outbox import relay as relay_module


def test_publish_rate_is_capped(make_app, monkeypatch):
    app = make_app(NATS_URL="nats://127.0.0.1:1", NATS_PUBLISH_RATE=10, NATS_BATCH=100)
    relay = app.extensions["chatapp.relay"]
    now = [1000.0]
    monkeypatch.setattr(relay_module.time, "monotonic", lambda: now[0])
    relay._refilled = now[0]
    assert relay._take_tokens() == 10  # a full second's worth, not a whole batch
    assert relay._take_tokens() == 0  # spent: a backlog cannot flood NATS
    now[0] += 0.5
    assert relay._take_tokens() == 5
    now[0] += 60
    assert relay._take_tokens() == 10  # the bucket never holds more than one second


def test_batch_size_bounds_each_take(make_app, monkeypatch):
    app = make_app(NATS_URL="nats://127.0.0.1:1", NATS_PUBLISH_RATE=1000, NATS_BATCH=50)
    relay = app.extensions["chatapp.relay"]
    monkeypatch.setattr(relay_module.time, "monotonic", lambda: relay._refilled)
    assert relay._take_tokens() == 50
