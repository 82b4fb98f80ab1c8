"""Service errors in admin commands: one clean line and exit status 1, never a traceback."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NoReturn, ParamSpec, TypeVar

import click

from chatapp.errors import ChatError

P = ParamSpec("P")
R = TypeVar("R")


def fail(error: ChatError) -> NoReturn:
    """End the command with the error's message ("Error: ..." on stderr, exit 1)."""
    raise click.ClickException(error.message)


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Let a command call services freely: any ChatError ends it as `fail` does."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except ChatError as error:
            fail(error)

    return run
