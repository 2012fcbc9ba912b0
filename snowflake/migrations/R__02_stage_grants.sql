-- The external stage on the lake's staging/ prefix and the object grants of the pipeline and
-- reader roles. Repeatable: re-run whenever a variable it uses changes (bucket, integration,
-- role names). Owned by the deploy role, which owns the database.
USE ROLE {{ deploy_role }};
USE DATABASE {{ database }};

CREATE STAGE IF NOT EXISTS RAW.STAGING_STAGE
    URL = 's3://{{ lake_bucket }}/staging/'
    STORAGE_INTEGRATION = {{ storage_integration }}
    FILE_FORMAT = RAW.PARQUET_FORMAT
    COMMENT = 'The lake''s staging zone: batch files and their commit markers';
ALTER STAGE RAW.STAGING_STAGE SET
    URL = 's3://{{ lake_bucket }}/staging/'
    STORAGE_INTEGRATION = {{ storage_integration }};

-- Pipeline role: read the stage, write RAW and CORE and ANALYTICS tables (DML only, no DDL).
GRANT USAGE ON SCHEMA RAW TO ROLE {{ pipeline_role }};
GRANT USAGE ON SCHEMA CORE TO ROLE {{ pipeline_role }};
GRANT USAGE ON SCHEMA ANALYTICS TO ROLE {{ pipeline_role }};
GRANT USAGE ON STAGE RAW.STAGING_STAGE TO ROLE {{ pipeline_role }};
GRANT USAGE ON FILE FORMAT RAW.PARQUET_FORMAT TO ROLE {{ pipeline_role }};
GRANT USAGE ON FILE FORMAT RAW.JSON_FORMAT TO ROLE {{ pipeline_role }};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA RAW TO ROLE {{ pipeline_role }};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA CORE TO ROLE {{ pipeline_role }};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ANALYTICS TO ROLE {{ pipeline_role }};
GRANT SELECT, INSERT, UPDATE, DELETE ON FUTURE TABLES IN SCHEMA RAW TO ROLE {{ pipeline_role }};
GRANT SELECT, INSERT, UPDATE, DELETE ON FUTURE TABLES IN SCHEMA CORE TO ROLE {{ pipeline_role }};
GRANT SELECT, INSERT, UPDATE, DELETE ON FUTURE TABLES IN SCHEMA ANALYTICS TO ROLE {{ pipeline_role }};

-- Reader role: ANALYTICS only.
GRANT USAGE ON SCHEMA ANALYTICS TO ROLE {{ reader_role }};
GRANT SELECT ON ALL TABLES IN SCHEMA ANALYTICS TO ROLE {{ reader_role }};
GRANT SELECT ON FUTURE TABLES IN SCHEMA ANALYTICS TO ROLE {{ reader_role }};
