"""`telco360 generate`: realistic, deterministic sample CRM exports in the landing layout.

`generate(lake, customers, days, start, seed, dirty)` writes
`raw/<feed>/ingest_date=YYYY-MM-DD/<feed>.csv` for `days` daily batches and returns the paths.
Day 1 is a full export; later days carry changes, joins, churns, moves, usage, and now and then
a population file. The same arguments always give byte-identical files.
"""

from __future__ import annotations

import os
import shutil
from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from telco360.ops.generate import customers as cust
from telco360.ops.generate import dirty as quirks
from telco360.ops.generate import feeds as render
from telco360.ops.generate import formatting as fmt
from telco360.ops.generate import places, timeline
from telco360.shipped.contract import CUSTOMER_FEEDS, FEEDS, STRING
from telco360.shipped.lake_layout import batch_path

__all__ = ["generate"]

# Independent random streams: changing the dirt rate never changes the clean values.
_ZIPS, _CUSTOMERS, _DAY, _USAGE, _RESEND, _DIRT, _POPULATION = range(1, 8)
FEED_ORDER = ("demographics", "location", "population", "services", "status", "usage")


def _validate(lake: str, customers: int, days: int, start: str, seed: int, dirty: float) -> date:
    if lake.startswith("s3://"):
        raise ValueError(
            f"generate writes to a local folder, not {lake!r}: generate locally, then "
            "`aws s3 sync <folder>/raw s3://<bucket>/raw`"
        )
    if customers < 1 or days < 1:
        raise ValueError(f"need --customers >= 1 and --days >= 1, got {customers} and {days}")
    if seed < 0:
        raise ValueError(f"--seed must be >= 0, got {seed}")
    limit = quirks.max_rate()
    if not 0 <= dirty <= limit:
        raise ValueError(
            f"--dirty must be between 0 and {limit:g} (each of up to {round(1 / limit)} "
            f"row kinds hits that share of rows), got {dirty}"
        )
    return date.fromisoformat(start)


def generate(
    lake: str, customers: int, days: int, start: str, seed: int, dirty: float = 0.01
) -> list[str]:
    first = _validate(lake, customers, days, start, seed, dirty)

    def rng(*stream: int) -> np.random.Generator:
        return np.random.default_rng([seed, *stream])

    zips = places.build_zip_table(rng(_ZIPS), places.zip_count(customers))
    joining = timeline.joiners_per_day(customers)
    people = cust.draw(
        rng(_CUSTOMERS),
        customers + joining * (days - 1),
        joined_from=customers,
        zip_weights=zips.population / zips.population.sum(),
    )
    population_days = [d for d in range(days) if d % timeline.POPULATION_EVERY == 0]
    files = [(d, f) for d in range(days) for f in FEED_ORDER if f != "population"]
    files += [(d, "population") for d in population_days]
    file_quirks = quirks.plan_file_quirks(seed, sorted(files), dirty)

    written: list[str] = []
    present = customers
    for day in range(days):
        batch = first + timedelta(days=day)
        if day == 0:
            sends = {feed: np.arange(customers) for feed in CUSTOMER_FEEDS}
        else:
            sends = timeline.advance(rng(_DAY, day), people, present, joining, len(zips))
        # Usage covers the day before the batch, for every customer not churned as of this
        # batch (today's churners stop appearing at once); today's joiners had no service yet.
        usage_rows = np.flatnonzero(people.status[:present] != cust.CHURNED)
        if day > 0:
            timeline.add_unchanged_resends(rng(_RESEND, day), sends, usage_rows, dirty)
            present += joining
        if day in population_days and day > 0:
            zips = places.revise_populations(
                rng(_POPULATION, day), zips, timeline.POPULATION_CHANGE_SHARE
            )
        for index, feed in enumerate(FEED_ORDER):
            if (day, feed) not in file_quirks:
                continue
            path = os.path.join(lake, batch_path("raw", feed, batch.isoformat()), f"{feed}.csv")
            _write(
                path,
                feed,
                _render(feed, people, sends, zips, usage_rows, rng(_USAGE, day), batch),
                rng(_DIRT, day, index),
                dirty,
                file_quirks[(day, feed)],
            )
            written.append(path)
    return written


def _render(feed, people, sends, zips, usage_rows, usage_rng, batch: date):
    """The text columns of one feed file for one batch."""
    if feed == "population":
        return render.population(zips)
    if feed == "usage":
        return render.usage(usage_rng, people, usage_rows, batch - timedelta(days=1))
    if feed == "location":
        return render.location(people, sends[feed], zips)
    return getattr(render, feed)(people, sends[feed])


def _write(
    path: str,
    feed: str,
    columns: dict[str, pa.Array],
    rng: np.random.Generator,
    rate: float,
    file_quirks: set[str],
) -> None:
    """Dirty (if asked), quote, join and write one feed file, replacing that batch's folder."""
    n = len(next(iter(columns.values())))
    kind_of_row = quirks.assign(rng, n, feed, rate)
    if rate > 0:
        quirks.apply_to_columns(rng, feed, columns, kind_of_row)
    # Only free-text columns can hold a comma or quote (Lat Long always does).
    free_text = {c.header for c in FEEDS[feed].columns if c.kind == STRING}
    quoted = [fmt.csv_quoted(col) if h in free_text else col for h, col in columns.items()]
    lines = fmt.join_fields(quoted) if n else pa.array([], type=pa.large_string())
    if rate > 0:
        lines = quirks.apply_to_lines(rng, feed, lines, kind_of_row)
    end = "\r\n" if quirks.CRLF in file_quirks else "\n"
    body = fmt.payload(fmt.terminate(lines, end)) if n else memoryview(b"")
    header = (",".join(FEEDS[feed].headers) + end).encode("utf-8")
    if quirks.NO_FINAL_NEWLINE in file_quirks:
        if len(body):
            body = body[: -len(end)]
        else:
            header = header[: -len(end)]
    folder = os.path.dirname(path)
    shutil.rmtree(folder, ignore_errors=True)  # a re-run replaces the batch, never appends
    os.makedirs(folder)
    with open(path, "wb") as out:
        if quirks.BOM in file_quirks:
            out.write(b"\xef\xbb\xbf")
        out.write(header)
        out.write(body)
