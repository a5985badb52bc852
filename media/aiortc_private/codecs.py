"""What a transceiver negotiates: pinned codecs and payload types, header-extension ids;
and (for a relay process) a count of every encode/decode aiortc's codecs do."""

from __future__ import annotations

import copy
from typing import Any

from aiortc import RTCPeerConnection, RTCRtpTransceiver, rtcpeerconnection
from aiortc.codecs import HEADER_EXTENSIONS, g711, g722, h264, is_rtx, opus, vpx
from aiortc.rtcrtpparameters import RTCRtpCodecParameters, RTCRtpHeaderExtensionParameters
from aiortc.sdp import SessionDescription

from .names import PrivateName

ENCODERS = [vpx.Vp8Encoder, h264.H264Encoder, opus.OpusEncoder, g722.G722Encoder]
ENCODERS += [g711.PcmuEncoder, g711.PcmaEncoder]
DECODERS = [vpx.Vp8Decoder, h264.H264Decoder, opus.OpusDecoder, g722.G722Decoder]
DECODERS += [g711.PcmuDecoder, g711.PcmaDecoder]

PRIVATE = (
    PrivateName(rtcpeerconnection, "filter_preferred_codecs", "method"),  # replaced
    PrivateName(RTCRtpTransceiver, "_codecs", "attribute"),
    PrivateName(RTCRtpTransceiver, "_preferred_codecs", "attribute"),
    PrivateName(RTCRtpTransceiver, "_headerExtensions", "attribute"),
    # public methods, but replaced on the classes by count_codec_calls()
    *(PrivateName(c, "encode", "method") for c in ENCODERS),
    *(PrivateName(c, "decode", "method") for c in DECODERS),
)


def negotiated_codec(transceiver: RTCRtpTransceiver) -> RTCRtpCodecParameters | None:
    """The codec a transceiver sends or receives with, once negotiated."""
    codecs = [c for c in transceiver._codecs if not is_rtx(c)]
    return codecs[0] if codecs else None


class PinnedCodecs(list):
    """Codec "preferences" that are the exact codecs, payload types included, to offer."""


_original_filter_preferred_codecs = rtcpeerconnection.filter_preferred_codecs


def _filter_preferred_codecs(codecs: list, preferred: list) -> list:
    if isinstance(preferred, PinnedCodecs):
        return copy.deepcopy(list(preferred))
    return _original_filter_preferred_codecs(codecs, preferred)


def keep_payload_types() -> None:
    """Let pin_codecs() hold a transceiver's payload types across renegotiations.

    aiortc's createOffer renumbers every m-line with its own payload types, even the
    ones the client's offer numbered: a browser then sends with the new numbers and
    the receivers, registered with the old ones, drop everything. Applied once.
    """
    rtcpeerconnection.filter_preferred_codecs = _filter_preferred_codecs


RID_EXTENSIONS = (
    "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
    "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
)


def accept_rid_extensions() -> None:
    """Negotiate the RID header extensions on video, so simulcast layers can be told apart.

    aiortc parses them but never offers or accepts them; answers and offers keep the
    client's ids (sdp_ids). Applied once.
    """
    video = HEADER_EXTENSIONS["video"]
    for uri in RID_EXTENSIONS:
        if all(x.uri != uri for x in video):
            free = max(x.id for x in video) + 1
            video.append(RTCRtpHeaderExtensionParameters(id=free, uri=uri))


def pin_codecs(transceiver: RTCRtpTransceiver, codecs: list[RTCRtpCodecParameters]) -> None:
    """Offer and accept exactly ``codecs`` on this transceiver from now on."""
    transceiver._preferred_codecs = PinnedCodecs(codecs)


def negotiated_codecs(transceiver: RTCRtpTransceiver) -> list[RTCRtpCodecParameters]:
    return list(transceiver._codecs)


def number_header_extensions(pc: RTCPeerConnection, ids: dict[str, int]) -> None:
    """Give every transceiver's header extensions the ids of ``ids`` (uri -> id); see sdp_ids."""
    for transceiver in pc.getTransceivers():
        transceiver._headerExtensions = [
            RTCRtpHeaderExtensionParameters(id=ids[x.uri], uri=x.uri)
            for x in transceiver._headerExtensions
            if x.uri in ids
        ]


# Opus receiver preferences a publisher reads from our answer: in-band FEC (a lost packet
# is rebuilt from the next one), DTX (nothing sent in silence) and the shortest packet.
OPUS_PASSED_THROUGH = ("useinbandfec", "usedtx", "minptime")


def keep_offered_opus_parameters(pc: RTCPeerConnection, offer_sdp: str) -> None:
    """Negotiated Opus keeps the offer's FEC/DTX parameters (aiortc's answer drops every
    fmtp of a codec it matched): a browser only adds in-band FEC, or stops sending in
    silence, when the answer asks for it, and subscribers decode what it sends anyway.
    Call after setRemoteDescription(offer), before createAnswer."""
    offered: dict[tuple[str | None, int | None], dict] = {}
    for media in SessionDescription.parse(offer_sdp).media:
        for codec in media.rtp.codecs:
            if codec.mimeType.lower() == "audio/opus":
                wanted = {k: v for k, v in codec.parameters.items() if k in OPUS_PASSED_THROUGH}
                offered[(media.rtp.muxId, codec.payloadType)] = wanted
    for transceiver in pc.getTransceivers():
        for codec in transceiver._codecs:
            parameters = offered.get((transceiver.mid, codec.payloadType))
            if parameters and codec.mimeType.lower() == "audio/opus":
                codec.parameters = {**codec.parameters, **parameters}


def count_codec_calls() -> dict[str, int]:
    """Count every encode/decode by any aiortc codec in this process (for a relay process).

    Returns the live counter dict: {"encoder": n, "decoder": n}.
    """
    counts = {"encoder": 0, "decoder": 0}
    classes: list[tuple[type, str, str]] = [(c, "encode", "encoder") for c in ENCODERS]
    classes += [(c, "decode", "decoder") for c in DECODERS]
    for cls, method, key in classes:
        original = getattr(cls, method)

        def counted(self: Any, *args: Any, _original: Any = original, _key: str = key) -> Any:
            counts[_key] += 1
            return _original(self, *args)

        setattr(cls, method, counted)
    return counts
