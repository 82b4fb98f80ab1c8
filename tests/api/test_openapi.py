"""The OpenAPI document is valid, complete, and served with a local Swagger UI."""

import re

from openapi_spec_validator import validate


def documented(client):
    return client.get("/api/openapi.json").get_json()


def test_the_document_is_valid_openapi_3(client):
    document = documented(client)
    assert document["openapi"].startswith("3.")
    validate(document)


def test_every_route_is_documented_with_its_methods(app, client):
    paths = documented(client)["paths"]
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "socketio"):  # Socket.IO's path: docs/asyncapi.yaml
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if method.lower() not in paths.get(path, {}):
                missing.append(f"{method} {path}")
    assert missing == [], f"routes missing from openapi.yaml: {missing}"


def test_a_new_undocumented_route_fails_the_check(make_app):
    app = make_app()
    app.add_url_rule("/api/secret-new-thing", "new_thing", lambda: "x")
    paths = app.test_client().get("/api/openapi.json").get_json()["paths"]
    assert "/api/secret-new-thing" not in paths  # so the test above would name it


def test_swagger_ui_is_served_locally(client):
    page = client.get("/api/docs")
    assert page.status_code == 200 and b"SwaggerUIBundle" in page.data
    assert b"http" not in page.data.split(b"<body>")[1]  # no CDN: every asset is ours
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"):
        response = client.get(f"/api/docs/{asset}")
        assert response.status_code == 200 and len(response.data) > 1000
        response.close()  # a streamed file
    assert client.get("/api/docs/..%2Fsecret").status_code == 404
    assert client.get("/api/docs/index.html").status_code == 404
