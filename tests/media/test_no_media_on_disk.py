"""No audio or video is ever written to disk: a real relay session opens no file for writing.

tests/media/relay_session.py relays two people's audio and video to a third through a real
Relay for a few seconds, in a process of its own. Python's audit hook sees every `open`
from Python code (the media package, aiortc, aioice); where strace is installed it also
watches every thread's open/openat/creat system calls, which catches native code (PyAV,
libvpx, opus) too.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.media import relay_session

ROOT = Path(__file__).resolve().parents[2]
WRITE = re.compile(r"O_WRONLY|O_RDWR|O_CREAT|O_APPEND|O_TRUNC|\bcreat\(")


def write_opens(trace: str) -> list[str]:
    """strace lines between the session's markers that open a file to write it."""
    inside = trace.split(relay_session.START_MARKER, 1)[-1].split(relay_session.END_MARKER, 1)[0]
    return [line for line in inside.splitlines() if WRITE.search(line)]


def test_the_trace_reader_would_see_a_write():
    trace = "\n".join(
        [
            f'1 openat(AT_FDCWD, "{relay_session.START_MARKER}", O_RDONLY) = -1 ENOENT',
            '2 openat(AT_FDCWD, "/tmp/call.opus", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 7',
            f'1 openat(AT_FDCWD, "{relay_session.END_MARKER}", O_RDONLY) = -1 ENOENT',
            '1 openat(AT_FDCWD, "/tmp/after.log", O_WRONLY|O_CREAT, 0666) = 8',
        ]
    )
    assert write_opens(trace) == [trace.splitlines()[1]]


def test_the_audit_hook_would_see_a_write(tmp_path, monkeypatch):
    monkeypatch.setattr(relay_session, "watching", True)
    monkeypatch.setattr(relay_session, "writes", [])
    relay_session._audit("open", (str(tmp_path / "call.ivf"), "wb", 0))
    relay_session._audit("open", (str(tmp_path / "x"), None, os.O_RDONLY))
    relay_session._audit("open", (str(tmp_path / "y"), None, os.O_WRONLY | os.O_CREAT))
    assert len(relay_session.writes) == 2


def test_relaying_opens_no_file_for_writing(tmp_path):
    command = [sys.executable, "-m", "tests.media.relay_session", "3"]
    strace = shutil.which("strace")
    log = tmp_path / "trace.txt"
    if strace:
        command = [strace, "-f", "-qq", "-e", "trace=open,openat,openat2,creat", "-o", str(log)]
        command += [sys.executable, "-m", "tests.media.relay_session", "3"]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["packets_out"] > 100  # it really relayed
    assert result["speaking"]  # and counted speech, in memory
    assert result["writes"] == []
    if not strace:
        pytest.skip("strace is not installed: only Python's own opens were audited")
    trace = log.read_text()
    assert relay_session.END_MARKER in trace
    assert write_opens(trace) == []
