"""Writes: the use-cases, one module per feature, each one transaction through `locked_room`.

Every function is keyword-only and named after what it does (`hand_raise`, `meeting_end`).
It returns an `Outcome`: the events to deliver after the commit, and whether the meeting's
media or its breakout timer changed. Refusals raise `state.RoomError` and change nothing.
"""
