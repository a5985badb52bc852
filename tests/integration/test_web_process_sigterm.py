"""SIGTERM to one of two web processes mid-meeting, with media flowing through its in-process
relay (aiortc's decoder threads used to keep a stopped process alive): its people are told
to reconnect (4503), land on the other process as themselves, nobody counts as left, and the
stopped process is gone within 10 s."""

import asyncio
import signal
import time

import pytest

from tests import servers
from tests.integration.peers import connect, watcher_and_two_to_move
from tests.integration.test_two_servers_on_redis import open_socket
from tests.media.media_peers import wait_for
from tests.signaling.media_peer import MediaMeeting, WebsocketTransport


@pytest.mark.timeout(150)
async def test_sigterm_hands_its_people_to_the_other_process_and_exits_within_10_s(tmp_path):
    with servers.two_web_processes_on_redis(tmp_path, MEDIA_HOST_ADDRESSES="127.0.0.1") as web:
        demo, server_a, process_a, server_b = web
        watcher, sage, gull = await watcher_and_two_to_move(
            server_a, server_b, demo, ("Moving Sage", "Moving Gull")
        )
        on_a = [await open_socket(server_a, demo.meeting_id, p["token"]) for p in (sage, gull)]
        for socket in on_a:
            await socket.expect("room.state")
        await on_a[0].ws.send('{"type": "hand.raise"}')
        await watcher.expect(
            "hands.updated", where=lambda m: m["queue"] == [sage["participant_id"]]
        )
        meeting = MediaMeeting()
        try:
            media = [
                meeting.add_transport(WebsocketTransport(s.ws), p["participant_id"])
                for s, p in zip(on_a, (sage, gull), strict=True)
            ]
            for peer in media:
                await peer.join()
            await wait_for(lambda: len(media[0].counters_from(media[1].id)) > 5, timeout=20)

            process_a.send_signal(signal.SIGTERM)
            stopped = time.monotonic()
            for socket in on_a:
                async with asyncio.timeout(5):
                    await socket.ws.wait_closed()
                assert socket.ws.close_code == 4503
            # the page reconnects at once; the load balancer sends it to a live process
            back = {}
            for who in (sage, gull):
                back[who["participant_id"]] = peer = await connect(
                    server_b, demo.meeting_id, who["token"], expect=None
                )
                assert (await peer.expect("welcome"))["participant_id"] == who["participant_id"]
                state = await peer.expect("room.state")
                assert state["hands"] == [sage["participant_id"]]
            await asyncio.to_thread(process_a.wait, 10 - (time.monotonic() - stopped))
            assert time.monotonic() - stopped < 10
        finally:
            await meeting.close()

        await asyncio.sleep(3)  # longer than a presence beat: nobody is swept away either
        seen = []
        while not watcher.messages.empty():
            seen.append(watcher.messages.get_nowait())
        assert [m for m in seen if m["type"] == "participant.left"] == []
        for pid, peer in back.items():
            assert not peer.reader.done(), pid
        await back[gull["participant_id"]].send("chat.send", text="still here")
        await watcher.expect("chat.message", where=lambda m: m["message"]["text"] == "still here")
        log = (tmp_path / "a.log").read_text()
        assert "exiting" not in log and "Traceback" not in log, log[-3000:]
