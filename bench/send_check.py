"""The cost of the membership check on the send path, measured against no check.

    .venv/bin/python -m bench.send_check [--sends 3000] [--members 1000]

Every send's sequence UPDATE carries `EXISTS (membership of the sender)`, so
a kicked user cannot send from a socket on another process. This measures
what that costs: in-process `store_message` calls, one at a time (so each is
a group commit's batch of one: sequence update, message insert, commit; no
NATS, no sockets) on
PostgreSQL and SQLite, with the statement as shipped and with the EXISTS
removed (the baseline), interleaved in blocks of 100 so drift hits both.
The room has --members members and the sender 100 memberships, so the
check's index lookups are not on toy tables.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import bindparam, insert, update

from bench.common import save
from chatapp import create_app
from chatapp.extensions import db
from chatapp.models import Membership, Room, User
from chatapp.services import message_store, messages
from chatapp.services.rooms import RoomKey
from tests.helpers.config import BASE_CONFIG
from tests.helpers.services import create_postgres_database

BLOCK = 100

# A lone send's sequence UPDATE (services.message_store.NEXT_SEQ) without the EXISTS.
ROOMS = message_store.ROOMS
WITHOUT_CHECK = (
    update(ROOMS)
    .where(ROOMS.c.id == bindparam("room_id"))
    .values(last_seq=ROOMS.c.last_seq + 1)
    .returning(ROOMS.c.last_seq, ROOMS.c.private)
)


def populate(members: int) -> tuple[int, int]:
    """A room with `members` members (the sender first) and 99 more rooms of the sender."""
    db.session.execute(
        insert(User),
        [{"username": f"u{n}", "name_key": f"u{n}", "password_hash": "x"} for n in range(members)],
    )
    db.session.execute(insert(Room), [{"name": f"r{n}"} for n in range(100)])
    db.session.flush()
    users = [u.id for u in db.session.query(User.id).order_by(User.id)]
    rooms = [r.id for r in db.session.query(Room.id).order_by(Room.id)]
    rows = [{"user_id": user_id, "room_id": rooms[0]} for user_id in users]
    rows += [{"user_id": users[0], "room_id": room_id} for room_id in rooms[1:]]
    db.session.execute(insert(Membership), rows)
    db.session.commit()
    return users[0], rooms[0]


def measure(database_url: str, sends: int, members: int) -> dict:
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    times: dict[str, list[float]] = {"with_check": [], "without_check": []}
    shipped = message_store.NEXT_SEQ
    with app.app_context():
        db.create_all()
        sender_id, room_id = populate(members)
        sender = db.session.get(User, sender_id)
        room = RoomKey(room_id, "r0")
        for _ in range(200):  # warm the pool, caches and the planner
            messages.store_message(sender, room, "warm-up")
        for block in range(sends // BLOCK):
            for variant, statement in (("with_check", shipped), ("without_check", WITHOUT_CHECK)):
                if block % 2:  # alternate which goes first
                    variant = "without_check" if variant == "with_check" else "with_check"
                    statement = WITHOUT_CHECK if statement is shipped else shipped
                message_store.NEXT_SEQ = statement
                for _ in range(BLOCK):
                    began = time.perf_counter()
                    messages.store_message(sender, room, "a 64-byte text " * 4)
                    times[variant].append(time.perf_counter() - began)
        message_store.NEXT_SEQ = shipped
        db.session.remove()
    result = {}
    for variant, values in times.items():
        values.sort()
        result[variant] = {
            "mean_us": round(statistics.fmean(values) * 1e6, 1),
            "p50_us": round(values[len(values) // 2] * 1e6, 1),
            "p99_us": round(values[int(len(values) * 0.99)] * 1e6, 1),
            "n": len(values),
        }
    extra = result["with_check"]["mean_us"] - result["without_check"]["mean_us"]
    result["check_cost_us"] = round(extra, 1)
    result["check_cost_pct"] = round(100 * extra / result["without_check"]["mean_us"], 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sends", type=int, default=3000)
    parser.add_argument("--members", type=int, default=1000)
    args = parser.parse_args()
    results = {}
    url, drop = create_postgres_database("chatapp_bench")
    try:
        results["postgresql"] = measure(url, args.sends, args.members)
    finally:
        drop()
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "bench.db"
        results["sqlite"] = measure(f"sqlite:///{path}", args.sends, args.members)
    for database, result in results.items():
        print(
            f"{database}: with check {result['with_check']['mean_us']} us/send "
            f"(p99 {result['with_check']['p99_us']}), without "
            f"{result['without_check']['mean_us']} us/send "
            f"(p99 {result['without_check']['p99_us']}): "
            f"{result['check_cost_us']:+} us ({result['check_cost_pct']:+} %)",
            file=sys.stderr,
        )
    save("send_check", {"args": vars(args), **results})


if __name__ == "__main__":
    main()
