"""The feed contract: the one source of truth for what the CRM exports look like.

Used by the generator, the pre-flight Lambda (shipped in a SAM-built layer), both Glue
jobs (bundled into glue/*.py by `make glue`, checked for staleness by a test) and the tests.
Keep this module standard-library only and free of package-relative imports: it is copied
verbatim into runtimes that have nothing else of this project.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass

CONTRACT_VERSION = 1

# Column kinds. Each maps to one standardized (Spark / Parquet) type.
ID = "id"  # Customer ID, `7590-VHVEG`
STRING = "string"
INTEGER = "integer"
DECIMAL = "decimal"  # money: DECIMAL(12,2), rounded half-up
FLOAT = "float"  # coordinates, gigabytes
BOOLEAN = "boolean"  # Yes / No
CATEGORY = "category"  # one of a closed set, canonical spelling
DATE = "date"  # YYYY-MM-DD

SPARK_TYPES = {
    ID: "string",
    STRING: "string",
    INTEGER: "int",
    DECIMAL: "decimal(12,2)",
    FLOAT: "double",
    BOOLEAN: "boolean",
    CATEGORY: "string",
    DATE: "date",
}

CUSTOMER_ID_PATTERN = r"^[0-9]{4}-[A-Z]{5}$"
ZIP_CODE_PATTERN = r"^[0-9]{5}$"

TRUE_WORDS = ("yes", "y", "true", "1")
FALSE_WORDS = ("no", "n", "false", "0")

# Quarantine reason codes (a quarantined row carries one or more).
WRONG_FIELD_COUNT = "wrong_field_count"
MISSING_KEY = "missing_key"
MALFORMED_KEY = "malformed_key"
MALFORMED_VALUE = "malformed_value"  # fails a column's pattern (e.g. zip code)
UNPARSEABLE_NUMBER = "unparseable_number"
UNPARSEABLE_BOOLEAN = "unparseable_boolean"
UNPARSEABLE_DATE = "unparseable_date"
UNKNOWN_CATEGORY = "unknown_category"
MISSING_REQUIRED = "missing_required"
OUT_OF_RANGE = "out_of_range"  # outside a column's bounds; a date after the batch date
INCONSISTENT_VALUES = "inconsistent_values"  # two columns state the same fact differently
INVALID_ENCODING = "invalid_encoding"  # the line is not valid UTF-8
REPEATED_HEADER = "repeated_header"  # the file's header line again (concatenated exports)
REASON_CODES = (
    WRONG_FIELD_COUNT,
    MISSING_KEY,
    MALFORMED_KEY,
    MALFORMED_VALUE,
    UNPARSEABLE_NUMBER,
    UNPARSEABLE_BOOLEAN,
    UNPARSEABLE_DATE,
    UNKNOWN_CATEGORY,
    MISSING_REQUIRED,
    OUT_OF_RANGE,
    INCONSISTENT_VALUES,
    INVALID_ENCODING,
    REPEATED_HEADER,
)

# Lineage columns added to every standardized and quarantined row.
LINEAGE_COLUMNS = (("ingest_date", "date"), ("source_file", "string"), ("source_line", "int"))


def snake_case(header: str) -> str:
    """`Customer ID` -> `customer_id`, `Under 30` -> `under_30`, `CLTV` -> `cltv`."""
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")


def category_key(value: str) -> str:
    """The spelling-insensitive form used to match a category value to its canonical one:
    `Month-to-month`, `month to month` and `Month-to-Month` all give `monthtomonth`."""
    return re.sub(r"[^a-z0-9]", "", value.lower())


# Characters that spreadsheet and CRM tools leave in header names and that carry no meaning:
# byte-order marks (also mid-line, where a concatenated export puts them) and zero-width spaces.
BOM = "\ufeff"  # a UTF-8 file's byte-order mark, decoded
_INVISIBLE = dict.fromkeys(map(ord, BOM + "\u200b"))
_QUOTES = "\"'"


def without_bom(line: str) -> str:
    """A file's first line without the byte-order mark(s) in front of it (text, not a name)."""
    return line.lstrip(BOM)


