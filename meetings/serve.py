"""`python -m meetings.serve <daphne arguments>`: daphne whose every line is the project's.

Daphne's own access log writes each client's address and every request path (an old-style
invite link carries its secret there), in a format of its own. It is off here: the access
lines come from meetings/access_log.py, through the LOGGING setting like every other line
(JSON, or text with LOG_FORMAT=text; docs/operations.md).
"""

from __future__ import annotations

import sys

from daphne import cli


def main(argv: list[str]) -> None:
    cli.CommandLineInterface().run(["--access-log", "/dev/null", *argv])


if __name__ == "__main__":
    main(sys.argv[1:])
