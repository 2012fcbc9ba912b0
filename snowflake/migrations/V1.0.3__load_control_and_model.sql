-- Load bookkeeping tables and CUSTOMER_360 with its documented model. Created once (a
-- versioned script: schemachange runs it once per database; locally telco360.warehouse_sql
-- keeps the same once-only history). No deploy variable here but the database.
--
-- The load's decisions (ledger vs commit markers, chain, row counts, schema, keys, model
-- tests) are plain SQL in snowflake/modules/load/, executed by CORE.LOAD_UP_TO on Snowflake
-- and by telco360.warehouse locally; these tables are what those statements read and write.
USE DATABASE {{ database }};

CREATE TABLE IF NOT EXISTS CORE.LOAD_LOCK (
    lock_id   INTEGER NOT NULL,
    locked_at TIMESTAMP_LTZ
)
COMMENT = 'One row; every load UPDATEs it first inside its transaction, so concurrent loads (task and a manual CALL) run one after the other';

INSERT INTO CORE.LOAD_LOCK (lock_id, locked_at)
SELECT 1, NULL WHERE NOT EXISTS (SELECT 1 FROM CORE.LOAD_LOCK);

CREATE TABLE IF NOT EXISTS CORE.LOAD_MARKERS (
    batch_date              DATE NOT NULL,
    run_id                  VARCHAR,
    previous_batch          DATE,
    customers_state_rows    INTEGER,
    customers_changes_rows  INTEGER,
    population_state_rows   INTEGER,
    population_changes_rows INTEGER,
    usage_changes_rows      INTEGER,
    manifest                VARCHAR
)
COMMENT = 'The commit markers on the stage as read by the current load (each manifest read once per load): run_id, chain and the row counts RAW must get';

CREATE TABLE IF NOT EXISTS CORE.LOAD_PLAN (
    batch_date DATE NOT NULL,
    run_id     VARCHAR,
    action     VARCHAR NOT NULL
)
COMMENT = 'What the current load does: REWIND from a date (the lake and the ledger disagree there), then LOAD these batches in order';

CREATE TABLE IF NOT EXISTS CORE.LOAD_FILE_COLUMNS (
    batch_date  DATE NOT NULL,
    raw_table   VARCHAR NOT NULL,
    column_name VARCHAR NOT NULL
)
COMMENT = 'Columns of the staged files of a batch (INFER_SCHEMA on Snowflake, DESCRIBE locally), checked against the RAW tables';

CREATE TABLE IF NOT EXISTS CORE.LOAD_PROBLEMS (
    check_name VARCHAR NOT NULL,
    batch_date DATE,
    detail     VARCHAR
)
COMMENT = 'Failed checks of the current load; any row fails the load (rolled back with it)';

CREATE TABLE IF NOT EXISTS CORE.LOAD_FAILURES (
    failed_at TIMESTAMP_LTZ,
    problems  VARCHAR
)
COMMENT = 'Why a load failed: the failed checks, written after the rollback (Snowflake; locally the error message says it)';