def header_fields(header_line: str) -> list[str]:
    """The names of a file's header line, split as CSV, as pre-flight and job A read them. The
    byte-order mark in front is dropped first (left there, it would keep a quoted first name
    from reading as quoted); each name is then matched with `header_key`."""
    return next(csv.reader([without_bom(header_line)]), [])


def header_key(header: str) -> str:
    """The form in which a delivered header name is matched to a contract header; the one rule
    used by pre-flight and job A alike. Ignored: case, surrounding and repeated inner
    whitespace of any kind (tabs, no-break spaces), byte-order marks and zero-width spaces, and
    one pair of quotes around the name (left by a tool that quotes after padding). So
    `\ufeff"Monthly  Charge" `, `MONTHLY\u00a0CHARGE` and `Monthly Charge` all give
    `monthly charge`. A blank name (a trailing delimiter) gives ``."""
    text = " ".join(header.translate(_INVISIBLE).split())
    if len(text) >= 2 and text[0] == text[-1] and text[0] in _QUOTES:
        text = " ".join(text[1:-1].split())
    return text.casefold()


@dataclass(frozen=True)
class Column:
    header: str
    kind: str
    required: bool = True  # a blank value quarantines the row (else it becomes NULL)
    categories: tuple[str, ...] = ()  # canonical spellings, for CATEGORY
    minimum: float | None = None  # inclusive bounds for numbers
    maximum: float | None = None
    pattern: str | None = None  # regex the trimmed value must match (ID, zip codes)
    scale: int = 2  # decimal places kept for DECIMAL
    not_after_batch: bool = False  # DATE: a value later than the batch date is out_of_range

    @property
    def name(self) -> str:
        return snake_case(self.header)

    @property
    def spark_type(self) -> str:
        return SPARK_TYPES[self.kind]

    def canonical(self, value: str) -> str | None:
        """The canonical spelling of a category value, or None if it is not one."""
        wanted = category_key(value)
        for category in self.categories:
            if category_key(category) == wanted:
                return category
        return None


@dataclass(frozen=True)
class Feed:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # standardized column names
    required: bool  # must be present in every batch
    # Pairs (Yes/No flag, 0/1 integer) stating the same fact: a row where both are present
    # and disagree is quarantined as inconsistent_values (a blank side is never inconsistent).
    agreements: tuple[tuple[str, str], ...] = ()

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"feed {self.name!r} has no column {name!r}")


def _id() -> Column:
    return Column("Customer ID", ID, pattern=CUSTOMER_ID_PATTERN)


def _count() -> Column:
    return Column("Count", INTEGER, minimum=1, maximum=1)


def _quarter() -> Column:
    return Column("Quarter", CATEGORY, categories=("Q1", "Q2", "Q3", "Q4"))


def _flag(header: str) -> Column:
    return Column(header, BOOLEAN)


def _money(header: str, required: bool = True) -> Column:
    return Column(header, DECIMAL, required=required, minimum=0, maximum=1_000_000)


DEMOGRAPHICS = Feed(
    "demographics",
    (
        _id(),
        _count(),
        Column("Gender", CATEGORY, categories=("Male", "Female")),
        Column("Age", INTEGER, minimum=0, maximum=120),
        _flag("Under 30"),
        _flag("Senior Citizen"),
        _flag("Married"),
        _flag("Dependents"),
        Column("Number of Dependents", INTEGER, minimum=0, maximum=20),
    ),
    key=("customer_id",),
    required=True,
)

LOCATION = Feed(
    "location",
    (
        _id(),
        _count(),
        Column("Country", STRING),
        Column("State", STRING),
        Column("City", STRING),
        Column("Zip Code", STRING, pattern=ZIP_CODE_PATTERN),
        Column("Lat Long", STRING),
        Column("Latitude", FLOAT, minimum=-90, maximum=90),
        Column("Longitude", FLOAT, minimum=-180, maximum=180),
    ),
    key=("customer_id",),
    required=True,
)

POPULATION = Feed(
    "population",
    (
        Column("ID", INTEGER, minimum=0),
        Column("Zip Code", STRING, pattern=ZIP_CODE_PATTERN),
        Column("Population", INTEGER, minimum=0, maximum=10_000_000),
    ),
    key=("zip_code",),
    required=False,
)

