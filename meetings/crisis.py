"""Crisis resources: the phone lines, text lines and web links a person can reach right now.

One list per deployment, by country or region, from (first found) the `CRISIS_RESOURCES`
setting, the JSON file named by the `CRISIS_RESOURCES_FILE` environment variable, or the
default below. Every page of a meeting shows them one step away (the template partial
`partials/crisis_resources.html`, fed by the `context` processor here).

The file is a JSON list of regions:
    [{"region": "United States", "lines": [
        {"name": "988 Suicide & Crisis Lifeline", "phone": "988", "text": "988",
         "url": "https://988lifeline.org", "hours": "24/7"}]}]
A line needs a name and at least one of phone, text, url. A wrong file fails at start-up
(`crisis_resources` raises ImproperlyConfigured), never with a blank list on a bad day.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

EMERGENCY_NOTE = (
    "If you or someone else is in immediate danger, call your local emergency number "
    "(911 in the US and Canada, 999 or 112 in the UK and Ireland, 000 in Australia)."
)


class Line(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=120)
    phone: str = Field(default="", max_length=40)
    text: str = Field(default="", max_length=80)  # a number to text, or "text HOME to 741741"
    url: str = Field(default="", max_length=300, pattern=r"^(https://.+)?$")
    hours: str = Field(default="", max_length=80)

    @model_validator(mode="after")
    def _reachable(self) -> Line:
        if not (self.phone or self.text or self.url):
            raise ValueError("a line needs a phone, a text line or a web link")
        return self

    @property
    def phone_href(self) -> str:
        return "tel:" + "".join(c for c in self.phone if c.isdigit() or c == "+")


class Region(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    region: str = Field(min_length=1, max_length=80)
    lines: list[Line] = Field(min_length=1)


DEFAULT_RESOURCES: list[dict[str, Any]] = [
    {
        "region": "United States",
        "lines": [
            {
                "name": "988 Suicide & Crisis Lifeline",
                "phone": "988",
                "text": "988",
                "url": "https://988lifeline.org",
                "hours": "24/7",
            },
            {"name": "Crisis Text Line", "text": "Text HOME to 741741", "hours": "24/7"},
        ],
    },
    {
        "region": "Canada",
        "lines": [
            {
                "name": "9-8-8 Suicide Crisis Helpline",
                "phone": "988",
                "text": "988",
                "url": "https://988.ca",
                "hours": "24/7",
            }
        ],
    },
    {
        "region": "United Kingdom and Ireland",
        "lines": [
            {
                "name": "Samaritans",
                "phone": "116 123",
                "url": "https://www.samaritans.org",
                "hours": "24/7, free",
            },
            {"name": "Shout (UK)", "text": "Text SHOUT to 85258", "hours": "24/7"},
            {"name": "Text About It (Ireland)", "text": "Text HELLO to 50808", "hours": "24/7"},
        ],
    },
    {
        "region": "Australia",
        "lines": [
            {
                "name": "Lifeline",
                "phone": "13 11 14",
                "text": "0477 13 11 14",
                "url": "https://www.lifeline.org.au",
                "hours": "24/7",
            }
        ],
    },
    {
        "region": "Anywhere else",
        "lines": [
            {
                "name": "Find a helpline near you",
                "url": "https://findahelpline.com",
                "hours": "free, confidential lines by country",
            }
        ],
    },
]


def _source() -> tuple[str, ...]:
    """What the list is read from, as a key that changes when the list would."""
    configured = getattr(settings, "CRISIS_RESOURCES", None)
    if configured is not None:
        return ("setting", json.dumps(configured, sort_keys=True, default=str))
    path = os.environ.get("CRISIS_RESOURCES_FILE")
    if path:
        try:
            return ("file", path, str(Path(path).stat().st_mtime_ns))
        except OSError as exc:
            raise ImproperlyConfigured(f"CRISIS_RESOURCES_FILE {path}: {exc}") from None
    return ("default",)


def _raw(source: tuple[str, ...]) -> Any:
    if source[0] == "setting":
        return json.loads(source[1])
    if source[0] == "file":
        path = source[1]
        try:
            return json.loads(Path(path).read_text())
        except (OSError, ValueError) as exc:
            raise ImproperlyConfigured(f"CRISIS_RESOURCES_FILE {path}: {exc}") from None
    return DEFAULT_RESOURCES


# Every HTML page renders the list: validate each source once, not once per page.
@functools.lru_cache(maxsize=4)
def _validated(source: tuple[str, ...]) -> tuple[Region, ...]:
    raw = _raw(source)
    try:
        regions = tuple(Region.model_validate(r) for r in raw)
    except (ValidationError, TypeError) as exc:
        raise ImproperlyConfigured(f"crisis resources: {exc}") from None
    if not regions:
        raise ImproperlyConfigured("crisis resources: the list is empty")
    return regions


def crisis_resources() -> list[Region]:
    return list(_validated(_source()))


def context(request: HttpRequest) -> dict[str, Any]:
    """Template context processor: every page can include partials/crisis_resources.html."""
    return {"crisis_resources": crisis_resources(), "crisis_emergency_note": EMERGENCY_NOTE}
