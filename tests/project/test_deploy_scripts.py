"""The stack's shell scripts, run for real: check-env, the image's certificate, install-nginx,
install-chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from tests.helpers.nginx_site import NGINX
from tests.helpers.server import ROOT
from tests.helpers.services import free_port, port_open, require
from tests.helpers.wait import wait_for

pytestmark = pytest.mark.slow

SECRETS = ("SECRET_KEY", "POSTGRES_PASSWORD", "REDIS_PASSWORD", "NATS_PASSWORD", "GRAFANA_PASSWORD")


def good_env(**changes: str) -> dict[str, str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "SECRET_KEY": "Zq3v9k2LmP0xT7rW1yB5nC8dF4gH6jK2aSeU",
        "POSTGRES_PASSWORD": "4f9a2c7e1b8d3f60a5",
        "REDIS_PASSWORD": "9b1e7c3a5d2f8064ab",
        "NATS_PASSWORD": "c2d8f1a9e7b3046d5c",
        "GRAFANA_PASSWORD": "e5a1c9f3b7d2068ab4",
        "PUBLIC_URL": "https://chat.example.org",
    }
    env.update(changes)
    return {key: value for key, value in env.items() if value is not None}


def check_env(env: dict[str, str]) -> subprocess.CompletedProcess:
    """scripts/check-env under a POSIX sh, as the check-env service runs it."""
    return subprocess.run(
        ["sh", str(ROOT / "scripts/check-env"), str(ROOT / ".env.example")],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_check_env_accepts_real_secrets():
    for url in ("https://chat.example.org", "https://localhost:8443", "https://[::1]:8443"):
        result = check_env(good_env(PUBLIC_URL=url))
        assert (result.returncode, result.stderr) == (0, ""), url


def test_check_env_refuses_every_placeholder_of_env_example():
    example = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    result = check_env(good_env(**{key: example[key] for key in SECRETS}))
    assert result.returncode == 1
    for key in SECRETS:
        assert f"check-env: {key}: " in result.stderr


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("SECRET_KEY", None),
        ("SECRET_KEY", ""),
        ("SECRET_KEY", "a" * 32),
        ("SECRET_KEY", "ab" * 24),
        ("SECRET_KEY", "Zq3v9k2LmP0xT7rW1yB5"),  # 20 characters
        ("SECRET_KEY", "please-CHANGE-me-Zq3v9k2LmP0xT7rW1yB5nC8d"),
        ("POSTGRES_PASSWORD", "replace-me"),
        ("POSTGRES_PASSWORD", "Zq3v9k2LmP0x"),  # 12 characters
        ("REDIS_PASSWORD", "Zq3v9k2L@mP0xT7rW1yB5"),  # breaks REDIS_URL
        ("NATS_PASSWORD", "changeme-Zq3v9k2LmP0xT7"),
        ("GRAFANA_PASSWORD", "x" * 40),
        ("PUBLIC_URL", None),
        ("PUBLIC_URL", "http://chat.example.org"),
        ("PUBLIC_URL", "https://chat.example.org/"),
        ("PUBLIC_URL", "https://chat.example.org/chat"),
        ("PUBLIC_URL", "https://"),
    ],
)
def test_check_env_refuses_missing_placeholder_and_weak_values(key, value):
    result = check_env(good_env(**{key: value}))
    assert result.returncode == 1
    assert re.fullmatch(
        rf"check-env: {key}: [^\n]+\ncheck-env: refusing to start[^\n]*\n", result.stderr
    )


def make_certificate(directory: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["sh", str(ROOT / "deploy/nginx/self-signed-cert.sh")],
        env={**os.environ, "CERTS_DIR": str(directory), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_image_makes_a_certificate_only_when_none_was_brought(tmp_path):
    require("openssl (the CLI)", shutil.which("openssl") is not None)
    made = tmp_path / "made"
    assert make_certificate(made, PUBLIC_URL="https://chat.example.org:8443").returncode == 0
    names = subprocess.run(
        ["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", made / "fullchain.pem"],
        capture_output=True,
        text=True,
        timeout=10,
    ).stdout
    assert "DNS:chat.example.org" in names and "IP Address:127.0.0.1" in names
    assert (made / "privkey.pem").stat().st_mode & 0o077 == 0  # the key is private
    # A certificate someone brought is never replaced, even one about to expire.
    brought = tmp_path / "brought"
    brought.mkdir()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "5", "-subj", "/CN=mine", "-keyout", brought / "privkey.pem",
         "-out", brought / "fullchain.pem"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    before = (brought / "fullchain.pem").read_bytes()
    assert make_certificate(brought).returncode == 0
    assert (brought / "fullchain.pem").read_bytes() == before
    # The image's own one is made again when it nears its end.
    (brought / ".self-signed").touch()
    assert make_certificate(brought).returncode == 0
    renewed = brought / "fullchain.pem"
    assert renewed.read_bytes() != before
    valid = ["openssl", "x509", "-checkend", str(300 * 86400), "-noout", "-in", renewed]
    assert subprocess.run(valid, capture_output=True, timeout=10).returncode == 0


FAKE_APT_GET = """#!/bin/sh
# Stands in for `apt-get install nginx-light`: Debian's postinst starts the
# service unless policy-rc.d forbids it (101), as invoke-rc.d does.
[ "$1" = install ] || exit 0
answer=0
if [ -x "$POLICY_RC_D" ]; then "$POLICY_RC_D" nginx start; answer=$?; fi
echo "$answer" > "$WORK/policy-answer"
[ "$answer" = 0 ] || exit 0
exec "$NGINX_BIN" -c "$WORK/service.conf"
"""


def small_nginx_conf(directory: Path, name: str, port: int, pid_file: Path) -> Path:
    temp = " ".join(f"{k}_temp_path {directory}/{name}-{k};" for k in ("client_body", "proxy"))
    conf = directory / f"{name}.conf"
    conf.write_text(
        f"pid {pid_file}; error_log {directory}/{name}-error.log;\n"
        "worker_processes 1; events { worker_connections 64; }\n"
        f"http {{ access_log off; {temp} fastcgi_temp_path {directory}/{name}-f;"
        f" uwsgi_temp_path {directory}/{name}-u; scgi_temp_path {directory}/{name}-s;"
        f" server {{ listen 127.0.0.1:{port}; return 200 '{name}'; }} }}\n"
    )
    return conf


@pytest.mark.parametrize("machine_policy", [None, "allows"])
def test_installing_nginx_stops_only_the_service_it_started(tmp_path, machine_policy):
    require("nginx (apt-get install nginx-light)", os.path.exists(NGINX))
    script = ROOT / "scripts/install-nginx"
    assert subprocess.run(["bash", "-n", str(script)], timeout=10).returncode == 0
    # Someone else's nginx, which must outlive the install.
    unrelated_port = free_port()
    conf = small_nginx_conf(tmp_path, "unrelated", unrelated_port, tmp_path / "unrelated.pid")
    unrelated = subprocess.Popen([NGINX, "-c", str(conf), "-g", "daemon off;"])
    try:
        wait_for(lambda: port_open("127.0.0.1", unrelated_port, 0.2), 15, 0.05, "nginx")
        service_port, pid_file = free_port(), tmp_path / "run-nginx.pid"
        small_nginx_conf(tmp_path, "service", service_port, pid_file)
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        (bin_dir / "apt-get").write_text(FAKE_APT_GET)
        (bin_dir / "apt-get").chmod(0o755)
        policy = tmp_path / "policy-rc.d"
        if machine_policy == "allows":  # the machine's own policy, which lets services start
            policy.write_text("#!/bin/sh\nexit 0\n")
            policy.chmod(0o755)
        env = {
            **os.environ,
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "APT_GET": "apt-get",
            "POLICY_RC_D": str(policy),
            "NGINX_PID_FILE": str(pid_file),
            "WORK": str(tmp_path),
            "NGINX_BIN": NGINX,  # not NGINX: nginx reads that one (inherited sockets)
        }
        result = subprocess.run(["bash", str(script)], env=env, capture_output=True, timeout=60)
        assert result.returncode == 0, result.stderr
        answer = (tmp_path / "policy-answer").read_text().strip()
        if machine_policy is None:
            # A policy of its own kept the service from starting, and is gone again.
            assert answer == "101" and not policy.exists() and not pid_file.exists()
        else:
            # The machine's policy let it start: that one nginx, by its pid file, is stopped.
            assert answer == "0" and policy.read_text() == "#!/bin/sh\nexit 0\n"
            wait_for(
                lambda: not port_open("127.0.0.1", service_port, 0.2),
                15,
                0.05,
                "the service to stop",
            )
        assert unrelated.poll() is None
        assert requests.get(f"http://127.0.0.1:{unrelated_port}/", timeout=5).text == "unrelated"
    finally:
        unrelated.terminate()
        unrelated.wait(10)


FAKE_APT = """#!/bin/sh
# Stands in for apt-get: logs each call; `install` fails until `update` ran.
echo "$*" >> "$WORK/apt-calls"
case "$1" in
  update) touch "$WORK/updated" ;;
  install) [ -e "$WORK/updated" ] || exit 100; touch "$CHROMIUM" && chmod 755 "$CHROMIUM" ;;
esac
"""


def run_install_chromium(tmp_path, chromium: Path) -> subprocess.CompletedProcess:
    apt_get = tmp_path / "apt-get"
    apt_get.write_text(FAKE_APT)
    apt_get.chmod(0o755)
    env = {**os.environ, "APT_GET": str(apt_get), "CHROMIUM": str(chromium), "WORK": str(tmp_path)}
    script = ROOT / "scripts/install-chromium"
    return subprocess.run(["bash", str(script)], env=env, capture_output=True, timeout=60)


def test_installing_chromium_updates_the_lists_once_when_the_first_try_fails(tmp_path):
    if os.getuid() != 0:
        pytest.skip("install-chromium installs as root only")
    chromium = tmp_path / "chromium"
    result = run_install_chromium(tmp_path, chromium)
    assert result.returncode == 0, result.stderr
    calls = (tmp_path / "apt-calls").read_text().splitlines()
    install = "install -y -q --no-install-recommends chromium"
    assert calls == [install, "update -q", install]
    assert os.access(chromium, os.X_OK)
    # Installed: nothing to do, apt-get is not called again.
    assert run_install_chromium(tmp_path, chromium).returncode == 0
    assert (tmp_path / "apt-calls").read_text().splitlines() == calls
