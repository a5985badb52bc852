import pytest
from asgiref.sync import sync_to_async

from tests.factories import make_participant
from tests.signaling.client import Client

pytestmark = pytest.mark.django_db(transaction=True)


async def test_hellos_over_the_per_address_limit_are_refused_and_told_to_retry(room, settings):
    settings.HELLO_RATE_PER_ADDRESS = "2/d"  # a day: no window ends mid-test
    _, token = await sync_to_async(make_participant)(room.meeting, "Calm Heron")
    sockets = []
    for _ in range(2):
        client = Client(room.meeting.id, token, address="198.51.100.7")
        room.track(client)
        await client.open()
        await client.expect("welcome")
        sockets.append(client)

    over = Client(room.meeting.id, token, address="198.51.100.7")
    room.track(over)
    await over.open()
    error = await over.expect("error")
    assert error["code"] == "too_many_connections"
    assert await over.expect_close() == 4500  # the page backs off and tries again

    elsewhere = Client(room.meeting.id, token, address="203.0.113.9")  # another network
    room.track(elsewhere)
    await elsewhere.open()
    await elsewhere.expect("welcome")
