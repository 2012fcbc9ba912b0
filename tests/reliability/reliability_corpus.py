"""The bad-input corpus: every case, its input and its expected outcome, in one table.

Row-level cases live in ONE batch (several files per feed, one case per row or per file), so
job A runs once for all of them; each expectation is keyed by source file + physical line.
Pre-flight cases (a whole batch that must be refused) are listed in PREFLIGHT_CASES and are
built from a small valid batch by one mutation each.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from telco360.shipped.contract import FEEDS

BATCH = "2026-11-02"


# ---------------------------------------------------------------------------- outcomes
@dataclass(frozen=True)
class Std:
    """Standardized; the typed values of the listed columns are exactly these."""

    values: dict

    def __str__(self) -> str:
        shown = {
            k: (v if not isinstance(v, str) or len(v) < 30 else f"<{len(v)} chars>")
            for k, v in self.values.items()
        }
        return f"standardized {shown}"


@dataclass(frozen=True)
class Quarantined:
    codes: tuple[str, ...]

    def __str__(self) -> str:
        return f"quarantined {list(self.codes)}"


@dataclass(frozen=True)
class Duplicate:
    """Typed values equal an earlier accepted row: counted in duplicates_dropped."""

    of: str

    def __str__(self) -> str:
        return f"duplicate of '{self.of}' (dropped, counted)"


@dataclass(frozen=True)
class Skipped:
    """A blank line is not a row: neither read nor counted."""

    def __str__(self) -> str:
        return "not a row (blank line, skipped)"


def Q(*codes: str) -> Quarantined:  # noqa: N802 - reads like the table
    return Quarantined(tuple(sorted(codes)))


# ---------------------------------------------------------------------------- rows & files
@dataclass
class Row:
    case: str
    text: str | bytes  # one line (or several physical lines for a quoted newline)
    expect: object
    eol: str | None = None  # this row's line ending, when it differs from the file's


@dataclass
class CsvFile:
    feed: str
    name: str
    header: list[str]
    rows: list[Row]
    eol: str = "\n"
    bom: bool = False
    final_newline: bool = True
    note: str = ""
    header_text: str | None = None  # the header line exactly as written (else CSV of header)
    trailer: str = ""  # bytes after the last row (trailing empty lines)

    @property
    def rel(self) -> str:
        return f"raw/{self.feed}/ingest_date={BATCH}/{self.name}"

    def to_bytes(self) -> bytes:
        """The file as landed: gzip-compressed when its name ends in .gz."""
        text = self.text_bytes()
        return gzip.compress(text, mtime=0) if self.name.endswith(".gz") else text

    def text_bytes(self) -> bytes:
        out = bytearray(b"\xef\xbb\xbf" if self.bom else b"")
        header = self.header_text if self.header_text is not None else _csv(self.header)
        lines: list[tuple[bytes, str]] = [(header.encode(), self.eol)]
        lines += [
            (r.text if isinstance(r.text, bytes) else r.text.encode(), r.eol or self.eol)
            for r in self.rows
        ]
        for i, (text, eol) in enumerate(lines):
            out += text
            if i < len(lines) - 1 or self.final_newline:
                out += eol.encode()
        return bytes(out) + self.trailer.encode()

    def located(self) -> list[tuple[int, Row]]:
        """(first physical line, row) for every row: the header is line 1."""
        placed, line = [], 2
        for r in self.rows:
            placed.append((line, r))
            text = r.text if isinstance(r.text, str) else r.text.decode("latin-1")
            line += max(1, len(physical_lines(text)))  # a blank row is still a line
        return placed


def split_records(text: str) -> list[tuple[int, str]]:
    """(first physical line, record) for every record of a file's text, by the documented rule
    (docs/DATA_LAYOUT.md), written here independently of job A: a line with an odd number of
    double quotes opens a record that the next such line closes; the last odd line of a file
    with an odd count opens nothing. Blank lines are records here (job A skips them).

    RFC 4180 section 2.6 allows line breaks inside a quoted field; Spark's CSV reader takes them
    as part of the value only with `multiLine`, which reads a file whole, in one task
    (https://spark.apache.org/docs/latest/sql-data-sources-csv.html). Job A keeps its
    splittable line reader, which ends a line at `\n`, `\r\n` or `\r`
    (https://spark.apache.org/docs/latest/sql-data-sources-text.html), and joins the lines."""
    lines = physical_lines(text)
    odd = [part.count('"') % 2 == 1 for part in lines]
    total, before, records = sum(odd), 0, []
    for number, (part, is_odd) in enumerate(zip(lines, odd, strict=True), start=1):
        if before % 2 == 1 and before < total:
            start, joined = records[-1]
            records[-1] = (start, joined + "\n" + part)
        else:
            records.append((number, part))
        before += is_odd
    return records


def physical_lines(text: str) -> list[str]:
    """Split like Hadoop's line reader: LF, CRLF and a lone CR end a line (nothing else)."""
    parts = re.split(r"\r\n|\r|\n", text)
    if parts and parts[-1] == "":
        parts.pop()
    return parts


def _csv(values: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(values)
    return buf.getvalue()


# Real rows of IBM's sample (tests/data/real_exports), by header.
TEMPLATES = {
    "demographics": "8779-QRDMV,1,Male,78,No,Yes,No,No,0",
    "location": 'Customer ID,1,United States,California,Los Angeles,90022,"34.02381, -118.156582",'
    "34.02381,-118.156582",
    "population": "1,90022,68701",
    "services": "8779-QRDMV,1,Q3,No,0,1,None,No,0,No,Yes,DSL,8,No,No,Yes,No,No,Yes,No,No,"
    "Month-to-Month,Yes,Bank Withdrawal,39.65,39.65,0,20,0,59.65",
    "status": "8779-QRDMV,1,Q3,3,Churned,Yes,1,91,5433,Competitor,Competitor offered more data",
    "usage": "4412-YLTKF,2026-11-01,0.71,35,12,0",
}


def record(feed: str, cid: str | None = None, **by_header: str) -> dict[str, str]:
    headers = FEEDS[feed].headers
    values = next(csv.reader([TEMPLATES[feed]]))
    rec = dict(zip(headers, values, strict=True))
    if cid is not None and "Customer ID" in rec:
        rec["Customer ID"] = cid
    for key, value in by_header.items():
        header = key.replace("_", " ") if key not in rec else key
        match = [h for h in headers if h.lower() == header.lower()]
        assert match, f"{feed}: no column {key}"
        rec[match[0]] = value
    return rec


def line(feed: str, cid: str | None = None, header: list[str] | None = None, **by_header) -> str:
    rec = record(feed, cid, **by_header)
    columns = header or list(FEEDS[feed].headers)
    return _csv([rec.get(h, f"X{i}") for i, h in enumerate(columns)])


def cid(n: int) -> str:
    return f"{9000 + n}-RELIA"


# ---------------------------------------------------------------------------- the batch
GIANT_CITY = "Llanfair" * int(
    os.environ.get("RELIABILITY_GIANT_REPEAT", "125000")
)  # 1,000,000 characters


def row_files() -> list[CsvFile]:
    D, L, S, T, U, P = "demographics", "location", "services", "status", "usage", "population"
    dh = list(FEEDS[D].headers)
    demographics = CsvFile(
        D,
        "demographics.csv",
        dh,
        [
            Row(
                "valid row",
                line(D, cid(1)),
                Std(
                    {
                        "customer_id": cid(1),
                        "age": 78,
                        "gender": "Male",
                        "senior_citizen": True,
                        "married": False,
                    }
                ),
            ),
            Row("empty Customer ID", line(D, ""), Q("missing_key")),
            Row("Customer ID without dash", line(D, "7590VHVEG"), Q("malformed_key")),
            Row("Customer ID lower case", line(D, "7590-vhveg"), Q("malformed_key")),
            Row(
                "Customer ID padded with spaces",
                line(D, f"  {cid(2)} "),
                Std({"customer_id": cid(2)}),
            ),
            Row("age -1", line(D, cid(3), Age="-1"), Q("out_of_range")),
            Row("age 121", line(D, cid(4), Age="121"), Q("out_of_range")),
            Row("age 120 (bound)", line(D, cid(5), Age="120"), Std({"age": 120})),
            Row("age 65.0", line(D, cid(6), Age="65.0"), Std({"age": 65})),
            Row("age 65.5", line(D, cid(7), Age="65.5"), Q("unparseable_number")),
            Row("age blank", line(D, cid(8), Age=""), Q("missing_required")),
            Row("age as single space", line(D, cid(9), Age=" "), Q("missing_required")),
            Row(
                "gender `female` (other spelling)",
                line(D, cid(10), Gender="female"),
                Std({"gender": "Female"}),
            ),
            Row(
                "gender `Unspecified`",
                line(D, cid(11), Gender="Unspecified"),
                Q("unknown_category"),
            ),
            Row(
                "flags Y / true / n / 0",
                line(
                    D,
                    cid(12),
                    **{
                        "Under 30": "Y",
                        "Senior Citizen": "true",
                        "Married": "n",
                        "Dependents": "0",
                    },
                ),
                Std(
                    {
                        "under_30": True,
                        "senior_citizen": True,
                        "married": False,
                        "dependents": False,
                    }
                ),
            ),
            Row("flag `Maybe`", line(D, cid(13), Married="Maybe"), Q("unparseable_boolean")),
            Row("Count 2", line(D, cid(14), Count="2"), Q("out_of_range")),
            Row("too few fields", f"{cid(15)},1,Male,40,No", Q("wrong_field_count")),
            Row("too many fields", line(D, cid(16)) + ",extra", Q("wrong_field_count")),
            Row(
                "several defects in one row",
                line(D, cid(17), Age="abc", Gender="X"),
                Q("unknown_category", "unparseable_number"),
            ),
            Row("blank line", "", Skipped()),
            Row("whitespace-only line", "   \t ", Skipped()),
            Row("identical re-send of 'valid row'", line(D, cid(1)), Duplicate("valid row")),
            Row(
                "customer twice, different values (1st)",
                line(D, cid(18), Age="40"),
                Std({"age": 40}),
            ),
            Row(
                "customer twice, different values (2nd)",
                line(D, cid(18), Age="41"),
                Std({"age": 41}),
            ),
            Row(
                "non-breaking spaces around a value",
                line(D, cid(19), Gender="\u00a0Male\u00a0"),
                Std({"gender": "Male"}),
            ),
        ],
    )
    ibm = ["Location ID", *FEEDS[L].headers]  # IBM's extra first column
    location_ibm = CsvFile(
        L,
        "location_ibm.csv",
        ibm,
        [
            Row(
                "valid row, quoted comma in Lat Long",
                "OXCZEW," + line(L, cid(20)),
                Std(
                    {
                        "city": "Los Angeles",
                        "zip_code": "90022",
                        "lat_long": "34.02381, -118.156582",
                        "latitude": 34.02381,
                    }
                ),
            ),
            Row(
                "doubled quotes in a quoted field",
                "A1," + line(L, cid(21), City='O"Brien Falls'),
                Std({"city": 'O"Brien Falls'}),
            ),
            Row(
                "quoted newline in City (2 physical lines, CRLF file): one record",
                "A2," + line(L, cid(22), City="Los\nAngeles"),
                Std({"city": "Los\nAngeles", "customer_id": cid(22)}),
            ),
            Row(
                "zip code 9002",
                "A3," + line(L, cid(23), **{"Zip Code": "9002"}),
                Q("malformed_value"),
            ),
            Row("latitude 134.1", "A4," + line(L, cid(24), Latitude="134.1"), Q("out_of_range")),
            Row("latitude NaN", "A5," + line(L, cid(25), Latitude="NaN"), Q("unparseable_number")),
            Row(
                "non-UTF-8 byte (Latin-1 City)",
                b"A6," + line(L, cid(26), City="S\x00o Paulo").encode().replace(b"\x00", b"\xe3"),
                Q("invalid_encoding"),
            ),
            Row(
                "Unicode line separator inside City",
                "A7," + line(L, cid(27), City="Los\u2028Angeles"),
                Std({"city": "Los\u2028Angeles"}),
            ),
            Row("Country blank", "A8," + line(L, cid(28), Country=""), Q("missing_required")),
            Row("empty extra column value", "," + line(L, cid(29)), Std({"customer_id": cid(29)})),
            Row(
                "gigantic field (1 MB City), last line, no final newline",
                "A9," + line(L, cid(30), City=GIANT_CITY),
                Std({"city": GIANT_CITY}),
            ),
        ],
        eol="\r\n",
        bom=True,
        final_newline=False,
        note="BOM, CRLF, no final newline, extra column",
    )
    reordered = [FEEDS[L].headers[i] for i in (2, 0, 1, 3, 4, 5, 6, 7, 8)]
    location_mixed = CsvFile(
        L,
        "location_mixed.csv",
        reordered,
        [
            Row(
                "LF line, columns in another order",
                line(L, cid(31), header=reordered),
                Std({"customer_id": cid(31), "country": "United States"}),
            ),
            Row(
                "CRLF line in a mixed file",
                line(L, cid(32), header=reordered),
                Std({"customer_id": cid(32)}),
                eol="\r\n",
            ),
            Row(
                "lone CR line ending",
                line(L, cid(33), header=reordered),
                Std({"customer_id": cid(33)}),
                eol="\r",
            ),
            Row(
                "header case and spaces differ",
                line(L, cid(34), header=reordered),
                Std({"state": "California"}),
            ),
        ],
        note="header reordered and re-cased, mixed LF / CRLF / CR",
    )
    location_mixed.header = [h.upper() if i == 1 else f" {h} " for i, h in enumerate(reordered)]
    sh = ["Service ID", *FEEDS[S].headers]
    svc = lambda n, **kw: "S," + line(S, cid(n), **kw)  # noqa: E731
    services = CsvFile(
        S,
        "services_a.csv",
        sh,
        [
            Row(
                "valid row",
                svc(40),
                Std(
                    {
                        "monthly_charge": Decimal("39.65"),
                        "contract": "Month-to-Month",
                        "offer": "None",
                        "internet_type": "DSL",
                    }
                ),
            ),
            Row(
                "float noise in money",
                svc(41, **{"Total Charges": "494.00000000000006"}),
                Std({"total_charges": Decimal("494.00")}),
            ),
            Row(
                "money rounds half up",
                svc(42, **{"Total Charges": "10.125"}),
                Std({"total_charges": Decimal("10.13")}),
            ),
            Row(
                "optional money as a single space",
                svc(43, **{"Total Charges": " "}),
                Std({"total_charges": None}),
            ),
            Row(
                "required money as a single space",
                svc(44, **{"Monthly Charge": " "}),
                Q("missing_required"),
            ),
            Row("negative money", svc(45, **{"Monthly Charge": "-5"}), Q("out_of_range")),
            Row(
                "absurd money 99999999999",
                svc(46, **{"Total Revenue": "99999999999"}),
                Q("out_of_range"),
            ),
            Row(
                "money in scientific notation 1e3",
                svc(47, **{"Total Revenue": "1e3"}),
                Std({"total_revenue": Decimal("1000.00")}),
            ),
            Row("money `$39.65`", svc(48, **{"Monthly Charge": "$39.65"}), Q("unparseable_number")),
            Row("money `12a`", svc(49, **{"Monthly Charge": "12a"}), Q("unparseable_number")),
            Row(
                "other spellings (month to month, FIBER OPTIC, credit card)",
                svc(
                    50,
                    Contract="month to month",
                    **{"Internet Type": "FIBER OPTIC", "Payment Method": "credit card"},
                ),
                Std(
                    {
                        "contract": "Month-to-Month",
                        "internet_type": "Fiber Optic",
                        "payment_method": "Credit Card",
                    }
                ),
            ),
            Row("unknown category `Weekly`", svc(51, Contract="Weekly"), Q("unknown_category")),
            Row("Quarter Q5", svc(52, Quarter="Q5"), Q("unknown_category")),
            Row(
                "customer 3 times: 1st (file a)", svc(53), Std({"monthly_charge": Decimal("39.65")})
            ),
            Row(
                "customer 3 times: 2nd (file a)",
                svc(53, **{"Monthly Charge": "45.00"}),
                Std({"monthly_charge": Decimal("45.00")}),
            ),
            Row("tenure 1201", svc(54, **{"Tenure in Months": "1201"}), Q("out_of_range")),
        ],
    )
    services_b = CsvFile(
        S,
        "services_b.csv",
        sh,
        [
            Row(
                "customer 3 times: 3rd (later file)",
                svc(53, Contract="Two year", **{"Monthly Charge": "50"}),
                Std({"contract": "Two Year", "monthly_charge": Decimal("50.00")}),
            ),
        ],
        note="later file name: wins within the batch",
    )
    st = lambda n, **kw: line(T, cid(n), **kw)  # noqa: E731
    status = CsvFile(
        T,
        "status.csv",
        list(FEEDS[T].headers),
        [
            Row(
                "churned, label Yes / value 1",
                st(60),
                Std({"churn_label": True, "churn_value": 1, "churn_category": "Competitor"}),
            ),
            Row(
                "stayed, label No / value 0, no category",
                st(
                    61,
                    **{
                        "Customer Status": "Stayed",
                        "Churn Label": "No",
                        "Churn Value": "0",
                        "Churn Category": "",
                        "Churn Reason": "",
                    },
                ),
                Std(
                    {
                        "churn_label": False,
                        "churn_value": 0,
                        "churn_category": None,
                        "churn_reason": None,
                    }
                ),
            ),
            Row(
                "Churn Label Yes, Churn Value 0",
                st(62, **{"Churn Value": "0"}),
                Q("inconsistent_values"),
            ),
            Row(
                "Churn Label No, Churn Value 1",
                st(63, **{"Churn Label": "No"}),
                Q("inconsistent_values"),
            ),
            Row(
                "Churn Label blank, Churn Value 1",
                st(64, **{"Churn Label": ""}),
                Q("missing_required"),
            ),
            Row(
                "Churn Label `Maybe`, Churn Value 1",
                st(65, **{"Churn Label": "Maybe"}),
                Q("unparseable_boolean"),
            ),
            Row("Churn Value 2", st(66, **{"Churn Value": "2"}), Q("out_of_range")),
            Row("Satisfaction Score 0", st(67, **{"Satisfaction Score": "0"}), Q("out_of_range")),
            Row(
                "Customer Status `Suspended`",
                st(68, **{"Customer Status": "Suspended"}),
                Q("unknown_category"),
            ),
            Row(
                "quoted comma in Churn Reason",
                st(69, **{"Churn Reason": "Price too high, and slow"}),
                Std({"churn_reason": "Price too high, and slow"}),
            ),
            Row(
                "Churn Label `yes` (lower case), value 1",
                st(70, **{"Churn Label": "yes"}),
                Std({"churn_label": True}),
            ),
        ],
    )
    us = lambda n, **kw: line(U, cid(n), **kw)  # noqa: E731
    usage = CsvFile(
        U,
        "usage.csv",
        list(FEEDS[U].headers),
        [
            Row(
                "usage the day before the batch",
                us(80),
                Std({"usage_date": date(2026, 11, 1), "data_gb": 0.71}),
            ),
            Row(
                "usage on the batch date",
                us(81, **{"Usage Date": BATCH}),
                Std({"usage_date": date(2026, 11, 2)}),
            ),
            Row(
                "usage date after the batch date",
                us(82, **{"Usage Date": "2026-11-03"}),
                Q("out_of_range"),
            ),
            Row(
                "usage date 2026-13-01",
                us(83, **{"Usage Date": "2026-13-01"}),
                Q("unparseable_date"),
            ),
            Row(
                "usage date 11/01/2026",
                us(84, **{"Usage Date": "11/01/2026"}),
                Q("unparseable_date"),
            ),
            Row("Voice Minutes 1441", us(85, **{"Voice Minutes": "1441"}), Q("out_of_range")),
            Row("Data GB Infinity", us(86, **{"Data GB": "Infinity"}), Q("unparseable_number")),
            Row(
                "same customer+day twice (1st)", us(87, **{"Data GB": "1.5"}), Std({"data_gb": 1.5})
            ),
            Row(
                "same customer+day twice (2nd)", us(87, **{"Data GB": "2.5"}), Std({"data_gb": 2.5})
            ),
        ],
        final_newline=False,
        note="no final newline",
    )
    population = CsvFile(
        P,
        "population.csv",
        list(FEEDS[P].headers),
        [
            Row("valid population row", line(P), Std({"zip_code": "90022", "population": 68701})),
            Row(
                "population -1",
                line(P, ID="2", **{"Zip Code": "90063", "Population": "-1"}),
                Q("out_of_range"),
            ),
            Row(
                "zip code ABCDE (the key)",
                line(P, ID="3", **{"Zip Code": "ABCDE"}),
                Q("malformed_key"),
            ),
        ],
    )
    return [
        demographics,
        location_ibm,
        location_mixed,
        services,
        services_b,
        status,
        usage,
        population,
        *variant_files(),
    ]


def variant_files() -> list[CsvFile]:
    """Issue 17: header, layout and value variants of real exports (docs/DATA_LAYOUT.md)."""
    D, L, S, T, U, P = "demographics", "location", "services", "status", "usage", "population"
    svc = lambda n, **kw: line(S, cid(n), **kw)  # noqa: E731
    st = lambda n, **kw: line(T, cid(n), **kw)  # noqa: E731
    us = lambda n, **kw: line(U, cid(n), **kw)  # noqa: E731
    dm = lambda n, **kw: line(D, cid(n), **kw)  # noqa: E731
    lc = lambda n, **kw: line(L, cid(n), **kw)  # noqa: E731
    # Headers as tools write them: one rule (contract.header_key) matches each to the contract.
    spaced = list(FEEDS[S].headers)
    spaced[spaced.index("Monthly Charge")] = "Monthly  Charge"  # seen: two spaces
    spaced[spaced.index("Total Revenue")] = "Total\u00a0Revenue"  # no-break space
    spaced[spaced.index("Tenure in Months")] = "\tTenure in  Months "
    services_spaced = CsvFile(
        S,
        "services_spaced_header.csv",
        spaced,
        [
            Row(
                "header `Monthly  Charge` (inner spaces), NBSP, tab: matched",
                svc(100),
                Std({"monthly_charge": Decimal("39.65"), "total_revenue": Decimal("59.65")}),
            ),
            Row(
                "money with thousands separator `1,234.50`",
                svc(101, **{"Total Charges": "1,234.50"}),
                Std({"total_charges": Decimal("1234.50")}),
            ),
            Row(
                "money with decimal comma `39,65` (ambiguous)",
                svc(102, **{"Monthly Charge": "39,65"}),
                Q("unparseable_number"),
            ),
            Row(
                "money in European format `1.234,50`",
                svc(103, **{"Total Charges": "1.234,50"}),
                Q("unparseable_number"),
            ),
            Row(
                "integer with thousands separator `1,200` (tenure)",
                svc(104, **{"Tenure in Months": "1,200"}),
                Std({"tenure_in_months": 1200}),
            ),
            Row(
                "integer with float noise `28.000000000000004`",
                svc(105, **{"Tenure in Months": "28.000000000000004"}),
                Std({"tenure_in_months": 28}),
            ),
            Row(
                "money with float noise `39.650000000000006`",
                svc(106, **{"Monthly Charge": "39.650000000000006"}),
                Std({"monthly_charge": Decimal("39.65")}),
            ),
            Row(
                "flags TRUE / FALSE (spreadsheet booleans)",
                svc(107, **{"Phone Service": "TRUE", "Paperless Billing": "FALSE"}),
                Std({"phone_service": True, "paperless_billing": False}),
            ),
            Row(
                "thousands groups of 2 digits `1,23.5` (not a number)",
                svc(108, **{"Total Revenue": "1,23.5"}),
                Q("unparseable_number"),
            ),
        ],
    )
    quoted = '\ufeff"CUSTOMER ID","count","GENDER"," Age ","under 30","Senior Citizen ",' + (
        '"Married","Dependents","Number  of Dependents",'
    )
    demographics_quoted = CsvFile(
        D,
        "demographics_quoted_header.csv",
        list(FEEDS[D].headers),
        [
            Row(
                "quoted, upper-case header names, BOM, trailing delimiter",
                dm(110) + ",",
                Std({"customer_id": cid(110), "age": 78}),
            ),
            Row(
                "row without the header's trailing delimiter",
                dm(111),
                Std({"customer_id": cid(111)}),
            ),
            Row(
                "row with two trailing delimiters",
                dm(112) + ",,",
                Q("wrong_field_count"),
            ),
            Row(
                "flags YES / no (case)",
                dm(113, Married="YES", Dependents="no"),
                Std({"married": True, "dependents": False}),
            ),
        ],
        header_text=quoted,
        note="header quoted, upper case, BOM, trailing delimiter",
    )
    status_multiline = CsvFile(
        T,
        "status_multiline.csv",
        list(FEEDS[T].headers),
        [
            Row(
                "quoted Churn Reason with a line break: one record",
                st(120, **{"Churn Reason": "Competitor made\nbetter offer"}),
                Std({"churn_reason": "Competitor made\nbetter offer"}),
            ),
            Row(
                "quoted field with a comma and two line breaks",
                st(121, **{"Churn Reason": "Price too high,\nand\nslow"}),
                Std({"churn_reason": "Price too high,\nand\nslow"}),
            ),
            Row(
                "quoted field with a blank line inside",
                st(122, **{"Churn Reason": "Moved\n\nabroad"}),
                Std({"churn_reason": "Moved\n\nabroad"}),
            ),
            Row(
                "quoted field with doubled quotes and a line break",
                st(123, **{"Churn Reason": 'said "no"\nthen left'}),
                Std({"churn_reason": 'said "no"\nthen left'}),
            ),
            Row(
                "repeated header line (concatenated export)",
                _csv(list(FEEDS[T].headers)),
                Q("repeated_header"),
            ),
            Row(
                "row after the repeated header",
                st(124),
                Std({"customer_id": cid(124), "churn_score": 91}),
            ),
            Row(
                "repeated header with its own BOM",
                "\ufeff" + _csv(list(FEEDS[T].headers)),
                Q("repeated_header"),
            ),
            Row(
                "quote never closed (last line of the file)",
                st(125, **{"Churn Reason": "x"}).replace(",x", ',"x'),
                Q("wrong_field_count"),
            ),
        ],
        trailer="\n\n  \n",
        note="quoted line breaks, repeated header, open quote, trailing empty lines",
    )
    location_cr = CsvFile(
        L,
        "location_cr.csv",
        list(FEEDS[L].headers),
        [
            Row("CR-only line endings (old Mac export)", lc(130), Std({"customer_id": cid(130)})),
            Row(
                "quoted CR line break inside City (CR file): one record",
                lc(131, City="Los\rAngeles"),
                Std({"city": "Los\nAngeles"}),
            ),
            Row(
                "latitude with decimal comma `34,02381`",
                lc(132, Latitude="34,02381"),
                Q("unparseable_number"),
            ),
        ],
        eol="\r",
        final_newline=False,
        note="CR line endings, no final newline",
    )
    usage_dates = CsvFile(
        U,
        "usage_dates.csv",
        list(FEEDS[U].headers),
        [
            Row(
                "date `2026/11/01`",
                us(140, **{"Usage Date": "2026/11/01"}),
                Std({"usage_date": date(2026, 11, 1)}),
            ),
            Row(
                "date-time at midnight `2026-11-01 00:00:00`",
                us(141, **{"Usage Date": "2026-11-01 00:00:00"}),
                Std({"usage_date": date(2026, 11, 1)}),
            ),
            Row(
                "date-time `2026-11-01T00:00` (ISO, midnight)",
                us(148, **{"Usage Date": "2026-11-01T00:00"}),
                Std({"usage_date": date(2026, 11, 1)}),
            ),
            Row(
                "date without zero padding `2026-11-1`",
                us(142, **{"Usage Date": "2026-11-1"}),
                Std({"usage_date": date(2026, 11, 1)}),
            ),
            Row(
                "date `1-Nov-2026` (spreadsheet default)",
                us(143, **{"Usage Date": "1-Nov-2026"}),
                Std({"usage_date": date(2026, 11, 1)}),
            ),
            Row(
                "date `01/11/2026` (day/month order unknown)",
                us(144, **{"Usage Date": "01/11/2026"}),
                Q("unparseable_date"),
            ),
            Row(
                "date-time with a time of day `2026-11-01 13:45:00`",
                us(145, **{"Usage Date": "2026-11-01 13:45:00"}),
                Q("unparseable_date"),
            ),
            Row(
                "spreadsheet serial date `46327`",
                us(146, **{"Usage Date": "46327"}),
                Q("unparseable_date"),
            ),
            Row(
                "Data GB with thousands separator `1,234.5`",
                us(147, **{"Data GB": "1,234.5"}),
                Std({"data_gb": 1234.5}),
            ),
            Row("trailing empty line", "", Skipped()),
        ],
        eol="\r\n",
        note="CRLF, trailing empty lines",
    )
    population_gz = CsvFile(
        P,
        "population.csv.gz",
        list(FEEDS[P].headers),
        [
            Row(
                "gzip-compressed file (.csv.gz)",
                line(P, ID="7", **{"Zip Code": "91501", "Population": "20500"}),
                Std({"zip_code": "91501", "population": 20500}),
            ),
            Row(
                "population `12,345` (thousands, quoted)",
                line(P, ID="8", **{"Zip Code": "90063", "Population": "12,345"}),
                Std({"population": 12345}),
            ),
        ],
        note="gzip-compressed",
    )
    return [
        services_spaced,
        demographics_quoted,
        status_multiline,
        location_cr,
        usage_dates,
        population_gz,
    ]


# Job B's resolution of customers sent more than once with different values in the batch.
EXPECTED_LATEST = {
    cid(18): {"age": 41},
    cid(53): {"contract": "Two Year", "monthly_charge": Decimal("50.00")},
}
EXPECTED_CUSTOMER_DUPLICATES_RESOLVED = 3  # cid(18) once in demographics, cid(53) twice
EXPECTED_USAGE_DUPLICATES_RESOLVED = 1  # cid(87) on one day


def write_batch(lake: Path, files: list[CsvFile]) -> None:
    for f in files:
        path = lake / f.rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f.to_bytes())


@dataclass
class Expectation:
    case: str
    feed: str
    source_file: str
    line: int
    expect: object
    input_note: str = ""
    lines: list[int] = field(default_factory=list)


def expectations(files: list[CsvFile]) -> list[Expectation]:
    """One entry per case: its file, first line, the first line of each of its records (one,
    unless its lines do not join into one record), and expected outcome."""
    found = []
    for f in files:
        text_of_file = f.text_bytes().decode("utf-8", errors="replace")
        starts = [start for start, _ in split_records(text_of_file)]
        for first, row in f.located():
            text = row.text if isinstance(row.text, str) else row.text.decode("latin-1")
            n = len(physical_lines(text)) or 1
            mine = [s for s in starts if first <= s < first + n]
            found.append(
                Expectation(
                    row.case,
                    f.feed,
                    f.rel,
                    first,
                    row.expect,
                    f.note,
                    mine,
                )
            )
    return found


def count_data_lines(data: bytes) -> int:
    """Rows read, counted independently of the job: non-blank records minus the header."""
    text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    return sum(1 for _, record in split_records(text) if record.strip(" \t\u00a0")) - 1
