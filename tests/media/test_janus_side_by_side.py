"""bench/janus_side_by_side.py as an operator meets it before any Janus runs."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench" / "janus_side_by_side.py"


def run_bench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(BENCH), *args], capture_output=True, text=True, timeout=60
    )


def test_without_janus_it_says_so_and_how_to_start_one():
    # nothing listens on this port of the bench's range
    result = run_bench("--janus", "ws://127.0.0.1:22999", "--json")
    assert result.returncode != 0
    assert json.loads(result.stdout) == {"error": "No Janus answers at ws://127.0.0.1:22999."}
    assert "apt-get install -y janus" in result.stderr
    assert "--write-janus-config" in result.stderr


def test_janus_config_keeps_api_and_media_on_loopback(tmp_path):
    result = run_bench("--write-janus-config", str(tmp_path))
    assert result.returncode == 0
    core = (tmp_path / "janus.jcfg").read_text()
    websockets = (tmp_path / "janus.transport.websockets.jcfg").read_text()
    assert 'ice_enforce_list = "127.0.0.1"' in core
    assert 'rtp_port_range = "22100-22999"' in core
    assert 'ws_ip = "127.0.0.1"' in websockets
    assert "ws_port = 22088" in websockets
    assert "libjanus_videoroom.so" not in core  # the one plugin left enabled
    # the printed commands start Janus on this folder with the loopback shim preloaded
    shim = tmp_path / "loopback_ifaddrs"
    assert f"LD_PRELOAD={shim}.so janus --configs-folder={tmp_path}" in result.stdout
    assert (tmp_path / "loopback_ifaddrs.c").exists()
