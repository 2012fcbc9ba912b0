"""The floor: job A + job B's day-1 work done directly in DuckDB SQL, for comparison.

For one batch: read every feed's CSVs (all text), map headers onto the contract, type and
check every column with the contract's rules (required, number/boolean/date parsing,
categories, patterns, ranges), drop duplicates, write standardized Parquet; then the latest
state per key (customers across the four customer feeds, population, usage) as Parquet.
Not a second implementation of the pipeline: line numbers, reason codes and quarantine
details are simplified; it exists to show what one engine on one machine can do.
"""

from __future__ import annotations

import os
import time

import duckdb

from telco360.shipped.contract import (
    BOOLEAN,
    CATEGORY,
    CUSTOMER_FEEDS,
    DATE,
    DECIMAL,
    FALSE_WORDS,
    FEEDS,
    FLOAT,
    INTEGER,
    TRUE_WORDS,
    category_key,
)
from telco360.shipped.lake_layout import batch_path  # noqa: E402

TRIM = " \t\u00a0"


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _typed(column, src: str) -> tuple[str, str]:
    """(typed SQL expression, SQL condition that the value is acceptable)."""
    v = f"nullif(trim({src}, {_lit(TRIM)}), '')"
    kind, ok = column.kind, []
    if kind == INTEGER:
        exact = f"try_cast({v} as decimal(38,18))"
        typed = f"case when {exact} = floor({exact}) then try_cast({exact} as integer) end"
        number = typed
    elif kind == DECIMAL:
        number = f"round(try_cast({v} as decimal(38,18)), {column.scale})"
        typed = f"try_cast({number} as decimal(12,{column.scale}))"
    elif kind == FLOAT:
        parsed = f"try_cast({v} as double)"
        typed = f"case when isfinite({parsed}) then {parsed} end"
        number = typed
    elif kind == BOOLEAN:
        words = f"lower({v})"
        trues = ", ".join(_lit(w) for w in TRUE_WORDS)
        falses = ", ".join(_lit(w) for w in FALSE_WORDS)
        typed = (
            f"case when {words} in ({trues}) then true when {words} in ({falses}) then false end"
        )
        number = None
    elif kind == CATEGORY:
        key = f"regexp_replace(lower({v}), '[^a-z0-9]', '', 'g')"
        whens = " ".join(f"when {_lit(category_key(c))} then {_lit(c)}" for c in column.categories)
        typed = f"case {key} {whens} end"
        number = None
    elif kind == DATE:
        typed = f"try_strptime({v}, '%Y-%m-%d')::date"
        number = None
    else:  # ID, STRING
        typed, number = v, None
        if column.pattern:
            ok.append(f"({v} is null or regexp_full_match({v}, {_lit(column.pattern)}))")
    if column.required:
        ok.append(f"{v} is not null")
    ok.append(f"({v} is null or ({typed}) is not null)")
    if number is not None and column.minimum is not None:
        ok.append(f"coalesce(({number}) >= {column.minimum}, true)")
    if number is not None and column.maximum is not None:
        ok.append(f"coalesce(({number}) <= {column.maximum}, true)")
    return typed, " and ".join(ok)


def _header_map(con, source: str, feed) -> dict[str, str]:
    found = [r[0] for r in con.execute(f"describe select * from {source}").fetchall()]
    by_lower = {h.strip(TRIM).lower(): h for h in found}
    mapping = {}
    for c in feed.columns:
        actual = by_lower.get(c.header.lower())
        if actual is None:
            raise ValueError(f"feed {feed.name}: header {c.header!r} missing in {source}")
        mapping[c.name] = actual
    return mapping


def _standardize(con, lake: str, batch_date: str, name: str, out: str) -> dict:
    feed = FEEDS[name]
    folder = os.path.join(lake, batch_path("raw", name, batch_date))
    files = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".csv"))
    source = (
        f"read_csv({files!r}, header = true, all_varchar = true, filename = true, "
        "strict_mode = false, ignore_errors = true, null_padding = false, parallel = true)"
    )
    mapping = _header_map(con, source, feed)
    typed, checks = [], []
    for c in feed.columns:
        expr, ok = _typed(c, '"' + mapping[c.name].replace('"', '""') + '"')
        typed.append(f"{expr} as {c.name}")
        checks.append(ok)
    names = ", ".join(feed.column_names)
    con.execute(
        f"create or replace temp table checked_{name} as select {', '.join(typed)}, "
        f"filename, row_number() over () as line, ({' and '.join(checks)}) as ok from {source}"
    )
    # Duplicates: same typed values; the first delivered row wins.
    con.execute(
        f"create or replace temp table std_{name} as select {names}, min(filename) as filename, "
        f"min(line) as line from checked_{name} where ok group by all"
    )
    con.execute(f"copy std_{name} to '{out}/standardized_{name}.parquet' (format parquet)")
    read, accepted, kept = con.execute(
        f"select count(*), count(*) filter (ok), (select count(*) from std_{name}) "
        f"from checked_{name}"
    ).fetchone()
    return {"rows_parsed": read, "rows_accepted": accepted, "rows_standardized": kept}


def _latest(name: str, key: tuple[str, ...], values: list[str]) -> str:
    """Latest row per key of one feed (later file, then later line wins)."""
    keys = ", ".join(key)
    cols = ", ".join(f"arg_max({c}, (filename, line)) as {c}" for c in values)
    return f"select {keys}, {cols} from std_{name} group by {keys}"


def run(lake: str, batch_date: str, out: str) -> dict:
    """Standardize every delivered feed and build the latest states; returns counts and seconds."""
    os.makedirs(out, exist_ok=True)
    started = time.perf_counter()
    con = duckdb.connect()
    feeds = {}
    for name in FEEDS:
        if os.path.isdir(os.path.join(lake, batch_path("raw", name, batch_date))):
            feeds[name] = _standardize(con, lake, batch_date, name, out)
    # Customers: one row per customer_id, each feed contributing its own latest columns.
    parts, selects = [], ["k.customer_id"]
    for name in CUSTOMER_FEEDS:
        feed = FEEDS[name]
        values = [c for c in feed.column_names if c not in feed.key + ("count", "quarter")]
        parts.append(f"left join ({_latest(name, feed.key, values)}) {name} using (customer_id)")
        selects += [f"{name}.{c}" for c in values]
    keys = " union ".join(f"select customer_id from std_{n}" for n in CUSTOMER_FEEDS)
    con.execute(
        f"copy (select {', '.join(selects)} from ({keys}) k {' '.join(parts)}) "
        f"to '{out}/customers_state.parquet' (format parquet)"
    )
    states = {"customers": con.execute(f"select count(*) from ({keys})").fetchone()[0]}
    for name, key in (("population", ("zip_code",)), ("usage", ("customer_id", "usage_date"))):
        if name in feeds:
            feed = FEEDS[name]
            values = [c for c in feed.column_names if c not in feed.key]
            con.execute(f"copy ({_latest(name, key, values)}) to '{out}/{name}_state.parquet'")
            states[name] = con.execute(
                f"select count(*) from read_parquet('{out}/{name}_state.parquet')"
            ).fetchone()[0]
    con.close()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "feeds": feeds, "states": states}


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(sys.argv[1], sys.argv[2], sys.argv[3]), indent=1, default=str))
