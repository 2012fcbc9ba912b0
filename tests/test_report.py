"""`telco360 report`: the page an operator opens, checked in a real browser (headless Chromium).

The lake is the real exports (two loaded batches) plus a third day that fails pre-flight, so
the page has loaded batches, quarantined rows and a failure. Every number read back from the
page Chromium rendered is compared with its source: the manifests, `telco360 status`, the
recorded alert and the warehouse.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import numpy as np
import pytest
from conftest import copy_run
from PIL import Image

from telco360.local import lake_state
from telco360.ops import cli

REAL_EXPORTS = Path(__file__).parent / "data" / "real_exports"
FAILING_DAY = "2026-11-05"


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "headless Chromium is needed for this test: apt-get install chromium"
    return found


def _browser(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def _cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = cli.main(list(argv))
    return code, out.getvalue()


@pytest.fixture(scope="module")
def reported(real_exports_run, tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("report")
    # The real exports' two days, loaded by one run (conftest.py), copied.
    lake, warehouse = copy_run(*real_exports_run[:2], root)
    # A third day with only one of the four required feeds: pre-flight refuses it.
    partial = root / "lake" / "raw" / "demographics" / f"ingest_date={FAILING_DAY}"
    partial.mkdir(parents=True)
    first = sorted((REAL_EXPORTS / "demographics").glob("ingest_date=*/*.csv"))[0]
    shutil.copy(first, partial / "demographics.csv")

    run_code, _ = _cli("run", "--lake", lake, "--warehouse", warehouse)
    html = root / "report.html"
    report_code, report_out = _cli(
        "report", "--lake", lake, "--warehouse", warehouse, "--out", str(html)
    )
    _, status_out = _cli("status", "--lake", lake, "--warehouse", warehouse)
    png = root / "report.png"
    _browser("--hide-scrollbars", "--window-size=1100,1500", f"--screenshot={png}", html.as_uri())
    dom = _browser("--dump-dom", html.as_uri()).stdout
    return {
        "lake": lake,
        "warehouse": warehouse,
        "run_code": run_code,
        "report_code": report_code,
        "report_out": report_out,
        "status_out": status_out,
        "html": html,
        "png": png,
        "page": _Page.parse(dom),
    }


class _Page(HTMLParser):
    """The values the page shows, keyed by the data-* attributes the template puts on them."""

    def __init__(self) -> None:
        super().__init__()
        self.row: dict = {}
        self.field: str | None = None
        self.text = ""
        self.cells: dict[tuple, str] = {}  # (batch, feed or None, field) -> text
        self.metrics: dict[str, str] = {}
        self.links: list[str] = []
        self.tags: set[str] = set()

    @classmethod
    def parse(cls, html: str) -> _Page:
        page = cls()
        page.feed(html)
        return page

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.add(tag)
        self.links += [v for k, v in attrs.items() if k in ("src", "href", "xlink:href")]
        if "data-batch" in attrs:
            self.row = attrs
        if "data-field" in attrs or "data-metric" in attrs:
            self.field, self.text = attrs.get("data-field") or "metric:" + attrs["data-metric"], ""

    def handle_data(self, data):
        if self.field:
            self.text += data

    def handle_endtag(self, tag):
        if not self.field or tag not in ("td", "div", "span", "strong", "pre"):
            return
        if self.field.startswith("metric:"):
            self.metrics[self.field.removeprefix("metric:")] = self.text.strip()
        else:
            key = (self.row.get("data-batch"), self.row.get("data-feed"), self.field)
            self.cells[key] = self.text.strip()
        self.field = None


def test_the_run_loads_two_batches_fails_the_third_and_the_report_is_written(reported):
    assert reported["run_code"] == 1  # the third day is refused
    assert reported["report_code"] == 0
    assert f"report: {reported['html']}" in reported["report_out"]
    assert reported["html"].stat().st_size > 10_000


def test_the_screenshot_is_not_blank(reported):
    image = Image.open(reported["png"]).convert("RGB")
    assert image.size == (1100, 1500)
    pixels = np.asarray(image).reshape(-1, 3)
    not_white = np.any(pixels != 255, axis=1).mean()
    assert not_white > 0.03  # text, tiles and a chart are drawn
    assert len(np.unique(pixels, axis=0)) > 100  # chart colours and anti-aliased text


def test_the_page_is_self_contained(reported):
    page = reported["page"]
    assert not page.tags & {"script", "link", "img", "iframe"}
    assert all(link.startswith("#") for link in page.links), page.links
    assert page.tags >= {"svg", "table"}


def test_rows_per_feed_match_the_manifests(reported):
    cells, lake = reported["page"].cells, reported["lake"]
    committed = lake_state.committed_dates(lake)
    assert committed == ["2026-11-01", "2026-11-02"]
    checked = 0
    for day in committed:
        for feed, m in lake_state.manifest(lake, day)["feeds"].items():
            for field in ("rows_read", "rows_standardized", "rows_quarantined"):
                assert cells[(day, feed, field)] == str(m[field]), (day, feed, field)
            assert cells[(day, feed, "duplicates_dropped")] == str(m["duplicates_dropped"])
            share = 100 * m["rows_quarantined"] / m["rows_read"]
            assert cells[(day, feed, "quarantine_share")] == f"{share:.2f}%"
            reasons = ", ".join(f"{r} {n}" for r, n in sorted(m["quarantined_by_reason"].items()))
            assert cells[(day, feed, "reasons")] == reasons
            checked += 1
    feeds_on_page = {(b, f) for (b, f, _field) in cells if f}
    assert len(feeds_on_page) == checked == 12  # six feeds on each of the two days


def test_batch_states_match_telco360_status(reported):
    cells = reported["page"].cells
    status_rows = [line.split() for line in reported["status_out"].splitlines()[1:]]
    assert [row[:2] for row in status_rows] == [
        ["2026-11-01", "loaded"],
        ["2026-11-02", "loaded"],
        [FAILING_DAY, "landed"],
    ]
    for row in status_rows:
        assert cells[(row[0], None, "state")] == row[1]
    failed_line = reported["status_out"].splitlines()[-1]
    error = cells[(FAILING_DAY, None, "last_error")]
    assert error and error in failed_line
    assert cells[("2026-11-01", None, "last_error")] == ""


def test_the_latest_failure_shows_the_recorded_alert(reported):
    alert = lake_state.last_alert(reported["lake"], FAILING_DAY)
    cells = reported["page"].cells
    assert cells[(FAILING_DAY, None, "subject")] == alert["subject"]
    assert cells[(FAILING_DAY, None, "message")] == alert["message"].strip()
    assert "BatchIncomplete" in alert["message"]


def test_headline_numbers_match_the_warehouse(reported):
    with duckdb.connect(reported["warehouse"], read_only=True) as con:
        customers, churned, monthly, total = con.execute(
            """SELECT COUNT(*), SUM(CASE WHEN customer_status = 'Churned' THEN 1 ELSE 0 END),
                      SUM(CASE WHEN customer_status <> 'Churned' THEN monthly_charge END),
                      SUM(total_revenue)
               FROM analytics.customer_360"""
        ).fetchone()
    metrics = reported["page"].metrics
    assert metrics["customers"] == str(customers)
    assert metrics["churned"] == str(churned)
    assert metrics["churn_share"] == f"{100 * churned / customers:.1f}%"
    assert metrics["monthly_revenue"] == f"{monthly:.2f}"
    assert metrics["total_revenue"] == f"{total:.2f}"
    assert metrics["latest_batch"] == "2026-11-02"


def test_status_json_is_not_needed_to_read_the_report(reported):
    # The report is a single file: copied elsewhere alone, it still holds every number.
    html = reported["html"].read_text(encoding="utf-8")
    manifest = lake_state.manifest(reported["lake"], "2026-11-01")
    assert json.dumps(manifest["feeds"]["services"]["rows_read"]) in html
