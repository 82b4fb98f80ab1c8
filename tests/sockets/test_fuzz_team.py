"""Property-based fuzzing of team chat's socket events and REST routes (issue 13).

Payloads mix garbage with names that exist (a private room of the fuzzer's, one
of a stranger's, a public one, a direct conversation, real users and roles), so
generated input reaches the permission rules and not only the validation.
Every answer has the documented shape, never `internal_error`, never a traceback.
"""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatapp.extensions import socketio
from tests.helpers.fuzzing import FUZZ, KNOWN_CODES, check_ack, check_response, nasty_text, values

#: The error codes team events may answer with (docs/protocol.md, "Team chat").
TEAM_CODES = frozenset(
    {"bad_request", "too_long", "not_found", "not_in_room", "forbidden", "conflict", "rate_limited"}
)
USERS = ["fuzzer", "friend", "stranger", "nobody_here"]
ROOMS = ["general", "team", "hidden", "open", "their", "nosuch", "~1-2", "~2-3", "~1-999"]
ROLES = ["owner", "moderator", "member", "admin", "Owner"]
EVENTS = [
    "create",
    "invite",
    "kick",
    "ban",
    "unban",
    "set_role",
    "update_room",
    "delete_room",
    "direct",
    "read",
    "my_rooms",
    "join",
    "leave",
]

rooms = st.one_of(st.sampled_from(ROOMS), nasty_text, values)
users = st.one_of(st.sampled_from(USERS), nasty_text, values)
FIELDS = {
    "room": rooms,
    "user": users,
    "reason": st.one_of(st.none(), nasty_text, values),
    "role": st.one_of(st.sampled_from(ROLES), values),
    "topic": st.one_of(st.none(), nasty_text, values),
    "private": st.one_of(st.booleans(), values),
    "seq": st.one_of(st.integers(min_value=-5, max_value=2**40), values),
    "create": st.one_of(st.booleans(), values),
}
# Well-formed shapes with real names and the right types: these reach the rules.
wellformed = st.fixed_dictionaries(
    {"room": st.sampled_from(ROOMS), "user": st.sampled_from(USERS)},
    optional={
        "reason": st.one_of(st.none(), st.text(max_size=20)),
        "role": st.sampled_from(ROLES),
        "topic": st.one_of(st.none(), st.text(max_size=20)),
        "private": st.booleans(),
        "seq": st.integers(min_value=0, max_value=5),
        "create": st.booleans(),
    },
)
payloads = st.one_of(values, st.fixed_dictionaries({}, optional=FIELDS), wellformed, wellformed)


def connect_as(app, username):
    http = app.test_client()
    body = {"username": username, "password": "correct horse"}
    http.post("/api/auth/register", json=body)
    assert http.post("/api/auth/login", json=body).status_code == 200
    return socketio.test_client(app, flask_test_client=http)


@pytest.fixture(scope="module")
def team(fuzz_app):
    """fuzz_app plus rooms of every kind: (app, the fuzzer's socket, token)."""
    app, _, sock, token = fuzz_app
    friend, stranger = connect_as(app, "friend"), connect_as(app, "stranger")
    for who, event, data in [
        (sock, "create", {"room": "team", "private": True, "topic": "ours"}),
        (sock, "invite", {"room": "team", "user": "friend"}),
        (sock, "create", {"room": "open"}),
        (stranger, "create", {"room": "hidden", "private": True}),
        (stranger, "create", {"room": "their"}),
        (sock, "join", {"room": "their"}),
        (sock, "direct", {"user": "friend"}),
        (stranger, "direct", {"user": "friend"}),
        (sock, "send", {"room": "team", "text": "hello"}),
    ]:
        assert who.emit(event, data, callback=True)["ok"], (event, data)
    yield app, sock, token
    friend.disconnect()
    stranger.disconnect()


@FUZZ
@given(event=st.sampled_from(EVENTS), data=payloads)
def test_team_events_answer_every_payload_in_the_documented_shape(team, event, data):
    _, sock, _ = team
    check_ack(sock.emit(event, data, callback=True), TEAM_CODES)
    assert sock.is_connected()


@FUZZ
@given(event=st.sampled_from(EVENTS), args=st.lists(payloads, min_size=0, max_size=3))
def test_team_events_with_any_number_of_arguments(team, event, args):
    _, sock, _ = team
    reply = sock.emit(event, *args, callback=True)
    check_ack(reply, TEAM_CODES)
    if len(args) > 1:
        assert reply["error"]["code"] == "bad_request"


def team_routes(app):
    """Every (method, rule) of rooms, memberships, direct conversations and read state."""
    prefixes = ("/api/rooms", "/api/me", "/api/direct")
    return sorted(
        (method.lower(), rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(prefixes)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


def test_the_route_list_is_not_empty(team):
    """Guards the properties below from fuzzing nothing as routes move."""
    routes = team_routes(team[0])
    assert {
        ("get", "/api/rooms"),
        ("post", "/api/rooms"),
        ("patch", "/api/rooms/<room>"),
        ("delete", "/api/rooms/<room>"),
        ("post", "/api/rooms/<room>/join"),
        ("post", "/api/rooms/<room>/members/<user>"),
        ("delete", "/api/rooms/<room>/members/<user>"),
        ("post", "/api/rooms/<room>/bans/<user>"),
        ("delete", "/api/rooms/<room>/bans/<user>"),
        ("put", "/api/rooms/<room>/members/<user>/role"),
        ("post", "/api/direct/<user>"),
        ("post", "/api/rooms/<room>/read"),
        ("get", "/api/me/rooms"),
    } <= set(routes)


def fill(rule, room, user):
    """The rule's path with its <room> and <user> parts filled in."""
    return rule.replace("<room>", room).replace("<user>", user)


def in_path(text):
    return text.replace("/", "").replace("?", "").replace("#", "").replace("%", "") or "x"


@FUZZ
@given(
    pick=st.data(),
    room=st.one_of(st.sampled_from(ROOMS), nasty_text),
    user=st.one_of(st.sampled_from(USERS), nasty_text),
    body=st.one_of(values, st.fixed_dictionaries({}, optional=FIELDS)),
)
def test_team_routes_survive_any_body_and_name(team, pick, room, user, body):
    app, _, token = team
    method, rule = pick.draw(st.sampled_from(team_routes(app)))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    raw = json.dumps(body, allow_nan=True)
    try:
        response = getattr(client, method)(
            fill(rule, in_path(room), in_path(user)),
            data=raw,
            content_type="application/json",
            headers=headers,
        )
    except UnicodeEncodeError:
        return  # a lone surrogate cannot even be put in a URL; nothing reached the server
    check_response(response, KNOWN_CODES)


@FUZZ
@given(
    pick=st.data(),
    query=st.dictionaries(
        st.sampled_from(["limit", "after", "before_seq", "after_seq", "seq"]), nasty_text
    ),
)
def test_team_routes_survive_any_query_string(team, pick, query):
    app, _, token = team
    method, rule = pick.draw(st.sampled_from(team_routes(app)))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    try:
        response = getattr(client, method)(
            fill(rule, "team", "friend"), query_string=query, headers=headers
        )
    except UnicodeEncodeError:
        return
    check_response(response, KNOWN_CODES)
