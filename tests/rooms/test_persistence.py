"""The member record lives in three shapes; this ties them so one cannot drift alone.

`state.Member` (the pure state), `models.Participant` (the row, through
`rooms/persistence.py`'s maps) and `ParticipantInfo` (the wire, via `Member.public()`).
"""

from dataclasses import fields

from rooms import persistence, shapes, state
from rooms.models import Meeting, Participant
from signaling.protocol.core import ParticipantInfo

# Participant columns that are not part of the pure state, and why.
NOT_IN_STATE = {
    "meeting",  # the Room the member belongs to
    "token_hash",  # authentication, selectors.participant_by_token
    "device_hash",  # bans, services.meetings.participant_create
    "channel_name",  # which socket is current, services.participants
    "created_at",  # load order only
    "facilitates_since",  # set by persistence when facilitating starts; chat history
    "agreement_accepted_at",  # a record of the join, services.meetings.participant_create
}
# Member fields that are not on the wire, and why.
NOT_ON_WIRE = {
    "status",  # only admitted members are listed (the lobby is listed apart)
    "disconnected_at",
    "asked_audio",  # private to the asked person (unmute.requested)
    "asked_video",
    "breakout",  # breakouts.updated lists who is where
    "banned",
    "hand_seq",  # shown as hand_raised and as the hands queue
    "muted_by",  # shown as audio
    "video_stopped_by",  # shown as video
}


def _columns(model) -> set[str]:
    return {f.attname for f in model._meta.concrete_fields} | {
        f.name for f in model._meta.concrete_fields
    }


def test_every_member_field_is_loaded_from_a_participant_column():
    member_fields = {f.name for f in fields(state.Member)}
    mapped = {**persistence.MEMBER_COLUMNS, **persistence.MEMBER_READ_ONLY}
    assert set(mapped) == member_fields
    assert set(mapped.values()) <= _columns(Participant)


def test_every_participant_column_is_mapped_or_explained():
    mapped = {**persistence.MEMBER_COLUMNS, **persistence.MEMBER_READ_ONLY}.values()
    names = {f.name for f in Participant._meta.concrete_fields}
    attnames = {f.name: f.attname for f in Participant._meta.concrete_fields}
    unmapped = {n for n in names if n not in mapped and attnames[n] not in mapped}
    assert unmapped == NOT_IN_STATE


def test_every_room_column_exists_on_the_meeting():
    room_fields = {f.name for f in fields(state.MeetingState)}
    assert set(persistence.ROOM_COLUMNS) <= room_fields
    assert set(persistence.ROOM_COLUMNS.values()) <= _columns(Meeting)


def test_the_wire_shape_is_what_member_public_gives():
    member = state.Member(
        id="a", name="A", role=state.PEER, media="camera_mic", status=state.ADMITTED
    )
    assert ParticipantInfo is shapes.ParticipantInfo  # the wire uses the domain's shape
    assert isinstance(member.public(), shapes.ParticipantInfo)
    on_wire = {f.name for f in fields(state.Member)} - NOT_ON_WIRE
    assert on_wire <= set(ParticipantInfo.model_fields)
