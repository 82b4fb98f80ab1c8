"""Every bad-input class gets a clean 4xx JSON error of one shape."""

import json

import pytest

from tests.helpers.errors import assert_error

REGISTER = "/api/auth/register"


def post_raw(client, data, content_type="application/json"):
    return client.post(REGISTER, data=data, content_type=content_type)


def test_body_that_is_not_json(client):
    assert_error(post_raw(client, b"{not json"), 400, "bad_request")


def test_body_that_is_not_utf8(client):
    assert_error(post_raw(client, b'{"username": "\xff\xfe"}'), 400, "bad_request")


def test_wrong_content_type(client):
    response = post_raw(client, b'{"username":"alice","password":"correct horse"}', "text/plain")
    assert_error(response, 415, "unsupported_media_type")


def test_form_post_is_refused(client):
    response = client.post(REGISTER, data={"username": "alice", "password": "x" * 10})
    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize("payload", ["[]", '"alice"', "42", "null", "true"])
def test_body_that_is_not_an_object(client, payload):
    assert_error(post_raw(client, payload), 400, "bad_request")


@pytest.mark.parametrize(
    "payload",
    [
        {"password": "correct horse"},
        {"username": "alice"},
        {},
        {"username": 123, "password": "correct horse"},
        {"username": "alice", "password": 12345678},
        {"username": ["alice"], "password": "correct horse"},
        {"username": None, "password": "correct horse"},
        {"username": {"$gt": ""}, "password": "correct horse"},
    ],
)
def test_missing_fields_and_wrong_types(client, payload):
    assert_error(client.post(REGISTER, json=payload), 422, "bad_request")


@pytest.mark.parametrize(
    "username", ["al", "x" * 33, "al ice", "alice!", "ålice", "alice\n", "../etc", ""]
)
def test_bad_usernames(client, username):
    response = client.post(REGISTER, json={"username": username, "password": "correct horse"})
    assert_error(response, 422, "bad_request")
    assert "username" in response.get_json()["error"]["message"]


def test_short_password(client):
    response = client.post(REGISTER, json={"username": "alice", "password": "short"})
    assert_error(response, 422, "bad_request")
    assert "8" in response.get_json()["error"]["message"]


def test_huge_password_is_refused_before_hashing(client):
    response = client.post(REGISTER, json={"username": "alice", "password": "p" * 10_000})
    assert_error(response, 422, "bad_request")


def test_nul_bytes(client):
    response = client.post(REGISTER, json={"username": "alice", "password": "correct\x00horse"})
    assert_error(response, 400, "bad_request")
    assert "NUL" in response.get_json()["error"]["message"]


def test_lone_surrogates(client):
    raw = b'{"username": "alice", "password": "correct \\ud800 horse"}'
    response = post_raw(client, raw)
    assert_error(response, 400, "bad_request")
    assert "surrogate" in response.get_json()["error"]["message"]


def test_deep_nesting(client):
    deep = "[" * 100_000 + "]" * 100_000
    raw = json.dumps({"username": "alice", "password": "correct horse"})[:-1] + ', "x": '
    # Too large for the body limit as a whole; a shallower one hits the depth check.
    assert post_raw(client, (raw + deep + "}").encode()).status_code in (400, 413)
    shallow = raw + "[" * 50 + "]" * 50 + "}"
    assert_error(post_raw(client, shallow.encode()), 400, "bad_request")


def test_oversize_body(client):
    raw = json.dumps({"username": "alice", "password": "x" * 100_000}).encode()
    assert_error(post_raw(client, raw), 413, "too_large")


def test_unknown_route_is_json_404(client):
    assert_error(client.get("/api/nope"), 404, "not_found")


def test_wrong_method_is_json_405(client):
    response = client.get(REGISTER)
    assert_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


def test_unexpected_exception_is_json_500_without_traceback(make_app):
    app = make_app()

    @app.get("/api/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/api/boom")
    assert_error(response, 500, "internal_error")
    assert b"secret internals" not in response.data
