"""The end-of-run summary a person reads at a glance."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from telco360.local.runner import BatchReport


def query_command(warehouse_path: str) -> str:
    """`telco360 query` as this very installation runs it, on this run's warehouse, from any
    directory: the console script next to the running interpreter (a venv's), by full path."""
    script = Path(sys.executable).parent / "telco360"
    program = [str(script)] if script.exists() else [sys.executable, "-m", "telco360.ops.cli"]
    return shlex.join([*program, "query", "--warehouse", str(Path(warehouse_path).resolve())])


def _reasons(by_reason: dict) -> str:
    return ", ".join(f"{reason} {count}" for reason, count in sorted(by_reason.items())) or "-"


def feed_table(manifest: dict) -> list[str]:
    rows = [
        f"    {'feed':<13}{'read':>9}{'standardized':>14}{'quarantined':>13}{'duplicates':>12}"
        "  quarantine reasons"
    ]
    for feed, m in sorted(manifest.get("feeds", {}).items()):
        rows.append(
            f"    {feed:<13}{m['rows_read']:>9}{m['rows_standardized']:>14}"
            f"{m['rows_quarantined']:>13}{m['duplicates_dropped']:>12}"
            f"  {_reasons(m.get('quarantined_by_reason', {}))}"
        )
        if m.get("schema_drift"):
            rows.append(
                f"    {'':<13}schema drift (ignored columns): {', '.join(m['schema_drift'])}"
            )
    return rows


def entity_line(manifest: dict) -> str:
    customers = manifest.get("entities", {}).get("customers", {})
    usage = manifest.get("entities", {}).get("usage", {})
    return (
        f"    customers: {customers.get('inserted', 0)} inserted, "
        f"{customers.get('updated', 0)} updated, {customers.get('unchanged', 0)} unchanged, "
        f"{customers.get('total', 0)} in total; usage rows: {usage.get('rows', 0)}"
    )


def summary_text(reports: list[BatchReport], warehouse_summary: dict, warehouse_path: str) -> str:
    lines = ["", "Summary"]
    for report in reports:
        elapsed = sum(seconds for _state, seconds in report.steps)
        lines.append(f"  batch {report.batch_date}  ({elapsed:.1f}s)")
        if report.manifest:
            lines += feed_table(report.manifest)
            lines.append(entity_line(report.manifest))
    customers = warehouse_summary.get("customers", 0)
    churned = warehouse_summary.get("churned", 0)
    share = churned / customers if customers else 0.0
    lines += [
        "",
        f"  analytics.customer_360: {customers} customers, {churned} churned ({share:.1%}), "
        f"latest batch {warehouse_summary.get('latest_batch')}",
        "",
        "  Query it:",
        f"    {query_command(warehouse_path)} "
        '"select customer_status, count(*) from analytics.customer_360 group by 1"',
        f'    duckdb {warehouse_path} "select * from analytics.customer_360 limit 5"',
    ]
    return "\n".join(lines)
