"""The cost of SQLite's synchronous=FULL (the embedded default) against NORMAL.

    .venv/bin/python -m bench.sqlite_sync [--messages 2000]

Stores messages one transaction each, as sends do, in a fresh SQLite file per
mode, in one run: messages per second and commit latency percentiles. FULL
syncs the write-ahead log at every commit, so an acknowledged message survives
a power cut; NORMAL may lose the last commits (and then reuse their seqs).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import event

from chatapp import create_app
from chatapp.extensions import db

ROOT = Path(__file__).resolve().parent.parent


def measure(mode: str, count: int, folder: Path) -> dict:
    from chatapp.models import Room, User
    from chatapp.services.messages import store_message

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-" + "s" * 40,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / (mode + '.db')}",
            "RATELIMIT_ENABLED": False,
            "SOCKETIO_ASYNC_MODE": "threading",  # storing only: no server here
        }
    )
    with app.app_context():
        if mode == "NORMAL":  # runs after chatapp's own pragmas, overriding FULL
            event.listen(
                db.engine,
                "connect",
                lambda conn, _: conn.execute("PRAGMA synchronous=NORMAL"),
            )
        db.create_all()
        user = User(username="bench", name_key="bench", password_hash="x")
        room = Room(name="bench")
        db.session.add_all([user, room])
        db.session.commit()
        mode_now = db.session.execute(db.text("PRAGMA synchronous")).scalar()
        latencies = []
        started = time.perf_counter()
        for n in range(count):
            t0 = time.perf_counter()
            store_message(user, room, f"message {n}")
            latencies.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - started
        db.engine.dispose()
    latencies.sort()
    return {
        "mode": f"{mode} ({mode_now})",
        "msg/s": round(count / elapsed),
        "p50 ms": round(statistics.median(latencies) * 1000, 3),
        "p99 ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(
        dir=ROOT / "instance" if (ROOT / "instance").exists() else None
    ) as tmp:
        rows = [measure(mode, args.messages, Path(tmp)) for mode in ("NORMAL", "FULL")]
    print("| synchronous | messages/s | p50 ms | p99 ms |")
    print("|---|---|---|---|")
    for row in rows:
        print(f"| {row['mode']} | {row['msg/s']} | {row['p50 ms']} | {row['p99 ms']} |")


if __name__ == "__main__":
    main()
