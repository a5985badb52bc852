"""The operator's stack, checked without Docker: docker-compose.yml (and `docker-compose
config` where that tool exists), the Caddyfile and coturn's configuration."""

from __future__ import annotations

import ipaddress
import re
import shutil
import subprocess

import pytest
import yaml

from meetings.security_headers import CONTENT_SECURITY_POLICY
from tests.servers import ROOT

COMPOSE = ROOT / "docker-compose.yml"
TURN_CONF = ROOT / "deploy" / "coturn" / "turnserver.conf"
CADDYFILE = ROOT / "deploy" / "Caddyfile"
ENV = {
    "DJANGO_SECRET_KEY": "k" * 8 + "Q3v9Zr1TtY7uP0aS5dF2gH6jK8lZ4xCm7Nb0Vc5Xz2",
    "TURN_HOST": "turn.example.org",
    "TURN_SECRET": "not-a-real-secret",
    "MEDIA_HOST_ADDRESSES": "203.0.113.5",
    "SITE_ADDRESS": "meet.example.org",
    "PATH": "/usr/bin:/bin:/usr/local/bin",
}


def _services() -> dict:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def test_only_caddy_is_published_and_daphne_sits_on_internal_networks():
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    published = {
        name: [p for p in s.get("ports", []) if not str(p).startswith("127.0.0.1:")]
        for name, s in services.items()
    }
    assert {n for n, ports in published.items() if ports} == {"caddy"}
    assert sorted(published["caddy"]) == ["443:443", "443:443/udp", "80:80"]
    web = services["web"]
    assert "ports" not in web and "network_mode" not in web
    for network in web["networks"]:
        assert compose["networks"][network].get("internal") is True, network
    assert set(services["caddy"]["networks"]) & set(web["networks"]) == {"edge"}


def test_web_runs_in_production_mode_behind_the_proxy():
    env = _services()["web"]["environment"]
    assert env["PRODUCTION"] == "true" and env["TRUST_PROXY_HEADERS"] == "true"
    assert env["PUBLIC_BASE_URL"].startswith("https://")
    assert env["DJANGO_SECRET_KEY"].endswith(":?set DJANGO_SECRET_KEY}")
    assert int(env["TURN_CREDENTIAL_SECONDS"]) <= 600


def test_every_image_is_pinned_to_a_release():
    for name, service in _services().items():
        if "image" in service:
            image = service["image"]
            tag = image.rsplit(":", 1)[1]
            assert re.fullmatch(r"\d+\.\d+\.\d+|\d+\.\d+", tag), (name, image)
            assert tag.count(".") >= 1 and not tag.startswith("latest"), (name, image)
    base = re.search(r"^FROM (\S+)", (ROOT / "Dockerfile").read_text(), re.M)[1]
    assert re.search(r":\d+\.\d+\.\d+-", base), base


def test_coturn_takes_its_secret_from_a_file_never_from_argv():
    coturn = _services()["coturn"]
    argv = [*coturn.get("entrypoint", []), *coturn.get("command", [])]
    assert not any("SECRET" in str(a) for a in argv), argv
    start = (ROOT / "deploy" / "coturn" / "start.sh").read_text()
    assert "exec turnserver -c" in start and "unset TURN_SECRET" in start
    assert "umask 077" in start
    assert re.search(r"^printf .*static-auth-secret=%s.*\"\$TURN_SECRET\"", start, re.M)


