"""REST rate limits answer 429 with Retry-After, in the one error shape."""

from tests.helpers.errors import assert_error

ALICE = {"username": "alice", "password": "correct horse"}
WRONG = {"username": "alice", "password": "wrong!!!"}


def at(address):
    """Request options that make the request come from `address`."""
    return {"environ_base": {"REMOTE_ADDR": address}}


def assert_refused(response):
    """429 rate_limited, with the wait in whole seconds in the body and in Retry-After."""
    assert_error(response, 429, "rate_limited")
    retry_after = response.get_json()["error"]["retry_after"]
    assert isinstance(retry_after, int) and retry_after >= 1
    # Flask-Limiter rewrites the header from a whole-second clock: it may read one less.
    assert retry_after - 1 <= int(response.headers["Retry-After"]) <= retry_after


def test_failed_logins_lock_one_user_at_one_address_only(make_app):
    app = make_app(RATELIMIT_LOGIN_FAILURES="3 per 15 minutes")
    client = app.test_client()
    client.post("/api/auth/register", json=ALICE)
    client.post("/api/auth/register", json={"username": "bob", "password": "correct horse"})
    for _ in range(3):
        assert client.post("/api/auth/login", json=WRONG, **at("10.0.0.1")).status_code == 401
    # Spent at this address: even the right password (any letter case) is refused here...
    locked = client.post("/api/auth/login", json={**ALICE, "username": "ALICE"}, **at("10.0.0.1"))
    assert_refused(locked)
    assert locked.get_json()["error"]["retry_after"] <= 15 * 60
    # ...while the owner logs in from anywhere else, and other users from here.
    assert client.post("/api/auth/login", json=ALICE, **at("10.0.0.2")).status_code == 200
    bob = {"username": "bob", "password": "correct horse"}
    assert client.post("/api/auth/login", json=bob, **at("10.0.0.1")).status_code == 200


def test_unknown_users_are_limited_like_real_ones(make_app):
    client = make_app(RATELIMIT_LOGIN_FAILURES="2 per 15 minutes").test_client()
    client.post("/api/auth/register", json=ALICE)
    answers = [
        [client.post("/api/auth/login", json={**WRONG, "username": name}) for _ in range(3)]
        for name in ("alice", "nobody")
    ]
    for real, unknown in zip(*answers, strict=True):
        assert real.status_code == unknown.status_code
        assert real.get_json()["error"]["code"] == unknown.get_json()["error"]["code"]
    assert [r.status_code for r in answers[0]] == [401, 401, 429]


def test_successful_login_clears_the_failures_at_that_address(make_app):
    client = make_app(RATELIMIT_LOGIN_FAILURES="3 per 15 minutes").test_client()
    client.post("/api/auth/register", json=ALICE)
    for _ in range(2):
        assert client.post("/api/auth/login", json=WRONG).status_code == 401
    assert client.post("/api/auth/login", json=ALICE).status_code == 200
    # A fresh budget of 3: the two failures before the success no longer count.
    for _ in range(3):
        assert client.post("/api/auth/login", json=WRONG).status_code == 401
    assert_refused(client.post("/api/auth/login", json=WRONG))


def test_successful_logins_spend_no_budget(make_app):
    app = make_app(
        RATELIMIT_LOGIN_FAILURES="2 per 15 minutes", RATELIMIT_LOGIN_ADDRESS="2 per 15 minutes"
    )
    client = app.test_client()
    client.post("/api/auth/register", json=ALICE)
    for _ in range(5):
        assert client.post("/api/auth/login", json=ALICE).status_code == 200


def test_admin_password_reset_ends_the_lockout(make_app):
    app = make_app(RATELIMIT_LOGIN_FAILURES="2 per 15 minutes")
    client = app.test_client()
    client.post("/api/auth/register", json=ALICE)
    for _ in range(2):
        client.post("/api/auth/login", json=WRONG)
    assert_refused(client.post("/api/auth/login", json=ALICE))
    result = app.test_cli_runner().invoke(
        args=["users", "set-password", "alice", "--password", "brand new one"]
    )
    assert result.exit_code == 0, result.output
    new = {"username": "alice", "password": "brand new one"}
    assert client.post("/api/auth/login", json=new).status_code == 200


def test_failures_are_limited_per_address_over_every_username(make_app):
    app = make_app(
        RATELIMIT_LOGIN_FAILURES="100 per 15 minutes", RATELIMIT_LOGIN_ADDRESS="3 per 15 minutes"
    )
    client = app.test_client()
    client.post("/api/auth/register", json=ALICE)
    for name in ("ann", "ben", "cat"):  # one password tried against many accounts
        response = client.post("/api/auth/login", json={**WRONG, "username": name})
        assert response.status_code == 401
    # This address is done, whoever it tries; another address is not.
    assert_refused(client.post("/api/auth/login", json={**WRONG, "username": "dan"}))
    assert_refused(client.post("/api/auth/login", json=ALICE))
    assert client.post("/api/auth/login", json=ALICE, **at("10.0.0.9")).status_code == 200


def test_registrations_are_limited_per_address(make_app):
    client = make_app(RATELIMIT_REGISTER="2 per hour").test_client()
    for name in ("alice", "bob"):
        response = client.post("/api/auth/register", json={"username": name, "password": "x" * 8})
        assert response.status_code == 201
    response = client.post("/api/auth/register", json={"username": "carol", "password": "x" * 8})
    assert_refused(response)
    other = client.post(
        "/api/auth/register", json={"username": "carol", "password": "x" * 8}, **at("10.0.0.9")
    )
    assert other.status_code == 201


def test_only_created_accounts_spend_the_registration_budget(make_app):
    """A team behind one address that mistypes or picks taken names can still sign up."""
    client = make_app(RATELIMIT_REGISTER="2 per hour").test_client()
    assert client.post("/api/auth/register", json=ALICE).status_code == 201
    for _ in range(3):
        assert client.post("/api/auth/register", json=ALICE).status_code == 409
        short = {"username": "bob", "password": "short"}
        assert client.post("/api/auth/register", json=short).status_code == 422
        not_json = client.post("/api/auth/register", data="x", content_type="text/plain")
        assert not_json.status_code == 415
    assert client.post("/api/auth/register", json={**ALICE, "username": "bob"}).status_code == 201
    assert_refused(client.post("/api/auth/register", json={**ALICE, "username": "carol"}))


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


def test_ipv6_clients_are_counted_per_64_block(make_app):
    """Rotating through one's own /64 (2^64 addresses) does not buy more guesses."""
    from chatapp.auth.budgets import address_key

    assert address_key("2001:db8:1:2::1") == address_key("2001:db8:1:2:ffff::9")
    assert address_key("2001:db8:1:2::1") != address_key("2001:db8:1:3::1")
    assert address_key("::ffff:10.0.0.1") == address_key("10.0.0.1") == "10.0.0.1"
    client = make_app(RATELIMIT_LOGIN_FAILURES="2 per 15 minutes").test_client()
    client.post("/api/auth/register", json=ALICE)
    for address in ("2001:db8:1:2::1", "2001:db8:1:2::2"):
        assert client.post("/api/auth/login", json=WRONG, **at(address)).status_code == 401
    assert_refused(client.post("/api/auth/login", json=ALICE, **at("2001:db8:1:2::3")))
    assert client.post("/api/auth/login", json=ALICE, **at("2001:db8:9::1")).status_code == 200
