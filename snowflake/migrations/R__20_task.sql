-- The scheduled load: after the AWS batch window, load every committed batch not yet loaded.
-- Failures are published through the SNS error integration (the pipeline's alert topic), and
-- the task suspends itself after a budget of consecutive failures (resume it once fixed:
-- ALTER TASK CORE.LOAD_PENDING_TASK RESUME). Owned by the pipeline role, so it runs with that
-- role's grants only. `task_state` (RESUME | SUSPEND) pauses the schedule without an edit.
USE DATABASE {{ database }};

CREATE OR REPLACE TASK CORE.LOAD_PENDING_TASK
    WAREHOUSE = {{ warehouse }}
    SCHEDULE = 'USING CRON {{ load_cron }} {{ load_time_zone }}'
    ERROR_INTEGRATION = {{ error_integration }}
    SUSPEND_TASK_AFTER_NUM_FAILURES = {{ suspend_task_after_num_failures }}
    USER_TASK_TIMEOUT_MS = {{ task_timeout_ms }}
    ALLOW_OVERLAPPING_EXECUTION = FALSE
    COMMENT = 'Telco 360: CALL CORE.LOAD_PENDING() on schedule'
AS
    CALL CORE.LOAD_PENDING();

GRANT OWNERSHIP ON TASK CORE.LOAD_PENDING_TASK TO ROLE {{ pipeline_role }} COPY CURRENT GRANTS;
ALTER TASK CORE.LOAD_PENDING_TASK {{ task_state }};
