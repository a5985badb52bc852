"""Two facilitators' pages on real web processes, their aiortc peers seeing each other."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from tests import servers
from tests.integration.test_two_servers_on_redis import Socket, open_socket
from tests.media.media_peers import wait_for
from tests.signaling.media_peer import MediaMeeting, SocketMediaPeer, WebsocketTransport


@dataclass
class TwoPages:
    meeting: MediaMeeting
    a: SocketMediaPeer
    b: SocketMediaPeer
    sockets: tuple[Socket, Socket]
    joined: tuple[dict, dict]  # what each join over HTTP answered
    welcome: dict  # what the first page was told when its socket opened

    async def close(self) -> None:
        await self.meeting.close()
        for socket in self.sockets:
            await socket.ws.close()


async def two_pages_with_media(
    demo, server_a: str, server_b: str, names: tuple[str, str] = ("Co Cedar", "Co Heron")
) -> TwoPages:
    """The first of ``names`` joins on ``server_a``, the second on ``server_b`` (the same
    server or not); once this returns, each page has had 5 of the other's pictures.
    Close them with ``close()``."""
    joined = (
        await asyncio.to_thread(servers.facilitator_over_http, server_a, demo, names[0]),
        await asyncio.to_thread(servers.facilitator_over_http, server_b, demo, names[1]),
    )
    on_a = await open_socket(server_a, demo.meeting_id, joined[0]["token"])
    welcome = await on_a.expect("welcome")
    await on_a.expect("room.state")
    on_b = await open_socket(server_b, demo.meeting_id, joined[1]["token"])
    await on_b.expect("room.state")
    meeting = MediaMeeting()
    a = meeting.add_transport(WebsocketTransport(on_a.ws), joined[0]["participant_id"])
    b = meeting.add_transport(WebsocketTransport(on_b.ws), joined[1]["participant_id"])
    pages = TwoPages(meeting, a, b, (on_a, on_b), joined, welcome)
    try:
        await a.join()
        await b.join()
        await wait_for(lambda: len(a.counters_from(b.id)) > 5, timeout=15)
        await wait_for(lambda: len(b.counters_from(a.id)) > 5, timeout=15)
    except BaseException:
        await pages.close()
        raise
    return pages
