"""RedisPresence against a real Redis: exact counts, expiry, exactly-once departures."""

import threading

import redis

from chatapp.presence.redis_store import RedisPresence
from tests.helpers.services import REDIS_URL
from tests.helpers.wait import wait_for


def store(prefix, ttl=45):
    return RedisPresence(REDIS_URL, ttl=ttl, prefix=prefix)


def test_join_and_leave_are_exact_with_several_sessions(presence):
    first = presence.join("a1", "alice", "general")
    assert (first.changed, first.users) == (True, ["alice"])
    second = presence.join("a2", "alice", "general")
    assert (second.changed, second.online) == (False, 1)
    bob = presence.join("b1", "bob", "general")
    assert (bob.changed, bob.users) == (True, ["alice", "bob"])
    one_left = presence.leave("a1", "general")
    assert (one_left.user, one_left.changed, one_left.online) == ("alice", False, 2)
    last = presence.leave("a2", "general")
    assert (last.user, last.changed, last.users) == ("alice", True, ["bob"])
    assert presence.online("general").users == ["bob"]


def test_rejoining_with_the_same_session_is_idempotent(presence):
    presence.join("a1", "alice", "general")
    again = presence.join("a1", "alice", "general")
    assert (again.changed, again.online) == (False, 1)
    assert presence.leave("a1", "general").changed is True
    assert presence.online("general").online == 0


def test_leaving_unknown_session_changes_nothing(presence):
    presence.join("a1", "alice", "general")
    change = presence.leave("ghost", "general")
    assert (change.user, change.changed, change.online) == (None, False, 1)


def test_rooms_are_independent_and_counted_in_bulk(presence):
    presence.join("a1", "alice", "one")
    presence.join("b1", "bob", "one")
    presence.join("a1", "alice", "two")
    assert presence.online_counts(["one", "two", "three"]) == {"one": 2, "two": 1, "three": 0}


def test_sessions_per_user_are_counted(presence):
    assert presence.connect("a1", "alice") == 1
    assert presence.connect("a2", "Alice") == 2
    presence.disconnect("a1", "alice")
    assert presence.connect("a3", "alice") == 2


def test_unrefreshed_sessions_expire_and_are_reported_gone_once(prefix):
    crashed = store(prefix, ttl=1)  # a process that will stop refreshing
    alive = store(prefix, ttl=60)
    crashed.join("c1", "carol", "general")
    crashed.join("c2", "carol", "general")
    alive.join("b1", "bob", "general")

    def carol_gone():
        changes = alive.sweep()
        return changes or None

    [change] = wait_for(carol_gone, timeout=10, interval=0.2, message="carol to expire")
    assert (change.room, change.gone, change.users) == ("general", ["carol"], ["bob"])
    # Reported once: the next sweep and reads find nothing more to announce.
    assert alive.sweep() == []
    assert alive.online("general").users == ["bob"]


def test_refresh_keeps_sessions_alive(prefix):
    presence = store(prefix, ttl=2)
    presence.join("a1", "alice", "general")
    presence.connect("a1", "alice")
    client = redis.Redis.from_url(REDIS_URL)
    key = f"{prefix}presence:room:general:exp"
    before = client.zscore(key, "a1")
    wait_for(lambda: client.time()[0] >= before - 1, timeout=5, message="a second to pass")
    presence.refresh({"a1": ("alice", {"general"})})
    assert client.zscore(key, "a1") > before - 1
    assert presence.online("general").users == ["alice"]


def test_refresh_does_not_resurrect_a_purged_session(prefix):
    presence = store(prefix)
    presence.refresh({})  # the upkeep's first round, at process start
    presence.join("a1", "alice", "general")
    presence.leave("a1", "general")
    presence.refresh({"a1": ("alice", {"general"})})
    assert presence.online("general").users == []


def test_concurrent_joins_and_leaves_from_two_processes_stay_exact(prefix):
    """Two stores (two processes) race; distinct users are counted exactly."""
    stores = [store(prefix), store(prefix)]
    errors = []

    def churn(index):
        try:
            mine = stores[index % 2]
            for n in range(50):
                sid = f"s{index}-{n}"
                mine.join(sid, f"user{index}", "busy")
                if n % 2:
                    mine.leave(sid, "busy")
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=churn, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    # Every user kept 25 sessions: 8 distinct users online, from either store.
    assert stores[0].online("busy").online == 8
    assert stores[1].online_counts(["busy"]) == {"busy": 8}


def test_default_expiry_removes_a_dead_process_within_a_minute():
    from chatapp.config import DEFAULTS

    # A session is refreshed every PRESENCE_REFRESH s and expires PRESENCE_TTL s
    # after its last refresh; the sweep runs every PRESENCE_REFRESH s too.
    assert DEFAULTS["PRESENCE_TTL"] + DEFAULTS["PRESENCE_REFRESH"] <= 60
    assert DEFAULTS["PRESENCE_REFRESH"] * 2 < DEFAULTS["PRESENCE_TTL"]


def test_each_process_re_registers_its_sessions_after_redis_lost_its_data(prefix):
    first, second = store(prefix), store(prefix)
    first_sessions = {"a1": ("alice", {"general"})}
    second_sessions = {"b1": ("bob", {"general"})}
    first.join("a1", "alice", "general")
    second.join("b1", "bob", "general")
    first.refresh(first_sessions)
    second.refresh(second_sessions)
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):  # what a restart without persistence does
        client.delete(key)
    assert first.online("general").users == []
    first.refresh(first_sessions)
    second.refresh(second_sessions)  # each notices on its own, not only the first
    assert first.online("general").users == ["alice", "bob"]
    client.close()


def test_more_callers_at_once_than_connections_wait_for_one(prefix):
    """Sockets closing together wait for a Redis connection rather than fail (and stay online)."""
    small = RedisPresence(REDIS_URL, ttl=45, prefix=prefix, pool_size=2)
    errors = []

    def session(n):
        try:
            for turn in range(20):
                small.connect(f"s{n}-{turn}", f"user{n}")
                small.join(f"s{n}-{turn}", f"user{n}", "general")
                small.leave(f"s{n}-{turn}", "general")
                small.disconnect(f"s{n}-{turn}", f"user{n}")
        except Exception as error:  # noqa: BLE001 (collected and asserted below)
            errors.append(repr(error))

    threads = [threading.Thread(target=session, args=(n,)) for n in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert small.online("general").online == 0
    assert all(small.sessions(f"user{n}") == [] for n in range(30))
