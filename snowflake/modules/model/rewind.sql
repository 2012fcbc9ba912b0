-- Undo every batch >= :from_date from CORE, RAW and the ledger, so that the batches can be
-- loaded again in order and end in exactly the state of a clean load (a backfill).
-- Executed in one transaction by CORE.REWIND (R__10_procedures.sql) on Snowflake and by
-- telco360.local.warehouse.rewind locally (transpiled), followed by refresh_customer_360.sql.
-- Works because RAW keeps every loaded batch: the state before :from_date is the latest change
-- of each key among the batches before :from_date. Statement order matters: CORE is restored
-- from RAW before RAW forgets the rewound batches.

-- 1. History: drop the versions opened by rewound batches, reopen the ones they closed.
DELETE FROM CORE.CUSTOMER_HISTORY WHERE valid_from >= :from_date;

UPDATE CORE.CUSTOMER_HISTORY
SET valid_to = NULL, is_current = TRUE
WHERE valid_to >= :from_date;

-- 2. Current customer: forget customers touched by rewound batches, restore their last earlier change.
DELETE FROM CORE.CUSTOMER
WHERE customer_id IN (SELECT customer_id FROM RAW.CUSTOMERS_CHANGES WHERE batch_date >= :from_date);

INSERT INTO CORE.CUSTOMER (
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
SELECT
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
        churn_category, churn_reason, first_seen_batch, last_changed_batch
FROM RAW.CUSTOMERS_CHANGES
WHERE batch_date < :from_date
  AND customer_id NOT IN (SELECT customer_id FROM CORE.CUSTOMER)
QUALIFY ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY batch_date DESC) = 1;

-- 3. Population, the same way.
DELETE FROM CORE.POPULATION
WHERE zip_code IN (SELECT zip_code FROM RAW.POPULATION_CHANGES WHERE batch_date >= :from_date);

INSERT INTO CORE.POPULATION (
        zip_code, id, population, first_seen_batch,
        last_changed_batch)
SELECT
        zip_code, id, population, first_seen_batch,
        last_changed_batch
FROM RAW.POPULATION_CHANGES
WHERE batch_date < :from_date
  AND zip_code NOT IN (SELECT zip_code FROM CORE.POPULATION)
QUALIFY ROW_NUMBER() OVER (PARTITION BY zip_code ORDER BY batch_date DESC) = 1;

-- 4. Usage: a value in force came from a rewound batch iff its batch_date is >= :from_date.
DELETE FROM CORE.USAGE_DAILY WHERE batch_date >= :from_date;

INSERT INTO CORE.USAGE_DAILY (
        customer_id, usage_date, data_gb, voice_minutes,
        sms_count, roaming_minutes, batch_date)
SELECT
        customer_id, usage_date, data_gb, voice_minutes,
        sms_count, roaming_minutes, batch_date
FROM RAW.USAGE_CHANGES AS r
WHERE r.batch_date < :from_date
  AND NOT EXISTS (
    SELECT 1 FROM CORE.USAGE_DAILY AS d
    WHERE d.customer_id = r.customer_id AND d.usage_date = r.usage_date)
QUALIFY ROW_NUMBER() OVER (PARTITION BY r.customer_id, r.usage_date ORDER BY r.batch_date DESC) = 1;

-- 5. RAW and the ledger forget the rewound batches.
DELETE FROM RAW.CUSTOMERS_STATE WHERE batch_date >= :from_date;
DELETE FROM RAW.CUSTOMERS_CHANGES WHERE batch_date >= :from_date;
DELETE FROM RAW.POPULATION_STATE WHERE batch_date >= :from_date;
DELETE FROM RAW.POPULATION_CHANGES WHERE batch_date >= :from_date;
DELETE FROM RAW.USAGE_CHANGES WHERE batch_date >= :from_date;
DELETE FROM CORE.LOAD_LEDGER WHERE batch_date >= :from_date;
