"""`telco360`: the operator's command line. Each sub-command lives in its own module."""

from __future__ import annotations

import argparse
import sys
from datetime import date


def _date(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _cmd_generate(args: argparse.Namespace) -> int:
    from telco360.ops.generate import generate

    try:
        written = generate(
            lake=args.lake,
            customers=args.customers,
            days=args.days,
            start=args.start,
            seed=args.seed,
            dirty=args.dirty,
        )
    except ValueError as bad:
        return _fail(str(bad))
    print(f"wrote {len(written)} files under {args.lake}/raw")
    return 0


def _cmd_glue(_args: argparse.Namespace) -> int:
    from telco360.ops.glue_bundle import write_all

    changed = write_all()
    print("\n".join(f"updated {p}" for p in changed) or "glue/*.py are up to date")
    return 0


DEFAULT_LAKE = ".telco360/lake"
DEFAULT_WAREHOUSE = ".telco360/warehouse.duckdb"
SAMPLE = {"customers": 3000, "days": 3, "start": "2026-11-01", "seed": 7, "dirty": 0.01}


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def _selected_dates(args: argparse.Namespace) -> list[str] | None:
    if args.date:
        return [args.date]
    if args.from_date or args.to_date:
        from telco360.local.lake_state import dates_between

        return dates_between(args.lake, args.from_date, args.to_date)
    return None


def _run_local(args: argparse.Namespace, dates: list[str] | None) -> int:
    from telco360.local import lake_state, runner
    from telco360.local.run_lock import LakeBusy, RunLock

    pipeline = runner.LocalPipeline(
        args.lake, args.warehouse, quarantine_threshold=args.quarantine_threshold
    )
    try:
        with RunLock(args.lake):
            # The JVM boots (seconds) while this process imports the rest and plans the run.
            to_process = runner.to_process(args.lake, dates)
            if to_process:
                pipeline.start_spark(lake_state.raw_bytes(pipeline.lake, to_process))
            pending = runner.plan(args.lake, args.warehouse, dates)
            if not pending.dates:
                print("nothing pending: every landed batch is committed and loaded")
                return 0
            print(f"{len(pending.dates)} batch(es) pending: {', '.join(pending.dates)}")
            reports = runner.run_pending(pipeline, pending)
    except LakeBusy as busy:
        return _fail(str(busy))
    except runner.StepFailed as failed:
        return _fail(failed.explain())
    from telco360.local import warehouse
    from telco360.local.run_summary import summary_text

    print(summary_text(reports, warehouse.summary(args.warehouse), args.warehouse))
    return 0


AWS_THRESHOLD = (
    "--quarantine-threshold applies to local runs; on AWS set the stack parameter "
    "QuarantineThreshold, or re-run job A once with the Glue argument --quarantine_threshold"
)


def _cmd_run(args: argparse.Namespace) -> int:
    if args.aws and args.quarantine_threshold is not None:
        return _fail(AWS_THRESHOLD)
    if args.aws:
        from telco360.ops import aws_ops

        # --from/--to are resolved against the lake bucket, not the local lake
        return aws_ops.run_dates(
            args.stack,
            [args.date] if args.date else None,
            region=args.region,
            state_machine_arn=args.state_machine_arn,
            from_date=args.from_date,
            to_date=args.to_date,
        )
    from telco360.local.lake_state import landed_dates

    if args.lake == DEFAULT_LAKE and not landed_dates(args.lake):
        print(f"empty lake: generating the built-in sample data into {args.lake} ...")
        from telco360.ops.generate import generate

        generate(lake=args.lake, **SAMPLE)
    return _run_local(args, _selected_dates(args))


def _cmd_backfill(args: argparse.Namespace) -> int:
    if args.aws and args.quarantine_threshold is not None:
        return _fail(AWS_THRESHOLD)
    if args.aws:
        from telco360.ops import aws_ops

        return aws_ops.backfill(
            args.stack,
            args.from_date,
            args.to_date,
            region=args.region,
            state_machine_arn=args.state_machine_arn,
        )
    from telco360.local.run_lock import LakeBusy, RunLock
    from telco360.ops import backfill

    last = args.to_date or args.from_date
    try:
        with RunLock(args.lake):
            dates = backfill.dates_to_rerun(args.lake, args.from_date, last)
            if not dates:
                return _fail(f"no batch landed or committed from {args.from_date} to {last}")
            removed = backfill.uncommit_from(args.lake, args.from_date)
            print(f"re-running {', '.join(dates)} (un-committed: {', '.join(removed) or 'none'})")
    except LakeBusy as busy:
        return _fail(str(busy))
    return _run_local(args, dates)


def _cmd_status(args: argparse.Namespace) -> int:
    from pathlib import Path

    from telco360.local import lake_state, warehouse

    loaded = warehouse.loaded_batches(args.warehouse) if Path(args.warehouse).exists() else []
    statuses = lake_state.batch_statuses(args.lake, loaded)
    if not statuses:
        print(f"no batches in {args.lake}")
        return 0
    print(f"{'batch':<12}{'state':<14}{'landed':<8}{'std':<6}{'commit':<8}{'loaded':<8}last error")
    yes = {True: "yes", False: "-"}
    for s in statuses:
        print(
            f"{s.batch_date:<12}{s.state:<14}{yes[s.landed]:<8}{yes[s.standardized]:<6}"
            f"{yes[s.committed]:<8}{yes[s.loaded]:<8}{s.last_error or ''}"
        )
    return 0


DEFAULT_REPORT = ".telco360/report.html"


def _cmd_report(args: argparse.Namespace) -> int:
    from telco360.local.report_html import write_report

    path = write_report(args.lake, args.warehouse, args.out)
    print(f"report: {path} (open it in a browser; it needs no server or network)")
    return 0


def _cmd_query(args: argparse.Namespace) -> int:
    import duckdb

    with duckdb.connect(args.warehouse, read_only=True) as con:
        result = con.sql(args.sql)
        if result is None:
            return 0
        result.show(max_rows=args.max_rows)
    return 0


def _lake_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lake", default=DEFAULT_LAKE, help=f"lake root (default {DEFAULT_LAKE})")
    parser.add_argument(
        "--warehouse", default=DEFAULT_WAREHOUSE, help=f"DuckDB file (default {DEFAULT_WAREHOUSE})"
    )


def _share(text: str) -> float:
    try:
        share = float(text)
    except ValueError:
        share = -1.0
    if not 0 <= share <= 1:
        raise argparse.ArgumentTypeError(f"not a share from 0 to 1: {text!r}")
    return share


def _threshold_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--quarantine-threshold",
        type=_share,
        default=None,
        metavar="SHARE",
        help="largest share (0 to 1) of a feed's rows job A may quarantine before it fails the "
        "batch (default 0.1; 1 = no limit); applies to this run only",
    )


