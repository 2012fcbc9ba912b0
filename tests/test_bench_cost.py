"""The AWS cost estimate used by bench/: exact arithmetic on the stated prices."""

import aws_cost as cost  # bench/ is on pytest's pythonpath (pyproject.toml)
import pytest


def test_short_jobs_pay_the_one_minute_minimum_each():
    a = cost.Assumptions(workers=2, lambda_seconds=2.0)
    got = cost.estimate_run_cost([10.0, 30.0], a)
    # 2 jobs x 2 DPU x 60 s = 240 DPU-s = 1/15 DPU-h.
    assert got["glue_standard"] == pytest.approx(0.44 / 15)
    assert got["glue_flex"] == pytest.approx(0.29 / 15)
    assert got["step_functions"] == pytest.approx(6 * 0.000025)
    assert got["lambda"] == pytest.approx(0.25 * 2.0 * 0.0000133334 + 0.0000002)
    assert got["total_standard"] == pytest.approx(
        got["glue_standard"] + got["step_functions"] + got["lambda"]
    )


def test_long_jobs_are_billed_per_second_times_workers_and_factor():
    a = cost.Assumptions(workers=10, runtime_factor=0.5)
    got = cost.estimate_run_cost([720.0, 360.0], a)
    # (360 s + 180 s) x 10 DPU = 5400 DPU-s = 1.5 DPU-h.
    assert got["glue_standard"] == pytest.approx(1.5 * 0.44)
    assert got["glue_flex"] == pytest.approx(1.5 * 0.29)
