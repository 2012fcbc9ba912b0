from telco360.shipped import contract


def test_every_feed_header_is_exactly_the_source_contract():
    assert contract.FEEDS["demographics"].headers == (
        "Customer ID",
        "Count",
        "Gender",
        "Age",
        "Under 30",
        "Senior Citizen",
        "Married",
        "Dependents",
        "Number of Dependents",
    )
    assert contract.FEEDS["location"].headers == (
        "Customer ID",
        "Count",
        "Country",
        "State",
        "City",
        "Zip Code",
        "Lat Long",
        "Latitude",
        "Longitude",
    )
    assert contract.FEEDS["population"].headers == ("ID", "Zip Code", "Population")
    assert contract.FEEDS["services"].headers == (
        "Customer ID",
        "Count",
        "Quarter",
        "Referred a Friend",
        "Number of Referrals",
        "Tenure in Months",
        "Offer",
        "Phone Service",
        "Avg Monthly Long Distance Charges",
        "Multiple Lines",
        "Internet Service",
        "Internet Type",
        "Avg Monthly GB Download",
        "Online Security",
        "Online Backup",
        "Device Protection Plan",
        "Premium Tech Support",
        "Streaming TV",
        "Streaming Movies",
        "Streaming Music",
        "Unlimited Data",
        "Contract",
        "Paperless Billing",
        "Payment Method",
        "Monthly Charge",
        "Total Charges",
        "Total Refunds",
        "Total Extra Data Charges",
        "Total Long Distance Charges",
        "Total Revenue",
    )
    assert contract.FEEDS["status"].headers == (
        "Customer ID",
        "Count",
        "Quarter",
        "Satisfaction Score",
        "Customer Status",
        "Churn Label",
        "Churn Value",
        "Churn Score",
        "CLTV",
        "Churn Category",
        "Churn Reason",
    )
    assert contract.FEEDS["usage"].headers == (
        "Customer ID",
        "Usage Date",
        "Data GB",
        "Voice Minutes",
        "SMS Count",
        "Roaming Minutes",
    )


def test_snake_case_names_and_types():
    services = contract.FEEDS["services"]
    assert services.column("tenure_in_months").header == "Tenure in Months"
    assert services.column("total_charges").spark_type == "decimal(12,2)"
    assert services.column("total_charges").required is False
    assert contract.FEEDS["status"].column("cltv").header == "CLTV"
    assert contract.FEEDS["demographics"].column("under_30").spark_type == "boolean"
    assert contract.FEEDS["usage"].column("usage_date").spark_type == "date"


def test_required_feeds_and_keys():
    assert contract.REQUIRED_FEEDS == ("demographics", "location", "services", "status")
    assert contract.FEEDS["population"].key == ("zip_code",)
    assert contract.FEEDS["usage"].key == ("customer_id", "usage_date")


def test_category_spellings_map_to_canonical():
    services = contract.FEEDS["services"]
    assert services.column("contract").canonical("Month-to-month") == "Month-to-Month"
    assert services.column("contract").canonical("two year") == "Two Year"
    assert services.column("internet_type").canonical("Fiber optic") == "Fiber Optic"
    assert services.column("offer").canonical("None") == "None"
    assert services.column("contract").canonical("Weekly") is None


def test_header_fields_drop_the_bom_before_splitting():
    # Left in front, the BOM would keep the quoted first name from reading as quoted.
    line = '\ufeff"Zip, Code", Population ,'
    assert contract.header_fields(line) == ["Zip, Code", " Population ", ""]
    assert contract.header_fields(line.removeprefix("\ufeff")) == contract.header_fields(line)
    assert [contract.header_key(h) for h in contract.header_fields(line)] == [
        "zip, code",
        "population",
        "",
    ]
