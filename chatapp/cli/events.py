"""`cli.py events ...`: watch the NATS event stream and the outbox backlog; handle dead letters."""

from __future__ import annotations

import asyncio
import json
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from chatapp import outbox
from chatapp.outbox import dead_letters
from chatapp.outbox.link import NatsOptions

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
    url = nc.connected_url  # None only while disconnected, which a fresh connect is not
    server = url.netloc.split("@")[-1] if url else None
    state: dict = {"connected": True, "server": server}
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
    dead = dead_letters.count()
    nats_state = asyncio.run(_nats_state(options))
    if as_json:
        click.echo(
            json.dumps(
                {"backlog": pending, "oldest_age_s": age, "dead_letters": dead, "nats": nats_state}
            )
        )
        return
    click.echo(f"backlog: {pending} pending" + (f", oldest {age:.1f}s old" if age else ""))
    if dead:
        click.echo(f"dead letters: {dead} (see `events dead-letters list`)")
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


@events.group("dead-letters")
def dead_letters_group() -> None:
    """Events NATS can never accept, set aside by the relay: list, retry or drop them."""


def _letter(letter) -> dict:
    return {
        "id": letter.id,
        "outbox_id": letter.outbox_id,
        "event_id": letter.event_id,
        "subject": letter.subject,
        "payload": letter.payload,
        "created_at": letter.created_at.isoformat(),
        "failed_at": letter.failed_at.isoformat(),
        "error": letter.error,
    }


@dead_letters_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line, with payloads.")
def list_dead_letters(as_json: bool) -> None:
    """Every dead letter, oldest first: id, when it failed, subject, why."""
    letters = dead_letters.find(None)
    for letter in letters:
        if as_json:
            click.echo(json.dumps(_letter(letter)))
        else:
            # json.dumps quotes the subject and escapes control characters:
            # the bad subjects are the point, and must not drive the terminal.
            click.echo(
                f"{letter.id}  {letter.failed_at:%Y-%m-%d %H:%M:%S}  "
                f"{json.dumps(letter.subject)}  {json.dumps(letter.error)}"
            )
    if not as_json:
        click.echo(f"{len(letters)} dead letter(s)", err=True)


def _chosen(ids: tuple[int, ...], everything: bool) -> list:
    if bool(ids) == everything:
        raise click.UsageError("Give dead-letter ids or --all (not both).")
    letters = dead_letters.find(None if everything else list(ids))
    missing = sorted(set(ids) - {letter.id for letter in letters})
    if missing:
        raise click.ClickException(f"No dead letter with id {', '.join(map(str, missing))}.")
    return letters


@dead_letters_group.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "everything", is_flag=True, help="Every dead letter.")
def retry_dead_letters(ids: tuple[int, ...], everything: bool) -> None:
    """Put dead letters back in the outbox, after what is pending (same event ids)."""
    moved, skipped = dead_letters.retry(_chosen(ids, everything))
    click.echo(f"{len(moved)} moved back to the outbox")
    if skipped:
        listed = ", ".join(str(letter.id) for letter in skipped)
        raise click.ClickException(
            f"Not retried (their subject can never be published; drop them): {listed}"
        )


@dead_letters_group.command("drop")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "everything", is_flag=True, help="Every dead letter.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def drop_dead_letters(ids: tuple[int, ...], everything: bool, yes: bool) -> None:
    """Delete dead letters for good (their events are never published)."""
    letters = _chosen(ids, everything)
    if not letters:
        click.echo("0 dropped")
        return
    if not yes:
        click.confirm(f"Drop {len(letters)} dead letter(s) for good?", abort=True)
    dead_letters.drop(letters)
    click.echo(f"{len(letters)} dropped")
