-- Account-level objects and their settings: roles, warehouse, storage integration, the optional
-- error integration, account-level grants. A repeatable script: schemachange re-runs it
-- whenever its rendered text changes, i.e. whenever a variable it uses changes, so a new
-- bucket, role ARN, size or suspend time reaches Snowflake on the next deploy (a versioned
-- script would be skipped for good). Every statement is re-runnable: IF NOT EXISTS, then
-- ALTER ... SET to the configured values.
--
-- Ownership: the deploy role ({{ deploy_role }}: SYSADMIN or a custom role) creates and owns the
-- warehouse; {{ admin_role }} (ACCOUNTADMIN) is used only for what needs it: the roles, the
-- integrations and the account-level grants. Integrations are never replaced: CREATE OR REPLACE
-- would mint a new external ID / IAM user and break the trust policy of the IAM role the SAM
-- stack creates (docs/SNOWFLAKE.md).

USE ROLE {{ admin_role }};

-- The pipeline's role (owns the TASK, runs the loads); granted to the deploy role for administration.
CREATE ROLE IF NOT EXISTS {{ pipeline_role }} COMMENT = 'Telco 360: loads staging batches (TASK owner)';
GRANT ROLE {{ pipeline_role }} TO ROLE {{ deploy_role }};
-- Analysts read ANALYTICS only.
CREATE ROLE IF NOT EXISTS {{ reader_role }} COMMENT = 'Telco 360: read ANALYTICS';
GRANT ROLE {{ reader_role }} TO ROLE {{ deploy_role }};

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
-- The deploy role creates the stage on it (R__02).
GRANT USAGE ON INTEGRATION {{ storage_integration }} TO ROLE {{ deploy_role }};
{% if error_integration %}
-- Task failures are published to the pipeline's SNS topic (same pager as AWS failures). AWS SNS
-- notification integrations exist only for Snowflake accounts hosted on AWS: set
-- error_integration to '' elsewhere (docs/SNOWFLAKE.md says how failures surface then).
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
GRANT USAGE ON INTEGRATION {{ error_integration }} TO ROLE {{ pipeline_role }};
GRANT USAGE ON INTEGRATION {{ error_integration }} TO ROLE {{ deploy_role }};
{% endif %}
-- Least privilege for the pipeline role at account level: run tasks.
GRANT EXECUTE TASK ON ACCOUNT TO ROLE {{ pipeline_role }};

USE ROLE {{ deploy_role }};

-- A small warehouse that stops when idle, owned by the deploy role.
CREATE WAREHOUSE IF NOT EXISTS {{ warehouse }}
    WAREHOUSE_SIZE = '{{ warehouse_size }}'
    AUTO_SUSPEND = {{ auto_suspend_seconds }}
    AUTO_RESUME = TRUE
    INITIALLY_SUSPENDED = TRUE
    COMMENT = 'Telco 360 loads';
ALTER WAREHOUSE {{ warehouse }} SET
    WAREHOUSE_SIZE = '{{ warehouse_size }}'
    AUTO_SUSPEND = {{ auto_suspend_seconds }};

GRANT USAGE, OPERATE ON WAREHOUSE {{ warehouse }} TO ROLE {{ pipeline_role }};
GRANT USAGE ON DATABASE {{ database }} TO ROLE {{ pipeline_role }};
GRANT USAGE ON WAREHOUSE {{ warehouse }} TO ROLE {{ reader_role }};
GRANT USAGE ON DATABASE {{ database }} TO ROLE {{ reader_role }};
