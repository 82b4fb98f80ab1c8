"""Presence shared by every server process, in Redis.

Per room: a ZSET sid -> expiry, a HASH sid -> user and a HASH user -> number of
live sessions. Lua scripts change them atomically and read the clock of Redis
itself, so processes on different machines agree on what has expired. Each
process refreshes the expiry of its own sessions every PRESENCE_REFRESH
seconds; a process killed with SIGKILL stops refreshing and its sessions are
purged by the next call that touches the room (at most PRESENCE_TTL later).
"""

from __future__ import annotations

import uuid

import redis

from chatapp.presence import RoomChange

# Shared by the scripts: drop the room's expired sessions, return their users
# whose last session that was. KEYS[1..3] = exp zset, sid hash, count hash.
_PURGE = """
local now = tonumber(redis.call('TIME')[1])
local gone = {}
for _, old in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)) do
  local who = redis.call('HGET', KEYS[2], old)
  redis.call('ZREM', KEYS[1], old)
  redis.call('HDEL', KEYS[2], old)
  if who then
    if redis.call('HINCRBY', KEYS[3], who, -1) <= 0 then
      redis.call('HDEL', KEYS[3], who)
      table.insert(gone, who)
    end
  end
end
"""

# ARGV: sid, user, ttl. KEYS[4] = the set of rooms with presence.
_JOIN = (
    _PURGE
    + """
local first = 0
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
  if redis.call('HINCRBY', KEYS[3], ARGV[2], 1) == 1 then first = 1 end
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('SADD', KEYS[4], ARGV[4])
return {first, redis.call('HKEYS', KEYS[3]), gone}
"""
)

# ARGV: sid.
_LEAVE = (
    _PURGE
    + """
local who = redis.call('HGET', KEYS[2], ARGV[1])
local last = 0
if who then
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('ZREM', KEYS[1], ARGV[1])
  if redis.call('HINCRBY', KEYS[3], who, -1) <= 0 then
    redis.call('HDEL', KEYS[3], who)
    last = 1
  end
else
  who = ''
end
return {last, who, redis.call('HKEYS', KEYS[3]), gone}
"""
)

_ONLINE = (
    _PURGE
    + """
return {redis.call('HKEYS', KEYS[3]), gone}
"""
)

# Like _ONLINE, and forgets an empty room in the same atomic step, so a join
# racing the sweep cannot leave a room with sessions out of the sweep set.
# KEYS[4] = the set of rooms with presence; ARGV[1] = the room.
_SWEEP = (
    _PURGE
    + """
if redis.call('ZCARD', KEYS[1]) == 0 then redis.call('SREM', KEYS[4], ARGV[1]) end
return {redis.call('HKEYS', KEYS[3]), gone}
"""
)

# KEYS[1] = the user's session zset. ARGV: sid, ttl.
_CONNECT = """
local now = tonumber(redis.call('TIME')[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
return redis.call('ZCARD', KEYS[1])
"""

# KEYS: pairs of zsets; ARGV[1] = ttl, then one sid per key. Only refreshes
# entries that still exist (XX): a purged session is not brought back.
_REFRESH = """
local now = tonumber(redis.call('TIME')[1])
local until_ = now + tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, 'XX', until_, ARGV[i + 1])
end
return #KEYS
"""


