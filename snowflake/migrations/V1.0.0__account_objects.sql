-- Account-level objects: role, warehouse, database, storage integration, error integration.
-- Run by the deploying role (ACCOUNTADMIN, or a role with CREATE ROLE / WAREHOUSE / DATABASE /
-- INTEGRATION on the account). Every statement is re-runnable: IF NOT EXISTS, then ALTER to the
-- configured values, so a change of bucket, role ARN or size is a variable change, not an edit.
-- Integrations are never replaced: CREATE OR REPLACE would mint a new external ID / IAM user
-- and break the trust policy of the IAM role created by the SAM stack (see docs/SNOWFLAKE.md).

-- The pipeline's role (owns the TASK, runs the loads); granted to SYSADMIN for administration.
CREATE ROLE IF NOT EXISTS {{ pipeline_role }} COMMENT = 'Telco 360: loads staging batches (TASK owner)';
GRANT ROLE {{ pipeline_role }} TO ROLE SYSADMIN;
-- Analysts read ANALYTICS only.
CREATE ROLE IF NOT EXISTS {{ reader_role }} COMMENT = 'Telco 360: read ANALYTICS';
GRANT ROLE {{ reader_role }} TO ROLE SYSADMIN;

-- A small warehouse that stops when idle.
CREATE WAREHOUSE IF NOT EXISTS {{ warehouse }}
    WAREHOUSE_SIZE = '{{ warehouse_size }}'
    AUTO_SUSPEND = {{ auto_suspend_seconds }}
    AUTO_RESUME = TRUE
    INITIALLY_SUSPENDED = TRUE
    COMMENT = 'Telco 360 loads';
ALTER WAREHOUSE {{ warehouse }} SET
    WAREHOUSE_SIZE = '{{ warehouse_size }}'
    AUTO_SUSPEND = {{ auto_suspend_seconds }};

CREATE DATABASE IF NOT EXISTS {{ database }} COMMENT = 'Telco Customer 360';

-- Snowflake reads the lake through the IAM role the SAM stack creates; only the staging prefix.
CREATE STORAGE INTEGRATION IF NOT EXISTS {{ storage_integration }}
    TYPE = EXTERNAL_STAGE
    STORAGE_PROVIDER = 'S3'
    ENABLED = TRUE
    STORAGE_AWS_ROLE_ARN = '{{ storage_aws_role_arn }}'
    STORAGE_ALLOWED_LOCATIONS = ('s3://{{ lake_bucket }}/staging/');
ALTER STORAGE INTEGRATION {{ storage_integration }} SET
    STORAGE_AWS_ROLE_ARN = '{{ storage_aws_role_arn }}'
    STORAGE_ALLOWED_LOCATIONS = ('s3://{{ lake_bucket }}/staging/');

-- Task failures are published to the pipeline's SNS topic (same pager as AWS failures).
CREATE NOTIFICATION INTEGRATION IF NOT EXISTS {{ error_integration }}
    ENABLED = TRUE
    TYPE = QUEUE
    DIRECTION = OUTBOUND
    NOTIFICATION_PROVIDER = AWS_SNS
    AWS_SNS_TOPIC_ARN = '{{ sns_topic_arn }}'
    AWS_SNS_ROLE_ARN = '{{ sns_role_arn }}';
ALTER NOTIFICATION INTEGRATION {{ error_integration }} SET
    AWS_SNS_TOPIC_ARN = '{{ sns_topic_arn }}'
    AWS_SNS_ROLE_ARN = '{{ sns_role_arn }}';

-- Least privilege for the pipeline role at account level: run its warehouse, run tasks,
-- publish task errors. Object grants are next to the objects (V1.0.2, R__ scripts).
GRANT USAGE, OPERATE ON WAREHOUSE {{ warehouse }} TO ROLE {{ pipeline_role }};
GRANT EXECUTE TASK ON ACCOUNT TO ROLE {{ pipeline_role }};
GRANT USAGE ON INTEGRATION {{ error_integration }} TO ROLE {{ pipeline_role }};
GRANT USAGE ON DATABASE {{ database }} TO ROLE {{ pipeline_role }};
GRANT USAGE ON WAREHOUSE {{ warehouse }} TO ROLE {{ reader_role }};
GRANT USAGE ON DATABASE {{ database }} TO ROLE {{ reader_role }};
