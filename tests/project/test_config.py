"""Settings from the environment: under their own names, parsed by type, strictly."""

import re
from pathlib import Path

import pytest

from chatapp import create_app
from chatapp.config import DEFAULTS, RENAMED, UNSET_TYPES, SettingsError, from_env, variables
from chatapp.server.serve import serve

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("TRUE", True), ("1", True), ("yes", True), (" on ", True)]
    + [("false", False), ("False", False), ("0", False), ("no", False), ("OFF", False)],
)
def test_booleans_read_the_usual_words(value, expected):
    assert from_env({"RATELIMIT_ENABLED": value}) == {"RATELIMIT_ENABLED": expected}
    assert from_env({"NATS_JETSTREAM": value}) == {"NATS_JETSTREAM": expected}


@pytest.mark.parametrize("value", ["ture", "fasle", "", "2", "enabled", "y"])
def test_any_other_boolean_is_refused_naming_the_variable_and_value(value):
    with pytest.raises(SettingsError) as refused:
        from_env({"SESSION_COOKIE_SECURE": value})
    assert f"SESSION_COOKIE_SECURE={value!r} is not a boolean" in str(refused.value)


@pytest.mark.parametrize("value", ["4o", "", "ten", "1.5", "0x10"])
def test_a_whole_number_setting_refuses_anything_else(value):
    with pytest.raises(SettingsError, match=re.escape(f"PRESENCE_TTL={value!r}")):
        from_env({"PRESENCE_TTL": value})


@pytest.mark.parametrize("value", ["fast", "", "nan", "inf", "1,5"])
def test_a_seconds_setting_refuses_what_is_not_a_finite_number(value):
    with pytest.raises(SettingsError, match=re.escape(f"CONNECT_TIMEOUT={value!r}")):
        from_env({"CONNECT_TIMEOUT": value})


def test_values_take_the_type_of_their_default():
    found = from_env(
        {
            "PRESENCE_TTL": " 30 ",
            "NATS_STREAM_MAX_BYTES": "-1",
            "CONNECT_TIMEOUT": "2.5",
            "NATS_STREAM_MAX_AGE": "3600",  # seconds: a float setting takes a whole number
            "CORS_ORIGINS": "https://a.example, https://b.example,",
            "RATELIMIT_USER": "5 per minute",
            "PASSWORD_HASH_WORKERS": "3",  # defaults to None: its type is declared
            "NATS_USER": "chatapp",
        }
    )
    assert found == {
        "PRESENCE_TTL": 30,
        "NATS_STREAM_MAX_BYTES": -1,
        "CONNECT_TIMEOUT": 2.5,
        "NATS_STREAM_MAX_AGE": 3600.0,
        "CORS_ORIGINS": ["https://a.example", "https://b.example"],
        "RATELIMIT_USER": "5 per minute",
        "PASSWORD_HASH_WORKERS": 3,
        "NATS_USER": "chatapp",
    }
    with pytest.raises(SettingsError, match="PASSWORD_HASH_WORKERS='all'"):
        from_env({"PASSWORD_HASH_WORKERS": "all"})


def test_database_url_is_the_one_renamed_variable():
    assert RENAMED == {"DATABASE_URL": "SQLALCHEMY_DATABASE_URI"}
    url = "postgresql://chatapp@db/chatapp"
    assert from_env({"DATABASE_URL": url}) == {"SQLALCHEMY_DATABASE_URI": url}
    # The key's own name is not a second way in.
    assert from_env({"SQLALCHEMY_DATABASE_URI": url}) == {}


def test_every_other_setting_is_read_under_its_own_name():
    for key in DEFAULTS:
        if key in RENAMED.values():
            continue
        assert variables()[key] == key
    assert from_env({"UNRELATED": "x", "PATH": "/bin"}) == {}


def test_every_setting_can_be_read():
    """A sample value of each setting's type parses: no default lacks a parser or a type."""
    samples = {bool: "true", int: "7", float: "0.5", str: "x", list: "a,b"}
    for variable, key in variables().items():
        kind = UNSET_TYPES[key] if DEFAULTS[key] is None else type(DEFAULTS[key])
        assert key in from_env({variable: samples[kind]}), variable


def test_a_mistyped_boolean_stops_the_app_at_startup(monkeypatch):
    """What an operator sees: create_app refuses, naming the variable."""
    monkeypatch.setenv("RATELIMIT_ENABLED", "ture")
    with pytest.raises(SettingsError, match="RATELIMIT_ENABLED='ture' is not a boolean"):
        create_app()


def _readme_settings() -> set[str]:
    """Every variable named in the first column of the README's settings table."""
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names.update(re.findall(r"`([A-Z][A-Z0-9_]*)`", first_cell))
    return names


def test_the_readme_settings_table_and_from_env_agree():
    documented = _readme_settings()
    serve_options = {param.envvar for param in serve.params if param.envvar}
    read = set(variables())
    # Each row is a setting from_env reads, or an option of `cli.py serve`.
    assert documented - serve_options == read
    assert serve_options <= documented
