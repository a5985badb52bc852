"""The one rule for text that everyone in a meeting sees as a label: display names, meeting
titles, breakout room names.

NFKC-normalised, so a name written with full-width or other look-alike compatibility forms
reads as the plain letters it shows; control characters (NUL, ESC, BEL, tabs, newlines…)
and the invisible bidirectional-override characters that can make a name display as
something else are refused with a clear error rather than silently removed, so the person
sees why; runs of spaces become one.
"""

from __future__ import annotations

import unicodedata

from rooms.errors import RoomError

# Embeddings, overrides and isolates (Unicode's bidi controls), and the marks that act alike.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def refused_character(text: str) -> str | None:
    """The first character a label may not hold, described for the person, or None."""
    for char in text:
        category = unicodedata.category(char)
        if char in BIDI_CONTROLS:
            return f"an invisible text-direction character (U+{ord(char):04X})"
        if category == "Cc":
            return f"a control character (U+{ord(char):04X})"
        if category in ("Cs", "Co", "Cn"):
            return f"a character that cannot be shown (U+{ord(char):04X})"
    return None


def clean_label(
    text: str, *, what: str, code: str, max_chars: int, when_empty: str | None = None
) -> str:
    """The normalised label, or RoomError(code) saying what is wrong with it."""
    if not isinstance(text, str):
        raise RoomError(code, f"The {what} must be text.")
    text = unicodedata.normalize("NFKC", text)
    refused = refused_character(text)
    if refused:
        raise RoomError(code, f"The {what} contains {refused}; please remove it.")
    text = " ".join(text.split())
    if not text:
        raise RoomError(code, when_empty or f"Please choose a {what}.")
    if len(text) > max_chars:
        raise RoomError(code, f"The {what} can be at most {max_chars} characters.")
    return text
