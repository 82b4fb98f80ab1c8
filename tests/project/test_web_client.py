"""The web client as a part of the project: its sources, `make web`, and when
`make run` and `make test` build it (see README, "Chatting in a browser")."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess

import pytest

from tests.helpers.server import ROOT
from tests.helpers.services import IN_CI

WEB = ROOT / "web"
#: What `make web` reads; node_modules is made by npm ci.
SOURCES = ("package.json", "package-lock.json", "tsconfig.json", "build.mjs", "src")
BUILD = "cd web && npm ci --no-audit --no-fund --prefer-offline && npm run build"
#: The JavaScript budget, gzipped (docs/benchmarks.md).
BUDGET = 100 * 1024


def node_major() -> int:
    node = shutil.which("node")
    if node is None:
        return 0
    version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30)
    match = re.fullmatch(r"v(\d+)\..*", version.stdout.strip())
    return int(match.group(1)) if match else 0


def clean_copy(tmp_path):
    """The Makefile (and the files it names) and web/'s sources, as in a fresh clone.

    No node_modules, no bundle.
    """
    for name in ("Makefile", "requirements.txt", "requirements-dev.txt"):
        shutil.copy(ROOT / name, tmp_path)
    (tmp_path / "web").mkdir()
    for name in SOURCES:
        source = WEB / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / "web" / name)
        else:
            shutil.copy(source, tmp_path / "web" / name)
    return tmp_path


def make(directory, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    # Under `make test` this is a sub-make: its flags would change what it prints.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def test_the_client_never_turns_text_into_markup():
    """Server text reaches the page as text: no HTML parsing anywhere in the sources."""
    html_sinks = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(")
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((WEB / "src").rglob("*.ts"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if html_sinks.search(line)
    ]
    assert found == []


def test_the_client_packages_are_pinned_by_the_lockfile():
    package = json.loads((WEB / "package.json").read_text())
    lock = json.loads((WEB / "package-lock.json").read_text())
    wanted = {**package["dependencies"], **package["devDependencies"]}
    assert {"socket.io-client", "esbuild", "typescript"} <= set(wanted)
    for name, version in wanted.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} is not pinned: {version}"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version, name
    # The build type-checks before it bundles.
    assert package["scripts"]["build"].startswith("tsc --noEmit && ")
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert "chatapp/static/app/" in ignored and "web/node_modules/" in ignored


def test_the_image_builds_the_client_in_a_node_stage_and_keeps_only_the_bundle():
    text = (ROOT / "Dockerfile").read_text()
    stage = text[text.index("FROM node:20-slim AS web") : text.index("FROM python:3.11-slim")]
    assert "RUN npm ci" in stage and "RUN npm run build" in stage
    copied = re.findall(r"^COPY --from=web\b.*$", text, re.M)
    assert copied == [
        "COPY --from=web --chown=chatapp:chatapp /build/chatapp/static/app ./chatapp/static/app"
    ]
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {"web/node_modules", "chatapp/static/app"} <= set(ignored)


@pytest.mark.slow
def test_run_and_test_build_the_client_only_when_it_is_missing_or_stale(tmp_path):
    directory = clean_copy(tmp_path)
    bundle = directory / "chatapp/static/app/app.js"
    if node_major() >= 20:
        assert BUILD in make(directory, "-n", "web-bundle").stdout.splitlines()  # missing
        bundle.parent.mkdir(parents=True)
        bundle.touch()
        assert BUILD not in make(directory, "-n", "web-bundle").stdout
        for source in ("src/main.ts", "package-lock.json"):
            later = bundle.stat().st_mtime + 10
            os.utime(directory / "web" / source, (later, later))
            assert BUILD in make(directory, "-n", "web-bundle").stdout, source
            os.utime(bundle, (later + 10, later + 10))
    # Without Node.js the server runs anyway; `/` says how to get the client.
    plan = make(directory, "-n", "run", "VENV=venv", "NODE=/nonexistent/node").stdout
    assert BUILD not in plan and "Node.js 20 or newer is not installed" in plan
    assert plan.splitlines()[-1] == "venv/bin/python cli.py serve"
    # Both commands ask for the client before they start anything.
    for target, first in (("run", "cli.py serve"), ("test", "scripts/ensure-services")):
        lines = make(directory, "-n", target, "VENV=venv", "NODE=/nonexistent/node").stdout
        lines = lines.splitlines()
        notice = next(i for i, line in enumerate(lines) if "Node.js 20" in line)
        assert notice < next(i for i, line in enumerate(lines) if first in line), target


@pytest.mark.slow
def test_make_web_builds_the_client_from_a_clean_checkout(tmp_path):
    if node_major() < 20:
        message = "Node.js 20 or newer is not installed"
        if IN_CI:
            pytest.fail(message + " -- under CI the web client must build", pytrace=False)
        pytest.skip(message)
    directory = clean_copy(tmp_path)
    result = make(directory, "web", timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    # npm ci installed exactly the lockfile's packages.
    lock = json.loads((WEB / "package-lock.json").read_text())["packages"]
    package = directory / "web/node_modules/socket.io-client/package.json"
    installed = json.loads(package.read_text())
    assert installed["version"] == lock["node_modules/socket.io-client"]["version"]
    app = directory / "chatapp/static/app"
    script, styles = (app / "app.js").read_bytes(), (app / "app.css").read_bytes()
    assert b"innerHTML" not in script and len(styles) > 0
    # The build says how big the bundle is, and it stays in its budget.
    assert re.search(r"app\.js: [\d.]+ KB, [\d.]+ KB gzipped", result.stdout), result.stdout
    assert len(gzip.compress(script, 9)) < BUDGET
