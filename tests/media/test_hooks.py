"""The private aiortc/aioice hooks: fail loudly on an upgrade; loopback-only gathering."""

import ast
import importlib.metadata
import inspect
import re

import aioice.ice
import pytest
from aiortc import RTCRtpReceiver, RTCRtpSender

from media import Relay, RelayConfig
from media.aiortc_private import check, receiver
from media.aiortc_private.check import HookError, check_hooks
from media.aiortc_private.ice import restore_host_addresses
from media.aiortc_private.names import PrivateName
from tests.media.media_peers import wait_for


def test_hooks_match_the_pinned_aiortc():
    check_hooks()


def test_a_moved_private_method_is_reported_by_name(monkeypatch):
    monkeypatch.delattr(RTCRtpReceiver, "_send_rtcp_pli")
    monkeypatch.delattr(RTCRtpSender, "_send_keyframe")
    with pytest.raises(HookError) as error:
        check_hooks()
    message = str(error.value)
    assert "RTCRtpReceiver._send_rtcp_pli is gone" in message
    assert "RTCRtpSender._send_keyframe is gone" in message
    assert "aiortc==1.16.0" in message


def test_a_renamed_private_attribute_is_reported(monkeypatch):
    original_init = RTCRtpSender.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        del self._RTCRtpSender__packet_count

    monkeypatch.setattr(RTCRtpSender, "__init__", init)
    with pytest.raises(HookError, match="RTCRtpSender has no _RTCRtpSender__packet_count"):
        check_hooks()


def test_a_declared_name_that_is_missing_is_reported(monkeypatch):
    fake = PrivateName(RTCRtpReceiver, "_no_such_thing", "attribute")
    gone = PrivateName(RTCRtpSender, "_no_such_method", "method")
    monkeypatch.setattr(receiver, "PRIVATE", (*receiver.PRIVATE, fake, gone))
    with pytest.raises(HookError) as error:
        check_hooks()
    assert "RTCRtpReceiver has no _no_such_thing" in str(error.value)
    assert "RTCRtpSender._no_such_method is gone" in str(error.value)


def _uses(module) -> tuple[set[str], set[str]]:
    """(private attributes the module's code touches, names its code mentions at all),
    leaving out the PRIVATE declaration itself and the module's own ``self._x``/``_relay_x``."""
    tree = ast.parse(inspect.getsource(module))
    private, mentioned = set(), set()
    for statement in tree.body:
        targets = getattr(statement, "targets", [])
        if any(isinstance(t, ast.Name) and t.id == "PRIVATE" for t in targets):
            continue
        for node in ast.walk(statement):
            if isinstance(node, ast.Attribute):
                mentioned.add(node.attr)
                own = isinstance(node.value, ast.Name) and node.value.id == "self"
                ours = node.attr.startswith(("__", "_relay_")) or own
                if node.attr.startswith("_") and not ours:
                    private.add(node.attr)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                mentioned.add(node.value)
    return private, mentioned


@pytest.mark.parametrize("module", check.MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_each_module_declares_exactly_the_private_names_it_uses(module):
    private, mentioned = _uses(module)
    declared = {d.name for d in module.PRIVATE}
    assert private <= declared, f"used but not declared: {sorted(private - declared)}"
    assert declared <= mentioned, f"declared but not used: {sorted(declared - mentioned)}"


def test_an_upgrade_is_reported(monkeypatch):
    real_version = importlib.metadata.version
    monkeypatch.setattr(
        importlib.metadata,
        "version",
        lambda name: "1.17.0" if name == "aiortc" else real_version(name),
    )
    with pytest.raises(
        HookError, match=re.escape("aiortc is 1.17.0, the hooks were written for 1.16.0")
    ):
        check_hooks()


def _candidate_addresses(sdp):
    return {m.group(1) for m in re.finditer(r"a=candidate:\S+ \d \S+ \d+ (\S+) \d+ typ", sdp)}


async def test_relay_gathers_only_on_configured_addresses(room, make_client):
    # aioice on its own skips 127.0.0.1 and offers every other interface
    assert aioice.ice.get_host_addresses(True, True) == ["127.0.0.1"]
    alice = await make_client("alice")
    assert _candidate_addresses(alice.pc.remoteDescription.sdp) == {"127.0.0.1"}
    assert _candidate_addresses(alice.pc.localDescription.sdp) == {"127.0.0.1"}
    restore_host_addresses()
    assert "127.0.0.1" not in aioice.ice.get_host_addresses(True, False)


async def test_announced_address_replaces_host_address_in_sdp(room, make_client):
    alice = await make_client("alice")
    await wait_for(lambda: alice.pc.connectionState == "connected")
    relay = Relay(RelayConfig(host_addresses=["127.0.0.1"], announced_address="203.0.113.7"))
    try:
        await relay.join("bob", "r1")
        # alice's offer reused: only the relay's answer is inspected, never used
        answer = await relay.offer("bob", alice.pc.localDescription.sdp)
        assert _candidate_addresses(answer) == {"203.0.113.7"}
    finally:
        await relay.close()
