"""The team routes answer what openapi.yaml says: each status documented, each body its schema."""

from openapi_schema_validator import OAS30Validator


def inline(node, document):
    """`node` with every $ref replaced by what it points to in `document`."""
    if isinstance(node, dict):
        if "$ref" in node:
            target = document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return inline(target, document)
        return {key: inline(value, document) for key, value in node.items()}
    if isinstance(node, list):
        return [inline(item, document) for item in node]
    return node


def test_team_answers_match_the_document(client, login, runner):
    document = client.get("/api/openapi.json").get_json()
    alice, bob, carol = login("alice"), login("bob"), login("carol")
    assert runner.invoke(args=["users", "promote", "carol"]).exit_code == 0
    checked = []

    def call(http, method, url, path, status, body=None):
        response = http.open(url, method=method, **({} if body is None else {"json": body}))
        assert response.status_code == status, response.get_json()
        operation = inline(document["paths"][path][method.lower()], document)
        documented = operation["responses"][str(status)]
        schema = documented["content"]["application/json"]["schema"]
        OAS30Validator(schema).validate(response.get_json())
        checked.append((method, path, status))
        return response.get_json()

    room, member, role = "/api/rooms/{room}", "/api/rooms/{room}/members/{user}", "/role"
    call(alice, "POST", "/api/rooms", "/api/rooms", 201, {"room": "team", "topic": "t"})
    call(bob, "POST", "/api/rooms", "/api/rooms", 409, {"room": "team"})
    call(bob, "POST", "/api/rooms/team/join", room + "/join", 200, {"create": False})
    call(alice, "GET", "/api/rooms/team", room, 200)
    call(carol, "GET", "/api/rooms/team", room, 200)
    call(carol, "GET", "/api/rooms/nope", room, 404)
    call(alice, "PATCH", "/api/rooms/team", room, 200, {"topic": "", "private": True})
    call(bob, "PATCH", "/api/rooms/team", room, 403, {"topic": "x"})
    call(alice, "GET", "/api/rooms/team/members", room + "/members", 200)
    call(alice, "POST", "/api/rooms/team/members/carol", member, 201)
    call(alice, "POST", "/api/rooms/team/members/carol", member, 409)
    call(alice, "PUT", "/api/rooms/team/members/bob/role", member + role, 200, {"role": "owner"})
    call(alice, "PUT", "/api/rooms/team/members/bob/role", member + role, 422, {"role": "x"})
    call(bob, "DELETE", "/api/rooms/team/members/carol", member, 200, {"reason": "r"})
    call(bob, "POST", "/api/rooms/team/bans/carol", room + "/bans/{user}", 201)
    call(bob, "DELETE", "/api/rooms/team/bans/carol", room + "/bans/{user}", 200)
    call(bob, "POST", "/api/rooms/team/messages", room + "/messages", 201, {"text": "hi"})
    call(alice, "POST", "/api/rooms/team/read", room + "/read", 200, {"seq": 1})
    call(alice, "GET", "/api/rooms", "/api/rooms", 200)
    call(alice, "GET", "/api/me/rooms", "/api/me/rooms", 200)
    call(alice, "POST", "/api/direct/bob", "/api/direct/{user}", 201)
    call(bob, "POST", "/api/direct/alice", "/api/direct/{user}", 200)
    call(alice, "POST", "/api/direct/nobody", "/api/direct/{user}", 404)
    call(alice, "POST", "/api/rooms/team/leave", room + "/leave", 200)
    call(bob, "DELETE", "/api/rooms/team", room, 200)
    assert len(checked) == 25
