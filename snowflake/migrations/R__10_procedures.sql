-- The load, as stored procedures (Snowflake Scripting).
--
-- The model statements are NOT written here: schemachange's Jinja `include` pastes them from
-- snowflake/modules/model/*.sql into the procedure bodies at deploy time. The local DuckDB
-- warehouse (telco360.warehouse) executes the very same files, transpiled by sqlglot, so the
-- model is written once. What is written here is only the environment-bound wrapper: reading
-- commit markers from the stage, COPY from the stage, ledger checks, the transaction.
-- `batch_date`, `run_id` and `from_date` are the variables the included statements use as
-- :batch_date, :run_id and :from_date.
--
-- Caller's rights: the TASK (owned by the pipeline role) or an operator using that role runs
-- them with that role's grants only.
USE DATABASE {{ database }};

CREATE OR REPLACE PROCEDURE RAW.COPY_BATCH_FILES(TARGET_TABLE VARCHAR, FILES ARRAY)
RETURNS NUMBER
LANGUAGE SQL
EXECUTE AS CALLER
COMMENT = 'COPY exactly the listed staging files (lake-relative paths from a commit marker) into a RAW table'
AS
$$
DECLARE
    file_list VARCHAR;
    copy_sql VARCHAR;
    files_loaded NUMBER;
    missing_files EXCEPTION (-20010, 'COPY loaded fewer files than the commit marker lists: a listed file is missing on the stage. Re-run Glue job B for the batch.');
BEGIN
    IF (FILES IS NULL OR ARRAY_SIZE(FILES) = 0) THEN
        RETURN 0;
    END IF;
    -- Marker paths are relative to the lake root (staging/...); the stage URL is .../staging/.
    SELECT LISTAGG('''' || REGEXP_REPLACE(f.value::VARCHAR, '^staging/', '') || '''', ', ')
      INTO :file_list
      FROM TABLE(FLATTEN(input => :FILES)) AS f;
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

CREATE OR REPLACE PROCEDURE CORE.LOAD_BATCH(P_BATCH_DATE VARCHAR)
RETURNS VARIANT
LANGUAGE SQL
EXECUTE AS CALLER
COMMENT = 'Load one committed staging batch (YYYY-MM-DD) into RAW, CORE and ANALYTICS.CUSTOMER_360, exactly once, in one transaction'
AS
$$
DECLARE
    batch_date DATE;
    run_id VARCHAR;
    manifests ARRAY;
    manifest VARIANT;
    files VARIANT;
    loaded_run VARCHAR;
    latest_loaded DATE;
    earlier_pending NUMBER;
    not_committed EXCEPTION (-20001, 'Batch not committed: no staging/_batches/batch_date=<date>/manifest.json on RAW.STAGING_STAGE. Run the AWS pipeline for the date first.');
    out_of_order EXCEPTION (-20002, 'Batch is older than a loaded batch, or a re-run of a loaded batch: CALL CORE.REWIND(''<date>''), then CALL CORE.LOAD_PENDING().');
    gap EXCEPTION (-20003, 'An earlier committed batch is not loaded yet: CALL CORE.LOAD_PENDING() loads every pending batch in order.');
    cs_files ARRAY;
    cc_files ARRAY;
    ps_files ARRAY;
    pc_files ARRAY;
    uc_files ARRAY;
BEGIN
    batch_date := TO_DATE(P_BATCH_DATE);
    SELECT ARRAY_AGG($1) INTO :manifests
      FROM @RAW.STAGING_STAGE/_batches/ (FILE_FORMAT => 'RAW.JSON_FORMAT', PATTERN => '.*batch_date=[0-9-]+/manifest[.]json')
      WHERE $1:batch_date::DATE = :batch_date;
    IF (ARRAY_SIZE(manifests) = 0) THEN
        RAISE not_committed;
    END IF;
    manifest := manifests[0];
    run_id := GET(manifest, 'run_id')::VARCHAR;

    SELECT MAX(run_id) INTO :loaded_run FROM CORE.LOAD_LEDGER WHERE batch_date = :batch_date;
    IF (loaded_run = run_id) THEN
        RETURN OBJECT_CONSTRUCT('batch_date', P_BATCH_DATE, 'run_id', run_id, 'status', 'already_loaded');
    END IF;
    SELECT COALESCE(MAX(batch_date), '0001-01-01'::DATE) INTO :latest_loaded FROM CORE.LOAD_LEDGER;
    IF (loaded_run IS NOT NULL OR batch_date <= latest_loaded) THEN
        RAISE out_of_order;
    END IF;
    SELECT COUNT(*) INTO :earlier_pending
      FROM @RAW.STAGING_STAGE/_batches/ (FILE_FORMAT => 'RAW.JSON_FORMAT', PATTERN => '.*batch_date=[0-9-]+/manifest[.]json')
      WHERE $1:batch_date::DATE < :batch_date
        AND $1:batch_date::DATE NOT IN (SELECT batch_date FROM CORE.LOAD_LEDGER);
    IF (earlier_pending > 0) THEN
        RAISE gap;
    END IF;

    files := GET(manifest, 'files');
    cs_files := COALESCE(GET(files, 'customers/state'), ARRAY_CONSTRUCT());
    cc_files := COALESCE(GET(files, 'customers/changes'), ARRAY_CONSTRUCT());
    ps_files := COALESCE(GET(files, 'population/state'), ARRAY_CONSTRUCT());
    pc_files := COALESCE(GET(files, 'population/changes'), ARRAY_CONSTRUCT());
    uc_files := COALESCE(GET(files, 'usage/changes'), ARRAY_CONSTRUCT());

    BEGIN TRANSACTION;
    -- >>> snowflake/modules/model/clear_raw_batch.sql
    {% include "modules/model/clear_raw_batch.sql" %}
    -- <<<
    CALL RAW.COPY_BATCH_FILES('RAW.CUSTOMERS_STATE', :cs_files);
    CALL RAW.COPY_BATCH_FILES('RAW.CUSTOMERS_CHANGES', :cc_files);
    CALL RAW.COPY_BATCH_FILES('RAW.POPULATION_STATE', :ps_files);
    CALL RAW.COPY_BATCH_FILES('RAW.POPULATION_CHANGES', :pc_files);
    CALL RAW.COPY_BATCH_FILES('RAW.USAGE_CHANGES', :uc_files);
    -- >>> snowflake/modules/model/merge_batch.sql
    {% include "modules/model/merge_batch.sql" %}
    -- <<<
    -- >>> snowflake/modules/model/refresh_customer_360.sql
    {% include "modules/model/refresh_customer_360.sql" %}
    -- <<<
    COMMIT;
    RETURN OBJECT_CONSTRUCT('batch_date', P_BATCH_DATE, 'run_id', run_id, 'status', 'loaded');
EXCEPTION
    WHEN OTHER THEN
        ROLLBACK;
        RAISE;
END;
$$;

CREATE OR REPLACE PROCEDURE CORE.LOAD_PENDING()
RETURNS VARIANT
LANGUAGE SQL
EXECUTE AS CALLER
COMMENT = 'Load every committed staging batch not yet in CORE.LOAD_LEDGER, in batch order (what the TASK runs)'
AS
$$
DECLARE
    loaded ARRAY DEFAULT ARRAY_CONSTRUCT();
    pending CURSOR FOR
        SELECT DISTINCT $1:batch_date::VARCHAR AS pending_date
        FROM @RAW.STAGING_STAGE/_batches/ (FILE_FORMAT => 'RAW.JSON_FORMAT', PATTERN => '.*batch_date=[0-9-]+/manifest[.]json')
        WHERE $1:batch_date::DATE NOT IN (SELECT batch_date FROM CORE.LOAD_LEDGER)
        ORDER BY pending_date;
BEGIN
    FOR b IN pending DO
        LET d VARCHAR := b.pending_date;
        CALL CORE.LOAD_BATCH(:d);
        loaded := ARRAY_APPEND(loaded, d);
    END FOR;
    RETURN OBJECT_CONSTRUCT('loaded', loaded);
END;
$$;

CREATE OR REPLACE PROCEDURE CORE.REWIND(P_FROM_DATE VARCHAR)
RETURNS VARIANT
LANGUAGE SQL
EXECUTE AS CALLER
COMMENT = 'Undo every loaded batch >= the date (CORE, history, RAW, ledger, CUSTOMER_360) so LOAD_PENDING reloads them in order'
AS
$$
DECLARE
    from_date DATE;
BEGIN
    from_date := TO_DATE(P_FROM_DATE);
    BEGIN TRANSACTION;
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

GRANT USAGE ON PROCEDURE RAW.COPY_BATCH_FILES(VARCHAR, ARRAY) TO ROLE {{ pipeline_role }};
GRANT USAGE ON PROCEDURE CORE.LOAD_BATCH(VARCHAR) TO ROLE {{ pipeline_role }};
GRANT USAGE ON PROCEDURE CORE.LOAD_PENDING() TO ROLE {{ pipeline_role }};
GRANT USAGE ON PROCEDURE CORE.REWIND(VARCHAR) TO ROLE {{ pipeline_role }};
