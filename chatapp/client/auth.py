"""Logging in: a stored token if it still works, else the password (and registration)."""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable

import requests

from chatapp.client import settings as config
from chatapp.client.settings import Settings


class LoginFailed(Exception):
    """Could not log in; the message says why, for the user."""


def _post(url: str, body: dict) -> requests.Response:
    try:
        return requests.post(url, json=body, timeout=15)
    except requests.RequestException as error:
        raise LoginFailed(f"Cannot reach the server at {url.split('/api')[0]}: {error}") from None


def token_works(server: str, token: str) -> bool:
    try:
        response = requests.get(
            f"{server}/api/auth/me", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
    except requests.RequestException as error:
        raise LoginFailed(f"Cannot reach the server at {server}: {error}") from None
    return response.status_code == 200


def _error(response: requests.Response) -> str:
    try:
        return response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return f"HTTP {response.status_code}"


def login(
    settings: Settings,
    interactive: bool,
    ask: Callable[[str], bool],
    register: bool = False,
) -> str:
    """A bearer token for settings.username on settings.server."""
    if not settings.username:
        if not interactive:
            raise LoginFailed("No username: use --username or CHATAPP_USERNAME.")
        settings.username = input("Username: ").strip()
    token = config.stored_token(settings.server, settings.username)
    if token and token_works(settings.server, token):
        return token
    password = os.environ.get("CHATAPP_PASSWORD")
    if password is None:
        if not interactive:
            raise LoginFailed("No password: set CHATAPP_PASSWORD for non-interactive use.")
        password = getpass.getpass(f"Password for {settings.username}: ")
    body = {"username": settings.username, "password": password}
    response = _post(f"{settings.server}/api/auth/login", body)
    if response.status_code == 401 and (
        register
        or (
            interactive
            and ask(
                f"Login failed. Register a new account {settings.username!r} with this password?"
            )
        )
    ):
        # The server answers the same for an unknown user and a wrong password,
        # so registering is how the client finds out which it was.
        created = _post(f"{settings.server}/api/auth/register", body)
        if created.status_code == 409:
            raise LoginFailed("Login failed: wrong password for an existing user.")
        if created.status_code != 201:
            raise LoginFailed(f"Registration failed: {_error(created)}")
        response = _post(f"{settings.server}/api/auth/login", body)
    if response.status_code != 200:
        raise LoginFailed(f"Login failed: {_error(response)}")
    token = response.json()["token"]
    config.remember(settings, token)
    return token


def logout(server: str, username: str) -> bool:
    """Forget the stored token and revoke it on the server; True if there was one."""
    token = config.forget(server, username)
    if token is None:
        return False
    try:
        requests.post(
            f"{server}/api/auth/logout", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
    except requests.RequestException:
        pass  # forgotten locally; it expires on the server anyway
    return True
