"""Re-run a date range, and every later committed date, in order, one at a time.

Job B builds a batch from the batch committed before it, so re-running an old date means
re-running every date after it too. Backfill first un-commits those dates (removes their commit
markers: they become pending, nothing downstream reads them); then the normal run takes them in
order. The warehouse needs no step of its own: its load follows the lake (a loaded batch whose
commit marker is gone or names another run is rewound and reloaded, as on Snowflake).
Interrupted, it is simply run again.
"""

from __future__ import annotations

from telco360.local import lake_state
from telco360.shipped import lake_io, lake_layout


def dates_to_rerun(lake: str, first: str, last: str) -> list[str]:
    """`first`..`last` as landed, plus every committed date after `first`."""
    landed = [d for d in lake_state.landed_dates(lake) if first <= d <= last]
    later_committed = [d for d in lake_state.committed_dates(lake) if d >= first]
    return sorted(set(landed) | set(later_committed))


def uncommit_from(lake: str, first: str) -> list[str]:
    """Remove the commit markers of `first` and later (the warehouse follows at its next load)."""
    removed = [d for d in lake_state.committed_dates(lake) if d >= first]
    for day in reversed(removed):  # newest first: the committed chain stays a prefix
        lake_io.delete_tree(lake_io.join(lake, lake_layout.marker_dir(day)))
    return removed
