"""Small staging batches for the warehouse tests, written exactly as docs/DATA_LAYOUT.md says
Glue job B writes them (Parquet files under run=<id>/, then the manifest, last).

The schemas are derived here from the contract + the layout text, independently of
`snowflake/`, so the RAW contract test fails when either side drifts. The batches are built
from whole customer states per day; changes (and changed_feeds) are computed by diffing two
states, as job B does.
"""

from __future__ import annotations

import json
import os
import random
from datetime import date, timedelta
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq

from telco360.shipped import contract as c

ARROW_TYPES = {
    "string": pa.string(),
    "int": pa.int32(),
    "boolean": pa.bool_(),
    "decimal(12,2)": pa.decimal128(12, 2),
    "double": pa.float64(),
    "date": pa.date32(),
}


def feed_columns(feed_name: str) -> list[tuple[str, str]]:
    """A customer feed's non-key columns, except count and quarter (layout: customers)."""
    feed = c.FEEDS[feed_name]
    return [
        (col.name, col.spark_type)
        for col in feed.columns
        if col.name not in feed.key and col.name not in ("count", "quarter")
    ]


FEED_COLUMNS = {name: feed_columns(name) for name in c.CUSTOMER_FEEDS}
CUSTOMER_COLUMNS = [("customer_id", "string")] + [
    col for name in c.CUSTOMER_FEEDS for col in FEED_COLUMNS[name]
]
LINEAGE = [("first_seen_batch", "date"), ("last_changed_batch", "date"), ("batch_date", "date")]
POPULATION_COLUMNS = [("zip_code", "string"), ("id", "int"), ("population", "int")]
USAGE_COLUMNS = [(col.name, col.spark_type) for col in c.USAGE.columns]

STAGING_SCHEMAS: dict[str, list[tuple[str, str]]] = {
    "customers/state": CUSTOMER_COLUMNS + LINEAGE,
    "customers/changes": CUSTOMER_COLUMNS
    + LINEAGE
    + [("change_type", "string"), ("changed_feeds", "string")],
    "population/state": POPULATION_COLUMNS + LINEAGE,
    "population/changes": POPULATION_COLUMNS + LINEAGE + [("change_type", "string")],
    "usage/changes": USAGE_COLUMNS + [("batch_date", "date"), ("change_type", "string")],
}


def arrow_schema(group: str) -> pa.Schema:
    return pa.schema([(name, ARROW_TYPES[kind]) for name, kind in STAGING_SCHEMAS[group]])


# ---- value generation ----------------------------------------------------------------------
ZIPS = ("90001", "90002", "91501", "94105", "99999")  # 99999 never gets a population row


def _value(rng: random.Random, column: c.Column, n: int):
    if column.name == "zip_code":
        return rng.choice(ZIPS)
    if column.kind == c.CATEGORY:
        if not column.required and rng.random() < 0.4:
            return None
        return rng.choice(column.categories)
    if column.kind == c.BOOLEAN:
        return rng.random() < 0.5
    if column.kind == c.INTEGER:
        low = int(column.minimum or 0)
        high = int(min(column.maximum if column.maximum is not None else 100, low + 60))
        return rng.randint(low, high)
    if column.kind == c.DECIMAL:
        if not column.required and rng.random() < 0.2:
            return None
        return Decimal(rng.randint(0, 900_000)) / 100
    if column.kind == c.FLOAT:
        return rng.randint(-3600, 3600) / 40  # exact in binary
    if not column.required and rng.random() < 0.3:
        return None
    return f"{column.header} {n % 7}"


def customer_profile(rng: random.Random, n: int) -> dict:
    customer_id = f"{n:04d}-{''.join(rng.choice('ABCDEFGHIJKLMNOPQRSTUVWXYZ') for _ in range(5))}"
    row = {"customer_id": customer_id}
    for feed_name in c.CUSTOMER_FEEDS:
        feed = c.FEEDS[feed_name]
        for name, _kind in FEED_COLUMNS[feed_name]:
            row[name] = _value(rng, feed.column(name), n)
    return row


def mutate(rng: random.Random, row: dict, feed_name: str) -> dict:
    """A new version of the customer with some columns of one feed changed."""
    feed = c.FEEDS[feed_name]
    changed = dict(row)
    names = [name for name, _ in FEED_COLUMNS[feed_name]]
    for name in rng.sample(names, 2):
        for _ in range(20):
            value = _value(rng, feed.column(name), rng.randint(0, 99))
            if value != row[name]:
                changed[name] = value
                break
    if all(changed[n] == row[n] for n in names):  # make sure the feed did change
        changed[names[0]] = (
            None if row[names[0]] is not None else _value(rng, feed.column(names[0]), 1)
        )
    return changed


