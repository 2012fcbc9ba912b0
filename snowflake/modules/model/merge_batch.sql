-- The model: RAW (this batch) -> CORE, in Snowflake SQL, written once.
-- Executed statement by statement, in this order, inside the load transaction:
--   * on Snowflake by CORE.LOAD_BATCH (R__10_procedures.sql includes this file into the
--     procedure body with schemachange's Jinja `include`; :batch_date and :run_id are the
--     procedure's variables there);
--   * locally by telco360.local.warehouse, transpiled to DuckDB with sqlglot (:batch_date and :run_id
--     become DuckDB named parameters).
-- Keep every statement plain DML (no DDL: DDL would commit the transaction in Snowflake).

-- 1. Current customer: upsert every customer inserted or updated by this batch.
MERGE INTO CORE.CUSTOMER AS t
USING (SELECT * FROM RAW.CUSTOMERS_CHANGES WHERE batch_date = :batch_date) AS s
    ON t.customer_id = s.customer_id
WHEN MATCHED THEN UPDATE SET
        gender = s.gender, age = s.age,
        under_30 = s.under_30, senior_citizen = s.senior_citizen,
        married = s.married, dependents = s.dependents,
        number_of_dependents = s.number_of_dependents, country = s.country,
        state = s.state, city = s.city,
        zip_code = s.zip_code, lat_long = s.lat_long,
        latitude = s.latitude, longitude = s.longitude,
        referred_a_friend = s.referred_a_friend, number_of_referrals = s.number_of_referrals,
        tenure_in_months = s.tenure_in_months, offer = s.offer,
        phone_service = s.phone_service, avg_monthly_long_distance_charges = s.avg_monthly_long_distance_charges,
        multiple_lines = s.multiple_lines, internet_service = s.internet_service,
        internet_type = s.internet_type, avg_monthly_gb_download = s.avg_monthly_gb_download,
        online_security = s.online_security, online_backup = s.online_backup,
        device_protection_plan = s.device_protection_plan, premium_tech_support = s.premium_tech_support,
        streaming_tv = s.streaming_tv, streaming_movies = s.streaming_movies,
        streaming_music = s.streaming_music, unlimited_data = s.unlimited_data,
        contract = s.contract, paperless_billing = s.paperless_billing,
        payment_method = s.payment_method, monthly_charge = s.monthly_charge,
        total_charges = s.total_charges, total_refunds = s.total_refunds,
        total_extra_data_charges = s.total_extra_data_charges, total_long_distance_charges = s.total_long_distance_charges,
        total_revenue = s.total_revenue, satisfaction_score = s.satisfaction_score,
        customer_status = s.customer_status, churn_label = s.churn_label,
        churn_value = s.churn_value, churn_score = s.churn_score,
        cltv = s.cltv, churn_category = s.churn_category,
        churn_reason = s.churn_reason, first_seen_batch = s.first_seen_batch,
        last_changed_batch = s.last_changed_batch
WHEN NOT MATCHED THEN INSERT (
        customer_id, gender, age, under_30,
        senior_citizen, married, dependents, number_of_dependents,
        country, state, city, zip_code,
        lat_long, latitude, longitude, referred_a_friend,
        number_of_referrals, tenure_in_months, offer, phone_service,
        avg_monthly_long_distance_charges, multiple_lines, internet_service, internet_type,
        avg_monthly_gb_download, online_security, online_backup, device_protection_plan,
        premium_tech_support, streaming_tv, streaming_movies, streaming_music,
        unlimited_data, contract, paperless_billing, payment_method,
        monthly_charge, total_charges, total_refunds, total_extra_data_charges,
        total_long_distance_charges, total_revenue, satisfaction_score, customer_status,
        churn_label, churn_value, churn_score, cltv,
        churn_category, churn_reason, first_seen_batch, last_changed_batch)
    VALUES (
        s.customer_id, s.gender, s.age, s.under_30,
        s.senior_citizen, s.married, s.dependents, s.number_of_dependents,
        s.country, s.state, s.city, s.zip_code,
        s.lat_long, s.latitude, s.longitude, s.referred_a_friend,
        s.number_of_referrals, s.tenure_in_months, s.offer, s.phone_service,
        s.avg_monthly_long_distance_charges, s.multiple_lines, s.internet_service, s.internet_type,
        s.avg_monthly_gb_download, s.online_security, s.online_backup, s.device_protection_plan,
        s.premium_tech_support, s.streaming_tv, s.streaming_movies, s.streaming_music,
        s.unlimited_data, s.contract, s.paperless_billing, s.payment_method,
        s.monthly_charge, s.total_charges, s.total_refunds, s.total_extra_data_charges,
        s.total_long_distance_charges, s.total_revenue, s.satisfaction_score, s.customer_status,
        s.churn_label, s.churn_value, s.churn_score, s.cltv,
        s.churn_category, s.churn_reason, s.first_seen_batch, s.last_changed_batch);

-- 2. SCD2 history of services + status: close the open version of every customer whose services
--    or status changed in this batch (valid_to is exclusive: the batch that replaced it) ...
UPDATE CORE.CUSTOMER_HISTORY
SET valid_to = :batch_date, is_current = FALSE
WHERE is_current
  AND customer_id IN (
    SELECT customer_id FROM RAW.CUSTOMERS_CHANGES
    WHERE batch_date = :batch_date
      AND (change_type = 'INSERT'
           OR ',' || changed_feeds || ',' LIKE '%,services,%'
           OR ',' || changed_feeds || ',' LIKE '%,status,%'));

-- ... and open the new version (a new customer gets its first version).
INSERT INTO CORE.CUSTOMER_HISTORY (
        customer_id, referred_a_friend, number_of_referrals, tenure_in_months,
        offer, phone_service, avg_monthly_long_distance_charges, multiple_lines,
        internet_service, internet_type, avg_monthly_gb_download, online_security,
        online_backup, device_protection_plan, premium_tech_support, streaming_tv,
        streaming_movies, streaming_music, unlimited_data, contract,
        paperless_billing, payment_method, monthly_charge, total_charges,
        total_refunds, total_extra_data_charges, total_long_distance_charges, total_revenue,
        satisfaction_score, customer_status, churn_label, churn_value,
        churn_score, cltv, churn_category, churn_reason,
        valid_from, valid_to, is_current)
SELECT
        customer_id, referred_a_friend, number_of_referrals, tenure_in_months,
        offer, phone_service, avg_monthly_long_distance_charges, multiple_lines,
        internet_service, internet_type, avg_monthly_gb_download, online_security,
        online_backup, device_protection_plan, premium_tech_support, streaming_tv,
        streaming_movies, streaming_music, unlimited_data, contract,
        paperless_billing, payment_method, monthly_charge, total_charges,
        total_refunds, total_extra_data_charges, total_long_distance_charges, total_revenue,
        satisfaction_score, customer_status, churn_label, churn_value,
        churn_score, cltv, churn_category, churn_reason,
        batch_date, NULL, TRUE
FROM RAW.CUSTOMERS_CHANGES
WHERE batch_date = :batch_date
  AND (change_type = 'INSERT'
           OR ',' || changed_feeds || ',' LIKE '%,services,%'
           OR ',' || changed_feeds || ',' LIKE '%,status,%');

-- 3. Zip code population in force.
MERGE INTO CORE.POPULATION AS t
USING (SELECT * FROM RAW.POPULATION_CHANGES WHERE batch_date = :batch_date) AS s
    ON t.zip_code = s.zip_code
WHEN MATCHED THEN UPDATE SET
        id = s.id, population = s.population,
        first_seen_batch = s.first_seen_batch, last_changed_batch = s.last_changed_batch
WHEN NOT MATCHED THEN INSERT (
        zip_code, id, population, first_seen_batch,
        last_changed_batch)
    VALUES (
        s.zip_code, s.id, s.population, s.first_seen_batch,
        s.last_changed_batch);

-- 4. Daily usage: later batch wins per (customer_id, usage_date).
MERGE INTO CORE.USAGE_DAILY AS t
USING (SELECT * FROM RAW.USAGE_CHANGES WHERE batch_date = :batch_date) AS s
    ON t.customer_id = s.customer_id AND t.usage_date = s.usage_date
WHEN MATCHED THEN UPDATE SET
        data_gb = s.data_gb, voice_minutes = s.voice_minutes,
        sms_count = s.sms_count, roaming_minutes = s.roaming_minutes,
        batch_date = s.batch_date
WHEN NOT MATCHED THEN INSERT (
        customer_id, usage_date, data_gb, voice_minutes,
        sms_count, roaming_minutes, batch_date)
    VALUES (
        s.customer_id, s.usage_date, s.data_gb, s.voice_minutes,
        s.sms_count, s.roaming_minutes, s.batch_date);

-- 5. The ledger row that makes this batch loaded (same transaction: all or nothing).
INSERT INTO CORE.LOAD_LEDGER (
        batch_date, run_id, loaded_at, customers_state_rows, customers_changes_rows,
        population_state_rows, population_changes_rows, usage_changes_rows, customers_total)
SELECT
        :batch_date, :run_id, CURRENT_TIMESTAMP(),
        (SELECT COUNT(*) FROM RAW.CUSTOMERS_STATE WHERE batch_date = :batch_date),
        (SELECT COUNT(*) FROM RAW.CUSTOMERS_CHANGES WHERE batch_date = :batch_date),
        (SELECT COUNT(*) FROM RAW.POPULATION_STATE WHERE batch_date = :batch_date),
        (SELECT COUNT(*) FROM RAW.POPULATION_CHANGES WHERE batch_date = :batch_date),
        (SELECT COUNT(*) FROM RAW.USAGE_CHANGES WHERE batch_date = :batch_date),
        (SELECT COUNT(*) FROM CORE.CUSTOMER);
