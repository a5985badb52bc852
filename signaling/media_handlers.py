"""Media negotiation: passed to the meeting's media worker, which answers on its own."""

from __future__ import annotations

from rooms.errors import RoomError
from signaling import media_bridge
from signaling import protocol as p
from signaling.session import Handler, Session


async def media_join(session: Session, message: p.MediaJoin):
    if not session.in_room:
        raise RoomError("not_admitted", "You are not in the meeting room yet.")
    await media_bridge.command(
        session.meeting_id, "join", session.participant_id, receive_video=message.receive_video
    )
    return []


async def media_offer(session: Session, message: p.MediaOfferIn):
    await media_bridge.command(session.meeting_id, "offer", session.participant_id, sdp=message.sdp)
    return []


async def media_answer(session: Session, message: p.MediaAnswerIn):
    await media_bridge.command(
        session.meeting_id, "answer", session.participant_id, sdp=message.sdp
    )
    return []


async def media_candidate(session: Session, message: p.MediaCandidate):
    candidate = message.candidate.model_dump() if message.candidate else None
    await media_bridge.command(
        session.meeting_id, "candidate", session.participant_id, candidate=candidate
    )
    return []


async def media_tiles(session: Session, message: p.MediaTiles):
    tiles = {pid: [size.width, size.height] for pid, size in message.tiles.items()}
    await media_bridge.command(session.meeting_id, "tiles", session.participant_id, tiles=tiles)
    return []


async def media_leave(session: Session, message: p.MediaLeave):
    await media_bridge.command(session.meeting_id, "leave", session.participant_id)
    return []


async def media_ice(session: Session, message: p.MediaIceRefresh):
    # Only a socket in the room gets credentials: a removed person's socket is closed and
    # their token no longer opens one, so nobody is given TURN access after a removal.
    if not session.in_room:
        raise RoomError("not_admitted", "You are not in the meeting room yet.")
    await session.send_message(
        p.server_message(
            "media.ice",
            ice_servers=media_bridge.ice_servers_for_client(),
            ice_ttl_seconds=media_bridge.ice_ttl_seconds(),
        )
    )
    return []


MEDIA_HANDLERS: dict[type, Handler] = {
    p.MediaJoin: media_join,
    p.MediaOfferIn: media_offer,
    p.MediaAnswerIn: media_answer,
    p.MediaCandidate: media_candidate,
    p.MediaLeave: media_leave,
    p.MediaIceRefresh: media_ice,
    p.MediaTiles: media_tiles,
}
