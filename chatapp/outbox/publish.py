"""Publishing one batch of outbox rows in order, many at a time.

JetStream: every row of the batch is sent at once, each with a reply
subject of its own under one `AckInbox`, then the acknowledgements are
awaited together. (nats-py's `publish_async` would do this, but in 2.16 it
never resolves the future of a publish JetStream refuses: nats.py#985.)
One connection carries the rows in order, so the stream stores them in
order; the hard case is a row that fails while later ones would be stored.
Nats-Msg-Id deduplication cannot repair that: the retried row would land
*after* rows that followed it. So each row after the first says which row
must be the stream's last when it arrives (Nats-Expected-Last-Msg-Id = the
previous row's event id), and JetStream refuses it otherwise (error 10070).
A row that fails, or is lost in a reconnect, refuses everything after it:
what the stream holds is always a prefix of the batch, and the relay
retries from the first row without an acknowledgement. The first row of a
batch has no such header: everything sent before it has been acknowledged
or given up on, and a given-up row still in flight on the connection
reaches the stream before it, so a retry of it is a duplicate JetStream
drops (its Nats-Msg-Id check comes before the expected-last one). The chain
spans subjects, so a failure holds back later rows of every subject, as
the one-at-a-time relay did.

Plain NATS has no acknowledgements: the batch is written, then flushed.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chatapp.outbox import failures
from chatapp.outbox.failures import describe

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.aio.msg import Msg

ACK_TIMEOUT = 5.0  # seconds for the whole batch's acknowledgements, once all are sent
MSG_ID = "Nats-Msg-Id"
EXPECTED_LAST = "Nats-Expected-Last-Msg-Id"

Entry = tuple[str, str, bytes]  # subject, event id, payload


@dataclass
class Outcome:
    """How far a batch got: `done` rows from its start are published.

    `refused`: why the next row never will be (it goes to the dead letters);
    `error`: the transient failure that stopped the batch there (retried).
    """

    done: int
    refused: str | None = None
    error: str | None = None


class AckInbox:
    """Where JetStream acknowledges pipelined publishes: one subscription per connection."""

    def __init__(self, nc: Client) -> None:
        self.nc = nc
        self.prefix = ""
        self.waiting: dict[str, asyncio.Future] = {}
        self._tokens = itertools.count()

    async def expect(self) -> tuple[str, asyncio.Future]:
        """A reply subject for one publish, and the future its acknowledgement settles."""
        if not self.prefix:
            self.prefix = self.nc.new_inbox() + "."
            await self.nc.subscribe(self.prefix + "*", cb=self._on_reply)
        token = str(next(self._tokens))
        future = asyncio.get_running_loop().create_future()
        self.waiting[token] = future
        return self.prefix + token, future

    def forget(self) -> None:
        """Drop what a finished batch still waits for: a late reply finds nothing."""
        self.waiting.clear()

    async def _on_reply(self, msg: Msg) -> None:
        from nats.js.errors import NoStreamResponseError

        future = self.waiting.pop(msg.subject[len(self.prefix) :], None)
        if future is None or future.done():
            return
        if msg.headers and msg.headers.get("Status") == "503":
            future.set_exception(NoStreamResponseError())  # no stream covers the subject
            return
        try:
            reply = json.loads(msg.data)
        except ValueError as error:
            future.set_exception(error)
            return
        if "error" in reply:
            future.set_exception(api_error(reply["error"]))
        else:
            future.set_result(reply)


def api_error(error: dict) -> Exception:
    from nats.js.errors import APIError

    try:
        made = APIError.from_error(error)  # nats-py 2.16 raises what it means to return
    except APIError as raised:
        return raised
    return made


async def publish_jetstream(nc: Client, inbox: AckInbox, entries: list[Entry]) -> Outcome:
    """Publish `entries` pipelined; the outcome counts only acknowledged rows."""
    acks: list[asyncio.Future] = []
    chained: list[bool] = []  # whether each sent row carried EXPECTED_LAST
    stopped: Outcome | None = None  # why sending stopped before the end, if it did
    previous: str | None = None
    try:
        for index, (subject, event_id, payload) in enumerate(entries):
            headers = {MSG_ID: event_id}
            try:
                failures.check(subject, headers, payload, nc.max_payload)
            except failures.Unpublishable as error:
                stopped = Outcome(index, refused=describe(error))
                break
            chain = previous is not None
            if previous is not None:
                headers[EXPECTED_LAST] = previous
                if not failures.fits(headers, payload, nc.max_payload):
                    # Only the chain header does not fit: wait until everything
                    # before this row is acknowledged; then it needs no chain.
                    del headers[EXPECTED_LAST]
                    chain = False
                    so_far = await settle(acks, chained)
                    if so_far.done < len(acks):
                        return so_far
            if not nc.is_connected:
                # nats-py would buffer it for after a reconnect; this batch has failed.
                stopped = Outcome(index, error="disconnected from NATS")
                break
            try:
                reply, ack = await inbox.expect()
                await nc.publish(subject, payload, reply=reply, headers=headers)
            except Exception as error:  # noqa: BLE001 (what was sent is still counted)
                stopped = Outcome(index, error=describe(error))
                break
            acks.append(ack)
            chained.append(chain)
            previous = event_id
        outcome = await settle(acks, chained)
    finally:
        inbox.forget()
    if stopped is not None and outcome.done == len(acks):
        return stopped
    return outcome


async def settle(acks: list[asyncio.Future], chained: list[bool]) -> Outcome:
    """Wait for the acknowledgements; the outcome is the acknowledged prefix."""
    if acks:
        _, late = await asyncio.wait(acks, timeout=ACK_TIMEOUT)
        for future in late:
            future.cancel()  # frees its slot among nats-py's pending publishes
    # Every exception is read, so asyncio logs none as "never retrieved".
    errors = [None if ack.cancelled() else ack.exception() for ack in acks]
    for index, (ack, error) in enumerate(zip(acks, errors, strict=True)):
        if ack.cancelled():
            return Outcome(index, error=f"no acknowledgement within {ACK_TIMEOUT:g} s")
        if error is None:
            continue
        if failures.is_permanent(error) and not chained[index]:
            return Outcome(index, refused=describe(error))
        # Transient, or refused with the chain header on: the retry sends this
        # row first, without the header, and the verdict on it alone is final.
        return Outcome(index, error=describe(error))
    return Outcome(len(acks))


async def publish_plain(nc: Client, entries: list[Entry]) -> Outcome:
    """Core NATS: write the batch, then flush, so the server has it (at least once)."""
    done, refused = 0, None
    for subject, event_id, payload in entries:
        headers = {MSG_ID: event_id}
        try:
            failures.check(subject, headers, payload, nc.max_payload)
            await nc.publish(subject, payload, headers=headers)
        except Exception as error:  # noqa: BLE001 (sorted, then handed on)
            if not failures.is_permanent(error):
                raise
            refused = describe(error)
            break
        done += 1
    if done:
        await nc.flush(timeout=5)
    return Outcome(done, refused=refused)
