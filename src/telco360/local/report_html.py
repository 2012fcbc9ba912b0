"""`telco360 report`: one self-contained HTML page about a lake and its warehouse.

Charts are drawn by matplotlib as inline SVG and the page is a Jinja2 template: the file needs
no server, no network and no other file, so it can be mailed or opened from disk.
"""

from __future__ import annotations

import io
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: draw to memory
import matplotlib.pyplot as plt  # noqa: E402
from jinja2 import Environment, PackageLoader, select_autoescape  # noqa: E402
from markupsafe import Markup  # noqa: E402

from telco360.local.report_data import FeedRow, ReportData, gather  # noqa: E402

STATE_COLOURS = {
    "loaded": "#2e7d32",
    "committed": "#1565c0",
    "standardized": "#ef6c00",
    "landed": "#757575",
    "failed": "#c62828",
}
plt.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "telco360", "font.size": 9})


def _svg(fig) -> Markup:
    """The figure as an inline <svg> element (deterministic: no date, fixed ids)."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buffer.getvalue()
    return Markup(text[text.index("<svg") :])


def batch_state_chart(data: ReportData) -> Markup:
    fig, ax = plt.subplots(figsize=(8, 1.6))
    seen = set()
    for i, batch in enumerate(data.batches):
        state = "failed" if batch.last_error else batch.state
        ax.scatter(i, 0, s=160, color=STATE_COLOURS.get(state, "#000"), label=state)
        seen.add(state)
    ax.set_xticks(range(len(data.batches)), [b.batch_date for b in data.batches], rotation=45)
    ax.set_yticks([])
    ax.set_xlim(-0.7, max(len(data.batches), 1) - 0.3)
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    ax.legend(unique.values(), unique.keys(), loc="center left", bbox_to_anchor=(1, 0.5))
    ax.set_title("batches and their state")
    return _svg(fig)


def _by_feed(rows: list[FeedRow]) -> dict[str, list[FeedRow]]:
    grouped: dict[str, list[FeedRow]] = defaultdict(list)
    for row in rows:
        grouped[row.feed].append(row)
    return dict(sorted(grouped.items()))


def _feed_lines(rows: list[FeedRow], value, title: str, ylabel: str, log=False) -> Markup:
    dates = sorted({r.batch_date for r in rows})
    fig, ax = plt.subplots(figsize=(8, 3))
    for feed, feed_rows in _by_feed(rows).items():
        xs = [dates.index(r.batch_date) for r in feed_rows]
        ax.plot(xs, [value(r) for r in feed_rows], marker="o", label=feed)
    ax.set_xticks(range(len(dates)), dates, rotation=45)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    if log and rows:  # a full day-1 export and daily deltas differ by orders of magnitude
        ax.set_yscale("symlog", linthresh=10)
        ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    if rows:
        ax.legend(loc="center left", bbox_to_anchor=(1, 0.5))
    return _svg(fig)


def rows_chart(rows: list[FeedRow]) -> Markup:
    return _feed_lines(
        rows, lambda r: r.rows_read, "rows read per feed per batch", "rows", log=True
    )


def quarantine_share_chart(rows: list[FeedRow]) -> Markup:
    return _feed_lines(
        rows, lambda r: 100 * r.quarantine_share, "quarantine share per feed", "% of rows read"
    )


def reasons_chart(rows: list[FeedRow]) -> Markup:
    totals: dict[str, dict[str, int]] = {}
    for feed, feed_rows in _by_feed(rows).items():
        counts: dict[str, int] = defaultdict(int)
        for row in feed_rows:
            for reason, n in row.quarantined_by_reason.items():
                counts[reason] += n
        totals[feed] = counts
    reasons = sorted({reason for counts in totals.values() for reason in counts})
    feeds = list(totals)
    fig, ax = plt.subplots(figsize=(8, 0.4 * len(feeds) + 1.2))
    left = [0] * len(feeds)
    for reason in reasons:
        widths = [totals[feed].get(reason, 0) for feed in feeds]
        ax.barh(feeds, widths, left=left, label=reason)
        left = [a + b for a, b in zip(left, widths, strict=True)]
    ax.set_title("quarantine reasons per feed (all committed batches)")
    ax.set_xlabel("reason codes given (a row can have several)")
    ax.invert_yaxis()
    if reasons:
        ax.legend(loc="center left", bbox_to_anchor=(1, 0.5))
    return _svg(fig)


def report_page(data: ReportData) -> str:
    env = Environment(
        loader=PackageLoader("telco360.local", "templates"), autoescape=select_autoescape(["html"])
    )
    template = env.get_template("report.html")
    return template.render(
        data=data,
        charts={
            "batches": batch_state_chart(data),
            "rows": rows_chart(data.feeds),
            "quarantine": quarantine_share_chart(data.feeds),
            "reasons": reasons_chart(data.feeds),
        },
    )


def write_report(lake: str, warehouse_path: str, out: str) -> Path:
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report_page(gather(lake, warehouse_path)), encoding="utf-8")
    return path
