"""The allocation rule: which warehouses ship which units of an order. Pure: no I/O.

One parcel when one warehouse can ship everything (the first such in priority order);
otherwise each line is split across warehouses by priority. Callers pass only the stock of
warehouses that serve the order's channel (or only the pinned store's).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class LineRequest:
    line: Hashable
    sku: str
    quantity: int


@dataclass(frozen=True)
class StockView:
    warehouse: str
    priority: int
    sku: str
    available: int


@dataclass(frozen=True)
class Pick:
    line: Hashable
    sku: str
    warehouse: str
    quantity: int


@dataclass(frozen=True)
class Shortage:
    sku: str
    requested: int
    available: int


@dataclass(frozen=True)
class Plan:
    picks: list[Pick]
    shortages: list[Shortage]

    def allocated(self, line: Hashable) -> int:
        return sum(p.quantity for p in self.picks if p.line == line)


class InsufficientStock(Exception):
    """Some SKUs have fewer units available than the order asks for."""

    def __init__(self, shortages: list[Shortage]) -> None:
        self.shortages = shortages
        super().__init__(
            ", ".join(f"{s.sku}: {s.requested} asked, {s.available} there" for s in shortages)
        )


def choose_warehouses(
    lines: Sequence[LineRequest], stock: Sequence[StockView], *, partial: bool = False
) -> Plan:
    """Pick warehouses for an order, one parcel if possible, or raise InsufficientStock.

    With ``partial`` (a webhook order, a sale that already happened) nothing is raised: what
    can be allocated is, and the rest comes back as shortages.
    """
    if any(line.quantity <= 0 for line in lines):
        raise ValueError("line quantities must be positive")
    available: dict[tuple[str, str], int] = defaultdict(int)
    priority: dict[str, int] = {}
    for view in stock:
        available[view.warehouse, view.sku] += max(view.available, 0)
        priority[view.warehouse] = view.priority
    warehouses = sorted(priority, key=lambda w: (priority[w], w))
    requested: dict[str, int] = defaultdict(int)
    for line in lines:
        requested[line.sku] += line.quantity

    shortages = [
        Shortage(sku, wanted, there)
        for sku, wanted in requested.items()
        if (there := sum(available[w, sku] for w in warehouses)) < wanted
    ]
    if shortages and not partial:
        raise InsufficientStock(shortages)

    for warehouse in warehouses:
        if all(available[warehouse, sku] >= wanted for sku, wanted in requested.items()):
            picks = [Pick(line.line, line.sku, warehouse, line.quantity) for line in lines]
            return Plan(picks, shortages)
    return Plan(_split(lines, warehouses, available), shortages)


def _split(
    lines: Sequence[LineRequest],
    warehouses: list[str],
    available: dict[tuple[str, str], int],
) -> list[Pick]:
    left = dict(available)
    picks = []
    for line in lines:
        needed = line.quantity
        for warehouse in warehouses:
            take = min(needed, left.get((warehouse, line.sku), 0))
            if take > 0:
                picks.append(Pick(line.line, line.sku, warehouse, take))
                left[warehouse, line.sku] -= take
                needed -= take
            if needed == 0:
                break
    return picks
