"""The Docker and Compose files, checked by their invariants (no Docker engine here)."""

import json
import re

import yaml

from tests.helpers.server import ROOT


def test_the_stack_has_every_part(compose):
    assert set(compose["services"]) >= {
        "app1",
        "app2",
        "nginx",
        "postgres",
        "redis",
        "nats",
        "loki",
        "grafana",
        "alloy",
        "prometheus",
        "migrate",
    }
    assert set(compose["volumes"]) >= {"pgdata", "natsdata", "lokidata", "grafanadata", "logs"}


def test_two_app_instances_share_one_image_and_wait_for_migrations(compose):
    apps = [compose["services"][name] for name in ("app1", "app2")]
    for app in apps:
        assert app["build"] == "."
        assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        env = app["environment"]
        assert env["REDIS_URL"].startswith("redis://:${REDIS_PASSWORD")  # the shared queue
        assert env["DATABASE_URL"].startswith("postgresql://")
        assert env["NATS_USER"] and env["NATS_PASSWORD"].startswith("${")
        assert env["LOG_DIR"].startswith("/var/log/chatapp/")
        assert "ports" not in app  # only nginx faces the outside
    assert apps[0]["environment"]["LOG_DIR"] != apps[1]["environment"]["LOG_DIR"]
    assert compose["services"]["migrate"]["command"][-2:] == ["db", "upgrade"]


def test_backing_services_are_private_and_authenticated(compose):
    services = compose["services"]
    for name in ("postgres", "redis", "nats", "loki", "prometheus"):
        assert "ports" not in services[name], f"{name} must not be published on the host"
    assert "--requirepass" in services["redis"]["command"]
    assert {"-js", "--user", "--pass"} <= set(services["nats"]["command"])
    # Only nginx faces the outside: HTTP (which redirects) and HTTPS.
    assert services["nginx"]["ports"] == ["${HTTP_PORT:-80}:80", "${HTTPS_PORT:-443}:443"]
    published = {name for name, service in services.items() if "ports" in service}
    assert published == {"nginx"}


def test_no_secret_is_written_into_the_files(compose):
    text = (ROOT / "docker-compose.yml").read_text()
    for key in (
        "SECRET_KEY",
        "POSTGRES_PASSWORD",
        "REDIS_PASSWORD",
        "NATS_PASSWORD",
        "GF_SECURITY_ADMIN_PASSWORD",
    ):
        for value in re.findall(rf"{key}: (\S+)", text):
            assert value.startswith("${"), f"{key} is hard-coded"
    assert ".env" in (ROOT / ".gitignore").read_text()


def test_dockerfile_is_slim_non_root_with_a_healthcheck():
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim", text, re.M)
    assert re.search(r"^USER chatapp$", text, re.M)
    assert "HEALTHCHECK" in text and "/healthz" in text
    assert "gunicorn.conf.py" in text
    assert not re.search(r"^(ENV|ARG).*(SECRET|PASSWORD)", text, re.M)
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "instance", ".env"} <= set(ignored)


def test_nginx_config_upgrades_websockets_and_is_sticky():
    text = (ROOT / "deploy/nginx/chatapp.conf").read_text()
    assert "ip_hash;" in text
    assert "proxy_set_header Upgrade $http_upgrade;" in text
    assert "proxy_http_version 1.1;" in text
    # $host drops the port, and Socket.IO's same-origin check then refuses browsers.
    assert "proxy_set_header Host $http_host;" in text and "Host $host;" not in text
    assert re.search(r"server app1:8000", text) and re.search(r"server app2:8000", text)


def test_grafana_is_provisioned_with_loki_and_a_chatapp_dashboard():
    sources = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/datasources/datasources.yaml").read_text()
    )
    types = {s["type"]: s for s in sources["datasources"]}
    assert types["loki"]["url"] == "http://loki:3100"
    assert "prometheus" in types
    dashboard = json.loads((ROOT / "deploy/grafana/dashboards/chatapp.json").read_text())
    expressions = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    for metric in (
        "chatapp_messages_stored_total",
        "chatapp_send_latency_seconds_bucket",
        "chatapp_outbox_backlog",
        "chatapp_socket_connections",
    ):
        assert metric in expressions
    assert '{job="chatapp"' in expressions  # log panels query Loki
    prometheus = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    targets = prometheus["scrape_configs"][0]["static_configs"][0]["targets"]
    assert targets == ["app1:8000", "app2:8000"]
    alloy = (ROOT / "deploy/alloy/config.alloy").read_text()
    assert "/var/log/chatapp/*/chatapp.log" in alloy and "loki/api/v1/push" in alloy


def test_dashboard_metrics_exist_in_the_app():
    from prometheus_client.metrics import MetricWrapperBase

    from chatapp import metrics

    dashboard = json.loads((ROOT / "deploy/grafana/dashboards/chatapp.json").read_text())
    expressions = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    exported = {m._name for m in vars(metrics).values() if isinstance(m, MetricWrapperBase)}
    used = set(re.findall(r"chatapp_[a-z_]+", expressions))
    base = {re.sub(r"_(total|bucket|count|sum)$", "", name) for name in used}
    assert base <= exported, base - exported


SECRETS = ("SECRET_KEY", "POSTGRES_PASSWORD", "REDIS_PASSWORD", "NATS_PASSWORD", "GRAFANA_PASSWORD")


def megabytes(size: str) -> float:
    """Compose's "512M"/"1G" and Go's "400MiB" in MiB."""
    number, unit = re.fullmatch(r"(\d+)([MG])(?:i?B)?", size).groups()
    return int(number) * (1024 if unit == "G" else 1)


