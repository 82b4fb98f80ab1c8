"""Logging in: a stored token if it still works, else the password (and registration)."""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable

import requests

from chatclient import settings as config
from chatclient.rest import Unreachable, request
from chatclient.settings import Settings


class LoginFailed(Exception):
    """Could not log in; the message says why, for the user."""


def token_works(server: str, token: str) -> bool:
    headers = {"Authorization": f"Bearer {token}"}
    return request("GET", f"{server}/api/auth/me", server, headers=headers).status_code == 200


def _error(response: requests.Response) -> str:
    try:
        return response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return f"HTTP {response.status_code}"


def _retry_after(response: requests.Response) -> int | None:
    """Seconds to wait: the body's retry_after, else the Retry-After header."""
    try:
        return int(response.json()["error"]["retry_after"])
    except (ValueError, KeyError, TypeError):
        pass
    try:
        return int(response.headers["Retry-After"])
    except (KeyError, ValueError):
        return None


def _refusal(response: requests.Response, action: str) -> str:
    """Why the login (or registration) was refused, and how long to wait if the server said."""
    wait = _retry_after(response)
    later = f"try again in {wait} s." if wait else "try again later."
    if response.status_code == 429:
        what = "failed logins" if action == "Login" else "registrations"
        return f"Too many {what}: {later}"
    if response.status_code == 503 and wait:
        return f"The server is busy: {later}"
    return f"{action} failed: {_error(response)}"


def require_username(settings: Settings) -> str:
    """The username to log in as (`login` asks for it when interactive); LoginFailed if none."""
    if not settings.username:
        raise LoginFailed("No username: use --username or CHATAPP_USERNAME.")
    return settings.username


def password_login(
    settings: Settings,
    password: str,
    register: bool = False,
    ask: Callable[[str], bool] | None = None,
) -> str:
    """Log in with a password (registering first if asked to); store and return the token."""
    server = settings.server
    username = require_username(settings)
    body = {"username": username, "password": password}
    response = request("POST", f"{server}/api/auth/login", server, json=body)
    if response.status_code == 401 and (
        register
        or (
            ask is not None
            and ask(
                f"Login failed. Register a new account {settings.username!r} with this password?"
            )
        )
    ):
        # The server answers the same for an unknown user and a wrong password,
        # so registering is how the client finds out which it was.
        created = request("POST", f"{server}/api/auth/register", server, json=body)
        if created.status_code == 409:
            raise LoginFailed("Login failed: wrong password for an existing user.")
        if created.status_code != 201:
            raise LoginFailed(_refusal(created, "Registration"))
        response = request("POST", f"{server}/api/auth/login", server, json=body)
    if response.status_code != 200:
        raise LoginFailed(_refusal(response, "Login"))
    token = response.json()["token"]
    config.remember_token(server, username, token)
    return token


def login(
    settings: Settings,
    interactive: bool,
    ask: Callable[[str], bool],
    register: bool = False,
) -> str:
    """A bearer token for settings.username on settings.server."""
    if not settings.username and interactive:
        settings.username = input("Username: ").strip()
    token = config.stored_token(settings.server, require_username(settings))
    if token and token_works(settings.server, token):
        return token
    password = os.environ.get("CHATAPP_PASSWORD")
    if password is None:
        if not interactive:
            raise LoginFailed("No password: set CHATAPP_PASSWORD for non-interactive use.")
        password = getpass.getpass(f"Password for {settings.username}: ")
    return password_login(settings, password, register, ask if interactive else None)


def logout(server: str, username: str) -> bool:
    """Forget the stored token and revoke it on the server; True if there was one."""
    token = config.forget(server, username)
    if token is None:
        return False
    try:
        request(
            "POST",
            f"{server}/api/auth/logout",
            server,
            headers={"Authorization": f"Bearer {token}"},
        )
    except Unreachable:
        pass  # forgotten locally; it expires on the server anyway
    return True
