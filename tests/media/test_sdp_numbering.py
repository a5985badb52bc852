"""Relay offers keep the client's numbering: header extension ids and payload types.

A browser refuses an offer that renumbers an extension it numbered, and sends with the
payload types of the latest offer; aiortc's own clients number like the relay, so only
these pure checks and tests/browser/test_video_meeting.py see the difference.
"""

from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from media.participant import client_numbered
from media.sdp_ids import extension_ids, reuse_extension_ids

MID = "urn:ietf:params:rtp-hdrext:sdes:mid"
LEVEL = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
ABS_SEND_TIME = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
BROWSER_OFFER = (
    "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    f"a=extmap:1 {LEVEL}\r\na=extmap:2 {ABS_SEND_TIME}\r\na=extmap:4 {MID}\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
    f"a=extmap:2 {ABS_SEND_TIME}\r\na=extmap:4 {MID}\r\na=extmap:14 urn:ietf:params:rtp-hdrext:toffset\r\n"
)
AIORTC_OFFER = (
    "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 96\r\n"
    f"a=extmap:1 {MID}\r\na=extmap:2 {LEVEL}\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 97 98\r\n"
    f"a=extmap:1 {MID}\r\na=extmap:3 {ABS_SEND_TIME}\r\n"
    "a=extmap:5/sendonly urn:example:not-offered-by-the-client\r\n"
    "a=extmap:4 urn:example:also-not-offered\r\n"
)


def test_relay_offer_takes_the_client_extension_ids():
    client = extension_ids(BROWSER_OFFER)
    assert client == {LEVEL: 1, ABS_SEND_TIME: 2, MID: 4, "urn:ietf:params:rtp-hdrext:toffset": 14}
    sdp, chosen = reuse_extension_ids(AIORTC_OFFER, client)
    assert f"a=extmap:4 {MID}\r\na=extmap:1 {LEVEL}\r\n" in sdp
    assert f"a=extmap:4 {MID}\r\na=extmap:2 {ABS_SEND_TIME}\r\n" in sdp
    # an extension the client never numbered gets an id the client has not used
    assert "a=extmap:5/sendonly urn:example:not-offered-by-the-client\r\n" in sdp
    assert chosen["urn:example:not-offered-by-the-client"] == 5
    # ... and one whose id the client took for something else gets a free one
    assert "a=extmap:3 urn:example:also-not-offered\r\n" in sdp
    assert len(set(chosen.values())) == len(chosen)


def test_without_client_ids_the_offer_is_unchanged():
    sdp, chosen = reuse_extension_ids(AIORTC_OFFER, {})
    assert sdp == AIORTC_OFFER
    assert chosen[MID] == 1


def _codec(mime, pt, **parameters):
    return RTCRtpCodecParameters(
        mimeType=mime, clockRate=90000, payloadType=pt, parameters=parameters
    )


def test_subscriber_slots_use_the_client_payload_types():
    client = [
        _codec("video/VP8", 96),
        _codec("video/rtx", 97, apt=96),
        _codec("video/H264", 102, **{"packetization-mode": "1"}),
        _codec("video/rtx", 103, apt=102),
    ]
    publisher_codec = _codec("video/VP8", 97)  # as another client numbered it
    assert [c.payloadType for c in client_numbered(client, publisher_codec)] == [96, 97]
    h264 = _codec("video/H264", 100, **{"packetization-mode": "1"})
    assert [c.payloadType for c in client_numbered(client, h264)] == [102, 103]
    assert client_numbered(client, _codec("video/AV1", 45)) == []
