"""bench/results/latest.md: the benchmark report a person reads."""

from __future__ import annotations

SHARED_LOAD = 3.0  # a 1-minute load average above this on 2 cores: someone else was running


def _target(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "**missed**")


def _detail(r: dict, handler: str, key: str):
    """One figure of a handler's cold-import detail; results older than the key say so."""
    return r.get(f"{handler}_cold_import_detail", {}).get(key, "not measured")


def render(r: dict) -> str:
    m, v = r["machine"], r["versions"]
    lines = [
        "# Benchmark results (`make bench`)",
        "",
        f"{r['date']} on {m['cores']} cores, {m['memory_mb'] / 1024:.0f} GB RAM "
        f"({m['platform']}); Python {v['python']}, PySpark {v['pyspark']}, DuckDB {v['duckdb']}, "
        f"{v['java']}.",
        "",
        f"Load average (1/5/15 min) at start {tuple(round(x, 1) for x in r['load_average_start'])}"
        f", at end {tuple(round(x, 1) for x in r['load_average_end'])}"
        + (
            ": the machine was shared with other runs, so times are higher than on a quiet machine."
            if r["load_average_start"][0] > SHARED_LOAD
            else ": nothing else was running at the start (the benchmark itself keeps both "
            "cores busy)."
        )
        + (" **Partial run** (not every part or scale)." if r.get("partial") else ""),
        "",
        *[f"- {note}" for note in r.get("notes", [])],
        *([""] if r.get("notes") else []),
        "## Time vs scale (one full day + usage, local PySpark + DuckDB warehouse)",
        "",
        "| customers | rows in | job A clean s | job B staging s | load s | end to end s "
        "| rows/s | JVM heap peak MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in r["scales"]:
        lines.append(
            f"| {s['customers']:,} | {s['rows_in']:,} | {s['clean_s']} | {s['staging_s']} | "
            f"{s['load_s']} | {s['e2e_s']} | {s['rows_per_s']:,} | {s['jvm_peak_mb']} |"
        )
    lines += [
        "",
        "![time vs scale](latest.png)",
        "",
        "JVM heap peak: the driver JVM's heap in use (`MemoryMXBean.getHeapMemoryUsage().getUsed()`"
        ", polled every 0.2 s during jobs A and B; local mode runs the executors in that JVM).",
        "",
        "## Targets",
        "",
        "| target | measured | |",
        "|---|---|---|",
    ]
    big = next((s for s in r["scales"] if s["customers"] == 1_000_000), None)
    big_e2e = f"{big['e2e_s']} s" if big else "not run"
    lines.append(
        f"| 1,000,000 customers end to end <= 240 s | {big_e2e} "
        f"| {_target(big['e2e_s'] <= 240 if big else None)} |"
    )
    inc = r.get("incremental")
    inc_ok = inc["ratio"] <= 1.25 if inc else None
    lines.append(
        f"| incremental ratio <= 1.25 at {inc['history_days'] if inc else 30} days "
        f"| {inc['ratio'] if inc else 'not run'} | {_target(inc_ok)} |"
    )
    pre = r.get("preflight_cold_import_ms")
    lines.append(
        f"| pre-flight cold import <= 400 ms | {pre if pre is not None else 'not run'} ms "
        f"| {_target(pre <= 400 if pre is not None else None)} |"
    )
    if inc:
        lines += [
            "",
            "## Incremental: does a day cost its delta, not its history?",
            "",
            f"Job B on a {inc['customers']:,}-customer lake, ~{inc['delta_share']:.0%} of "
            f"customers touched per day: day 2 {inc['day2_s']} s, day {inc['history_days']} "
            f"{inc['dayN_s']} s, ratio {inc['ratio']}. Lake synthesized as in "
            "`bench/bench_staging.py` (committed full states + one day's standardized delta). "
            "Job A reads only the day's raw files, so history cannot reach it.",
        ]
    d = r.get("duckdb_reference")
    if d and d.get("spark_s") is None:
        lines += [
            "",
            "## DuckDB reference (the floor)",
            "",
            f"The same day ({d['customers']:,} customers): {d['what']}, done directly in DuckDB "
            f"SQL (`bench/duckdb_reference.py`): {d['duckdb_s']} s. Spark on the same day: "
            "not measured in this run.",
        ]
    elif d:
        lines += [
            "",
            "## DuckDB reference (the floor)",
            "",
            f"The same day ({d['customers']:,} customers): {d['what']}, done directly in DuckDB "
            f"SQL (`bench/duckdb_reference.py`): {d['duckdb_s']} s; jobs A + B on local Spark: "
            f"{d['spark_s']} s; ratio Spark/DuckDB {d['ratio']}.",
        ]
    lines += [
        "",
        "## Lambda cold import",
        "",
        f"Pre-flight {r.get('preflight_cold_import_ms')} ms, failure alert "
        f"{r.get('notify_cold_import_ms')} ms: median of 7 fresh `python -c 'import app'` "
        "of the `sam build` artifact (function folder + contract layer on the path, "
        "AWS_LAMBDA_FUNCTION_NAME set, tracing not disabled) minus the median of a bare "
        "`python -c pass`. The build ships hash-checked bytecode "
        "(`functions/lambda_function.mk`); the same artifact without it: "
        f"{_detail(r, 'preflight', 'without_bytecode_ms')} ms and "
        f"{_detail(r, 'notify', 'without_bytecode_ms')} ms. Modules compiled from source "
        f"while importing the shipped artifact: "
        f"{_detail(r, 'preflight', 'modules_compiled_at_import')} and "
        f"{_detail(r, 'notify', 'modules_compiled_at_import')}.",
        "",
        "## Estimated AWS cost of one daily run (USD)",
        "",
        "| customers | Glue STANDARD | Glue FLEX | Step Functions | Lambda | total STANDARD "
        "| total FLEX |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, c in r["aws_cost_usd_per_run"].items():
        lines.append(
            f"| {int(n):,} | {c['glue_standard']:.4f} | {c['glue_flex']:.4f} | "
            f"{c['step_functions']:.6f} | {c['lambda']:.7f} | {c['total_standard']:.4f} | "
            f"{c['total_flex']:.4f} |"
        )
    a, p = r["aws_cost_assumptions"], r["aws_cost_prices"]
    lines += [
        "",
        f"Prices: Glue 6.0 G.1X ${p['glue_standard_usd_per_dpu_hour']}/DPU-h STANDARD, "
        f"${p['glue_flex_usd_per_dpu_hour']}/DPU-h FLEX, billed per second with a "
        f"{p['glue_minimum_s_per_job']} s minimum per job run; Step Functions standard "
        f"${p['sfn_usd_per_1000_transitions']} per 1,000 transitions; Lambda arm64 "
        f"${p['lambda_arm64_usd_per_gb_s']}/GB-s + ${p['lambda_usd_per_1m_requests']} per 1M "
        "requests.",
        "",
        f"Assumptions (an estimate, not a measurement on AWS): each Glue job runs on "
        f"{a['workers']} G.1X workers (template.yaml `GlueNumberOfWorkers` default) for "
        f"{a['runtime_factor']} x the seconds it took here (2 shared local cores vs 2 x 4 vCPU "
        "on Glue: likely pessimistic for the work, but Glue adds start-up and S3 latency we did "
        f"not measure); {a['state_transitions']} state transitions per run; "
        f"{a['lambda_invocations']} pre-flight invocation of {a['lambda_seconds']} s at "
        f"{a['lambda_memory_gb']} GB. S3 requests/storage and Snowflake credits are not included.",
        "",
    ]
    return "\n".join(lines)
