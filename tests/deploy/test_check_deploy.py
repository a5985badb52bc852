"""`manage.py check --deploy` with the environment docker-compose.yml gives the web service:
no warning (each silenced one is silenced in meetings/settings.py with its reason)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import yaml

from tests.deploy.test_compose import COMPOSE, ENV
from tests.servers import ROOT

_VARIABLE = re.compile(r"\$\{(\w+)(?::[-?]([^}]*))?\}")


def _compose_environment(service: str) -> dict[str, str]:
    """The service's environment as compose would set it from ENV (test_compose's .env)."""
    raw = yaml.safe_load(COMPOSE.read_text())["services"][service]["environment"]

    def value(match: re.Match[str]) -> str:
        name, default = match[1], match[2] or ""
        return ENV.get(name, default if ":-" in match[0] else "")

    return {key: _VARIABLE.sub(value, str(v)) for key, v in raw.items()}


def _check_deploy(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "meetings.settings"}
    env.update(environment)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_check_deploy_finds_nothing_with_the_production_environment():
    environment = _compose_environment("web")
    assert environment["PRODUCTION"] == "true"
    assert environment["PUBLIC_BASE_URL"] == "https://meet.example.org"
    result = _check_deploy(environment)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout


def test_check_deploy_would_say_so_if_https_were_not_enforced():
    environment = {**_compose_environment("web"), "HSTS_SECONDS": "0"}
    result = _check_deploy(environment)
    assert result.returncode != 0 and "security.W004" in result.stderr
