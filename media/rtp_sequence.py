"""RTP sequence numbers, which wrap at 16 bits (receiver reports' extended ones too)."""


def at_or_after(sequence: int, target: int) -> bool:
    """``sequence`` is ``target`` or later (16-bit RTP numbers, receiver reports' extended)."""
    return (sequence - target) & 0xFFFF < 0x8000