# ---- writing a lake ------------------------------------------------------------------------
def _write(lake: str, group: str, batch_date: str, run_id: str, rows: list[dict]) -> list[str]:
    rel = f"staging/{group}/batch_date={batch_date}/run={run_id}/part-00000.parquet"
    os.makedirs(os.path.dirname(os.path.join(lake, rel)), exist_ok=True)
    schema = arrow_schema(group)
    table = pa.Table.from_pylist([{k: r[k] for k in schema.names} for r in rows], schema=schema)
    pq.write_table(table, os.path.join(lake, rel))
    return [rel]


def write_batch(
    lake: str,
    batch_date: str,
    customers: dict[str, dict],
    previous: dict[str, dict] | None,
    population: dict[str, dict],
    previous_population: dict[str, dict] | None,
    usage: list[dict],
    run_id: str | None = None,
    commit: bool = True,
    previous_batch: str | None = None,
) -> dict:
    """Write one staging batch from whole states; `customers` values carry the lineage keys
    first_seen_batch / last_changed_batch as computed by `advance`."""
    run_id = run_id or f"run-{batch_date}"
    d = date.fromisoformat(batch_date)
    state = [r | {"batch_date": d} for r in customers.values()]
    changes = []
    for key, row in customers.items():
        old = (previous or {}).get(key)
        if old is None:
            changes.append(
                row
                | {
                    "batch_date": d,
                    "change_type": "INSERT",
                    "changed_feeds": ",".join(c.CUSTOMER_FEEDS),
                }
            )
            continue
        feeds = [f for f in c.CUSTOMER_FEEDS if any(old[n] != row[n] for n, _ in FEED_COLUMNS[f])]
        if feeds:
            changes.append(
                row | {"batch_date": d, "change_type": "UPDATE", "changed_feeds": ",".join(feeds)}
            )
    pop_state = [r | {"batch_date": d} for r in population.values()]
    pop_changes = [
        r
        | {
            "batch_date": d,
            "change_type": "INSERT" if z not in (previous_population or {}) else "UPDATE",
        }
        for z, r in population.items()
        if (previous_population or {}).get(z) != r
    ]
    usage_rows = [u | {"batch_date": d, "change_type": "UPSERT"} for u in usage]
    files = {
        "customers/state": _write(lake, "customers/state", batch_date, run_id, state),
        "customers/changes": _write(lake, "customers/changes", batch_date, run_id, changes),
        "population/state": _write(lake, "population/state", batch_date, run_id, pop_state),
        "population/changes": _write(lake, "population/changes", batch_date, run_id, pop_changes),
        "usage/changes": _write(lake, "usage/changes", batch_date, run_id, usage_rows),
    }
    manifest = {
        "schema_version": 1,
        "batch_date": batch_date,
        "run_id": run_id,
        "previous_batch": previous_batch,
        "committed_at": f"{batch_date}T06:12:00Z",
        "feeds": {},
        # what job B counts: RAW must get exactly these rows (check_batch.sql)
        "entities": {
            "customers": {
                "inserted": sum(r["change_type"] == "INSERT" for r in changes),
                "updated": sum(r["change_type"] == "UPDATE" for r in changes),
                "total": len(state),
            },
            "population": {
                "inserted": sum(r["change_type"] == "INSERT" for r in pop_changes),
                "updated": sum(r["change_type"] == "UPDATE" for r in pop_changes),
                "total": len(pop_state),
            },
            "usage": {"rows": len(usage_rows)},
        },
        "files": files,
    }
    if commit:
        commit_batch(lake, manifest)
    return manifest


def commit_batch(lake: str, manifest: dict) -> None:
    path = os.path.join(lake, "staging", "_batches", f"batch_date={manifest['batch_date']}")
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "manifest.json"), "w", encoding="utf-8") as out:
        json.dump(manifest, out, indent=2)


def advance(previous: dict[str, dict], new_rows: dict[str, dict], batch_date: str) -> dict:
    """The customer state after a batch: lineage columns kept or bumped like job B does."""
    d = date.fromisoformat(batch_date)
    out = {}
    for key, row in new_rows.items():
        old = previous.get(key)
        attrs = {
            k: v for k, v in row.items() if k not in ("first_seen_batch", "last_changed_batch")
        }
        if old is None:
            out[key] = attrs | {"first_seen_batch": d, "last_changed_batch": d}
        else:
            old_attrs = {
                k: v for k, v in old.items() if k not in ("first_seen_batch", "last_changed_batch")
            }
            changed = old_attrs != attrs
            out[key] = attrs | {
                "first_seen_batch": old["first_seen_batch"],
                "last_changed_batch": d if changed else old["last_changed_batch"],
            }
    return out


