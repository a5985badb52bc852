"""What a web process counts (signaling/metrics.py), read from the process's own registry."""

import json

import pytest
from prometheus_client import REGISTRY

from signaling import protocol as p
from tests.signaling.client import Client

pytestmark = pytest.mark.django_db(transaction=True)


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def label_values(name: str, label: str) -> set[str]:
    return {
        s.labels[label] for family in REGISTRY.collect() for s in family.samples if s.name == name
    }


async def test_frames_count_by_type_and_an_invented_type_counts_as_unknown(room):
    peer: Client = await room.admitted_peer("Honest Comet")
    chats = sample("meetings_messages_received_total", type="chat.send")
    unknown = sample("meetings_messages_received_total", type="unknown")
    refused = sample("meetings_errors_sent_total", code="unknown_type")
    delivered = sample("meetings_messages_sent_total", type="chat.message")

    await peer.send({"type": "chat.send", "text": "hello all"})
    await room.facilitator.expect("chat.message")
    await peer.send_raw(json.dumps({"type": "zz.made-up-by-a-client"}))
    assert (await peer.expect("error"))["code"] == "unknown_type"
    await peer.send_raw("{not json")
    await peer.expect("error")

    assert sample("meetings_messages_received_total", type="chat.send") == chats + 1
    assert sample("meetings_messages_received_total", type="unknown") == unknown + 2
    assert sample("meetings_errors_sent_total", code="unknown_type") == refused + 1
    # the room event reached both sockets of this process: counted once per socket
    assert sample("meetings_messages_sent_total", type="chat.message") >= delivered + 2
    assert label_values("meetings_messages_received_total", "type") == {*p.CLIENT_TYPES, "unknown"}
    assert sample("meetings_sockets_open") >= 2
