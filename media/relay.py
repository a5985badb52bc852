"""The relay actor: commands from signaling in, events out; participants known by id only.

Negotiation: the client offers first (``offer`` returns the relay's answer) with the
tracks it publishes. Everything the relay sends to a client is added by the relay
afterwards: it adds sendonly transceivers and emits a ``Renegotiate`` event with its
own offer, which the client answers through ``answer``. When a publisher leaves, its
senders go ``inactive`` in the next offer and are reused for the next publisher.
A client offer while a relay offer is outstanding raises ``NegotiationInProgress``.

All commands run on the relay's event loop; state is only touched there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCSessionDescription
from aiortc.sdp import candidate_from_sdp

from . import sdp_ids, simulcast_sdp
from .aiortc_private.codecs import (
    keep_offered_opus_parameters,
    keep_payload_types,
    negotiated_codec,
    number_header_extensions,
)
from .aiortc_private.ice import use_host_addresses
from .aiortc_private.receiver import Ingress, drop
from .aiortc_private.transport import install_fast_receive
from .bandwidth_control import BandwidthCommands
from .candidates import CandidateScope
from .config import RelayConfig
from .errors import (
    AlreadyJoined,
    BadCandidate,
    BadSdp,
    ConnectionClosed,
    NegotiationInProgress,
    RelayClosed,
    UnexpectedAnswer,
    UnknownParticipant,
)
from .events import (
    ActiveSpeaker,
    ConnectionState,
    RelayErrorEvent,
    RelayEvent,
    Renegotiate,
    TrackLive,
    as_kind,
)
from .forwarding import Publication
from .participant import KINDS, SCREEN, Participant, Slot, Switch, build_peer_connection
from .simulcast_control import SimulcastCommands
from .speaker import SpeakerDetector, SpeakingClock
from .traffic import Traffic

logger = logging.getLogger(__name__)

_SDP_LINE = re.compile(r"^[a-z]=")

EventCallback = Callable[[RelayEvent], None]


@dataclass(frozen=True)
class RelayStats:
    participants: int
    encoder_calls: int
    decoder_calls: int
    packets_in: int
    packets_out: int
    traffic: Traffic = field(default_factory=Traffic)


class Relay(SimulcastCommands, BandwidthCommands):
    def __init__(self, config: RelayConfig | None = None, on_event: EventCallback | None = None):
        self.config = config or RelayConfig()
        self._on_event = on_event or (lambda event: None)
        self._participants: dict[str, Participant] = {}
        self._speakers: dict[str, SpeakerDetector] = {}
        self._speaking = SpeakingClock()  # share of voice: seconds only, in memory
        self._tasks: set[asyncio.Future[object]] = set()
        self._retired = [0, 0, 0, 0]  # encoder, decoder, packets in, packets out
        self._retired_traffic = Traffic()
        self._closed = False
        self._remb_task: asyncio.Task[None] | None = None
        use_host_addresses(self.config.host_addresses)
        self._candidate_scope = CandidateScope(self.config.host_addresses)
        keep_payload_types()

    # commands

    async def join(
        self,
        participant_id: str,
        room_id: str,
        publish_audio: bool = True,
        publish_video: bool = True,
        receive_video: bool = True,
    ) -> None:
        if self._closed:
            raise RelayClosed(participant_id)
        if participant_id in self._participants:
            raise AlreadyJoined(participant_id)
        pc = build_peer_connection(self.config)
        participant = Participant(
            participant_id, room_id, publish_audio, publish_video, receive_video, pc
        )
        self._participants[participant_id] = participant

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            self._emit(ConnectionState(participant_id, pc.connectionState))
            if pc.connectionState in ("failed", "closed") and not participant.closed:
                # aiortc cannot restart ICE: the client has to leave and join again
                await self._close_participant(participant)
                self._reconcile_room(participant.room)

        if self._remb_task is None:
            self._remb_task = asyncio.ensure_future(self._send_remb_forever())

    async def offer(self, participant_id: str, sdp: str) -> str:
        """Apply the client's offer; return the relay's answer SDP."""
        participant = self._get(participant_id)
        pc = participant.pc
        async with participant.lock:
            self._check_open(participant)
            if pc.signalingState != "stable":
                raise NegotiationInProgress(participant_id)
            _check_sdp(participant_id, sdp)
            sdp = self._candidate_scope.filter_sdp(sdp)
            with _as_bad_sdp(participant_id):
                await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            self._read_offer(participant, sdp)
            keep_offered_opus_parameters(pc, sdp)
            participant.keep_client_codecs()
            self._publish(participant)
            with _as_bad_sdp(participant_id):
                await pc.setLocalDescription(await pc.createAnswer())
            participant.negotiated = True
            _speed_up(participant)
            answer = self._announce(pc.localDescription.sdp, participant)
        # after the caller has the answer: relay offers must not overtake it
        asyncio.get_running_loop().call_soon(self._reconcile_room, participant.room)
        return answer

    async def answer(self, participant_id: str, sdp: str) -> None:
        """Apply the client's answer to the relay's last ``Renegotiate`` offer."""
        participant = self._get(participant_id)
        pc = participant.pc
        async with participant.lock:
            self._check_open(participant)
            if pc.signalingState != "have-local-offer":
                raise UnexpectedAnswer(participant_id, "no relay offer is outstanding")
            _check_sdp(participant_id, sdp)
            sdp = self._candidate_scope.filter_sdp(sdp)
            with _as_bad_sdp(participant_id):
                await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
            _speed_up(participant)
            for slot in participant.slots.values():
                if slot.offered_in is not None and not slot.downtrack.confirmed:
                    slot.downtrack.confirmed = True
                    publication = self._publication(slot)
                    if publication is not None:
                        publication.request_keyframe()
        if participant.needs_negotiation:
            self._spawn(self._negotiate(participant))

    async def add_ice_candidate(
        self, participant_id: str, candidate: dict[str, Any] | None
    ) -> None:
        """Add a trickled client candidate ({candidate, sdpMid, sdpMLineIndex}); None ends."""
        participant = self._get(participant_id)
        self._check_open(participant)
        if candidate is None or not candidate.get("candidate"):
            ice = None
        else:
            try:
                line = candidate["candidate"].removeprefix("candidate:")
                ice = candidate_from_sdp(line)
                ice.sdpMid = candidate.get("sdpMid")
                ice.sdpMLineIndex = candidate.get("sdpMLineIndex")
            except Exception as exc:
                raise BadCandidate(participant_id, str(exc)) from exc
            if ice.sdpMid is None and ice.sdpMLineIndex is None:
                raise BadCandidate(participant_id, "needs sdpMid or sdpMLineIndex")
            if not self._candidate_scope.allows(ice.ip):
                return  # not an error: the browser offers every address it has
        try:
            await participant.pc.addIceCandidate(ice)
        except Exception as exc:
            raise BadCandidate(participant_id, str(exc)) from exc

    async def move(self, participant_id: str, room_id: str) -> None:
        participant = self._get(participant_id)
        old_room = participant.room
        if old_room == room_id:
            return
        detector = self._speakers.get(old_room)
        if detector is not None:
            detector.remove(participant_id)
        participant.room = room_id
        self._reconcile_room(old_room)
        self._reconcile_room(room_id)

    def set_forwarding(
        self, participant_id: str, audio: Switch = None, video: Switch = None, screen: Switch = None
    ) -> None:
        """Server-enforced mute / stop video / screen share: the relay drops those packets,
        nobody gets them (None leaves a source as it is)."""
        participant = self._get(participant_id)
        participant.switch("audio", audio)
        participant.switch("video", video)
        if participant.switch(SCREEN, screen):  # a screen is offered only while it is shared
            self._reconcile_room(participant.room)

    async def leave(self, participant_id: str) -> None:
        participant = self._participants.pop(participant_id, None)
        if participant is None:
            raise UnknownParticipant(participant_id)
        detector = self._speakers.get(participant.room)
        if detector is not None:
            detector.remove(participant_id)
        self._speaking.remove(participant_id)
        self._reconcile_room(participant.room)
        await self._close_participant(participant)

    async def close(self) -> None:
        self._closed = True
        if self._remb_task is not None:
            self._remb_task.cancel()

        for participant in list(self._participants.values()):
            await self._close_participant(participant)
        self._participants.clear()
        for task in list(self._tasks):
            task.cancel()

    # queries

    def stats(self) -> RelayStats:
        encoder, decoder, packets_in, packets_out = self._retired
        traffic = self._retired_traffic
        for participant in self._participants.values():
            if participant.closed:
                continue  # counted in _retired
            traffic += participant.traffic()
            e, d = participant.codec_calls()
            encoder, decoder = encoder + e, decoder + d
            packets_in += sum(p.packets_in for p in participant.publications.values())
            packets_out += sum(s.downtrack.packets_sent for s in participant.slots.values())
        return RelayStats(
            len(self._participants), encoder, decoder, packets_in, packets_out, traffic
        )

    def connections(self) -> list[Participant]:
        """The open peer connections, for a look from outside (media/metrics.py)."""
        return [p for p in self._participants.values() if not p.closed]

    def forwarded_streams(self) -> int:
        """Tracks the relay sends on now, one per (receiver, publisher, kind)."""
        return sum(len(p.slots) for p in self._participants.values() if not p.closed)

    def take_speaking_seconds(self) -> dict[str, float]:
        """Seconds each publisher spoke since the last call (RTP audio levels, no decoding)."""
        return self._speaking.take()

    def room_of(self, participant_id: str) -> str:
        return self._get(participant_id).room

    # internals

    def _get(self, participant_id: str) -> Participant:
        participant = self._participants.get(participant_id)
        if participant is None:
            raise UnknownParticipant(participant_id)
        return participant

    def _check_open(self, participant: Participant) -> None:
        if participant.closed or participant.pc.connectionState == "closed":
            raise ConnectionClosed(participant.id)

    def _emit(self, event: RelayEvent) -> None:
        try:
            self._on_event(event)
        except Exception:
            # the event's type only: an event may carry SDP
            logger.exception(
                "relay event callback failed", extra={"message_type": type(event).__name__}
            )

    def _spawn(self, coro: Awaitable[object]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _announce(self, sdp: str, participant: Participant) -> str:
        sdp = simulcast_sdp.accept_layers(sdp, participant.simulcast_layers)  # and in offers
        announced = self.config.announced_address
        if not announced:
            return sdp
        for host in self.config.host_addresses:
            sdp = sdp.replace(f" {host} ", f" {announced} ")
            sdp = sdp.replace(f"c=IN IP4 {host}\r\n", f"c=IN IP4 {announced}\r\n")
        return sdp

    def _publish(self, participant: Participant) -> None:
        """Wrap every receiver the client's offer created; publish one audio track and up
        to two videos: the first video m-line is the camera, the second the screen."""
        known = {id(i.receiver) for i in participant.ingresses}
        for transceiver in participant.pc.getTransceivers():
            receiver = transceiver.receiver
            if receiver.track is None or id(receiver) in known:
                continue
            kind = as_kind(transceiver.kind)
            source = SCREEN if kind == "video" and "video" in participant.publications else kind
            codec = negotiated_codec(transceiver)
            if source in participant.publications or not participant.may_publish[kind] or not codec:
                participant.ingresses.append(Ingress(receiver, drop))
                continue
            publication = Publication(
                participant.id,
                kind,
                codec,
                self.config.keyframe_min_interval,
                # the page learns of a share from screenshare.updated, not from media.track
                self._on_track_live if source != SCREEN else lambda publication: None,
                self._on_audio_level,
            )
            publication.forwarding = participant.forwarding[source]
            ingress = Ingress(receiver, publication.on_packet)
            publication.attach(ingress)
            participant.ingresses.append(ingress)
            participant.publications[source] = publication

    def _publication(self, slot: Slot) -> Publication | None:
        publisher = self._participants.get(slot.publisher)
        return publisher.publications.get(slot.source) if publisher else None

    def _on_track_live(self, publication: Publication) -> None:
        self._emit(TrackLive(publication.publisher, publication.kind))

    def _on_audio_level(self, participant_id: str, level: int) -> None:
        participant = self._participants.get(participant_id)
        if participant is None:
            return
        if participant.forwarding["audio"]:  # a muted person is not heard, so not counted
            self._speaking.add(participant_id, level)
        detector = self._speakers.get(participant.room)
        if detector is None:  # not setdefault: this runs for every audio packet
            detector = self._speakers[participant.room] = SpeakerDetector()
        speaker = detector.add(participant_id, level)
        if speaker is not None:
            self._emit(ActiveSpeaker(speaker, participant.room))
            self._reconcile_room(participant.room)

    def _ordered_publishers(self, room: str) -> list[Participant]:
        members = [p for p in self._participants.values() if p.room == room]
        detector = self._speakers.get(room)
        recency = detector.recency if detector else []
        rank = {pid: i for i, pid in enumerate(recency)}
        # stable sort: recent speakers first, then everyone else in join order
        return sorted(members, key=lambda p: rank.get(p.id, len(rank)))

    def _reconcile_room(self, room: str) -> None:
        """Re-plan senders for everyone in ``room`` and everyone receiving from it."""
        ordered: dict[str, list[Participant]] = {}
        for participant in list(self._participants.values()):
            affected = participant.room == room or any(
                publisher not in self._participants
                or self._participants[publisher].room != participant.room
                for publisher, _ in participant.slots
            )
            if affected:
                if participant.room not in ordered:
                    ordered[participant.room] = self._ordered_publishers(participant.room)
                self._reconcile(participant, ordered[participant.room])

    def _reconcile(self, participant: Participant, publishers: list[Participant]) -> None:
        """Give ``participant`` a sender for each track it should get; free the rest."""
        wanted: set[tuple[str, str]] = set()
        if participant.negotiated and not participant.closed:
            others = [p for p in publishers if p.id != participant.id and not p.closed]
            wanted |= {(p.id, "audio") for p in others if "audio" in p.publications}
            if participant.receive_video:
                video = [p for p in others if "video" in p.publications]
                wanted |= {(p.id, "video") for p in video[: self.config.last_n]}
                # a share is what everyone is meant to watch: never left out by last-N
                wanted |= {(p.id, SCREEN) for p in others if p.shares_screen}
        changed = False
        for key in [k for k in participant.slots if k not in wanted]:
            slot = participant.slots.pop(key)
            publication = self._publication(slot)
            if publication is not None:
                publication.remove_downtrack(participant.id)
            participant.release(slot)
            changed = True
        for key in sorted(wanted - participant.slots.keys()):
            publication = self._participants[key[0]].publications[key[1]]
            try:
                slot = participant.take_sender(publication, key[1], publication.request_keyframe)
            except Exception:
                logger.exception("no sender for a publication")
                continue
            participant.slots[key] = slot
            publication.add_downtrack(slot.downtrack)
            self._subscribed(participant, slot)
            changed = True
        if changed:
            self._spawn(self._negotiate(participant))

    async def _negotiate(self, participant: Participant) -> None:
        pc = participant.pc
        async with participant.lock:
            if participant.closed or not participant.negotiated or pc.signalingState == "closed":
                return
            if pc.signalingState != "stable":
                participant.needs_negotiation = True
                return
            participant.needs_negotiation = False
            participant.offers_made += 1
            for slot in participant.slots.values():
                if slot.offered_in is None:
                    slot.offered_in = participant.offers_made
            try:
                offer = await pc.createOffer()
                ours, ids = sdp_ids.reuse_extension_ids(offer.sdp, participant.extension_ids)
                number_header_extensions(pc, ids)
                await pc.setLocalDescription(RTCSessionDescription(sdp=ours, type="offer"))
            except Exception as exc:
                if participant.closed or pc.signalingState == "closed":
                    return  # they left while the offer was being made: nothing to tell anyone
                logger.exception("relay offer failed")
                self._emit(RelayErrorEvent(participant.id, "negotiation_failed", str(exc)))
                return
            sdp = self._announce(pc.localDescription.sdp, participant)
            tracks = participant.sending_tracks()
        self._emit(Renegotiate(participant.id, sdp, tracks))

    async def _close_participant(self, participant: Participant) -> None:
        if participant.closed:
            return
        participant.closed = True
        encoder, decoder = participant.codec_calls()
        self._retired[0] += encoder
        self._retired[1] += decoder
        self._retired[2] += sum(p.packets_in for p in participant.publications.values())
        self._retired[3] += sum(s.downtrack.packets_sent for s in participant.slots.values())
        self._retired_traffic += participant.traffic()
        for slot in participant.slots.values():
            publication = self._publication(slot)
            if publication is not None:
                publication.remove_downtrack(participant.id)
        for publication in participant.publications.values():
            publication.close()
        with contextlib.suppress(Exception):
            await participant.pc.close()


@contextlib.contextmanager
def _as_bad_sdp(participant_id: str) -> Iterator[None]:
    """aiortc raises assorted exceptions on descriptions it cannot apply; callers get one code."""
    try:
        yield
    except Exception as exc:
        raise BadSdp(participant_id, str(exc) or type(exc).__name__) from exc


def _check_sdp(participant_id: str, sdp: str) -> None:
    # aiortc accepts nearly any text as a description: refuse what is plainly not SDP
    if not isinstance(sdp, str) or not sdp.startswith("v=0"):
        raise BadSdp(participant_id, "not an SDP description")
    for line in sdp.splitlines():
        if line and not _SDP_LINE.match(line):
            raise BadSdp(participant_id, f"not an SDP line: {line[:40]!r}")
    if "\nm=" in sdp and ("a=ice-ufrag:" not in sdp or "a=fingerprint:" not in sdp):
        raise BadSdp(participant_id, "media without ICE credentials or DTLS fingerprint")


def _speed_up(participant: Participant) -> None:
    for transport in {t.receiver.transport for t in participant.pc.getTransceivers()}:
        install_fast_receive(transport)


__all__ = ["KINDS", "Relay", "RelayStats"]
