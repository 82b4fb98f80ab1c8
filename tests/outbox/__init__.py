"""Events on NATS: the outbox, its relay, dead letters, JetStream through outages."""
