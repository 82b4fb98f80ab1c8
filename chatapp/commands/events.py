"""`cli.py events ...`: watch the NATS event stream and the outbox backlog."""

from __future__ import annotations

import asyncio
import json
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from chatapp.events import outbox
from chatapp.events.link import NatsOptions

events = AppGroup("events", help="Watch chatapp's events on NATS and the outbox backlog.")


def _options() -> NatsOptions:
    if not current_app.config.get("NATS_URL"):
        raise click.ClickException("NATS_URL is not set: chatapp publishes no events.")
    return NatsOptions.from_config(current_app.config)


async def _nats_state(options: NatsOptions) -> dict:
    import nats

    # Fail fast: in nats-py 2.16 max_reconnect_attempts=0 retries the first
    # connect forever (only values > 0 give up); 1 means two quick tries.
    kwargs = {
        **options.connect_kwargs(),
        "max_reconnect_attempts": 1,
        "reconnect_time_wait": 0.5,
        "allow_reconnect": False,
    }
    try:
        nc = await nats.connect(**kwargs)
    except Exception as error:  # noqa: BLE001 (reported to the operator)
        return {"connected": False, "error": f"{error.__class__.__name__}: {error}"}
    state: dict = {"connected": True, "server": nc.connected_url.netloc.split("@")[-1]}
    if options.jetstream:
        try:
            info = await nc.jetstream().stream_info(options.stream)
            state["stream"] = {
                "name": options.stream,
                "messages": info.state.messages,
                "last_seq": info.state.last_seq,
                "bytes": info.state.bytes,
            }
        except Exception as error:  # noqa: BLE001 (reported to the operator)
            state["stream"] = {"name": options.stream, "error": str(error)}
    await nc.close()
    return state


@events.command("status")
@click.option("--json", "as_json", is_flag=True, help="One JSON object, for scripts.")
def status(as_json: bool) -> None:
    """Outbox backlog, age of the oldest pending event, NATS connection state."""
    options = _options()
    pending, age = outbox.backlog()
    nats_state = asyncio.run(_nats_state(options))
    if as_json:
        click.echo(json.dumps({"backlog": pending, "oldest_age_s": age, "nats": nats_state}))
        return
    click.echo(f"backlog: {pending} pending" + (f", oldest {age:.1f}s old" if age else ""))
    if nats_state["connected"]:
        click.echo(f"nats: connected to {nats_state['server']}")
        stream = nats_state.get("stream")
        if stream and "error" in stream:
            click.echo(f"stream {stream['name']}: {stream['error']}")
        elif stream:
            click.echo(
                f"stream {stream['name']}: {stream['messages']} messages, "
                f"last seq {stream['last_seq']}"
            )
    else:
        click.echo(f"nats: NOT connected ({nats_state['error']})")


async def _tail(options: NatsOptions, subject: str, count: int) -> None:
    import nats

    nc = await nats.connect(**options.connect_kwargs())
    done = asyncio.Event()
    seen = 0

    async def show(msg):
        nonlocal seen
        try:
            body = json.loads(msg.data)
        except ValueError:
            body = msg.data.decode(errors="replace")
        click.echo(json.dumps({"subject": msg.subject, "event": body}))
        sys.stdout.flush()
        seen += 1
        if count and seen >= count:
            done.set()

    await nc.subscribe(subject, cb=show)
    await nc.flush()
    click.echo(f"# listening on {subject}", err=True)
    try:
        await done.wait()
    finally:
        await nc.close()


@events.command("tail")
@click.option("--subject", default="chat.>", show_default=True, help="NATS subject (wildcards ok).")
@click.option("--count", type=click.IntRange(0), default=0, help="Exit after N events (0: never).")
def tail(subject: str, count: int) -> None:
    """Print events live as chatapp publishes them, one JSON object per line."""
    try:
        asyncio.run(_tail(_options(), subject, count))
    except KeyboardInterrupt:
        pass
