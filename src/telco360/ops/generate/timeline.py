"""What happens to the customer base between two daily exports, and who is re-sent."""

from __future__ import annotations

import numpy as np

from telco360.ops.generate import customers as cust
from telco360.shipped.contract import CUSTOMER_FEEDS

# Daily rates, as shares of active customers (at least one of each, so small samples show it).
JOIN_RATE = 0.002  # of day-1 customers
CHURN_RATE = 0.002
SERVICES_CHANGE_RATE = 0.015  # re-sent in services
STATUS_CHANGE_RATE = 0.01  # re-sent in status
MOVE_RATE = 0.001  # re-sent in location with a new zip code
POPULATION_EVERY = 7  # days; the population reference is re-sent now and then
POPULATION_CHANGE_SHARE = 0.02


def joiners_per_day(customers: int) -> int:
    return max(1, round(JOIN_RATE * customers))


def _count(rate: float, active: int) -> int:
    return min(active, max(1, round(rate * active)))


def advance(
    rng: np.random.Generator, c: cust.Customers, present: int, joining: int, zip_count: int
) -> dict[str, np.ndarray]:
    """Apply one day's events to `c` (in place); return the customers each feed re-sends.

    Customers [0, present) exist; [present, present + joining) join today."""
    active = np.flatnonzero(c.status[:present] != cust.CHURNED)
    order = rng.permutation(active)
    sizes = [
        _count(rate, len(active))
        for rate in (CHURN_RATE, SERVICES_CHANGE_RATE, STATUS_CHANGE_RATE, MOVE_RATE)
    ]
    bounds = np.minimum(np.cumsum([0, *sizes]), len(order))
    churners, services, status, movers = (
        np.sort(order[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    )
    new = np.arange(present, present + joining)
    cust.churn(rng, c, churners)
    cust.change_services(rng, c, services)
    cust.draw_scores(rng, c, status)
    c.zip_index[movers] = (c.zip_index[movers] + rng.integers(1, zip_count, size=len(movers))) % (
        zip_count
    )
    return {
        "demographics": new,
        "location": np.union1d(new, movers),
        "services": np.union1d(new, services),
        "status": np.union1d(np.union1d(new, churners), status),
    }


def add_unchanged_resends(
    rng: np.random.Generator, sends: dict[str, np.ndarray], active: np.ndarray, rate: float
) -> None:
    """Real exports re-send customers that did not change (dirty mode only)."""
    k = round(rate * len(active))
    if k == 0:
        return
    who = rng.choice(active, size=k, replace=False)
    feed_of = rng.integers(0, len(CUSTOMER_FEEDS), size=k)
    for i, feed in enumerate(CUSTOMER_FEEDS):
        sends[feed] = np.union1d(sends[feed], who[feed_of == i])
