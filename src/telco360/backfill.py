"""Re-run a date range, and every later committed date, in order, one at a time.

Job B builds a batch from the batch committed before it, so re-running an old date means
re-running every date after it too. Backfill first un-commits those dates (removes their commit
markers: they become pending, nothing downstream reads them) and rewinds the warehouse to before
the first of them; then the normal run takes them in order. Interrupted, it is simply run again.
"""

from __future__ import annotations

from pathlib import Path

from telco360 import lake_io, lake_state, warehouse


def dates_to_rerun(lake: str, first: str, last: str) -> list[str]:
    """`first`..`last` as landed, plus every committed date after `first`."""
    landed = [d for d in lake_state.landed_dates(lake) if first <= d <= last]
    later_committed = [d for d in lake_state.committed_dates(lake) if d >= first]
    return sorted(set(landed) | set(later_committed))


def uncommit_from(lake: str, warehouse_path: str, first: str) -> list[str]:
    """Remove the commit markers of `first` and later, and rewind the warehouse before `first`."""
    removed = [d for d in lake_state.committed_dates(lake) if d >= first]
    for day in reversed(removed):  # newest first: the committed chain stays a prefix
        lake_io.delete_tree(lake_io.join(lake, "staging", "_batches", f"batch_date={day}"))
    if Path(warehouse_path).exists():
        warehouse.rewind(warehouse_path, first)
    return removed
