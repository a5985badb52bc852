"""Media on an emulated network: the scenarios of tests/media/test_network.py, with figures.

    sudo python bench/network.py --json

The relay and three participants each in a Linux network namespace of their own
(tests/media/netns.py; needs root), real aiortc connections replaying pre-encoded VP8
and Opus. Prints, per scenario: decodable fps and lost frames (NACK/RTX at work), the
longest audio gap, seconds until media is back after an outage or an address change, and
for a subscriber whose link is limited: its layers, and seconds to settle and to climb back.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.media.netns import unavailable_reason
from tests.media.network_scenarios import (
    address_change,
    limited_subscriber,
    lossy_publisher,
    subscriber_outage,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="lossy publisher window")
    parser.add_argument("--loss", type=float, default=5.0, help="percent, each way")
    parser.add_argument("--jitter-ms", type=float, default=50.0)
    parser.add_argument("--outage", type=float, default=5.0, help="seconds the link is down")
    parser.add_argument("--rate-kbit", type=int, default=300, help="the limited subscriber's link")
    parser.add_argument("--json", action="store_true", help="one JSON line")
    parser.add_argument(
        "--only-limited",
        action="store_true",
        help="only the limited subscriber, with the relay's view of it every 0.25 s "
        "(wren_trace: seconds since the limit, layers, estimate, video budget, sent, "
        "loss, queued ms, paused)",
    )
    args = parser.parse_args()
    reason = unavailable_reason()
    if reason is not None:
        result: dict = {"skipped": reason}
    elif args.only_limited:
        result = {"limited_subscriber": limited_subscriber(args.rate_kbit, trace=True)}
    else:
        result = {
            "lossy_publisher": lossy_publisher(args.seconds, args.loss, args.jitter_ms),
            "subscriber_outage": subscriber_outage(args.outage),
            "address_change": address_change(),
            "address_change_without_reconnect": address_change(reconnect=False),
            # layers each subscriber ends on, seconds to settle under the limit and to
            # climb back after it, the relay's estimate for the limited subscriber
            "limited_subscriber": limited_subscriber(args.rate_kbit),
        }
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
