"""The project's log lines as a test reads them: parsed JSON objects."""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from meetings import logs


def parsed(text: str) -> list[dict[str, Any]]:
    """Every line of a process's output as JSON; fails on a line that is not one object."""
    lines = []
    for line in text.splitlines():
        entry = json.loads(line)
        assert isinstance(entry, dict), line
        lines.append(entry)
    return lines


def read(path: Path) -> list[dict[str, Any]]:
    return parsed(path.read_text())


@contextlib.contextmanager
def captured(level: int = logging.DEBUG) -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """Formats every record as LOGGING does, when it is emitted (so with the context ids
    of the request or socket it happened in); yields a function that returns the lines."""
    spec = dict(logs.config(fmt="json")["formatters"]["structured"])
    factory = spec.pop("()")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(factory(**spec))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(level)
    try:
        yield lambda: parsed(stream.getvalue())
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
