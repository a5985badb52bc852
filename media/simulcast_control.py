"""What the relay does for simulcast across participants: building a layered publication
from a client's offer, and choosing each subscriber's layers from its tiles and budget."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

from aiortc import RTCRtpTransceiver
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from .aiortc_private.codecs import negotiated_codec
from .aiortc_private.layers import LayeredIngress, route_by_mid
from .config import RelayConfig
from .forwarding import Publication
from .participant import Participant, Slot
from .simulcast import SimulcastPublication

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
            self.choose(participant, publication_of)

    def choose(self, participant: Participant, publication_of: PublicationOf) -> None:
        """Each simulcast video's layer for ``participant``: its tile, within its budget share."""
        video = [s for s in participant.slots.values() if s.kind == "video"]
        budget = participant.video_budget
        share = budget // len(video) if budget and video else None
        for slot in video:
            publication = publication_of(slot)
            if not isinstance(publication, SimulcastPublication):
                continue
            tile = None
            if participant.tiles is not None:
                tile = participant.tiles.get(slot.publisher, (0, 0))
            publication.prefer(participant.id, tile)
            publication.cap(participant.id, share)

    def remb(self, publication: Publication) -> int:
        """Once a second: the bitrate cap for the publisher (and a layered one's tick)."""
        if isinstance(publication, SimulcastPublication):
            publication.tick()
            return self.config.simulcast_max_bitrate
        return self.config.publisher_max_bitrate

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
        self._simulcast.choose(participant, self._publication)

    def set_subscriber_budget(self, participant_id: str, bits_per_second: int | None) -> None:
        """Cap (None: no cap) for all of pid's videos together, shared equally; each
        simulcast one gets the highest layer that fits its share (else the lowest). The
        per-subscriber bandwidth estimate is meant to drive this."""
        participant = self._get(participant_id)
        participant.video_budget = bits_per_second
        self._simulcast.choose(participant, self._publication)

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
