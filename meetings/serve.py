"""`python -m meetings.serve <daphne arguments>`: daphne with an access log fit to keep.

Daphne's own access log writes each client's address and every request path, and an
old-style invite link carries its secret in the path. This one writes neither: the
address is left out and a path under /join/ keeps only its shape. Health probes that
pass (every few seconds, from compose or an orchestrator) are not written; failing ones are.
"""

from __future__ import annotations

import re
import sys

from daphne import cli
from daphne.access import AccessLogGenerator

_INVITE_IN_PATH = re.compile(
    r"^/join/(?![0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/)[^/?#\s]+"
)


def redact(path: str) -> str:
    """The request path without an invite secret and without a query string."""
    path = path.split("?", 1)[0]
    return _INVITE_IN_PATH.sub("/join/[invite]", path)


_PROBES = {"/healthz", "/readyz"}


class PrivateAccessLog(AccessLogGenerator):
    def write_entry(self, host, date, request, status=None, length=None, **_):
        method, _, path = request.partition(" ")
        if status == 200 and path.split("?", 1)[0] in _PROBES:
            return
        super().write_entry("-", date, f"{method} {redact(path)}", status, length)


def main(argv: list[str]) -> None:
    cli.AccessLogGenerator = PrivateAccessLog  # type: ignore[misc]
    cli.CommandLineInterface().run(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
