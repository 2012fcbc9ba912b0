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
    from telco360.generate import generate

    written = generate(
        lake=args.lake,
        customers=args.customers,
        days=args.days,
        start=args.start,
        seed=args.seed,
        dirty=args.dirty,
    )
    print(f"wrote {len(written)} files under {args.lake}/raw")
    return 0


def _cmd_embed(_args: argparse.Namespace) -> int:
    from telco360.embed import embed_all

    changed = embed_all()
    print("\n".join(f"updated {p}" for p in changed) or "embedded copies are up to date")
    return 0


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

    emb = sub.add_parser("embed", help="refresh the contract copies embedded in glue/*.py")
    emb.set_defaults(func=_cmd_embed)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
