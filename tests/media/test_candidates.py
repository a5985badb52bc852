"""A relay on loopback never sends connectivity checks to a client's other addresses."""

from media.candidates import CandidateScope

OFFER = (
    "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    "a=candidate:1 1 udp 2122260223 192.0.2.2 54321 typ host\r\n"
    "a=candidate:2 1 udp 2122260223 127.0.0.1 54322 typ host\r\n"
    "a=candidate:3 1 udp 2122260223 0f3c.local 54323 typ host\r\n"
    "a=end-of-candidates\r\n"
)


def test_loopback_relay_keeps_only_loopback_candidates():
    scope = CandidateScope(["127.0.0.1"])
    filtered = scope.filter_sdp(OFFER)
    assert "127.0.0.1 54322" in filtered
    assert "192.0.2.2" not in filtered and ".local" not in filtered
    assert filtered.endswith("a=end-of-candidates\r\n")
    assert scope.allows("::1") and not scope.allows("192.0.2.2")


def test_relay_on_a_real_address_keeps_every_candidate():
    scope = CandidateScope(["192.0.2.2"])
    assert scope.filter_sdp(OFFER) == OFFER


async def test_trickled_candidate_for_another_address_is_ignored(room, make_client):
    await make_client("alice")
    for address, port in (("192.0.2.2", 54321), ("127.0.0.1", 54322)):
        await room.relay.add_ice_candidate(
            "alice",
            {"candidate": f"candidate:9 1 udp 2122260223 {address} {port} typ host", "sdpMid": "0"},
        )
    pc = room.relay._participants["alice"].pc
    ice = pc.getTransceivers()[0].receiver.transport.transport
    addresses = {c.ip for c in ice.getRemoteCandidates()}
    assert "127.0.0.1" in addresses and "192.0.2.2" not in addresses
