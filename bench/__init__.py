"""Benchmarks of chatapp against a bare Flask-SocketIO baseline (docs/benchmarks.md).

Each runs as a module from the project's root, `.venv/bin/python -m bench.fanout`,
so `bench`, `chatapp` and `tests.helpers` (the real-server helpers the tests use)
import without any path set-up.
"""
