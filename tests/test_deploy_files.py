"""The Docker and Compose files, checked by their invariants (no Docker engine here)."""

import json
import re

import pytest
import yaml

from tests.server import ROOT


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


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
    assert services["nginx"]["ports"] == ["8080:80"]


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
