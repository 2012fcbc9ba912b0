"""What one daily run costs on AWS: an estimate from measured local job seconds.

Pure arithmetic on stated prices (eu-west-1 / us-east-1 list prices, 2025): no AWS calls.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

# Glue 6.0, G.1X worker = 1 DPU; billed per second with a 1-minute minimum per job run.
GLUE_STANDARD_USD_PER_DPU_HOUR = 0.44
GLUE_FLEX_USD_PER_DPU_HOUR = 0.29
GLUE_MINIMUM_S = 60
# Step Functions standard workflows.
SFN_USD_PER_TRANSITION = 0.025 / 1000
# Lambda arm64.
LAMBDA_USD_PER_GB_S = 0.0000133334
LAMBDA_USD_PER_REQUEST = 0.20 / 1_000_000


@dataclass(frozen=True)
class Assumptions:
    workers: int = 2  # template.yaml GlueNumberOfWorkers default (G.1X)
    dpu_per_worker: float = 1.0  # G.1X
    runtime_factor: float = 1.0  # Glue seconds per measured local second (see README)
    state_transitions: int = 6  # happy path: Resolve, Derive, Preflight, A, B, Succeed
    lambda_invocations: int = 1  # pre-flight (the failure Lambda runs only on failures)
    lambda_memory_gb: float = 0.25  # template.yaml Globals MemorySize 256
    lambda_seconds: float = 2.0  # cold start + listing/reading a few headers on S3


def glue_job_cost(seconds: float, a: Assumptions, usd_per_dpu_hour: float) -> float:
    billed = max(seconds * a.runtime_factor, GLUE_MINIMUM_S)
    return a.workers * a.dpu_per_worker * billed / 3600 * usd_per_dpu_hour


def estimate_run_cost(job_seconds: list[float], a: Assumptions | None = None) -> dict:
    """USD for one daily run whose Glue jobs took `job_seconds` (each billed separately)."""
    a = a or Assumptions()
    standard = sum(glue_job_cost(s, a, GLUE_STANDARD_USD_PER_DPU_HOUR) for s in job_seconds)
    flex = sum(glue_job_cost(s, a, GLUE_FLEX_USD_PER_DPU_HOUR) for s in job_seconds)
    sfn = a.state_transitions * SFN_USD_PER_TRANSITION
    lam = a.lambda_invocations * (
        a.lambda_memory_gb * a.lambda_seconds * LAMBDA_USD_PER_GB_S + LAMBDA_USD_PER_REQUEST
    )
    return {
        "glue_standard": standard,
        "glue_flex": flex,
        "step_functions": sfn,
        "lambda": lam,
        "total_standard": standard + sfn + lam,
        "total_flex": flex + sfn + lam,
    }


def prices() -> dict:
    return {
        "glue_standard_usd_per_dpu_hour": GLUE_STANDARD_USD_PER_DPU_HOUR,
        "glue_flex_usd_per_dpu_hour": GLUE_FLEX_USD_PER_DPU_HOUR,
        "glue_minimum_s_per_job": GLUE_MINIMUM_S,
        "sfn_usd_per_1000_transitions": SFN_USD_PER_TRANSITION * 1000,
        "lambda_arm64_usd_per_gb_s": LAMBDA_USD_PER_GB_S,
        "lambda_usd_per_1m_requests": LAMBDA_USD_PER_REQUEST * 1_000_000,
    }


def assumptions(a: Assumptions | None = None) -> dict:
    return asdict(a or Assumptions())
