-- The load, as stored procedures (Snowflake Scripting) that only SEQUENCE statements.
--
-- Neither the model nor the load's decisions are written here: schemachange's Jinja `include`
-- pastes them from snowflake/modules/ into the procedure bodies at deploy time:
--   modules/load/lock.sql          the load lock (first statement of the transaction)
--   modules/load/plan.sql          ledger vs commit markers: rewind point (run-id check), the
--                                  batches to load (ledger check), chain (gap / out-of-order)
--   modules/load/check_batch.sql   RAW vs commit marker: schema, row counts, NULL keys
--   modules/load/check_model.sql   data tests of CUSTOMER_360
--   modules/model/*.sql            RAW -> CORE -> CUSTOMER_360, rewind
-- The local DuckDB warehouse (telco360.local.warehouse) executes the very same files, transpiled by
-- sqlglot, in the same order, so every decision is executed by the tests. What is written
-- here is only what is bound to Snowflake: reading the commit markers and COPYing the files
-- from the stage, INFER_SCHEMA, raising the named errors, the transaction.
-- `batch_date`, `run_id`, `from_date` and `up_to` are the variables the included statements
-- use as :batch_date, :run_id, :from_date and :up_to.
--
-- Caller's rights: the TASK (owned by the pipeline role) or an operator using that role runs
-- them with that role's grants only.
USE ROLE {{ deploy_role }};
USE DATABASE {{ database }};

CREATE OR REPLACE PROCEDURE RAW.COPY_BATCH_FILES(BATCH_DATE DATE, TARGET_TABLE VARCHAR, FILES ARRAY)
RETURNS NUMBER
LANGUAGE SQL
EXECUTE AS CALLER
COMMENT = 'COPY exactly the listed staging files (lake-relative paths from a commit marker) into a RAW table, recording their columns (INFER_SCHEMA) for the schema check'
AS
$$
DECLARE
    file_list VARCHAR;
    copy_sql VARCHAR;
    infer_sql VARCHAR;
    files_loaded NUMBER;
    missing_files EXCEPTION (-20010, 'COPY loaded fewer files than the commit marker lists: a listed file is missing on the stage. Re-run Glue job B for the batch.');
BEGIN
    IF (FILES IS NULL OR ARRAY_SIZE(FILES) = 0) THEN
        RETURN 0;  -- job B lists no file for an empty output; the count check expects 0 rows
    END IF;
    -- Marker paths are relative to the lake root (staging/...); the stage URL is .../staging/.
    SELECT LISTAGG('''' || REGEXP_REPLACE(f.value::VARCHAR, '^staging/', '') || '''', ', ')
      INTO :file_list
      FROM TABLE(FLATTEN(input => :FILES)) AS f;
    -- The files' own columns, for modules/load/check_batch.sql: MATCH_BY_COLUMN_NAME would
    -- NULL-fill a column they lack and drop one the table lacks, silently.
    infer_sql := 'INSERT INTO CORE.LOAD_FILE_COLUMNS (batch_date, raw_table, column_name) '
        || 'SELECT DISTINCT ''' || BATCH_DATE::VARCHAR || '''::DATE, '''
        || UPPER(SPLIT_PART(TARGET_TABLE, '.', 2)) || ''', COLUMN_NAME '
        || 'FROM TABLE(INFER_SCHEMA(LOCATION => ''@RAW.STAGING_STAGE'', FILES => (' || file_list
        || '), FILE_FORMAT => ''RAW.PARQUET_FORMAT''))';
    EXECUTE IMMEDIATE :infer_sql;
    -- FORCE: a batch rewound and reloaded must load its files again (RAW rows of the batch
    -- were deleted first, in the same transaction, so nothing is loaded twice).
    copy_sql := 'COPY INTO ' || TARGET_TABLE || ' FROM @RAW.STAGING_STAGE FILES = (' || file_list
        || ') FILE_FORMAT = (FORMAT_NAME = ''RAW.PARQUET_FORMAT'')'
        || ' MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE ON_ERROR = ABORT_STATEMENT FORCE = TRUE';
    EXECUTE IMMEDIATE :copy_sql;
    SELECT COUNT(*) INTO :files_loaded
      FROM TABLE(RESULT_SCAN(LAST_QUERY_ID()))
      WHERE "status" = 'LOADED';
    IF (files_loaded <> ARRAY_SIZE(FILES)) THEN
        RAISE missing_files;
    END IF;
    RETURN files_loaded;
END;
$$;

CREATE OR REPLACE PROCEDURE CORE.LOAD_UP_TO(P_UP_TO VARCHAR)
RETURNS VARIANT
LANGUAGE SQL
EXECUTE AS CALLER
COMMENT = 'Make the warehouse follow the committed staging batches up to a date (NULL: all), in one transaction: rewind where the ledger and the commit markers disagree, load in order, refresh and test CUSTOMER_360 once'
AS
$$
DECLARE
    up_to DATE;
    from_date DATE;
    batch_date DATE;
    run_id VARCHAR;
    manifest VARIANT;
    files VARIANT;
    n_problems NUMBER;
    n_refresh NUMBER;
    problems VARCHAR;
    loaded ARRAY DEFAULT ARRAY_CONSTRUCT();
    cs_files ARRAY;
    cc_files ARRAY;
    ps_files ARRAY;
    pc_files ARRAY;
    uc_files ARRAY;
    load_refused EXCEPTION (-20002, 'Load refused (chain_broken, not_committed or no_commit_markers): nothing was changed. Why: SELECT * FROM CORE.LOAD_FAILURES ORDER BY failed_at DESC LIMIT 1. chain_broken: re-run the AWS pipeline (job B) from the earliest date named, in order.');
    batch_check_failed EXCEPTION (-20004, 'A batch in RAW does not match its commit marker (schema_mismatch, row_count_mismatch or null_key): nothing was loaded. Why: SELECT * FROM CORE.LOAD_FAILURES ORDER BY failed_at DESC LIMIT 1. Re-run Glue job B for the batch.');
    model_check_failed EXCEPTION (-20005, 'A data test of ANALYTICS.CUSTOMER_360 failed (customer_360_key, customer_360_customers or customer_360_money): nothing was loaded. Why: SELECT * FROM CORE.LOAD_FAILURES ORDER BY failed_at DESC LIMIT 1.');
    to_load CURSOR FOR
        SELECT batch_date, run_id FROM CORE.LOAD_PLAN WHERE action = 'LOAD' ORDER BY batch_date;
BEGIN
    up_to := TRY_TO_DATE(P_UP_TO);
    BEGIN TRANSACTION;
    -- >>> snowflake/modules/load/lock.sql
    {% include "modules/load/lock.sql" %}
    -- <<<
    -- Every commit marker on the stage, each read once.
    DELETE FROM CORE.LOAD_MARKERS;
    INSERT INTO CORE.LOAD_MARKERS (
            batch_date, run_id, previous_batch, customers_state_rows, customers_changes_rows,
            population_state_rows, population_changes_rows, usage_changes_rows, manifest)
    SELECT $1:batch_date::DATE, $1:run_id::VARCHAR, $1:previous_batch::DATE,
           $1:entities:customers:total::INTEGER,
           $1:entities:customers:inserted::INTEGER + $1:entities:customers:updated::INTEGER,
           $1:entities:population:total::INTEGER,
           $1:entities:population:inserted::INTEGER + $1:entities:population:updated::INTEGER,
           $1:entities:usage:rows::INTEGER,
           TO_JSON($1)
    FROM @RAW.STAGING_STAGE/_batches/ (FILE_FORMAT => 'RAW.JSON_FORMAT', PATTERN => '.*batch_date=[0-9-]+/manifest[.]json');
    -- >>> snowflake/modules/load/plan.sql
    {% include "modules/load/plan.sql" %}
    -- <<<
    SELECT COUNT(*), LISTAGG(check_name || ' ' || COALESCE(batch_date::VARCHAR, '') || ': ' || detail, '; ')
      INTO :n_problems, :problems FROM CORE.LOAD_PROBLEMS;
    IF (n_problems > 0) THEN
        RAISE load_refused;
    END IF;
    SELECT MIN(batch_date) INTO :from_date FROM CORE.LOAD_PLAN WHERE action = 'REWIND';
    IF (from_date IS NOT NULL) THEN
        -- >>> snowflake/modules/model/rewind.sql
        {% include "modules/model/rewind.sql" %}
        -- <<<
    END IF;
    FOR b IN to_load DO
        batch_date := b.batch_date;
        run_id := b.run_id;
        SELECT PARSE_JSON(manifest) INTO :manifest FROM CORE.LOAD_MARKERS WHERE batch_date = :batch_date;
        files := GET(manifest, 'files');
        cs_files := COALESCE(GET(files, 'customers/state'), ARRAY_CONSTRUCT());
        cc_files := COALESCE(GET(files, 'customers/changes'), ARRAY_CONSTRUCT());
        ps_files := COALESCE(GET(files, 'population/state'), ARRAY_CONSTRUCT());
        pc_files := COALESCE(GET(files, 'population/changes'), ARRAY_CONSTRUCT());
        uc_files := COALESCE(GET(files, 'usage/changes'), ARRAY_CONSTRUCT());
        -- >>> snowflake/modules/model/clear_raw_batch.sql
        {% include "modules/model/clear_raw_batch.sql" %}
        -- <<<
        CALL RAW.COPY_BATCH_FILES(:batch_date, 'RAW.CUSTOMERS_STATE', :cs_files);
        CALL RAW.COPY_BATCH_FILES(:batch_date, 'RAW.CUSTOMERS_CHANGES', :cc_files);
        CALL RAW.COPY_BATCH_FILES(:batch_date, 'RAW.POPULATION_STATE', :ps_files);
        CALL RAW.COPY_BATCH_FILES(:batch_date, 'RAW.POPULATION_CHANGES', :pc_files);
        CALL RAW.COPY_BATCH_FILES(:batch_date, 'RAW.USAGE_CHANGES', :uc_files);
        -- >>> snowflake/modules/load/check_batch.sql
        {% include "modules/load/check_batch.sql" %}
        -- <<<
        SELECT COUNT(*), LISTAGG(check_name || ' ' || COALESCE(batch_date::VARCHAR, '') || ': ' || detail, '; ')
          INTO :n_problems, :problems FROM CORE.LOAD_PROBLEMS;
        IF (n_problems > 0) THEN
            RAISE batch_check_failed;
        END IF;
        -- >>> snowflake/modules/model/merge_batch.sql
        {% include "modules/model/merge_batch.sql" %}
        -- <<<
        loaded := ARRAY_APPEND(loaded, batch_date::VARCHAR);
    END FOR;
    SELECT COUNT(*) INTO :n_refresh FROM CORE.LOAD_PLAN WHERE action = 'REFRESH';
    IF (n_refresh > 0) THEN
        -- >>> snowflake/modules/model/refresh_customer_360.sql
        {% include "modules/model/refresh_customer_360.sql" %}
        -- <<<
        -- >>> snowflake/modules/load/check_model.sql
        {% include "modules/load/check_model.sql" %}
        -- <<<
        SELECT COUNT(*), LISTAGG(check_name || ': ' || detail, '; ')
          INTO :n_problems, :problems FROM CORE.LOAD_PROBLEMS;
        IF (n_problems > 0) THEN
            RAISE model_check_failed;
        END IF;
    END IF;
    COMMIT;
    RETURN OBJECT_CONSTRUCT('rewound_from', from_date::VARCHAR, 'loaded', loaded);
EXCEPTION
    WHEN OTHER THEN
        ROLLBACK;
        -- kept after the rollback (autocommit): why the load failed, for the operator
        INSERT INTO CORE.LOAD_FAILURES (failed_at, problems)
            VALUES (CURRENT_TIMESTAMP(), COALESCE(:problems, :SQLCODE || ' ' || :SQLERRM));
        RAISE;
END;
$$;

CREATE OR REPLACE PROCEDURE CORE.LOAD_PENDING()
RETURNS VARIANT
LANGUAGE SQL
EXECUTE AS CALLER
COMMENT = 'Follow the lake: every committed staging batch, rewinding where a marker and the ledger disagree (what the TASK runs)'
AS
$$
DECLARE
    result VARIANT;
BEGIN
    CALL CORE.LOAD_UP_TO(NULL) INTO :result;
    RETURN result;
END;
$$;

CREATE OR REPLACE PROCEDURE CORE.LOAD_BATCH(P_BATCH_DATE VARCHAR)
RETURNS VARIANT
LANGUAGE SQL
EXECUTE AS CALLER
COMMENT = 'Follow the lake up to one committed batch (YYYY-MM-DD), loading the earlier pending ones first; a no-op when that run of the batch is loaded'
AS
$$
DECLARE
    result VARIANT;
BEGIN
    CALL CORE.LOAD_UP_TO(:P_BATCH_DATE) INTO :result;
    RETURN result;
END;
$$;

CREATE OR REPLACE PROCEDURE CORE.REWIND(P_FROM_DATE VARCHAR)
RETURNS VARIANT
LANGUAGE SQL
EXECUTE AS CALLER
COMMENT = 'Undo every loaded batch >= the date (CORE, history, RAW, ledger, CUSTOMER_360); LOAD_PENDING reloads the committed ones in order'
AS
$$
DECLARE
    from_date DATE;
BEGIN
    from_date := TO_DATE(P_FROM_DATE);
    BEGIN TRANSACTION;
    -- >>> snowflake/modules/load/lock.sql
    {% include "modules/load/lock.sql" %}
    -- <<<
    -- >>> snowflake/modules/model/rewind.sql
    {% include "modules/model/rewind.sql" %}
    -- <<<
    -- >>> snowflake/modules/model/refresh_customer_360.sql
    {% include "modules/model/refresh_customer_360.sql" %}
    -- <<<
    COMMIT;
    RETURN OBJECT_CONSTRUCT('rewound_from', P_FROM_DATE);
EXCEPTION
    WHEN OTHER THEN
        ROLLBACK;
        RAISE;
END;
$$;

GRANT USAGE ON PROCEDURE RAW.COPY_BATCH_FILES(DATE, VARCHAR, ARRAY) TO ROLE {{ pipeline_role }};
GRANT USAGE ON PROCEDURE CORE.LOAD_UP_TO(VARCHAR) TO ROLE {{ pipeline_role }};
GRANT USAGE ON PROCEDURE CORE.LOAD_BATCH(VARCHAR) TO ROLE {{ pipeline_role }};
GRANT USAGE ON PROCEDURE CORE.LOAD_PENDING() TO ROLE {{ pipeline_role }};
GRANT USAGE ON PROCEDURE CORE.REWIND(VARCHAR) TO ROLE {{ pipeline_role }};
