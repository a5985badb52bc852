"""Each subscriber's bandwidth estimate (``media.bandwidth``), fed by the RTCP its
connection's senders receive, turned once a second into its video budget."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable

from .aiortc_private.sender import PACKET_OVERHEAD
from .padding import pad
from .participant import Participant


class BandwidthCommands:
    """The relay's bandwidth upkeep and query (``Relay`` inherits them)."""

    _participants: dict[str, Participant]
    _get: Callable[[str], Participant]
    set_subscriber_budget: Callable[[str, int | None], None]
    _spawn: Callable[[Awaitable[object]], None]

    def _update_budgets(self) -> None:
        """Once a second: every subscriber's estimate, and its videos' budget from it."""
        may_pad = padding_probes()
        for participant in list(self._participants.values()):
            if participant.closed:
                continue
            sent = reserved = video_headers = 0
            streams: dict[int, tuple[int, int]] = {}
            sequences: dict[int, int] = {}
            for egress in participant.egresses:
                headers = egress.packets_sent * PACKET_OVERHEAD * 8
                sent += egress.bytes_sent * 8 + headers
                streams[egress.ssrc] = (egress.bytes_sent * 8 + headers, egress.packets_sent)
                audio = egress.transceiver.kind == "audio"
                reserved += egress.bytes_sent * 8 + headers if audio else headers
                video_headers += 0 if audio else headers
                if egress.last_seq is not None:
                    sequences[egress.ssrc] = egress.last_seq
            bandwidth = participant.bandwidth
            bandwidth.can_pad = may_pad and any(e.can_pad for e in participant.egresses)
            bandwidth.update(
                sent,
                reserved,
                streams=streams,
                video_headers_bits=video_headers,
                sequences=sequences,
            )
            if bandwidth.padding_bps and not participant.padding:
                self._spawn(pad(participant))  # it ends when padding_bps is 0 again
            budget = bandwidth.video_budget
            if budget != participant.video_budget:
                self.set_subscriber_budget(participant.id, budget)

    def bandwidth_of(self, participant_id: str) -> dict[str, int | float | list[str] | None]:
        """What the relay thinks it can send ``participant_id`` (bits per second; None:
        no limit seen), what it sent over the last second, how long its packets last
        waited in a queue on the way (ms over the fastest trip; None: not known), whose
        videos it pauses, the video budget its next step up needs (None: none to take)
        and the padding it probes for more with now."""
        participant = self._get(participant_id)
        bandwidth = participant.bandwidth
        return {
            "paused": sorted(
                f"{publisher}:{source}" for publisher, source in participant.told_paused
            ),
            "estimate_bps": bandwidth.estimate,
            "video_budget_bps": bandwidth.video_budget,
            "sent_bps": bandwidth.sent_bps,
            "loss": None if bandwidth.loss is None else round(bandwidth.loss, 3),
            "queued_ms": None if bandwidth.queued is None else round(bandwidth.queued * 1000),
            "decreases": bandwidth.decreases,
            "probe_budget_bps": bandwidth.probe_budget,
            "padding_bps": bandwidth.padding_bps,
        }


def padding_probes() -> bool:
    """Probe with padding (``media.padding_probe``) unless ``MEDIA_PADDING_PROBES=0``,
    which makes the next step itself the probe, as before padding."""
    return os.environ.get("MEDIA_PADDING_PROBES", "1") != "0"
