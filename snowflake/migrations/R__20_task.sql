-- The scheduled load: after the AWS batch window, make the warehouse follow the lake
-- (CALL CORE.LOAD_PENDING()). The task suspends itself after a budget of consecutive failures
-- (resume it once fixed: ALTER TASK CORE.LOAD_PENDING_TASK RESUME). Failures are published
-- through the SNS error integration when there is one (error_integration; AWS-hosted accounts
-- only), and are always in TASK_HISTORY and CORE.LOAD_FAILURES.
--
-- A safe first deploy: CREATE OR REPLACE TASK creates it suspended, and `task_state` defaults
-- to SUSPEND. Resume it only once `LIST @RAW.STAGING_STAGE/_batches/` works (the storage
-- integration's trust handshake is done): ALTER TASK CORE.LOAD_PENDING_TASK RESUME, and set
-- "task_state": "RESUME" for that environment so a later re-deploy of this script keeps it
-- running (docs/SNOWFLAKE.md, first deploy). Owned by the pipeline role, so it runs with that
-- role's grants only.
USE ROLE {{ deploy_role }};
USE DATABASE {{ database }};

CREATE OR REPLACE TASK CORE.LOAD_PENDING_TASK
    WAREHOUSE = {{ warehouse }}
    SCHEDULE = 'USING CRON {{ load_cron }} {{ load_time_zone }}'
{%- if error_integration %}
    ERROR_INTEGRATION = {{ error_integration }}
{%- endif %}
    SUSPEND_TASK_AFTER_NUM_FAILURES = {{ suspend_task_after_num_failures }}
    USER_TASK_TIMEOUT_MS = {{ task_timeout_ms }}
    ALLOW_OVERLAPPING_EXECUTION = FALSE
    COMMENT = 'Telco 360: CALL CORE.LOAD_PENDING() on schedule'
AS
    CALL CORE.LOAD_PENDING();

GRANT OWNERSHIP ON TASK CORE.LOAD_PENDING_TASK TO ROLE {{ pipeline_role }} COPY CURRENT GRANTS;
ALTER TASK CORE.LOAD_PENDING_TASK {{ task_state }};