@pytest.mark.skipif(not shutil.which("docker-compose"), reason="docker-compose not installed")
def test_docker_compose_config_accepts_the_file():
    result = subprocess.run(
        ["docker-compose", "-f", str(COMPOSE), "config", "-q"],
        cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    missing = {k: v for k, v in ENV.items() if k != "TURN_SECRET"}
    result = subprocess.run(
        ["docker-compose", "-f", str(COMPOSE), "config", "-q"],
        cwd=ROOT, env=missing, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0 and "set TURN_SECRET" in result.stderr


# --- coturn --------------------------------------------------------------------------


def _turn_options() -> list[tuple[str, str]]:
    options = []
    for line in TURN_CONF.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            options.append((key.strip(), value.strip()))
    return options


def _denied() -> list[tuple[ipaddress._BaseAddress, ipaddress._BaseAddress]]:
    ranges = []
    for key, value in _turn_options():
        if key == "denied-peer-ip":
            low, _, high = value.partition("-")
            ranges.append((ipaddress.ip_address(low), ipaddress.ip_address(high or low)))
    return ranges


MUST_BE_DENIED = [
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4",
    "::1/128", "::/128", "::ffff:0:0/96", "fc00::/7", "fe80::/10", "ff00::/8", "64:ff9b::/96",
]  # fmt: skip


@pytest.mark.parametrize("network", MUST_BE_DENIED)
def test_coturn_denies_private_and_special_networks(network):
    net = ipaddress.ip_network(network)
    covered = [
        (low, high) for low, high in _denied()
        if low.version == net.version and low <= net[0] and net[-1] <= high
    ]  # fmt: skip
    assert covered, f"{network} is reachable through TURN"


@pytest.mark.parametrize("address", ["8.8.8.8", "203.0.114.7", "2a00:1450:4001::1"])
def test_coturn_still_relays_to_public_addresses(address):
    ip = ipaddress.ip_address(address)
    assert not any(
        low.version == ip.version and low <= ip <= high for low, high in _denied()
    )  # fmt: skip


def test_coturn_options_harden_and_bound_it():
    keys = [k for k, _ in _turn_options()]
    values = dict(_turn_options())
    for flag in ("no-tcp-relay", "no-cli", "no-multicast-peers", "use-auth-secret", "fingerprint"):
        assert flag in keys, flag
    assert "allowed-peer-ip" not in keys  # it would open every port of an address
    assert "static-auth-secret" not in keys and "realm" not in keys  # come from start.sh
    assert 0 < int(values["user-quota"]) <= 20 and 0 < int(values["total-quota"]) <= 1000
    assert 0 < int(values["max-bps"]) <= 5_000_000
    assert int(values["min-port"]) < int(values["max-port"])


@pytest.mark.skipif(not shutil.which("turnserver"), reason="coturn not installed")
def test_coturn_itself_reads_the_configuration(tmp_path):
    """turnserver exits with an error on an unknown option; started with ours (on loopback,
    a free port) it runs until stopped."""
    from tests.servers import free_port

    conf = tmp_path / "turnserver.conf"
    port = free_port()
    text = TURN_CONF.read_text().replace("listening-port=3478", f"listening-port={port}")
    text = text.replace("log-file=stdout", f"log-file={tmp_path / 'turn.log'}")
    conf.write_text(
        text + "listening-ip=127.0.0.1\nrealm=test\nstatic-auth-secret=x\nno-stdout-log\n"
    )
    process = subprocess.Popen(
        ["turnserver", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            process.wait(3)
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0].decode(errors="replace")
    logs = "".join(p.read_text(errors="replace") for p in tmp_path.glob("turn*.log")) + output
    assert "Relay ports initialization done" in logs, logs
    assert "--no-tcp-relay: TCP relay endpoints are not allowed" in logs
    # coturn does not stop for an option it cannot read; it says so in its log
    assert "Bad configuration" not in logs, logs


# --- Caddy ---------------------------------------------------------------------------


def test_caddy_fills_in_the_apps_exact_csp_and_proxies_to_daphne():
    text = CADDYFILE.read_text()
    directives = "\n".join(line for line in text.splitlines() if not line.strip().startswith("#"))
    assert f'?Content-Security-Policy "{CONTENT_SECURITY_POLICY}"' in text
    assert "reverse_proxy web:8000" in text
    assert "tls {$TLS:internal}" in text and "{$SITE_ADDRESS:localhost}" in text
    assert "trusted_proxies" not in directives  # clients' own X-Forwarded-* are replaced
    assert "admin off" in directives and "log" not in directives.split()


@pytest.mark.skipif(not shutil.which("caddy"), reason="caddy not installed")
@pytest.mark.parametrize("tls", ["internal", "ops@example.org"])
def test_caddy_accepts_the_caddyfile(tls):
    result = subprocess.run(
        ["caddy", "adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        env={**ENV, "TLS": tls}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "meet.example.org" in result.stdout and "web:8000" in result.stdout


# --- health checks -------------------------------------------------------------------


def _probe_command(service: str) -> str:
    test = _services()[service]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], test  # the image has python, not curl
    return test[3]


def test_web_and_media_are_health_checked_on_their_readyz_over_loopback():
    assert "http://127.0.0.1:8000/readyz" in _probe_command("web")
    media = _services()["media"]
    # the port its worker got: with --scale media=K on one host, each takes the next free one
    assert (
        "'http://127.0.0.1:%s/readyz' % open(os.environ['MEDIA_WORKER_HEALTH_PORT_FILE'])"
        in _probe_command("media")
    )
    assert media["environment"]["MEDIA_WORKER_HEALTH_PORT"].startswith("${MEDIA_WORKER_HEALTH_PORT")
    assert media["environment"]["MEDIA_WORKER_HEALTH_PORT_FILE"].startswith("/tmp/")
    for name in ("web", "media"):
        check = _services()[name]["healthcheck"]
        assert check["start_period"] and int(check["retries"]) >= 2, name


def test_services_start_after_what_they_need_is_healthy_without_waiting_in_a_circle():
    services = _services()
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    for name in ("web", "media"):
        needs = services[name]["depends_on"]
        assert needs["db"]["condition"] == needs["redis"]["condition"] == "service_healthy"
    # web's /readyz waits for a worker: a worker waiting for a healthy web would never start
    assert "web" not in services["media"]["depends_on"]
    assert services["caddy"]["depends_on"]["web"]["condition"] == "service_started"


def test_the_image_holds_every_app_the_settings_install():
    from django.conf import settings

    dockerfile = (ROOT / "Dockerfile").read_text()
    ours = [app for app in settings.INSTALLED_APPS if (ROOT / app).is_dir()]
    for app in ours:
        assert f"COPY {app} {app}" in dockerfile, app
