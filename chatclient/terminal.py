"""The two ways to run the client: a line editor on a terminal, or a pipe.

Exit codes (README, "Chatting from a terminal"): 0 all sent; 1 a line was
refused for good or not sent; 2 cannot log in; 3 cannot reach or connect to
the server; 4 cannot join the room; 5 the login ended (logout, disable or
password change elsewhere) and was not renewed; 130 Ctrl-C.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable

from chatclient import slash
from chatclient.session import LOGIN_ENDED, ChatSession
from chatclient.slash import SLASH_HELP

EXIT_NOT_SENT = 1
EXIT_LOGIN_ENDED = 5
# After end of input, how long queued lines may wait for the server to return.
DRAIN_SECONDS = 60
# At /quit, how long lines already on their way may take to be acknowledged.
QUIT_SECONDS = 5


def handle_line(session: ChatSession, line: str) -> bool:
    """Act on one typed line; False when the user asked to quit."""
    text = line.rstrip("\n")
    if not text.strip():
        return True
    if not text.startswith("/"):
        session.send(text)
        return True
    command, _, argument = text[1:].partition(" ")
    return slash.run(session, command, argument)


def report_unsent(session: ChatSession, also: Iterable[str] = ()) -> int:
    """Say which typed lines were not sent (never drop one silently); how many."""
    lines = session.unsent() + [line.rstrip("\n") for line in also if line.strip()]
    if lines:
        shown = ", ".join(f'"{line[:60]}"' + ("..." if len(line) > 60 else "") for line in lines)
        session.out.error(f"{len(lines)} line(s) not sent: {shown}", "not_sent", lines=lines)
    return len(lines)


def _read_into(lines: Iterable[str], inbox: queue.Queue) -> None:
    for line in lines:
        inbox.put(line)
    inbox.put(None)


def _next_line(inbox: queue.Queue, session: ChatSession) -> str | None:
    """The next input line; None at end of input or once the login ended."""
    while not session.login_ended.is_set():
        try:
            return inbox.get(timeout=0.2)
        except queue.Empty:
            continue
    return None


def _left_in(inbox: queue.Queue) -> list[str]:
    """Lines read from the input but not handled yet."""
    left: list[str] = []
    while True:
        try:
            line = inbox.get_nowait()
        except queue.Empty:
            return left
        if line is not None:
            left.append(line)


def run_piped(session: ChatSession, lines: Iterable[str]) -> int:
    """Send each input line in order, each once acknowledged; the exit code."""
    # Input is read on a thread of its own, so that an ended login ends the
    # run at once rather than at the next line (a pipe may stay open for days).
    inbox: queue.Queue = queue.Queue()
    threading.Thread(target=_read_into, args=(lines, inbox), name="chat-input", daemon=True).start()
    while (line := _next_line(inbox, session)) is not None:
        if not handle_line(session, line):
            break
        session.wait_idle()  # in order: the next line waits for this one's ack
    if not session.login_ended.is_set():
        session.wait_idle(DRAIN_SECONDS)
    if session.login_ended.is_set():
        session.out.error(LOGIN_ENDED, "login_ended")
        report_unsent(session, _left_in(inbox))
        return EXIT_LOGIN_ENDED
    if report_unsent(session):
        return EXIT_NOT_SENT
    time.sleep(0.2)  # let events already on the wire be printed
    return EXIT_NOT_SENT if session.refused else 0


class _Interrupted:
    """What the prompt returns when the login's end interrupts it."""


INTERRUPTED = _Interrupted()


def _interrupt(prompt) -> None:
    """End the running prompt from another thread (prompt_toolkit is not thread-safe)."""
    app = prompt.app
    loop = getattr(app, "loop", None)
    if app.is_running and loop is not None:
        loop.call_soon_threadsafe(_exit_prompt, app)


def _exit_prompt(app) -> None:
    if app.is_running and app.future is not None and not app.future.done():
        app.exit(result=INTERRUPTED)


def run_interactive(
    session: ChatSession, history_path: str, log_in_again: Callable[[], bool]
) -> int:
    """A prompt that incoming messages never garble; Ctrl-D, Ctrl-C or /quit leave.

    When the login ends, the prompt gives way to `log_in_again` (a password
    prompt); the line being typed comes back afterwards and queued lines are
    sent with the new login.
    """
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory
    from prompt_toolkit.patch_stdout import patch_stdout

    prompt: PromptSession[str] = PromptSession(history=FileHistory(history_path))
    session.on_login_ended = lambda: _interrupt(prompt)
    draft = ""

    def login_ended_meanwhile() -> None:
        # The login may end between the check below and the prompt starting.
        if session.login_ended.is_set():
            _exit_prompt(prompt.app)

    with patch_stdout(raw=True):
        where = session.out.label(session.current)
        session.out.info(f"Type to chat in {where}. {SLASH_HELP} Ctrl-D quits.")
        while True:
            if session.login_ended.is_set():
                session.out.error(LOGIN_ENDED, "login_ended")
                if not log_in_again():
                    report_unsent(session, [draft])
                    return EXIT_LOGIN_ENDED
            try:
                line = prompt.prompt(
                    lambda: f"{session.out.label(session.current or '-')}> ",
                    default=draft,
                    pre_run=login_ended_meanwhile,
                )
            except (EOFError, KeyboardInterrupt):
                break
            if line is INTERRUPTED:
                draft = prompt.default_buffer.text
                continue
            draft = ""
            if not handle_line(session, line):
                break
        if session.unsent() and session.sio.connected and not session.login_ended.is_set():
            session.wait_idle(QUIT_SECONDS)
        return EXIT_NOT_SENT if report_unsent(session) else 0
