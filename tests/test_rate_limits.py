"""REST rate limits answer 429 with Retry-After, in the one error shape."""

from tests.test_bad_input import assert_error


def test_failed_logins_are_limited_per_username(make_app):
    app = make_app(RATELIMIT_LOGIN_FAILURES="3 per 30 minutes")
    client = app.test_client()
    client.post("/api/auth/register", json={"username": "alice", "password": "correct horse"})
    for _ in range(3):
        response = client.post(
            "/api/auth/login", json={"username": "alice", "password": "wrong!!!"}
        )
        assert response.status_code == 401
    # The budget is spent: even the right password is refused for now...
    response = client.post(
        "/api/auth/login", json={"username": "ALICE", "password": "correct horse"}
    )
    assert_error(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) > 0
    # ...while another username is unaffected.
    client.post("/api/auth/register", json={"username": "bob", "password": "correct horse"})
    response = client.post("/api/auth/login", json={"username": "bob", "password": "correct horse"})
    assert response.status_code == 200


def test_successful_logins_do_not_spend_the_failure_budget(make_app):
    app = make_app(RATELIMIT_LOGIN_FAILURES="2 per 30 minutes")
    client = app.test_client()
    client.post("/api/auth/register", json={"username": "alice", "password": "correct horse"})
    for _ in range(5):
        response = client.post(
            "/api/auth/login", json={"username": "alice", "password": "correct horse"}
        )
        assert response.status_code == 200


def test_registrations_are_limited_per_address(make_app):
    client = make_app(RATELIMIT_REGISTER="2 per hour").test_client()
    for name in ("alice", "bob"):
        response = client.post("/api/auth/register", json={"username": name, "password": "x" * 8})
        assert response.status_code == 201
    response = client.post("/api/auth/register", json={"username": "carol", "password": "x" * 8})
    assert_error(response, 429, "rate_limited")
    assert "Retry-After" in response.headers
    other = client.post(
        "/api/auth/register",
        json={"username": "carol", "password": "x" * 8},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert other.status_code == 201


def test_unauthenticated_requests_are_limited_per_address(make_app):
    client = make_app(RATELIMIT_ANONYMOUS="3 per minute").test_client()
    for _ in range(3):
        assert client.get("/api/auth/me").status_code == 401
    assert_error(client.get("/api/auth/me"), 429, "rate_limited")


def test_logged_in_users_have_their_own_budget(make_app):
    app = make_app(RATELIMIT_ANONYMOUS="5 per minute", RATELIMIT_USER="4 per minute")
    client = app.test_client()
    client.post("/api/auth/register", json={"username": "alice", "password": "correct horse"})
    token = client.post(
        "/api/auth/login", json={"username": "alice", "password": "correct horse"}
    ).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    # Another address, same user: the budget follows the user, not the address.
    for addr in ("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"):
        response = client.get("/api/auth/me", headers=headers, environ_base={"REMOTE_ADDR": addr})
        assert response.status_code == 200
    response = client.get("/api/auth/me", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.5"})
    assert_error(response, 429, "rate_limited")


def test_ratelimit_enabled_false_turns_limits_off(make_app):
    client = make_app(RATELIMIT_ENABLED=False, RATELIMIT_ANONYMOUS="1 per minute").test_client()
    for _ in range(5):
        assert client.get("/api/auth/me").status_code == 401
