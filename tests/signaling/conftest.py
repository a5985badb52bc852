import asyncio
import contextlib

import pytest
from asgiref.sync import sync_to_async

from signaling import media_bridge
from signaling.db import close_connections
from tests.factories import make_meeting, make_participant
from tests.signaling.client import Client
from tests.signaling.media_peer import MediaMeeting

pytestmark = pytest.mark.django_db(transaction=True)


class Meeting:
    """A meeting with a connected facilitator, and a way to bring in more people."""

    def __init__(self, meeting, facilitator: Client, clients: list[Client]) -> None:
        self.meeting = meeting
        self.facilitator = facilitator
        self._clients = clients

    async def connect(self, name: str, *, role: str = "peer", media: str = "camera_mic") -> Client:
        participant, token = await sync_to_async(make_participant)(
            self.meeting, name, role=role, media=media
        )
        client = Client(self.meeting.id, token)
        client.participant_id = str(participant.id)
        self._clients.append(client)
        await client.open()
        await client.expect("welcome")
        return client

    def track(self, client: Client) -> None:
        """Closes `client` with the others at the end of the test."""
        self._clients.append(client)

    async def admitted_peer(self, name: str, media: str = "camera_mic") -> Client:
        peer = await self.connect(name, media=media)
        await peer.expect("lobby.waiting")
        await self.facilitator.expect("lobby.updated")
        await self.facilitator.send({"type": "lobby.admit", "participant_id": peer.participant_id})
        await peer.expect("room.state")
        await peer.expect("checkin.state")  # each feature's state follows room.state
        await self.facilitator.expect("participant.joined")
        return peer


@pytest.fixture
async def room(transactional_db):
    meeting = await sync_to_async(make_meeting)(lobby_enabled=True)
    clients: list[Client] = []
    holder = Meeting(meeting, None, clients)  # type: ignore[arg-type]
    holder.facilitator = await holder.connect("Facilitator Fern", role="facilitator")
    await holder.facilitator.expect("room.state")
    await holder.facilitator.expect("checkin.state")
    yield holder
    for client in clients:
        with contextlib.suppress(Exception):
            await client.close()
    await media_bridge.stop_local_worker()


@pytest.fixture
async def media():
    """aiortc pages for the test's sockets (tests/signaling/media_peer.py); closed after."""
    meeting = MediaMeeting()
    yield meeting
    await meeting.close()


@pytest.fixture(scope="session", autouse=True)
def database_threads_let_go(django_db_setup, django_db_blocker):
    """The connections these tests open off the main thread (signaling.db's threads, the
    factories' sync_to_async thread) close before the test database is dropped, which
    fails while they are open ("being accessed by other users")."""
    yield
    with django_db_blocker.unblock():
        asyncio.run(close_connections())
