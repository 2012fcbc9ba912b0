"""Pre-flight Lambda: the pure check on a local lake, and the handler with events/ files."""

from __future__ import annotations

import json

import pytest
from conftest import REPO_ROOT

from telco360.shipped import preflight as app
from telco360.shipped.contract import FEEDS

BATCH = "2026-11-02"


def write_feed(lake, feed, text=None, name=None, headers=None, rows=2):
    folder = lake / "raw" / feed / f"ingest_date={BATCH}"
    folder.mkdir(parents=True, exist_ok=True)
    if text is None:
        headers = headers or FEEDS[feed].headers
        lines = [",".join(headers)] + [",".join("x" for _ in headers) for _ in range(rows)]
        text = "\r\n".join(lines) + "\r\n"
    path = folder / (name or f"{feed}.csv")
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


@pytest.fixture
def lake(tmp_path):
    for feed in ("demographics", "location", "services", "status"):
        write_feed(tmp_path, feed)
    return tmp_path


def test_complete_batch_summary(lake):
    write_feed(lake, "usage", rows=3)
    summary = app.check_batch(str(lake), BATCH, allow_rerun=False)
    assert sorted(summary["feeds"]) == ["demographics", "location", "services", "status", "usage"]
    assert summary["files"] == 5
    expected_bytes = sum(p.stat().st_size for p in (lake / "raw").rglob("*.csv"))
    assert summary["bytes"] == expected_bytes
    assert summary["feeds"]["usage"]["files"] == [f"raw/usage/ingest_date={BATCH}/usage.csv"]
    assert summary["optional_feeds_absent"] == ["population"]
    assert summary["rerun"] is False


def test_header_is_trimmed_case_insensitive_bom_tolerant_and_allows_extra_columns(lake):
    headers = [f"  {h.upper()} " for h in FEEDS["services"].headers] + ["Service ID"]
    text = "\ufeff" + ",".join(headers) + "\n" + ",".join("x" for _ in headers)  # no final \n
    write_feed(lake, "services", text=text)
    summary = app.check_batch(str(lake), BATCH, allow_rerun=False)
    assert summary["feeds"]["services"]["extra_columns"] == ["Service ID"]


def test_missing_feed_is_batch_incomplete(lake):
    (lake / "raw/status" / f"ingest_date={BATCH}" / "status.csv").unlink()
    with pytest.raises(app.BatchIncomplete) as err:
        app.check_batch(str(lake), BATCH, allow_rerun=False)
    assert f"feed status: no *.csv under raw/status/ingest_date={BATCH}/ (nor *.csv.gz)" in str(
        err.value
    )


def test_missing_column_is_schema_mismatch_naming_feed_file_and_column(lake):
    headers = [h for h in FEEDS["services"].headers if h not in ("Monthly Charge", "Contract")]
    write_feed(lake, "services", headers=headers)
    with pytest.raises(app.SchemaMismatch) as err:
        app.check_batch(str(lake), BATCH, allow_rerun=False)
    assert (
        f"feed services, file raw/services/ingest_date={BATCH}/services.csv: "
        "missing column(s) 'Contract', 'Monthly Charge'"
    ) in str(err.value)


def test_empty_and_header_only_files(lake):
    write_feed(lake, "location", text="")
    write_feed(lake, "status", rows=0)
    with pytest.raises(app.EmptyFeedFile) as err:
        app.check_batch(str(lake), BATCH, allow_rerun=False)
    message = str(err.value)
    assert f"feed location, file raw/location/ingest_date={BATCH}/location.csv: 0 bytes" in message
    assert f"raw/status/ingest_date={BATCH}/status.csv: header only, no data rows" in message


def test_upload_in_progress_temp_name_and_cut_last_line(lake):
    write_feed(lake, "usage", text="partial", name="usage.csv._COPYING_")
    headers = FEEDS["demographics"].headers
    cut = ",".join(headers) + "\n" + ",".join("x" for _ in headers) + "\n7590-VHVEG,1,Ma"
    write_feed(lake, "demographics", text=cut)
    with pytest.raises(app.UploadInProgress) as err:
        app.check_batch(str(lake), BATCH, allow_rerun=False)
    message = str(err.value)
    assert "file raw/usage/ingest_date=2026-11-02/usage.csv._COPYING_: temporary upload" in message
    assert "demographics.csv: last line cut short (no newline)" in message


def test_committed_batch_needs_allow_rerun(lake):
    marker = lake / "staging/_batches" / f"batch_date={BATCH}" / "manifest.json"
    marker.parent.mkdir(parents=True)
    marker.write_text("{}")
    with pytest.raises(app.BatchAlreadyCommitted) as err:
        app.check_batch(str(lake), BATCH, allow_rerun=False)
    assert '"allow_rerun": true' in str(err.value)
    assert app.check_batch(str(lake), BATCH, allow_rerun=True)["rerun"] is True


@pytest.mark.parametrize("bad", ["2026-13-01", "02/11/2026", ""])
def test_invalid_batch_date(lake, bad):
    with pytest.raises(app.InvalidBatchDate):
        app.check_batch(str(lake), bad, allow_rerun=False)


class Context:
    function_name = "telco360-dev-preflight"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:telco360-dev-preflight"
    aws_request_id = "00000000-0000-4000-8000-000000000000"


def test_handler_with_event_file_emits_metrics(lake, monkeypatch, capsys):
    monkeypatch.setenv("LAKE_ROOT", str(lake))
    # The local runner, used by other tests in this process, turns metrics off for itself.
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    app.metrics.clear_metrics()  # drop what earlier in-process runs buffered while disabled
    event = json.loads((REPO_ROOT / "events/preflight_invoke.json").read_text())
    summary = app.lambda_handler(event, Context())
    assert summary["files"] == 4 and summary["batch_date"] == BATCH
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    (metrics,) = emf
    assert metrics["PreflightFiles"] == [4.0] or metrics["PreflightFiles"] == 4.0
    assert metrics["PreflightBytes"] in (summary["bytes"], [float(summary["bytes"])])


def test_handler_raises_specific_error(lake, monkeypatch):
    monkeypatch.setenv("LAKE_ROOT", str(lake))
    (lake / "raw/location" / f"ingest_date={BATCH}" / "location.csv").unlink()
    event = json.loads((REPO_ROOT / "events/preflight_invoke.json").read_text())
    with pytest.raises(app.BatchIncomplete):
        app.lambda_handler(event, Context())
