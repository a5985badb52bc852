import asyncio
import importlib.util
import logging

import pytest

from tests.media.media_peers import Client, relay_room

# aiortc logs a warning per undecodable frame while a subscriber waits for a keyframe
logging.getLogger("aiortc").setLevel(logging.ERROR)


def pytest_asyncio_loop_factories(config, item):
    """Every async media test runs on asyncio and, when installed, on uvloop: the media
    worker can run on either (``--loop``), and the relay's send path differs between them."""
    factories = {"asyncio": asyncio.new_event_loop}
    if importlib.util.find_spec("uvloop") is not None:
        import uvloop

        factories["uvloop"] = uvloop.new_event_loop
    return factories


@pytest.fixture
async def room(request):
    """A relay on 127.0.0.1 plus a router for its events; closes everything afterwards.
    A test module may set ``RELAY_OPTIONS`` (relay_room's keyword arguments) for its relay."""
    async with relay_room(**getattr(request.module, "RELAY_OPTIONS", {})) as test_room:
        yield test_room


@pytest.fixture
def make_client(room):
    async def make(participant_id: str, room_id: str = "r1", **kwargs) -> Client:
        number = len(room.clients) + 1
        client = room.add(Client(room.relay, participant_id, room_id, number=number, **kwargs))
        await client.join()
        return client

    return make
