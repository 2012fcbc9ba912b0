"""Render one feed's rows as text columns, in the contract's header order."""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from telco360.ops.generate import formatting as fmt
from telco360.ops.generate.customers import (
    ADDONS,
    NO_INTERNET,
    REASONS,
    Customers,
    categories,
)
from telco360.ops.generate.places import ZipTable
from telco360.shipped.contract import FEEDS

# Sample-wide constants of the IBM Q3 export.
COUNTRY, STATE, QUARTER = "United States", "California", "Q3"


def _checked(feed: str, columns: dict[str, pa.Array]) -> dict[str, pa.Array]:
    if tuple(columns) != FEEDS[feed].headers:
        raise AssertionError(f"generator columns for {feed!r} drifted from the contract")
    return columns


def demographics(c: Customers, rows: np.ndarray) -> dict[str, pa.Array]:
    age, deps = c.age[rows], c.dependents[rows]
    return _checked(
        "demographics",
        {
            "Customer ID": fmt.customer_ids(c.id_number[rows]),
            "Count": fmt.constant("1", len(rows)),
            "Gender": fmt.pick(c.gender[rows], categories("demographics", "Gender")),
            "Age": fmt.integers(age),
            "Under 30": fmt.yes_no(age < 30),
            "Senior Citizen": fmt.yes_no(age >= 65),
            "Married": fmt.yes_no(c.married[rows]),
            "Dependents": fmt.yes_no(deps > 0),
            "Number of Dependents": fmt.integers(deps),
        },
    )


def location(c: Customers, rows: np.ndarray, zips: ZipTable) -> dict[str, pa.Array]:
    z = c.zip_index[rows]
    lat, lon = fmt.fixed(zips.lat_micro[z], 6), fmt.fixed(zips.lon_micro[z], 6)
    return _checked(
        "location",
        {
            "Customer ID": fmt.customer_ids(c.id_number[rows]),
            "Count": fmt.constant("1", len(rows)),
            "Country": fmt.constant(COUNTRY, len(rows)),
            "State": fmt.constant(STATE, len(rows)),
            "City": pa.array(zips.city[z], type=pa.string()),
            "Zip Code": fmt.integers(zips.codes[z]),
            "Lat Long": pc.binary_join_element_wise(lat, lon, ", "),
            "Latitude": lat,
            "Longitude": lon,
        },
    )


def population(zips: ZipTable) -> dict[str, pa.Array]:
    return _checked(
        "population",
        {
            "ID": fmt.integers(np.arange(1, len(zips) + 1)),
            "Zip Code": fmt.integers(zips.codes),
            "Population": fmt.integers(zips.population),
        },
    )


def services(c: Customers, rows: np.ndarray) -> dict[str, pa.Array]:
    n = len(rows)
    referrals = c.referrals[rows]
    internet_type = c.internet_type[rows]
    addons = c.addons[rows]
    charges = c.total_charges[rows]
    columns = {
        "Customer ID": fmt.customer_ids(c.id_number[rows]),
        "Count": fmt.constant("1", n),
        "Quarter": fmt.constant(QUARTER, n),
        "Referred a Friend": fmt.yes_no(referrals > 0),
        "Number of Referrals": fmt.integers(referrals),
        "Tenure in Months": fmt.integers(c.tenure[rows]),
        "Offer": fmt.pick(c.offer[rows], categories("services", "Offer")),
        "Phone Service": fmt.yes_no(c.phone[rows]),
        "Avg Monthly Long Distance Charges": fmt.money(c.avg_long_distance[rows]),
        "Multiple Lines": fmt.yes_no(c.multiple_lines[rows]),
        "Internet Service": fmt.yes_no(internet_type != NO_INTERNET),
        "Internet Type": fmt.pick(internet_type, categories("services", "Internet Type")),
        "Avg Monthly GB Download": fmt.integers(c.avg_gb[rows]),
    }
    for i, header in enumerate(ADDONS[:-1]):
        columns[header] = fmt.yes_no(addons[:, i])
    columns |= {
        "Unlimited Data": fmt.yes_no(addons[:, -1]),
        "Contract": fmt.pick(c.contract[rows], categories("services", "Contract")),
        "Paperless Billing": fmt.yes_no(c.paperless[rows]),
        "Payment Method": fmt.pick(c.payment[rows], categories("services", "Payment Method")),
        "Monthly Charge": fmt.money(c.monthly[rows]),
        "Total Charges": fmt.money(np.maximum(charges, 0), blank=charges < 0),
        "Total Refunds": fmt.money(c.refunds[rows]),
        "Total Extra Data Charges": fmt.money(c.extra_data[rows]),
        "Total Long Distance Charges": fmt.money(c.long_distance[rows]),
        "Total Revenue": fmt.money(c.revenue[rows]),
    }
    return _checked("services", columns)


def status(c: Customers, rows: np.ndarray) -> dict[str, pa.Array]:
    n = len(rows)
    churned = c.reason[rows] >= 0
    return _checked(
        "status",
        {
            "Customer ID": fmt.customer_ids(c.id_number[rows]),
            "Count": fmt.constant("1", n),
            "Quarter": fmt.constant(QUARTER, n),
            "Satisfaction Score": fmt.integers(c.satisfaction[rows]),
            "Customer Status": fmt.pick(c.status[rows], categories("status", "Customer Status")),
            "Churn Label": fmt.yes_no(churned),
            "Churn Value": fmt.integers(churned),
            "Churn Score": fmt.integers(c.churn_score[rows]),
            "CLTV": fmt.integers(c.cltv[rows]),
            "Churn Category": fmt.pick(
                c.churn_category[rows], categories("status", "Churn Category")
            ),
            "Churn Reason": fmt.pick(c.reason[rows], [text for _, text in REASONS]),
        },
    )


def usage(
    rng: np.random.Generator, c: Customers, rows: np.ndarray, usage_date: date
) -> dict[str, pa.Array]:
    """One day of usage: data in line with the plan's monthly GB, calls/SMS only with phone."""
    n = len(rows)
    phone = c.phone[rows]
    centi_gb = np.rint(c.avg_gb[rows] / 30 * rng.gamma(2.0, 0.5, size=n) * 100).astype(np.int64)
    voice = np.where(phone, np.minimum(np.rint(rng.gamma(2.0, 40.0, size=n)), 1440), 0)
    sms = np.where(phone, rng.poisson(15, size=n), 0)
    roaming = np.where(phone & (rng.random(n) < 0.03), rng.integers(1, 121, size=n), 0)
    return _checked(
        "usage",
        {
            "Customer ID": fmt.customer_ids(c.id_number[rows]),
            "Usage Date": fmt.constant(usage_date.isoformat(), n),
            "Data GB": fmt.fixed(centi_gb, 2),
            "Voice Minutes": fmt.integers(voice),
            "SMS Count": fmt.integers(sms),
            "Roaming Minutes": fmt.integers(roaming),
        },
    )
