"""The two ways to run the client: a line editor on a terminal, or a pipe."""

from __future__ import annotations

import time

from chatapp.client.session import ChatSession

SLASH_HELP = "/join NAME, /leave, /rooms, /quit; #help lists the server's commands."
# After end of input, how long queued lines may wait for the server to return.
DRAIN_SECONDS = 60


def handle_line(session: ChatSession, line: str) -> bool:
    """Act on one typed line; False when the user asked to quit."""
    text = line.rstrip("\n")
    if not text.strip():
        return True
    if text.startswith("/"):
        command, _, argument = text[1:].partition(" ")
        command = command.lower()
        if command in ("quit", "exit"):
            return False
        if command == "join" and argument.strip():
            session.join(argument.strip())
        elif command == "leave":
            if session.current is None:
                session.out.error("You are not in a room.", "no_room")
            else:
                left = session.current
                session.leave(left)
                now = f"; now in #{session.current}" if session.current else ""
                session.out.info(f"Left #{left}{now}.")
        elif command == "rooms":
            rooms = [
                f"#{r}" + (" (current)" if r == session.current else "") for r in session.rooms
            ]
            session.out.info(
                "Your rooms: " + (", ".join(rooms) or "none") + ". /join NAME switches."
            )
        else:
            session.out.error(f"Unknown command /{command}. Try {SLASH_HELP}", "unknown_command")
        return True
    session.send(text)
    return True


def run_piped(session: ChatSession, lines) -> int:
    """Send each input line in order, each once acknowledged; 0 at end of input."""
    for line in lines:
        if not handle_line(session, line):
            break
        session.wait_idle()  # in order: the next line waits for this one's ack
    if not session.wait_idle(DRAIN_SECONDS):
        session.out.error(
            f"{len(session.pending)} line(s) could not be delivered; giving up.", "undelivered"
        )
        return 1
    time.sleep(0.2)  # let events already on the wire be printed
    return 0


def run_interactive(session: ChatSession, history_path: str) -> int:
    """A prompt that incoming messages never garble; Ctrl-D, Ctrl-C or /quit leave."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory
    from prompt_toolkit.patch_stdout import patch_stdout

    prompt = PromptSession(history=FileHistory(history_path))
    with patch_stdout(raw=True):
        session.out.info(f"Type to chat in #{session.current}. {SLASH_HELP} Ctrl-D quits.")
        while True:
            try:
                line = prompt.prompt(lambda: f"#{session.current or '-'}> ")
            except (EOFError, KeyboardInterrupt):
                break
            if not handle_line(session, line):
                break
    return 0
