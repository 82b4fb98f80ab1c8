"""The NATS connection: one OS thread, one long-lived asyncio loop.

nats-py is asyncio only; the green hub is not asyncio. The link runs its loop
on a real OS thread (`server.green.real_threading`) and is fed with
`loop.call_soon_threadsafe`. Results come back through a lock-free `Handoff`
that green threads poll with short sleeps: blocking a green thread on a
cross-thread future would deadlock the hub.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chatapp.log_throttle import LogThrottle
from chatapp.outbox import publish
from chatapp.outbox.failures import describe
from chatapp.outbox.publish import Entry
from chatapp.server import green

if TYPE_CHECKING:  # nats is imported when the link starts, not with the app
    import threading

    from nats.aio.client import Client
    from nats.js import JetStreamContext

log = logging.getLogger(__name__)


@dataclass
class NatsOptions:
    url: str
    user: str | None = None
    password: str | None = None
    token: str | None = None
    creds: str | None = None
    tls_ca: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    jetstream: bool = True
    stream: str = "CHAT"
    subjects: list[str] = field(default_factory=lambda: ["chat.>"])
    max_age: float = 7 * 24 * 3600
    max_bytes: int = -1
    duplicate_window: float = 600
    reconnect_wait: float = 2.0

    @classmethod
    def from_config(cls, config) -> NatsOptions:
        return cls(
            url=config["NATS_URL"],
            user=config.get("NATS_USER"),
            password=config.get("NATS_PASSWORD"),
            token=config.get("NATS_TOKEN"),
            creds=config.get("NATS_CREDS"),
            tls_ca=config.get("NATS_TLS_CA"),
            tls_cert=config.get("NATS_TLS_CERT"),
            tls_key=config.get("NATS_TLS_KEY"),
            jetstream=config["NATS_JETSTREAM"],
            stream=config["NATS_STREAM"],
            max_age=config["NATS_STREAM_MAX_AGE"],
            max_bytes=config["NATS_STREAM_MAX_BYTES"],
            duplicate_window=config["NATS_DUPLICATE_WINDOW"],
            reconnect_wait=config["NATS_RECONNECT_WAIT"],
        )

    def connect_kwargs(self) -> dict[str, Any]:
        """Arguments for nats.connect; credentials in the URL work too."""
        kwargs: dict[str, Any] = {
            "servers": [self.url],
            "name": "chatapp",
            "connect_timeout": 2,
            "allow_reconnect": True,
            # nats-py gives up after 60 attempts by default and then closes for
            # good; an outage longer than that must not end publishing.
            "max_reconnect_attempts": -1,
            "reconnect_time_wait": self.reconnect_wait,
        }
        if self.user:
            kwargs["user"], kwargs["password"] = self.user, self.password
        if self.token:
            kwargs["token"] = self.token
        if self.creds:
            kwargs["user_credentials"] = self.creds
        if self.tls_ca or self.tls_cert or self.url.startswith("tls://"):
            context = ssl.create_default_context(cafile=self.tls_ca)
            if self.tls_cert:
                context.load_cert_chain(self.tls_cert, self.tls_key)
            kwargs["tls"] = context
        return kwargs


class Handoff:
    """A result crossing from the asyncio thread to a green thread, without locks."""

    __slots__ = ("done", "result", "error")

    def __init__(self) -> None:
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None

    def wait(self, sleep, timeout: float) -> Any:
        """Poll until done, napping with `sleep` (the green hub's sleep under it)."""
        deadline = time.monotonic() + timeout
        while not self.done:
            if time.monotonic() > deadline:
                raise TimeoutError("NATS link did not answer in time")
            sleep(0.002)
        if self.error is not None:
            raise self.error
        return self.result


class NatsLink:
    """Owns the NATS connection; publishes batches in order, reports its state."""

    def __init__(self, options: NatsOptions) -> None:
        self.options = options
        self.loop: asyncio.AbstractEventLoop | None = None
        self.nc: Client | None = None
        self.js: JetStreamContext | None = None
        self.acks: publish.AckInbox | None = None  # JetStream's replies to our publishes
        self.connected = False
        self.last_error: str | None = None
        self._stream_ready = False  # the JetStream stream exists (or JetStream is off)
        self._auth_error_at = 0.0  # when NATS last refused our credentials
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._publish_warnings = LogThrottle(log, every=30.0)

    # -- lifecycle (called from the server's thread) --

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = green.real_threading().Thread(
            target=self._run, name="nats-link", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 5) -> None:
        self._stopping = True
        if self.loop is not None:
            self.loop.call_soon_threadsafe(lambda: None)
        if self._thread is not None:
            self._thread.join(timeout)

    def submit(self, coroutine_function, *args) -> Handoff:
        """Run `coroutine_function(*args)` on the link's loop; return its Handoff."""
        handoff = Handoff()

        async def runner():
            try:
                handoff.result = await coroutine_function(*args)
            except Exception as error:  # noqa: BLE001 (handed back to the caller)
                handoff.error = error
            finally:
                handoff.done = True

        if self.loop is None:
            handoff.error, handoff.done = ConnectionError("NATS link not started"), True
        else:
            self.loop.call_soon_threadsafe(lambda: asyncio.ensure_future(runner()))
        return handoff

    # -- the asyncio side --

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self.loop = loop
        try:
            loop.run_until_complete(self._supervise())
        finally:
            loop.close()

    async def _supervise(self) -> None:
        """Connect, and connect again whenever the connection is closed, forever."""
        while not self._stopping:
            if self.nc is None or self.nc.is_closed:
                await self._connect()
            self.connected = bool(self.nc and self.nc.is_connected and self._stream_ready)
            await asyncio.sleep(0.2)
        if self.nc is not None and not self.nc.is_closed:
            try:
                await self.nc.drain()
            except Exception:  # noqa: BLE001 (shutting down anyway)
                log.debug("closing NATS failed", exc_info=True)

    async def _connect(self) -> None:
        import nats

        self._stream_ready = False
        try:
            self.nc = await nats.connect(
                error_cb=self._on_error,
                disconnected_cb=self._on_disconnected,
                reconnected_cb=self._on_reconnected,
                closed_cb=self._on_closed,
                **self.options.connect_kwargs(),
            )
            if self.options.jetstream:
                self.js = self.nc.jetstream()
                self.acks = publish.AckInbox(self.nc)
                await self._ensure_stream(self.js)
            self._stream_ready = True
            self.last_error = None
            log.info("connected to NATS at %s", _safe_url(self.options.url))
        except Exception as error:  # noqa: BLE001 (logged; the supervisor retries)
            self._note_error(describe(error))
            log.error("NATS connection failed: %s (retrying)", describe(error))
            if self.nc is not None and not self.nc.is_closed:
                try:
                    await self.nc.close()
                except Exception:  # noqa: BLE001 (already broken)
                    log.debug("closing a failed NATS connection", exc_info=True)
            self.nc = None
            await asyncio.sleep(self.options.reconnect_wait)

    async def _ensure_stream(self, js: JetStreamContext) -> None:
        """Create the stream covering chat.>, or bring its settings up to date."""
        from nats.js.api import StreamConfig
        from nats.js.errors import NotFoundError

        config = StreamConfig(
            name=self.options.stream,
            subjects=self.options.subjects,
            max_age=self.options.max_age,
            max_bytes=self.options.max_bytes,
            duplicate_window=self.options.duplicate_window,
        )
        try:
            await js.stream_info(self.options.stream)
        except NotFoundError:
            await js.add_stream(config)
            log.info("created JetStream stream %s for %s", config.name, config.subjects)
            return
        await js.update_stream(config)

    async def _on_error(self, error) -> None:
        self._note_error(describe(error))
        log.error("NATS error: %s", describe(error))

    def _note_error(self, text: str) -> None:
        """Remember the most telling recent error for /readyz and `events status`.

        After refusing our credentials the server drops the connection, and the
        "connection reset" that follows must not hide why.
        """
        now = time.monotonic()
        if "Authorization" in text or "Authentication" in text:
            self._auth_error_at = now
        elif self.last_error and now - self._auth_error_at < 10:
            return
        self.last_error = text

    async def _on_disconnected(self) -> None:
        self.connected = False
        if not self._stopping:
            log.warning("disconnected from NATS; reconnecting")

    async def _on_reconnected(self) -> None:
        log.info("reconnected to NATS")

    async def _on_closed(self) -> None:
        self.connected = False

    async def publish_batch(self, entries: list[Entry]) -> tuple[int, str | None]:
        """Publish (subject, event_id, payload) in order; return (done, why the next never will).

        `done` rows from the start are published; the rest keep their order. A
        transient failure gives (done, None): the relay retries from there. A
        row NATS can never accept gives (done, reason): the relay sets that row
        aside and goes on. With JetStream a row counts only once the stream
        acknowledged it, and Nats-Msg-Id = event id makes a retried row a no-op
        duplicate. How the rows are pipelined in order: `chatapp.outbox.publish`.
        """
        nc, acks = self.nc, self.acks
        if nc is None or not nc.is_connected or not self._stream_ready:
            return 0, None
        try:
            if self.options.jetstream and acks is not None:
                outcome = await publish.publish_jetstream(nc, acks, entries)
            else:
                outcome = await publish.publish_plain(nc, entries)
        except Exception as error:  # noqa: BLE001 (logged; the relay retries)
            # Plain NATS: nothing is known flushed, so all is sent again.
            outcome = publish.Outcome(0, error=describe(error))
        if outcome.error is not None:
            self._note_error(outcome.error)
            # The relay retries every few hundred milliseconds: one line per period.
            self._publish_warnings.log(
                logging.WARNING,
                "publishing to NATS failed after %d of %d: %s (retrying)",
                outcome.done,
                len(entries),
                outcome.error,
            )
        return outcome.done, outcome.refused


def _safe_url(url: str) -> str:
    """The URL without credentials, for logs."""
    if "@" in url:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
