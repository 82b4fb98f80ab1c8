"""CORS for the REST API from CORS_ORIGINS: the listed origins, nothing else."""


def preflight(client, origin):
    return client.options(
        "/api/auth/login",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )


def test_same_origin_only_by_default(client):
    response = preflight(client, "https://elsewhere.example")
    assert "Access-Control-Allow-Origin" not in response.headers
    get = client.get("/api/rooms", headers={"Origin": "https://elsewhere.example"})
    assert "Access-Control-Allow-Origin" not in get.headers


def test_configured_origins_get_cors_headers_and_others_do_not(make_app):
    client = make_app(CORS_ORIGINS=["https://chat.example.com"]).test_client()
    allowed = preflight(client, "https://chat.example.com")
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://chat.example.com"
    assert allowed.headers["Access-Control-Allow-Credentials"] == "true"
    assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
    refused = preflight(client, "https://evil.example.com")
    assert "Access-Control-Allow-Origin" not in refused.headers
    response = client.get("/api/auth/me", headers={"Origin": "https://chat.example.com"})
    assert "X-Request-ID" in response.headers["Access-Control-Expose-Headers"]
    assert response.headers["Access-Control-Allow-Origin"] != "*"
