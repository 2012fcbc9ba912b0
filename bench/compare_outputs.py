"""Do two runs give the same outputs? For checking that a change (speed, restructuring) left the
results alone: run `telco360 run` with the old code and with the new on two copies of one lake,
then

    .venv/bin/python bench/compare_outputs.py OLD_LAKE NEW_LAKE [OLD.duckdb NEW.duckdb]

Compares, as multisets of rows (DuckDB, every column, sorted text of each row hashed), each
feed's standardized and quarantine Parquet, each staging output of the committed runs (the
files each commit marker lists; the `run=` folder name is not read as a column), and
ANALYTICS.CUSTOMER_360 of the two warehouses. Prints one line per dataset and exits 1 on any
difference.
"""

from __future__ import annotations

import glob
import json
import os
import sys

import duckdb

STAGING = ("customers/state", "customers/changes", "population/state", "population/changes")
STAGING += ("usage/changes",)


def digest(con, files: list[str]):
    """(rows, md5 of the sorted rows) of some Parquet files; None when there are none."""
    if not files:
        return None
    paths = "[" + ",".join(f"'{f}'" for f in files) + "]"
    return con.execute(
        "select count(*), md5(string_agg(t::varchar, '|' order by t::varchar)) "
        f"from read_parquet({paths}, hive_partitioning = false) t"
    ).fetchone()


def committed_files(lake: str, output: str) -> list[str]:
    files = []
    for marker in glob.glob(f"{lake}/staging/_batches/*/manifest.json"):
        with open(marker, encoding="utf-8") as f:
            files += [os.path.join(lake, p) for p in json.load(f)["files"].get(output, [])]
    return sorted(files)


def datasets(lake: str) -> dict[str, list[str]]:
    found = {}
    for zone in ("standardized", "quarantine"):
        if not os.path.isdir(f"{lake}/{zone}"):
            continue  # a lake synthesized for job B alone has no quarantine
        for feed in sorted(os.listdir(f"{lake}/{zone}")):
            if not feed.startswith("_"):
                pattern = f"{lake}/{zone}/{feed}/**/*.parquet"
                found[f"{zone}/{feed}"] = sorted(glob.glob(pattern, recursive=True))
    for output in STAGING:
        found[f"staging/{output}"] = committed_files(lake, output)
    return found


def main(argv: list[str]) -> int:
    old, new = argv[0], argv[1]
    con = duckdb.connect()
    same = True
    old_sets, new_sets = datasets(old), datasets(new)
    for name in sorted(set(old_sets) | set(new_sets)):
        a = digest(con, old_sets.get(name, []))
        b = digest(con, new_sets.get(name, []))
        same &= a == b
        print(f"{name:32s} {a} {'same' if a == b else f'DIFFERENT: {b}'}")
    if len(argv) == 4:
        figures = []
        for path in argv[2:4]:
            with duckdb.connect(path, read_only=True) as warehouse:
                figures.append(
                    warehouse.execute(
                        "select count(*), md5(string_agg(t::varchar, '|' order by t::varchar)) "
                        "from analytics.customer_360 t"
                    ).fetchone()
                )
        same &= figures[0] == figures[1]
        verdict = "same" if figures[0] == figures[1] else f"DIFFERENT: {figures[1]}"
        print(f"{'analytics.customer_360':32s} {figures[0]} {verdict}")
    print("all outputs the same" if same else "outputs differ")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
