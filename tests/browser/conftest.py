import os
from pathlib import Path

import pytest

from tests import servers

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def embedded_server(tmp_path_factory):
    """The embedded default, as the README's first command runs it: SQLite and in-memory layer."""
    workdir = tmp_path_factory.mktemp("embedded")
    env = servers.server_env(DATABASE_URL=f"sqlite:///{workdir / 'meetings.sqlite3'}")
    servers.manage(env, "migrate", "-v0")
    demo = servers.seed_demo(env)
    with servers.daphne(env, workdir / "daphne.log") as base_url:
        yield demo, base_url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: apt-get install -y chromium"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
