"""Prometheus metrics in production's shape: a web process and a media worker, each with a
listener of its own (METRICS_PORT), scraped before and after a meeting with aiortc peers.

The numbers move with the meeting; no label holds a person, a meeting, a name, a title
or chat text; a client inventing a message type adds no label; every metric the Grafana
dashboard draws exists in a live exposition."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests import servers
from tests.integration.media_pages import two_pages_with_media
from tests.media.media_peers import wait_for

DASHBOARD = servers.ROOT / "deploy" / "grafana" / "peer-meetings.json"
NAME_MARKER = "Zephyrmarker Quill"
CHAT_MARKER = "chatmarker-7f3a sensitive words"
INVENTED_TYPE = "zz.invented-type-marker"

Samples = dict[tuple[str, frozenset], float]


def scrape_text(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        return response.read().decode()


def parse(text: str) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def scrape(port: int) -> Samples:
    return parse(scrape_text(port))


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum over the samples of `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    logs = tmp_path_factory.mktemp("metrics")
    web_port, worker_port = servers.free_port(), servers.free_port()
    with (
        servers.seeded_on_redis(MEDIA_IN_PROCESS="false", MEDIA_HOST_ADDRESSES="127.0.0.1") as (
            env,
            demo,
        ),
        servers.media_worker(
            {**env, "METRICS_PORT": str(worker_port)}, logs / "media.log"
        ) as worker,
        servers.daphne({**env, "METRICS_PORT": str(web_port)}, logs / "web.log") as web,
    ):
        yield demo, web, web_port, worker_port, worker


def test_the_listener_is_on_loopback_and_off_the_public_port(deployment):
    _, web, web_port, worker_port, _ = deployment
    assert "meetings_sockets_open" in scrape_text(web_port)
    assert "meetings_media_packets_total" in scrape_text(worker_port)
    # the database's live counts come from the web processes only
    assert "meetings_live" not in scrape_text(worker_port)
    # the public HTTP port does not serve them
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{web}/metrics", timeout=10)
    assert refused.value.code == 404


async def test_a_meeting_moves_the_numbers_and_names_nobody(deployment):
    demo, web, web_port, worker_port, _ = deployment
    web_before, media_before = scrape(web_port), scrape(worker_port)

    pages = await two_pages_with_media(demo, web, web, names=("Co Cedar", NAME_MARKER))
    host, guest = pages.joined
    on_b = pages.sockets[1]
    try:
        await on_b.ws.send(
            json.dumps({"type": "chat.send", "text": CHAT_MARKER, "client_id": "m1"})
        )
        await on_b.ws.send(json.dumps({"type": INVENTED_TYPE, "text": CHAT_MARKER}))

        def web_moved() -> bool:
            now = scrape(web_port)

            def gained(name: str, **labels: str) -> float:
                return value(now, name, **labels) - value(web_before, name, **labels)

            return (
                gained("meetings_messages_sent_total", type="chat.message") >= 2
                and gained("meetings_errors_sent_total", code="unknown_type") >= 1
            )

        await wait_for(web_moved, timeout=10)
        # receiver reports come every second or so: wait for some from both subscribers
        await wait_for(
            lambda: value(scrape(worker_port), "meetings_media_rtt_seconds_gcount") >= 2,
            timeout=10,
        )
        web_after = scrape(web_port)
        media_text = scrape_text(worker_port)
        web_text = scrape_text(web_port)
    finally:
        await pages.close()
    media_after = parse(media_text)

    def grew(before: Samples, after: Samples, name: str, by: float = 1, **labels: str) -> None:
        was, now = value(before, name, **labels), value(after, name, **labels)
        assert now - was >= by, f"{name}{labels}: {was} -> {now}"

    # web: sockets, messages by type, errors by code, live counts, latencies
    assert value(web_after, "meetings_sockets_open") >= 2
    grew(web_before, web_after, "meetings_messages_received_total", 2, type="hello")
    grew(web_before, web_after, "meetings_messages_received_total", 1, type="chat.send")
    grew(web_before, web_after, "meetings_messages_received_total", 2, type="media.join")
    grew(web_before, web_after, "meetings_messages_received_total", 1, type="unknown")
    grew(web_before, web_after, "meetings_messages_sent_total", 2, type="welcome")
    grew(web_before, web_after, "meetings_messages_sent_total", 2, type="media.answer")
    grew(web_before, web_after, "meetings_errors_sent_total", 1, code="unknown_type")
    assert value(web_after, "meetings_live") >= 1
    connected = {"status": "admitted", "media": "camera_mic", "connection": "online"}
    assert value(web_after, "meetings_participants", **connected) >= 2
    grew(web_before, web_after, "meetings_database_seconds_count", 5)
    grew(web_before, web_after, "meetings_channel_layer_seconds_count", 3, operation="group_send")
    grew(web_before, web_after, "meetings_fanout_seconds_count", 1)
    # the worker: connections, streams, packets and bytes both ways, keyframe requests
    assert value(media_after, "meetings_media_peer_connections", state="connected") >= 2
    assert value(media_after, "meetings_media_forwarded_streams", kind="video") >= 2
    assert value(media_after, "meetings_media_forwarded_streams", kind="audio") >= 2
    for direction in ("in", "out"):
        grew(media_before, media_after, "meetings_media_packets_total", 50, direction=direction)
        grew(media_before, media_after, "meetings_media_bytes_total", 5000, direction=direction)
    assert value(media_after, "meetings_media_rtt_seconds_gcount") >= 2
    assert value(media_after, "meetings_event_loop_lag_seconds_count") > 0
    assert value(media_after, "process_cpu_seconds_total") > 0

    # nobody in the labels, nor anywhere in the text
    secrets = {
        NAME_MARKER,
        CHAT_MARKER,
        INVENTED_TYPE,
        demo.meeting_id,
        demo.meeting_id.replace("-", ""),
        pages.welcome["meeting"]["title"],
        host["participant_id"],
        guest["participant_id"],
        host["participant_id"].replace("-", ""),
        guest["participant_id"].replace("-", ""),
        "Co Cedar",
        host["token"],
        guest["token"],
    }
    for text in (web_text, media_text):
        label_values = {v for (_, labels), _ in parse(text).items() for _, v in labels}
        assert label_values, "a scan that found no labels would pass"
        for secret in secrets:
            assert not any(secret in v for v in label_values), secret
            assert secret not in text, secret


def test_an_invented_message_type_adds_no_label(deployment):
    _, _, web_port, _, _ = deployment
    types = {
        dict(labels)["type"]
        for (name, labels), _ in scrape(web_port).items()
        if name == "meetings_messages_received_total"
    }
    from signaling import protocol

    assert types == {*protocol.CLIENT_TYPES, "unknown"}


def _dashboard_metrics() -> set[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [
        target["expr"]
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
        if "expr" in target
    ]
    assert len(exprs) >= 10
    return {m for expr in exprs for m in re.findall(r"\b((?:meetings|process)_[a-z_]+)", expr)}


def test_every_metric_the_dashboard_draws_exists(deployment):
    _, _, web_port, worker_port, _ = deployment
    exposed = {name for name, _ in scrape(web_port)} | {name for name, _ in scrape(worker_port)}
    drawn = _dashboard_metrics()
    assert {"meetings_live", "meetings_media_packets_total"} <= drawn
    assert drawn - exposed == set()


def test_every_metric_exposed_is_in_the_operations_doc(deployment):
    _, _, web_port, worker_port, _ = deployment
    families = {
        re.sub(r"_g(sum|count)$", "", family.name)  # a gauge histogram's parts
        for port in (web_port, worker_port)
        for family in text_string_to_metric_families(scrape_text(port))
        if family.name.startswith("meetings_")
    }
    assert len(families) > 15
    doc = (servers.ROOT / "docs" / "operations.md").read_text()
    assert {f for f in families if f"`{f}" not in doc} == set()


def test_the_dashboard_is_grafana_json():
    dashboard = json.loads(Path(DASHBOARD).read_text())
    assert dashboard["title"] and dashboard["uid"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == "${datasource}"
        assert set(panel["gridPos"]) == {"x", "y", "w", "h"}