def test_every_service_has_memory_and_cpu_limits(compose):
    for name, service in compose["services"].items():
        limits = service.get("deploy", {}).get("resources", {}).get("limits", {})
        assert megabytes(limits.get("memory", "0M")) > 0, f"{name} has no memory limit"
        assert float(limits.get("cpus", 0)) > 0, f"{name} has no CPU limit"
        # Go services collect garbage by GOMEMLIMIT, which must sit below the
        # container's limit or they are killed before they collect.
        env = service.get("environment") or {}
        if "GOMEMLIMIT" in env:
            assert megabytes(env["GOMEMLIMIT"]) < megabytes(limits["memory"]), name


def strings(node):
    """Every string value in the parsed compose file (comments are gone)."""
    if isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)
    elif isinstance(node, str):
        yield node


def test_secrets_are_required_and_checked_before_anything_starts(compose):
    values = list(strings(compose))
    for key in (*SECRETS, "PUBLIC_URL"):
        uses = [use for value in values for use in re.findall(rf"\$\{{{key}([^}}]*)\}}", value)]
        assert uses and all(use.startswith(":?") for use in uses), f"{key} must be :? (required)"
    services = compose["services"]
    check = services["check-env"]
    assert set(check["environment"]) >= {*SECRETS, "PUBLIC_URL"}
    assert "./scripts/check-env:/check-env:ro" in check["volumes"]
    assert "./.env.example:/env.example:ro" in check["volumes"]
    assert check["command"] == ["sh", "/check-env", "/env.example"]
    for name, service in services.items():
        if name != "check-env":
            condition = service["depends_on"]["check-env"]["condition"]
            assert condition == "service_completed_successfully", name


def test_env_example_lists_every_checked_setting_with_an_https_public_url():
    example = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert set(example) >= {*SECRETS, "PUBLIC_URL"}
    assert example["PUBLIC_URL"].startswith("https://")
    assert "SESSION_COOKIE_SECURE" not in example  # Secure follows PUBLIC_URL now


def test_the_apps_are_told_their_public_https_address(compose):
    for name in ("app1", "app2", "migrate"):
        env = compose["services"][name]["environment"]
        assert env["PUBLIC_URL"].startswith("${PUBLIC_URL:?")  # https: Secure cookies
        assert "SESSION_COOKIE_SECURE" not in env
        assert env["PROXY_FIX_X_FOR"] == "1"  # X-Forwarded-Proto from nginx: https


def test_nginx_terminates_tls_in_its_own_image(compose):
    nginx = compose["services"]["nginx"]
    assert nginx["build"] == "./deploy/nginx"
    dockerfile = (ROOT / "deploy/nginx/Dockerfile").read_text()
    # `http2 on;` needs nginx 1.25.1 or later.
    major, minor = re.search(r"^FROM nginx:(\d+)\.(\d+)", dockerfile, re.M).groups()
    assert (int(major), int(minor)) >= (1, 26)
    assert "apk add --no-cache openssl" in dockerfile
    assert "self-signed-cert.sh /docker-entrypoint.d/" in dockerfile
    volumes = nginx["volumes"]
    assert "./deploy/nginx/chatapp.conf:/etc/nginx/templates/chatapp.conf.template:ro" in volumes
    assert "./deploy/nginx/nginx.conf:/etc/nginx/nginx.conf:ro" in volumes
    assert "${NGINX_CERTS:-certs}:/etc/nginx/certs" in volumes
    assert "certs" in compose["volumes"]
    # envsubst fills in ${PUBLIC_URL} only: every other $name is nginx's own.
    site = (ROOT / "deploy/nginx/chatapp.conf").read_text()
    assert set(re.findall(r"\$\{(\w+)\}", site)) == {"PUBLIC_URL"}
    assert nginx["environment"]["NGINX_ENVSUBST_FILTER"] == "^PUBLIC_URL$$"  # $$: Compose's $
    assert re.search(r"listen 443 ssl;\s+http2 on;", site)
    assert re.search(r"^\s*ssl_protocols TLSv1\.2 TLSv1\.3;$", site, re.M)
    assert 'add_header Strict-Transport-Security "max-age=63072000" always;' in site


def test_grafana_is_reached_only_through_nginx(compose):
    grafana = compose["services"]["grafana"]
    assert "ports" not in grafana
    env = grafana["environment"]
    assert env["GF_SERVER_ROOT_URL"].startswith("${PUBLIC_URL:?")
    assert env["GF_SERVER_ROOT_URL"].endswith("}/grafana/")
    assert env["GF_SERVER_SERVE_FROM_SUB_PATH"] == "true"
    site = (ROOT / "deploy/nginx/chatapp.conf").read_text()
    assert re.search(r"location /grafana/ \{\s+proxy_pass http://grafana;", site)
    assert "server grafana:3000;" in site


def test_nginx_can_hold_the_advertised_connections(compose):
    main = (ROOT / "deploy/nginx/nginx.conf").read_text()

    def number(directive: str) -> int:
        return int(re.search(rf"^\s*{directive} (\d+);", main, re.M).group(1))

    apps = [name for name in compose["services"] if re.fullmatch(r"app\d+", name)]
    advertised = 10_000  # MAX_CONNECTIONS' default, per process
    # A proxied websocket is two connections; one worker may get them all.
    assert number("worker_connections") >= len(apps) * advertised * 2
    assert number("worker_rlimit_nofile") > number("worker_connections")
    nginx_files = compose["services"]["nginx"]["ulimits"]["nofile"]
    assert nginx_files["hard"] >= number("worker_rlimit_nofile")
    for name in apps:
        assert compose["services"][name]["ulimits"]["nofile"]["hard"] > advertised
    # `auto` would count the host's cores, beyond the container's CPU limit.
    workers = number("worker_processes")
    assert workers <= float(compose["services"]["nginx"]["deploy"]["resources"]["limits"]["cpus"])
