"""What the relay does for simulcast across participants: building a layered publication
from a client's offer, choosing each subscriber's layers (and pausing videos) from its
tiles and budget, and once a second the caps it sends publishers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from functools import cached_property

from aiortc import RTCRtpTransceiver
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from .aiortc_private.codecs import negotiated_codec
from .aiortc_private.layers import LayeredIngress, route_by_mid
from .config import RelayConfig
from .events import RelayEvent
from .forwarding import Publication
from .participant import SCREEN, Participant, Slot
from .publisher_rate import publisher_cap
from .simulcast import SimulcastPublication
from .speaker import SpeakerDetector
from .video_priority import allocate, refresh_probe_budget

PublicationOf = Callable[[Slot], Publication | None]


class SimulcastControl:
    def __init__(self, config: RelayConfig, on_live: Callable[[Publication], None]) -> None:
        self.config = config
        self.on_live = on_live
        self._retired = [0, 0]  # layer switches, layer keyframe requests of closed ones

    def publish(
        self,
        participant: Participant,
        transceiver: RTCRtpTransceiver,
        codec: RTCRtpCodecParameters,
    ) -> bool:
        """A layered video publication if the client's offer sends layers on this m-line
        (and the relay's offers and answers must keep them: ``simulcast_sdp``)."""
        rids = participant.simulcast_layers.get(transceiver.mid or "")
        if not rids:
            return False
        receiver = transceiver.receiver
        publication = SimulcastPublication(
            participant.id, rids, codec, self.config.keyframe_min_interval, self.on_live
        )
        publication.retired = self._retired
        publication.forwarding = participant.forwarding["video"]
        ingress = LayeredIngress(receiver, publication.on_packet, publication.on_layer)
        publication.attach(ingress)
        participant.ingresses.append(ingress)
        participant.publications["video"] = publication
        return True

    def subscribed(
        self, participant: Participant, slot: Slot, publication_of: PublicationOf
    ) -> None:
        publication = publication_of(slot)
        if isinstance(publication, SimulcastPublication):
            slot.egress.on_missing = _retransmit_from(publication, participant.id)

    def stats(self, participants: list[Participant]) -> dict[str, int]:
        videos = [p.publications.get("video") for p in participants if not p.closed]
        found = [p for p in videos if isinstance(p, SimulcastPublication)]
        return {
            "simulcast_publishers": len(found),
            "layer_switches": self._retired[0] + sum(p.switches for p in found),
            "layer_keyframe_requests": self._retired[1] + sum(p.keyframe_requests for p in found),
        }


class SimulcastCommands:
    """The relay's simulcast commands (``Relay`` inherits them)."""

    config: RelayConfig
    _participants: dict[str, Participant]
    _get: Callable[[str], Participant]
    _publication: PublicationOf
    _on_track_live: Callable[[Publication], None]

    _speakers: dict[str, SpeakerDetector]
    _emit: Callable[[RelayEvent], None]
    _update_budgets: Callable[[], None]  # BandwidthCommands: budgets from the estimates

    @cached_property
    def _simulcast(self) -> SimulcastControl:
        return SimulcastControl(self.config, self._on_track_live)

    def _read_offer(self, participant: Participant, sdp: str) -> None:
        """After the client's offer is applied: its numbering and layers; a video m-line
        with layers becomes a layered publication (``_publish`` then leaves it be)."""
        participant.read_offer(sdp)
        for transceiver in participant.pc.getTransceivers():
            codec = negotiated_codec(transceiver)
            publishes = participant.may_publish["video"] and "video" not in participant.publications
            wanted = codec is not None and transceiver.kind == "video" and publishes
            if wanted and self._simulcast.publish(participant, transceiver, codec):  # type: ignore[arg-type]
                route_by_mid(transceiver.receiver.transport)

    def set_tiles(self, participant_id: str, tiles: dict[str, tuple[int, int]]) -> None:
        """The device-pixel size pid's page shows each publisher at (``media.tiles``);
        simulcast publishers are forwarded in the layer that covers it."""
        participant = self._get(participant_id)
        participant.tiles = dict(tiles)
        self._allocate(participant)

    def set_subscriber_budget(self, participant_id: str, bits_per_second: int | None) -> None:
        """Cap (None: no cap) for all of pid's videos together. In order of importance
        (screen share, active speaker, largest tiles, thumbnails) each keeps its lowest
        layer while the budget lasts, the rest are paused for pid (``video_priority``);
        what is left raises layers. The relay's estimate of pid's connection sets it once a
        second (``BandwidthCommands._update_budgets``)."""
        participant = self._get(participant_id)
        participant.video_budget = bits_per_second
        self._allocate(participant)

    def _subscribed(self, participant: Participant, slot: Slot) -> None:
        self._simulcast.subscribed(participant, slot, self._publication)
        if slot.kind == "video":
            self._allocate(participant)

    def _allocate(self, participant: Participant) -> None:
        if participant.closed:
            return
        detector = self._speakers.get(participant.room)
        speaker = detector.current if detector else None
        pause_min = self.config.pause_min_seconds
        told = allocate(participant, self._publication, speaker, pause_min)
        if told is not None:
            self._emit(told)

    async def _send_remb_forever(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            await self._every_second()

    async def _every_second(self) -> None:
        """Bitrates measured, each subscriber's videos re-allocated (layers that started
        or stopped, pauses that may end), then each video publisher's cap sent."""
        participants = [p for p in self._participants.values() if not p.closed]
        videos = [
            publication
            for participant in participants
            for source in ("video", SCREEN)
            if (publication := participant.publications.get(source)) is not None
        ]
        for publication in videos:
            publication.tick()
        for participant in participants:
            if participant.video_budget is not None:
                detector = self._speakers.get(participant.room)
                speaker = detector.current if detector else None
                pause_min = self.config.pause_min_seconds
                refresh_probe_budget(participant, self._publication, speaker, pause_min)
        self._update_budgets()
        for participant in participants:
            if participant.video_budget is not None or participant.told_paused:
                self._allocate(participant)
        for publication in videos:
            if publication.ingress is not None:
                cap = publisher_cap(publication, self.config, self._budget_of)
                with contextlib.suppress(Exception):
                    await publication.ingress.send_remb(cap)

    def _budget_of(self, participant_id: str) -> int | None:
        participant = self._participants.get(participant_id)
        return participant.video_budget if participant else None

    def layer_of(self, participant_id: str, publisher_id: str) -> str | None:
        """RID of the simulcast layer ``participant_id`` receives of ``publisher_id``."""
        publisher = self._participants.get(publisher_id)
        publication = publisher.publications.get("video") if publisher else None
        if not isinstance(publication, SimulcastPublication):
            return None
        return publication.layer_of(participant_id)

    def simulcast_stats(self) -> dict[str, int]:
        """Layer switches and keyframe requests to layers since the relay started."""
        return self._simulcast.stats(list(self._participants.values()))


def _retransmit_from(publication: SimulcastPublication, subscriber: str) -> Callable[[int], None]:
    def retransmit(sequence_number: int) -> None:
        publication.retransmit(subscriber, sequence_number)

    return retransmit
