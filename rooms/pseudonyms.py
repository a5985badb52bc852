"""Suggested display names: friendly, not identifying, easy to say aloud."""

import secrets

_ADJECTIVES = (
    "Calm", "Gentle", "Steady", "Bright", "Quiet", "Brave", "Kind", "Warm", "Patient", "Hopeful",
    "Curious", "Open", "Clear", "Soft", "Bold", "Easy", "Honest", "Light", "Still", "True",
)  # fmt: skip
_NATURE = (
    "Heron", "Willow", "River", "Cedar", "Sparrow", "Harbor", "Meadow", "Otter", "Birch", "Comet",
    "Maple", "Falcon", "Brook", "Fern", "Lark", "Pebble", "Aspen", "Wren", "Tide", "Juniper",
)  # fmt: skip


def suggest() -> str:
    return f"{secrets.choice(_ADJECTIVES)} {secrets.choice(_NATURE)}"