-- CUSTOMER_360, documented: column comments, declared key (RELY: the optimizer may use it;
-- Snowflake does not enforce it, the load's data tests do, on both engines), NOT NULL where
-- the model guarantees it, data_gb_30d as exact NUMBER(12,3). Replaced once: the table is
-- derived (rebuilt by every load), and the next load rebuilds it (LOAD_PENDING refreshes it
-- whenever it is out of step with CORE.CUSTOMER). COPY GRANTS keeps the reader's SELECT.
CREATE OR REPLACE TABLE ANALYTICS.CUSTOMER_360 (
    customer_id                       VARCHAR NOT NULL COMMENT 'Customer ID from the CRM (e.g. 7590-VHVEG); the key: one row per customer',
    gender                            VARCHAR COMMENT 'Male / Female (demographics feed)',
    age                               INTEGER COMMENT 'Age in years (demographics)',
    under_30                          BOOLEAN COMMENT 'Age under 30 (demographics)',
    senior_citizen                    BOOLEAN COMMENT '65 or older (demographics)',
    married                           BOOLEAN COMMENT 'Married (demographics)',
    dependents                        BOOLEAN COMMENT 'Lives with dependents (demographics)',
    number_of_dependents              INTEGER COMMENT 'Number of dependents (demographics)',
    country                           VARCHAR COMMENT 'Country (location feed)',
    state                             VARCHAR COMMENT 'State (location)',
    city                              VARCHAR COMMENT 'City (location)',
    zip_code                          VARCHAR COMMENT 'Zip code of the primary residence (location); joins CORE.POPULATION',
    latitude                          DOUBLE COMMENT 'Latitude in degrees (location)',
    longitude                         DOUBLE COMMENT 'Longitude in degrees (location)',
    population                        INTEGER COMMENT 'Population of zip_code, latest population feed in force; NULL when the zip is unknown',
    referred_a_friend                 BOOLEAN COMMENT 'Has referred a friend (services feed)',
    number_of_referrals               INTEGER COMMENT 'Referrals to date (services)',
    tenure_in_months                  INTEGER COMMENT 'Months as a customer at the end of the quarter (services)',
    offer                             VARCHAR COMMENT 'Last marketing offer accepted: Offer A..E or None (services)',
    phone_service                     BOOLEAN COMMENT 'Subscribes to home phone service (services)',
    avg_monthly_long_distance_charges NUMBER(12,2) COMMENT 'Average monthly long distance charges, USD to the cent (services)',
    multiple_lines                    BOOLEAN COMMENT 'Subscribes to multiple telephone lines (services)',
    internet_service                  BOOLEAN COMMENT 'Subscribes to internet service (services)',
    internet_type                     VARCHAR COMMENT 'DSL / Fiber Optic / Cable / None (services)',
    avg_monthly_gb_download           INTEGER COMMENT 'Average monthly download volume in GB (services)',
    online_security                   BOOLEAN COMMENT 'Online security add-on (services)',
    online_backup                     BOOLEAN COMMENT 'Online backup add-on (services)',
    device_protection_plan            BOOLEAN COMMENT 'Device protection plan add-on (services)',
    premium_tech_support              BOOLEAN COMMENT 'Premium technical support add-on (services)',
    streaming_tv                      BOOLEAN COMMENT 'Streams TV (services)',
    streaming_movies                  BOOLEAN COMMENT 'Streams movies (services)',
    streaming_music                   BOOLEAN COMMENT 'Streams music (services)',
    unlimited_data                    BOOLEAN COMMENT 'Unlimited data plan (services)',
    contract                          VARCHAR COMMENT 'Month-to-Month / One Year / Two Year (services)',
    paperless_billing                 BOOLEAN COMMENT 'Paperless billing (services)',
    payment_method                    VARCHAR COMMENT 'Bank Withdrawal / Credit Card / Mailed Check (services)',
    monthly_charge                    NUMBER(12,2) COMMENT 'Current total monthly charge for all services, USD to the cent (services); equals CORE.CUSTOMER',
    total_charges                     NUMBER(12,2) COMMENT 'Total charges to the end of the quarter, USD to the cent (services); equals CORE.CUSTOMER',
    total_refunds                     NUMBER(12,2) COMMENT 'Total refunds, USD to the cent (services); equals CORE.CUSTOMER',
    total_extra_data_charges          NUMBER(12,2) COMMENT 'Total extra data charges, USD to the cent (services); equals CORE.CUSTOMER',
    total_long_distance_charges       NUMBER(12,2) COMMENT 'Total long distance charges, USD to the cent (services); equals CORE.CUSTOMER',
    total_revenue                     NUMBER(12,2) COMMENT 'Total revenue, USD to the cent (services); equals CORE.CUSTOMER',
    satisfaction_score                INTEGER COMMENT 'Satisfaction 1-5 (status feed)',
    customer_status                   VARCHAR COMMENT 'Churned / Stayed / Joined at the end of the quarter (status)',
    churn_label                       BOOLEAN COMMENT 'Left this quarter (status)',
    churn_value                       INTEGER COMMENT '1 if churned, 0 otherwise (status)',
    churn_score                       INTEGER COMMENT 'Predicted churn score 0-100 (status)',
    cltv                              INTEGER COMMENT 'Customer lifetime value, USD (status)',
    churn_category                    VARCHAR COMMENT 'Churn category; NULL unless churned (status)',
    churn_reason                      VARCHAR COMMENT 'Churn reason; NULL unless churned (status)',
    usage_window_start                DATE COMMENT 'First day of the usage window: usage_window_end - 29 days; NULL when no usage at all',
    usage_window_end                  DATE COMMENT 'Last day of the usage window: latest usage_date in CORE.USAGE_DAILY (all customers)',
    usage_days_30d                    INTEGER NOT NULL COMMENT 'Days with usage in the window (0 when none)',
    data_gb_30d                       NUMBER(12,3) NOT NULL COMMENT 'Data used in the window, GB, NUMBER(12,3): sum rounded to 3 decimals (1 MB); 0 when none',
    voice_minutes_30d                 INTEGER NOT NULL COMMENT 'Voice minutes in the window (0 when none)',
    sms_count_30d                     INTEGER NOT NULL COMMENT 'SMS sent in the window (0 when none)',
    roaming_minutes_30d               INTEGER NOT NULL COMMENT 'Roaming minutes in the window (0 when none)',
    first_seen_batch                  DATE NOT NULL COMMENT 'Batch (ingest_date) in which the customer first appeared',
    last_changed_batch                DATE NOT NULL COMMENT 'Latest batch that changed any value of the customer',
    as_of_batch                       DATE NOT NULL COMMENT 'Latest loaded batch: the state this row describes',
    CONSTRAINT PK_CUSTOMER_360 PRIMARY KEY (customer_id) RELY
)
COPY GRANTS
COMMENT = 'One row per customer (key customer_id): latest profile, location + zip population, services and charges (USD to the cent, equal to CORE.CUSTOMER), status and churn, usage over the last 30 usage days';
