"""Display names, meeting titles and room names: one rule, refused with a reason."""

import pytest

from rooms.errors import RoomError
from rooms.names import clean_label

REFUSED = {
    "NUL": "Ada\x00",
    "ESC (terminal colours)": "\x1b[31mAda",
    "BEL": "Ada\x07",
    "newline": "Ada\nAdmin",
    "DEL": "Ada\x7f",
    "right-to-left override": "Ada\u202egnp.exe",
    "left-to-right embedding": "\u202aAda",
    "first-strong isolate": "Ada\u2068",
    "right-to-left mark": "\u200fAda",
    "lone surrogate": "Ada\ud800",
    "private use": "Ada\ue000",
}


@pytest.mark.parametrize("text", REFUSED.values(), ids=REFUSED.keys())
def test_control_and_direction_characters_are_refused_with_a_reason(text):
    with pytest.raises(RoomError) as refused:
        clean_label(text, what="display name", code="invalid_name", max_chars=40)
    assert refused.value.code == "invalid_name"
    assert "display name contains" in refused.value.message
    assert "U+" in refused.value.message


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("\uff21\uff44\uff41", "Ada"),  # full-width letters read as the plain ones
        ("Cafe\u0301", "Café"),  # combining accent composed
        ("  Quiet   Fox ", "Quiet Fox"),
        ("Zoë 🌱", "Zoë 🌱"),
        ("👩\u200d👩\u200d👧 family", "👩\u200d👩\u200d👧 family"),  # emoji joiners stay
        ("مريم", "مريم"),  # right-to-left scripts are fine; only the overrides are not
    ],
)
def test_names_are_normalised_and_ordinary_text_is_kept(given, kept):
    assert clean_label(given, what="display name", code="invalid_name", max_chars=40) == kept


def test_length_counts_after_normalising_and_non_text_is_refused():
    assert clean_label("\ufb01" * 20, what="name", code="c", max_chars=40) == "fi" * 20
    with pytest.raises(RoomError):
        clean_label("\ufb01" * 21, what="name", code="c", max_chars=40)
    with pytest.raises(RoomError) as refused:
        clean_label(7, what="display name", code="invalid_name", max_chars=40)  # type: ignore[arg-type]
    assert refused.value.message == "The display name must be text."