SERVICES = Feed(
    "services",
    (
        _id(),
        _count(),
        _quarter(),
        _flag("Referred a Friend"),
        Column("Number of Referrals", INTEGER, minimum=0, maximum=100),
        Column("Tenure in Months", INTEGER, minimum=0, maximum=1200),
        Column(
            "Offer",
            CATEGORY,
            categories=("None", "Offer A", "Offer B", "Offer C", "Offer D", "Offer E"),
        ),
        _flag("Phone Service"),
        _money("Avg Monthly Long Distance Charges"),
        _flag("Multiple Lines"),
        _flag("Internet Service"),
        Column("Internet Type", CATEGORY, categories=("DSL", "Fiber Optic", "Cable", "None")),
        Column("Avg Monthly GB Download", INTEGER, minimum=0, maximum=10_000),
        _flag("Online Security"),
        _flag("Online Backup"),
        _flag("Device Protection Plan"),
        _flag("Premium Tech Support"),
        _flag("Streaming TV"),
        _flag("Streaming Movies"),
        _flag("Streaming Music"),
        _flag("Unlimited Data"),
        Column("Contract", CATEGORY, categories=("Month-to-Month", "One Year", "Two Year")),
        _flag("Paperless Billing"),
        Column(
            "Payment Method",
            CATEGORY,
            categories=("Bank Withdrawal", "Credit Card", "Mailed Check"),
        ),
        _money("Monthly Charge"),
        _money("Total Charges", required=False),  # blank in a customer's first month
        _money("Total Refunds"),
        _money("Total Extra Data Charges"),
        _money("Total Long Distance Charges"),
        _money("Total Revenue"),
    ),
    key=("customer_id",),
    required=True,
)

STATUS = Feed(
    "status",
    (
        _id(),
        _count(),
        _quarter(),
        Column("Satisfaction Score", INTEGER, minimum=1, maximum=5),
        Column("Customer Status", CATEGORY, categories=("Churned", "Stayed", "Joined")),
        _flag("Churn Label"),
        Column("Churn Value", INTEGER, minimum=0, maximum=1),
        Column("Churn Score", INTEGER, minimum=0, maximum=100),
        Column("CLTV", INTEGER, minimum=0, maximum=100_000),
        Column(
            "Churn Category",
            CATEGORY,
            required=False,  # empty unless churned
            categories=("Attitude", "Competitor", "Dissatisfaction", "Other", "Price"),
        ),
        Column("Churn Reason", STRING, required=False),
    ),
    key=("customer_id",),
    required=True,
    agreements=(("churn_label", "churn_value"),),
)

USAGE = Feed(
    "usage",
    (
        _id(),
        Column("Usage Date", DATE, not_after_batch=True),  # usage is reported after the day
        Column("Data GB", FLOAT, minimum=0, maximum=10_000),
        Column("Voice Minutes", INTEGER, minimum=0, maximum=1440),
        Column("SMS Count", INTEGER, minimum=0, maximum=100_000),
        Column("Roaming Minutes", INTEGER, minimum=0, maximum=1440),
    ),
    key=("customer_id", "usage_date"),
    required=False,
)

FEEDS: dict[str, Feed] = {
    f.name: f for f in (DEMOGRAPHICS, LOCATION, POPULATION, SERVICES, STATUS, USAGE)
}
CUSTOMER_FEEDS = ("demographics", "location", "services", "status")
REQUIRED_FEEDS = tuple(name for name, f in FEEDS.items() if f.required)

# Reasonable churn vocabulary, used by the generator and documented for analysts.
CHURN_REASONS = {
    "Competitor": (
        "Competitor had better devices",
        "Competitor made better offer",
        "Competitor offered more data",
        "Competitor offered higher download speeds",
    ),
    "Dissatisfaction": (
        "Product dissatisfaction",
        "Network reliability",
        "Service dissatisfaction",
        "Limited range of services",
    ),
    "Attitude": ("Attitude of support person", "Attitude of service provider"),
    "Price": ("Price too high", "Extra data charges", "Long distance charges"),
    "Other": ("Moved", "Deceased", "Don't know"),
}