def _aws_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--aws", action="store_true", help="start executions of the deployed state machine"
    )
    parser.add_argument("--stack", default="telco360-dev", help="CloudFormation stack (--aws)")
    parser.add_argument("--state-machine-arn", help="overrides the stack's StateMachineArn (--aws)")
    parser.add_argument("--region", help="AWS region (--aws; default: your AWS configuration)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="telco360", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write realistic sample CRM exports into a lake")
    gen.add_argument("--lake", required=True, help="lake root folder")
    gen.add_argument("--customers", type=int, default=1000, help="customers on day 1")
    gen.add_argument("--days", type=int, default=3, help="number of daily batches")
    gen.add_argument("--start", type=_date, default="2026-11-01", help="first batch date")
    gen.add_argument("--seed", type=int, default=7, help="random seed (same seed, same bytes)")
    gen.add_argument(
        "--dirty", type=float, default=0.01, help="share of rows with export quirks or defects"
    )
    gen.set_defaults(func=_cmd_generate)

    run = sub.add_parser("run", help="run every pending batch from landing to CUSTOMER_360")
    _lake_args(run)
    _aws_args(run)
    which = run.add_mutually_exclusive_group()
    which.add_argument("--date", type=_date, help="only this batch date")
    which.add_argument("--from", dest="from_date", type=_date, help="first batch date")
    run.add_argument("--to", dest="to_date", type=_date, help="last batch date")
    _threshold_arg(run)
    run.set_defaults(func=_cmd_run)

    back = sub.add_parser("backfill", help="re-run dates, and every later committed date, in order")
    _lake_args(back)
    _aws_args(back)
    back.add_argument("--from", dest="from_date", type=_date, required=True)
    back.add_argument("--to", dest="to_date", type=_date, help="last date (default: --from)")
    _threshold_arg(back)
    back.set_defaults(func=_cmd_backfill)

    status = sub.add_parser("status", help="each batch: landed, standardized, committed, loaded")
    _lake_args(status)
    status.set_defaults(func=_cmd_status)

    report = sub.add_parser("report", help="write one self-contained HTML page about the lake")
    _lake_args(report)
    report.add_argument(
        "--out", default=DEFAULT_REPORT, help=f"HTML file (default {DEFAULT_REPORT})"
    )
    report.set_defaults(func=_cmd_report)

    query = sub.add_parser("query", help="run SQL against the local warehouse")
    query.add_argument("sql", help='e.g. "select count(*) from analytics.customer_360"')
    query.add_argument("--warehouse", default=DEFAULT_WAREHOUSE)
    query.add_argument("--max-rows", type=int, default=40)
    query.set_defaults(func=_cmd_query)

    glue = sub.add_parser("glue", help="regenerate glue/*.py (what Glue runs) from the package")
    glue.set_defaults(func=_cmd_glue)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