def _sorted(users) -> list[str]:
    return sorted((_text(u) for u in users), key=str.lower)


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisPresence:
    """A PresenceStore in Redis, shared by every process of the deployment."""

    #: Connections to Redis, shared by the process's green threads. Past them a
    #: caller waits (up to POOL_WAIT seconds) for one to come back: redis-py's
    #: own pool raised MaxConnectionsError past its 100 at once, and 5,000
    #: sockets closing together (a network blip, a load balancer restart) failed
    #: 4,844 of their presence cleanups, leaving them online until the TTL. The
    #: wait is long because such a storm is CPU-bound: with 5 s, 640 of the
    #: 5,000 cleanups still gave up. A connect that waits past CONNECT_TIMEOUT
    #: finds its connection closed by the door and undoes itself (sockets.handlers).
    POOL_SIZE = 50
    POOL_WAIT = 30

    def __init__(self, url: str, ttl: int, prefix: str = "chat:", pool_size: int = 0) -> None:
        pool = redis.BlockingConnectionPool.from_url(
            url,
            max_connections=pool_size or self.POOL_SIZE,
            timeout=self.POOL_WAIT,
            socket_timeout=5,
            socket_connect_timeout=5,
        )
        self.redis = redis.Redis(connection_pool=pool)
        self.ttl = ttl
        self.prefix = prefix + "presence:"
        self.process_id = uuid.uuid4().hex
        self._join = self.redis.register_script(_JOIN)
        self._leave = self.redis.register_script(_LEAVE)
        self._online = self.redis.register_script(_ONLINE)
        self._sweep = self.redis.register_script(_SWEEP)
        self._connect = self.redis.register_script(_CONNECT)
        self._refresh = self.redis.register_script(_REFRESH)

    def _room_keys(self, room: str) -> list[str]:
        base = f"{self.prefix}room:{room}:"
        return [base + "exp", base + "sid", base + "count"]

    def _user_key(self, user: str) -> str:
        return f"{self.prefix}user:{user.lower()}"

    @property
    def _rooms_key(self) -> str:
        return self.prefix + "rooms"

    def connect(self, sid: str, user: str) -> int:
        """Register a session of `user`; return how many live sessions it has."""
        return int(self._connect(keys=[self._user_key(user)], args=[sid, self.ttl]))

    def disconnect(self, sid: str, user: str) -> None:
        self.redis.zrem(self._user_key(user), sid)

    def sessions(self, user: str) -> list[str]:
        """Sessions not expired yet, by Redis's clock (a dead process's drop out)."""
        now = self.redis.time()[0]
        found = self.redis.zrangebyscore(self._user_key(user), now, "+inf")
        return [_text(sid) for sid in found]

    def join(self, sid: str, user: str, room: str) -> RoomChange:
        first, users, gone = self._join(
            keys=[*self._room_keys(room), self._rooms_key], args=[sid, user, self.ttl, room]
        )
        return RoomChange(room, user, bool(first), _sorted(users), _sorted(gone))

    def leave(self, sid: str, room: str) -> RoomChange:
        last, user, users, gone = self._leave(keys=self._room_keys(room), args=[sid])
        return RoomChange(room, _text(user) or None, bool(last), _sorted(users), _sorted(gone))

    def online(self, room: str) -> RoomChange:
        users, gone = self._online(keys=self._room_keys(room))
        return RoomChange(room, None, False, _sorted(users), _sorted(gone))

    def online_counts(self, rooms: list[str]) -> dict[str, int]:
        """Counts for many rooms in one round trip (expired sessions are purged by sweep)."""
        pipe = self.redis.pipeline(transaction=False)
        for room in rooms:
            pipe.hlen(self._room_keys(room)[2])
        return {room: int(count) for room, count in zip(rooms, pipe.execute(), strict=True)}

    @property
    def _epoch_key(self) -> str:
        # One per process: each must notice a data loss and re-register its own.
        return f"{self.prefix}epoch:{self.process_id}"

    def refresh(self, sessions: dict[str, tuple[str, set[str]]]) -> None:
        """Push back the expiry of this process's sessions: sid -> (user, rooms).

        If Redis lost its data (a restart without persistence), the epoch key
        is gone: every process then registers its sessions again, so counts
        come back without anyone reconnecting. (A process's first refresh, at
        start-up before it has sessions, is what creates its key.)
        """
        # The key outlives a few refreshes; if this process stalls longer than
        # that it simply registers again (idempotent).
        if self.redis.set(self._epoch_key, "1", nx=True, ex=self.ttl * 4):
            for sid, (user, rooms) in sessions.items():
                self.connect(sid, user)
                for room in rooms:
                    self.join(sid, user, room)
            return
        self.redis.expire(self._epoch_key, self.ttl * 4)
        keys, sids = [], []
        for sid, (user, rooms) in sessions.items():
            keys.append(self._user_key(user))
            sids.append(sid)
            for room in rooms:
                keys.append(self._room_keys(room)[0])
                sids.append(sid)
        for start in range(0, len(keys), 500):  # bounded script size
            self._refresh(
                keys=keys[start : start + 500], args=[self.ttl, *sids[start : start + 500]]
            )

    def sweep(self) -> list[RoomChange]:
        """Purge every room's expired sessions; return rooms where users went offline."""
        changes = []
        for raw in self.redis.smembers(self._rooms_key):
            room = _text(raw)
            users, gone = self._sweep(keys=[*self._room_keys(room), self._rooms_key], args=[room])
            if gone:
                changes.append(RoomChange(room, None, False, _sorted(users), _sorted(gone)))
        return changes
