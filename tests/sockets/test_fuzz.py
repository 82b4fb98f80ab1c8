"""Property-based fuzzing of every socket event and REST route with malformed input.

Never a 500, never `internal_error`, never a traceback; always the one error shape.
"""

import json

from hypothesis import given
from hypothesis import strategies as st

from tests.helpers.fuzzing import FUZZ, check_ack, check_response, nasty_text, values

fields = st.sampled_from(["room", "text", "client_id", "before_seq", "after_seq", "limit"])
payloads = st.one_of(
    values,
    st.dictionaries(fields, values, max_size=6),
    st.fixed_dictionaries(
        {"room": st.just("general")},
        optional={"text": values, "client_id": values, "before_seq": values, "limit": values},
    ),
)


@FUZZ
@given(event=st.sampled_from(["join", "leave", "send", "history", "nonsense"]), data=payloads)
def test_socket_events_survive_any_payload(fuzz_app, event, data):
    _, _, sock, _ = fuzz_app
    check_ack(sock.emit(event, data, callback=True))
    assert sock.is_connected()


@FUZZ
@given(args=st.lists(payloads, min_size=0, max_size=3))
def test_socket_events_with_any_number_of_arguments(fuzz_app, args):
    _, _, sock, _ = fuzz_app
    check_ack(sock.emit("send", *args, callback=True))


ROUTES = [
    ("post", "/api/auth/register"),
    ("post", "/api/auth/login"),
    ("post", "/api/rooms/general/messages"),
    ("post", "/api/rooms/general/join"),
    ("get", "/api/rooms"),
    ("get", "/api/rooms/general/messages"),
    ("get", "/api/me/messages"),
    ("get", "/api/me/rooms/messages"),
    ("get", "/api/auth/me"),
]


@FUZZ
@given(route=st.sampled_from(ROUTES), body=values)
def test_rest_routes_survive_any_json_body(fuzz_app, route, body):
    app, _, _, token = fuzz_app
    method, path = route
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    raw = json.dumps(body, allow_nan=True)  # NaN and Infinity are not JSON: refused cleanly
    check_response(
        getattr(client, method)(path, data=raw, content_type="application/json", headers=headers)
    )


@FUZZ
@given(
    route=st.sampled_from(ROUTES),
    query=st.dictionaries(fields | st.just("after"), nasty_text, max_size=4),
    room=nasty_text,
)
def test_rest_query_strings_and_room_names(fuzz_app, route, query, room):
    app, _, _, token = fuzz_app
    method, path = route
    path = path.replace("general", room.replace("/", "").replace("?", "").replace("#", "") or "x")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    try:
        response = getattr(client, method)(path, query_string=query, headers=headers)
    except UnicodeEncodeError:
        return  # a lone surrogate cannot even be put in a URL; nothing reached the server
    check_response(response)


@FUZZ
@given(raw=st.binary(max_size=300))
def test_rest_bodies_that_are_not_json_at_all(fuzz_app, raw):
    app, _, _, _ = fuzz_app
    check_response(
        app.test_client().post("/api/auth/login", data=raw, content_type="application/json")
    )


@FUZZ
@given(text=nasty_text, client_id=st.one_of(st.none(), nasty_text))
def test_send_any_text_to_a_joined_room(fuzz_app, text, client_id):
    """The likeliest path to the database: valid room, joined, hostile text."""
    _, _, sock, _ = fuzz_app
    # Earlier properties may have sent `leave`; without this the texts would
    # all stop at not_in_room and never reach the database.
    assert sock.emit("join", {"room": "general", "create": True}, callback=True)["ok"]
    data = {"room": "general", "text": text}
    if client_id is not None:
        data["client_id"] = client_id
    check_ack(sock.emit("send", data, callback=True))


@FUZZ
@given(room=nasty_text, before=values, after=values, limit=values)
def test_history_and_join_with_hostile_fields(fuzz_app, room, before, after, limit):
    _, _, sock, _ = fuzz_app
    check_ack(
        sock.emit(
            "history",
            {"room": room, "before_seq": before, "after_seq": after, "limit": limit},
            callback=True,
        )
    )
    check_ack(sock.emit("join", {"room": room, "create": True}, callback=True))