def advance_population(previous: dict[str, dict], new: dict[str, dict], batch_date: str) -> dict:
    d = date.fromisoformat(batch_date)
    out = {}
    for zip_code, row in new.items():
        old = previous.get(zip_code)
        if old is None:
            out[zip_code] = row | {"first_seen_batch": d, "last_changed_batch": d}
        elif {k: old[k] for k in row} != row:
            out[zip_code] = row | {
                "first_seen_batch": old["first_seen_batch"],
                "last_changed_batch": d,
            }
        else:
            out[zip_code] = old
    return out


BATCHES = ("2026-11-01", "2026-11-02", "2026-11-03")


def scenario(seed: int = 11) -> list[dict]:
    """Three days of realistic churn: new customers, services / status / location changes,
    a re-sent unchanged customer, revised population, usage re-sent with new values."""
    rng = random.Random(seed)
    days = []
    customers: dict[str, dict] = {}
    population: dict[str, dict] = {}
    for i, batch_date in enumerate(BATCHES):
        rows = {
            k: {
                kk: vv
                for kk, vv in v.items()
                if kk not in ("first_seen_batch", "last_changed_batch")
            }
            for k, v in customers.items()
        }
        keys = sorted(rows)
        if i == 0:
            new = [customer_profile(rng, n) for n in range(1, 13)]
        else:
            new = [customer_profile(rng, 20 * i + n) for n in range(3)]
            for j, key in enumerate(rng.sample(keys, 8)):
                rows[key] = mutate(rng, rows[key], c.CUSTOMER_FEEDS[j % 4])
            # one customer changes services and status in the same batch
            rows[keys[0]] = mutate(rng, mutate(rng, rows[keys[0]], "services"), "status")
        rows.update({r["customer_id"]: r for r in new})
        customers = advance(customers, rows, batch_date)
        pop_rows = {
            z: {"zip_code": z, "id": n + 1, "population": 1000 * (n + 1) + 7 * i * (n % 2)}
            for n, z in enumerate(ZIPS[:4])
        }
        if i == 0:
            del pop_rows["94105"]  # arrives on day 2
        population = advance_population(population, pop_rows, batch_date)
        start = date(2026, 10, 1) + timedelta(days=12 * i)
        usage = []
        for key in sorted(customers)[: 6 + 3 * i]:
            for day in range(0, 24, 3):
                usage.append(
                    {
                        "customer_id": key,
                        "usage_date": start + timedelta(days=day + i),
                        "data_gb": rng.randint(0, 400) / 8,
                        "voice_minutes": rng.randint(0, 300),
                        "sms_count": rng.randint(0, 50),
                        "roaming_minutes": rng.randint(0, 20),
                    }
                )
        days.append(
            {
                "batch_date": batch_date,
                "customers": customers,
                "population": population,
                "usage": usage,
            }
        )
    return days


def write_scenario(
    lake: str, days: list[dict], commit: tuple[str, ...] | None = None
) -> list[dict]:
    manifests = []
    previous, previous_pop, previous_batch = None, None, None
    for day in days:
        manifests.append(
            write_batch(
                lake,
                day["batch_date"],
                day["customers"],
                previous,
                day["population"],
                previous_pop,
                day["usage"],
                commit=commit is None or day["batch_date"] in commit,
                previous_batch=previous_batch,
            )
        )
        previous, previous_pop = day["customers"], day["population"]
        previous_batch = day["batch_date"]
    return manifests


def test_scenario_batches_follow_the_layout(tmp_path):
    days = scenario()
    manifests = write_scenario(str(tmp_path), days)
    assert [m["batch_date"] for m in manifests] == list(BATCHES)
    for group, files in manifests[1]["files"].items():
        table = pq.read_table(tmp_path / files[0])
        assert table.schema == arrow_schema(group), group
    changes = pq.read_table(tmp_path / manifests[1]["files"]["customers/changes"][0]).to_pylist()
    assert {r["change_type"] for r in changes} == {"INSERT", "UPDATE"}
    # every changed_feeds entry names contract feeds; day 2 touches each feed at least once
    feeds = {f for r in changes for f in r["changed_feeds"].split(",")}
    assert feeds == set(c.CUSTOMER_FEEDS)
