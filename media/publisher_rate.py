"""The bitrate cap the relay sends each video publisher (REMB), from what its
subscribers watch, so a publisher's browser does not encode and send what nobody gets.

- Simulcast: a browser spends its allowance on its layers lowest first and switches a
  layer off that the allowance cannot pay for. Below the top layer, the cap is the sum of
  the layers up to the highest one some subscriber wants (its tile and budget, as if
  every layer were sent; a paused video is not watched), with ``HEADROOM``: the layers
  above go quiet. When a subscriber wants the top layer the cap is the configured
  maximum again; the browser turns the layer back on and the relay asks for a keyframe
  of it when it flows (``SimulcastPublication.tick``). Nobody watching: the lowest layer
  only, so a newcomer sees a picture at once.
- One layer (and a screen share): the smallest of the configured maximum and the highest
  budget among the subscribers it is sent to (a subscriber without a budget counts as
  unlimited; nobody receiving it: the maximum, as before there were budgets). The best
  connected viewer decides: lower would spoil their picture for the weaker ones, who get
  fewer of their other videos paused instead (``video_priority``).
"""

from __future__ import annotations

from collections.abc import Callable

from .config import RelayConfig
from .forwarding import Publication
from .simulcast import Layer, SimulcastPublication, wanted_layer

HEADROOM = 1.25
# A layer not measured yet (or hardly sending) still gets this much (Chromium's smallest
# layer's minimum bitrate); above it HEADROOM lets a layer's encoder rise 25 % a second.
LAYER_FLOOR = 30_000
MIN_CAP = 50_000

BudgetOf = Callable[[str], int | None]


def publisher_cap(publication: Publication, config: RelayConfig, budget_of: BudgetOf) -> int:
    if isinstance(publication, SimulcastPublication):
        return simulcast_cap(publication, config.simulcast_max_bitrate)
    return single_layer_cap(publication, config.publisher_max_bitrate, budget_of)


def simulcast_cap(publication: SimulcastPublication, maximum: int) -> int:
    layers = publication.layers
    count = len(layers)
    ordered = sorted(layers, key=lambda x: (x.size(count)[0] * x.size(count)[1], x.rank))
    watched = [
        wanted_layer(layers, choice)
        for subscriber, choice in publication.choices.items()
        if (downtrack := publication.downtracks.get(subscriber)) and not downtrack.paused
    ]
    highest = max((ordered.index(layer) for layer in watched), default=0)
    if highest == count - 1:
        return maximum
    needed = sum(_rate(layer) for layer in ordered[: highest + 1])
    return min(maximum, int(needed * HEADROOM))


def _rate(layer: Layer) -> int:
    return max(layer.sent_bitrate, LAYER_FLOOR)


def single_layer_cap(publication: Publication, maximum: int, budget_of: BudgetOf) -> int:
    budgets = [
        budget_of(subscriber)
        for subscriber, downtrack in publication.downtracks.items()
        if not downtrack.paused
    ]
    if not budgets or None in budgets:
        return maximum
    return max(MIN_CAP, min(maximum, max(b for b in budgets if b is not None)))
