"""One participant's server-side peer connection, its publications and its receiving slots."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpSender,
    RTCRtpTransceiver,
)
from aiortc.codecs import is_rtx
from aiortc.rtcconfiguration import RTCBundlePolicy
from aiortc.rtcrtpparameters import ParametersDict, RTCRtpCodecCapability, RTCRtpCodecParameters

from . import sdp_ids, simulcast_sdp
from .aiortc_private.codecs import accept_rid_extensions, negotiated_codecs, pin_codecs
from .aiortc_private.receiver import Ingress
from .aiortc_private.sender import Egress, IdleTrack, label_sender
from .bandwidth import BandwidthEstimate
from .config import RelayConfig
from .forwarding import Downtrack, Publication
from .traffic import Traffic

KINDS = ("audio", "video")
# A publisher's tracks by source: its microphone ("audio"), its camera ("video") and its
# shared screen, a second video. Keys of `publications`, `forwarding` and of slots.
SCREEN = "screen"
SOURCES = ("audio", "video", SCREEN)
# How the page is told what a track is (media.offer `tracks`).
SOURCE_NAMES = {"audio": "microphone", "video": "camera", SCREEN: "screen"}
Switch = bool | None  # forward a source, or not; None: leave it as it is


@dataclass
class Slot:
    """A sender on this participant's connection that carries one publisher's track."""

    publisher: str
    kind: str
    source: str  # one of SOURCES: a screen is a video slot like a camera's
    transceiver: RTCRtpTransceiver
    egress: Egress
    downtrack: Downtrack
    # the relay offer that first carried this slot; None until offered
    offered_in: int | None = None


def build_peer_connection(config: RelayConfig) -> RTCPeerConnection:
    # MAX_BUNDLE: with BALANCED, the 2nd and later transceivers of a kind that the
    # server adds never send (aiortc __createTransceiver). Explicit iceServers: None
    # would silently add a public STUN server.
    accept_rid_extensions()  # simulcast layers are told apart by RID; applied once
    servers = [
        RTCIceServer(urls=s.urls, username=s.username, credential=s.credential)
        for s in config.ice_servers
    ]
    return RTCPeerConnection(
        RTCConfiguration(iceServers=servers, bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
    )


class Participant:
    def __init__(
        self,
        participant_id: str,
        room: str,
        publish_audio: bool,
        publish_video: bool,
        receive_video: bool,
        pc: RTCPeerConnection,
    ) -> None:
        self.id = participant_id
        self.room = room
        self.may_publish = {"audio": publish_audio, "video": publish_video}
        # a screen is forwarded only while the server says this person shares (plan.screen)
        self.forwarding = {"audio": True, "video": True, SCREEN: False}
        self.receive_video = receive_video
        self.pc = pc
        self.publications: dict[str, Publication] = {}  # by source
        self.ingresses: list[Ingress] = []
        self.slots: dict[tuple[str, str], Slot] = {}  # (publisher, source) -> slot
        self.free: dict[str, list[tuple[RTCRtpTransceiver, Egress]]] = {k: [] for k in KINDS}
        self.egresses: list[Egress] = []
        self.negotiated = False
        # header extension uri -> id, as the client numbered them (see sdp_ids)
        self.extension_ids: dict[str, int] = {}
        # kind -> the codecs of the client's offer, with the client's payload types
        self.client_codecs: dict[str, list[RTCRtpCodecParameters]] = {}
        # mid -> RIDs of the layers the client's offer sends on that m-line (simulcast)
        self.simulcast_layers: dict[str, list[str]] = {}
        # publisher -> (width, height) the page renders them at; None until it says
        self.tiles: dict[str, tuple[int, int]] | None = None
        self.video_budget: int | None = None  # bits per second for all videos it receives
        self.bandwidth = BandwidthEstimate()  # of this connection, towards the participant
        self.padding = False  # media.padding sends its estimate's probe
        # (publisher, source) of videos paused for this budget -> since when (video_priority)
        self.paused_since: dict[tuple[str, str], float] = {}
        # resumes in a row each paused again soon after: how long it stays paused
        self.failed_resumes: dict[tuple[str, str], int] = {}
        self.resumed_at: dict[tuple[str, str], float] = {}
        self.told_paused: frozenset[tuple[str, str]] = frozenset()  # in the last VideosPaused
        self.needs_negotiation = False
        self.offers_made = 0
        self.lock = asyncio.Lock()
        self.closed = False

    def switch(self, source: str, enabled: Switch) -> bool:
        """Forwards `source` (one of SOURCES) or drops it at the relay; True when that changed."""
        if enabled is None or self.forwarding[source] == enabled:
            return False
        self.forwarding[source] = enabled
        publication = self.publications.get(source)
        if publication is not None:
            publication.set_forwarding(enabled)
        return True

    @property
    def shares_screen(self) -> bool:
        """A screen is published and the server says it is forwarded (this person shares)."""
        return SCREEN in self.publications and self.forwarding[SCREEN]

    def take_sender(
        self, publication: Publication, source: str, on_keyframe_request: Callable[[], None]
    ) -> Slot:
        """Find or create a sendonly transceiver for ``publication``."""
        kind = publication.kind
        if self.free[kind]:
            transceiver, egress = self.free[kind].pop()
        else:
            transceiver = self.pc.addTransceiver(IdleTrack(kind), direction="sendonly")
            egress = Egress(transceiver, on_keyframe_request)
            egress.rtcp_listener = self.bandwidth
            self.egresses.append(egress)
        egress.on_keyframe_request(on_keyframe_request)
        transceiver.direction = "sendonly"
        # a new track id per assignment, so the client sees a new track for a new person
        old_track = transceiver.sender.track
        transceiver.sender.replaceTrack(IdleTrack(kind))
        if old_track is not None:
            old_track.stop()
        label_sender(transceiver, publication.publisher)
        pinned = client_numbered(self.client_codecs.get(kind, []), publication.codec)
        if pinned:
            pin_codecs(transceiver, pinned)
        else:
            transceiver.setCodecPreferences(
                codec_preferences(kind, publication.codec.mimeType, publication.codec.parameters)
            )
        downtrack = Downtrack(self.id, egress, publication.codec.clockRate, kind == "video")
        return Slot(publication.publisher, kind, source, transceiver, egress, downtrack)

    def read_offer(self, sdp: str) -> None:
        """What the client's offer says beyond aiortc: extension ids, simulcast layers."""
        self.extension_ids.update(sdp_ids.extension_ids(sdp))
        self.simulcast_layers.update(simulcast_sdp.offered_layers(sdp))

    def keep_client_codecs(self) -> None:
        """After the client's offer: its m-lines keep its payload types in relay offers."""
        ours = {id(e.transceiver) for e in self.egresses}
        for transceiver in self.pc.getTransceivers():
            codecs = negotiated_codecs(transceiver)
            if id(transceiver) in ours or not codecs:
                continue
            self.client_codecs.setdefault(transceiver.kind, codecs)
            pin_codecs(transceiver, codecs)

    def release(self, slot: Slot) -> None:
        slot.transceiver.direction = "inactive"
        slot.egress.on_keyframe_request(lambda: None)
        slot.egress.on_missing = None
        self.free[slot.kind].append((slot.transceiver, slot.egress))

    def codec_calls(self) -> tuple[int, int]:
        encoder = sum(e.frames_to_encoder + int(e.encoder_created) for e in self.egresses)
        decoder = sum(i.decoder_calls for i in self.ingresses)
        return encoder, decoder

    def traffic(self) -> Traffic:
        return Traffic(
            packets_out=sum(e.packets_sent for e in self.egresses),
            bytes_in=sum(p.bytes_in for p in self.publications.values()),
            bytes_out=sum(e.bytes_sent for e in self.egresses),
            nacks_sent=sum(i.nacks_sent for i in self.ingresses),
            nacks_received=sum(e.nacks_received for e in self.egresses),
            plis_sent=sum(i.plis_sent for i in self.ingresses),
            plis_received=sum(e.plis_received for e in self.egresses),
        )

    def sending_tracks(self) -> dict[str, dict[str, str]]:
        return {
            slot.transceiver.mid: {
                "participant": slot.publisher,
                "kind": slot.kind,
                "source": SOURCE_NAMES[slot.source],
            }
            for slot in self.slots.values()
            if slot.transceiver.mid is not None
        }


def client_numbered(
    client: list[RTCRtpCodecParameters], codec: RTCRtpCodecParameters
) -> list[RTCRtpCodecParameters]:
    """The publisher's codec (and its RTX) as the subscribing client numbers it; [] if absent."""
    same = [c for c in client if c.mimeType.lower() == codec.mimeType.lower()]
    exact = [c for c in same if c.parameters == codec.parameters]
    if not (exact or same):
        return []
    chosen = (exact or same)[0]
    rtx = [c for c in client if is_rtx(c) and c.parameters.get("apt") == chosen.payloadType]
    return [chosen, *rtx[:1]]


def codec_preferences(
    sender_kind: str, mime_type: str, parameters: ParametersDict
) -> list[RTCRtpCodecCapability]:
    """Capabilities limiting a sender to the publisher's codec (plus RTX for video)."""
    chosen = []
    for capability in RTCRtpSender.getCapabilities(sender_kind).codecs:
        name = capability.mimeType.lower()
        if name == mime_type.lower() and capability.parameters == parameters:
            chosen.append(capability)
    if not chosen:
        return []  # unknown to aiortc's capabilities: let negotiation pick
    if sender_kind == "video":
        chosen += [
            c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType == "video/rtx"
        ]
    return chosen
