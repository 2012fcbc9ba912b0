"""bench/results/latest.md: the benchmark report a person reads."""

from __future__ import annotations

from pathlib import Path

SHARED_LOAD = 3.0  # a 1-minute load average above this on 2 cores: someone else was running


def _target(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "**missed**")


def _row(target: str, measured, limit: float, unit: str) -> str:
    if measured is None or measured is False:
        return f"| {target} | not run | n/a |"
    return f"| {target} | {measured}{unit} | {_target(measured <= limit)} |"


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
        "## Cold runs: a fresh `telco360 run` process per run (median)",
        "",
        "Each run: a fresh `telco360 run` process (cold JVM) on a fresh copy of one generated "
        "day (`telco360 generate --days 1 --seed 7 --dirty 0.01`, usage included), started from "
        "a scratch directory; wall time of the whole process; the steps' times are the run's "
        "own output. `each job alone`: `python -m telco360.local.run_job <job>` as its own "
        "process, what one Glue job run pays after Glue's own start-up. `Spark floor`: "
        "`bench/spark_floor.py` as its own process, the same session reading the same CSV files "
        "and writing them as Parquet, with no checks: the least any cold Spark job pays here. "
        "`first run` : one more `telco360 run` with an empty cache, as the first run on a "
        "machine, which also writes the JVM's class archive (`telco360.local.class_archive`); "
        "the other runs map it.",
        "",
        "| customers | rows in | runs | end to end s | job A s | job B s | load s "
        "| each run (e2e s) | first run s | job A alone s | job B alone s | Spark floor s |",
        "|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    alone = {a["customers"]: a for a in r.get("cold_jobs_alone", [])}
    for c in r.get("cold", []):
        one = alone.get(c["customers"], {})
        lines.append(
            f"| {c['customers']:,} | {c['rows_in']:,} | {c['runs']} | {c['e2e_s']} | "
            f"{c['job_a_s']} | {c['job_b_s']} | {c['load_s']} | "
            f"{', '.join(str(e['e2e_s']) for e in c['each'])} | "
            f"{c.get('first_on_machine_e2e_s', '-')} | "
            f"{one.get('job_a_s', '-')} | {one.get('job_b_s', '-')} | "
            f"{one.get('spark_floor_s', '-')} |"
        )
    lines += ["", "![time vs scale](latest.png)", ""]
    f = r.get("floor")
    if f:
        minimal = f["duckdb_minimal_s"]
        lines += [
            "## The floor: the same day in DuckDB",
            "",
            f"{f['customers']:,} customers. Shared minimal floor "
            f"(`{Path(f['duckdb_minimal_script']).name}`: five customer feeds, no usage, few "
            f"checks): {minimal if minimal is not None else 'not on this machine'} s; "
            f"`bench/duckdb_reference.py` (every feed, the contract's checks, dedup, latest "
            f"state): {f['duckdb_reference_s']} s; Spark jobs A + B (cold run): "
            f"{f['spark_ab_s']} s. Ratios: {f['ratio_minimal']}x the minimal floor, "
            f"{f['ratio_reference']}x the reference.",
            "",
        ]
    by_n = {c["customers"]: c for c in r.get("cold", [])}
    small, big = by_n.get(10_000), by_n.get(1_000_000)
    inc = r.get("incremental")
    pre = r.get("preflight_cold_import_ms")
    ratio = f["ratio_minimal"] if f else None
    lines += [
        "## Targets (cold, this machine, whole process, median)",
        "",
        "| target | measured | |",
        "|---|---|---|",
        _row("10,000 customers end to end <= 20 s", small and small["e2e_s"], 20, " s"),
        _row("1,000,000 customers end to end <= 180 s", big and big["e2e_s"], 180, " s"),
        _row("Spark jobs A + B <= 6x the shared DuckDB floor", ratio, 6, "x"),
        _row(
            f"incremental ratio (job B cold, day {inc['history_days'] if inc else 30} / day 2) "
            "<= 1.25",
            inc and inc["ratio"],
            1.25,
            "",
        ),
        _row("pre-flight cold import <= 400 ms", pre, 400, " ms"),
    ]
    if inc:
        lines += [
            "",
            "## Incremental: does a day cost its delta, not its history?",
            "",
            f"Job B as its own process on a {inc['customers']:,}-customer lake, "
            f"~{inc['delta_share']:.0%} of customers touched per day: day 2 {inc['day2_s']} s, "
            f"day {inc['history_days']} {inc['dayN_s']} s, ratio {inc['ratio']}. Lake synthesized "
            "as in `bench/bench_staging.py` (committed full states + one day's standardized "
            "delta). Job A reads only the day's raw files, so history cannot reach it.",
        ]
    if pre is not None:
        lines += _lambda_section(r)
    lines += [
        "",
        "## Estimated AWS cost of one daily run (USD), from each Glue job's cold time alone",
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
        f"{a['runtime_factor']} x the seconds it took here as its own cold process (each job "
        "alone, above; 2 shared local cores vs 2 x 4 vCPU "
        "on Glue: likely pessimistic for the work, but Glue adds start-up and S3 latency we did "
        f"not measure); {a['state_transitions']} state transitions per run; "
        f"{a['lambda_invocations']} pre-flight invocation of {a['lambda_seconds']} s at "
        f"{a['lambda_memory_gb']} GB. S3 requests/storage and Snowflake credits are not included.",
        "",
    ]
    return "\n".join(lines)


def _lambda_section(r: dict) -> list[str]:
    return [
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
    ]
