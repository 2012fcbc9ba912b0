"""Export quirks and defects, injected into otherwise clean rows and files.

Row kinds are disjoint: each row gets at most one, and each kind that applies to a feed hits
`rate` of a file's rows (rounded), so a test can recount every kind from the files alone.
Which kinds apply to a feed follows from its contract columns (no category column, no
category misspelling).
File quirks (CRLF, BOM, no final newline) are decided per file from the seed.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from telco360.shipped.contract import BOOLEAN, CATEGORY, DECIMAL, FEEDS, FLOAT, ID, INTEGER, STRING

# Harmless quirks: a reader that follows the contract accepts these rows.
CATEGORY_SPELLING = "category_spelling"  # `Month-to-month`, `fiber optic`
FLOAT_NOISE = "float_noise"  # `494.00000000000006`
BLANK_AS_SPACE = "blank_as_space"  # optional money written as a single space
WHITESPACE = "whitespace"  # ` Yes `
DUPLICATE_LINE = "duplicate_line"  # an exact copy of a line elsewhere in the file
# Defects: a reader must quarantine these rows.
WRONG_FIELD_COUNT = "wrong_field_count"
UNPARSEABLE_NUMBER = "unparseable_number"  # `12a`
UNKNOWN_CATEGORY = "unknown_category"  # `Weekly`
EMPTY_CUSTOMER_ID = "empty_customer_id"
MALFORMED_CUSTOMER_ID = "malformed_customer_id"  # `7590VHVEG`, `7590-vhveg`

QUIRKS = (CATEGORY_SPELLING, FLOAT_NOISE, BLANK_AS_SPACE, WHITESPACE, DUPLICATE_LINE)
DEFECTS = (
    WRONG_FIELD_COUNT,
    UNPARSEABLE_NUMBER,
    UNKNOWN_CATEGORY,
    EMPTY_CUSTOMER_ID,
    MALFORMED_CUSTOMER_ID,
)
ROW_KINDS = QUIRKS + DEFECTS
CRLF, BOM, NO_FINAL_NEWLINE = "crlf", "bom", "no_final_newline"
FILE_QUIRKS = (CRLF, BOM, NO_FINAL_NEWLINE)

# Values outside every contract category (checked by the tests against the contract).
UNKNOWN_VALUES = {
    "Contract": "Weekly",
    "Internet Type": "Satellite",
    "Payment Method": "Bitcoin",
    "Offer": "Offer Z",
    "Gender": "Unspecified",
    "Customer Status": "Suspended",
    "Quarter": "Q5",
    "Churn Category": "Unknown",
}

_NUMBER_KINDS = (INTEGER, DECIMAL, FLOAT)


def _columns_for(feed: str, kind: str) -> tuple[str, ...]:
    cols = FEEDS[feed].columns
    chosen = {
        CATEGORY_SPELLING: [c for c in cols if c.kind == CATEGORY],
        UNKNOWN_CATEGORY: [c for c in cols if c.kind == CATEGORY],
        FLOAT_NOISE: [c for c in cols if c.kind == DECIMAL],
        BLANK_AS_SPACE: [c for c in cols if c.kind == DECIMAL and not c.required],
        UNPARSEABLE_NUMBER: [c for c in cols if c.kind in _NUMBER_KINDS],
        WHITESPACE: [c for c in cols if c.kind in (STRING, CATEGORY, BOOLEAN, *_NUMBER_KINDS)],
        EMPTY_CUSTOMER_ID: [c for c in cols if c.kind == ID],
        MALFORMED_CUSTOMER_ID: [c for c in cols if c.kind == ID],
    }.get(kind, list(cols))
    return tuple(c.header for c in chosen)


def row_kinds(feed: str) -> tuple[str, ...]:
    """The row kinds that can occur in a feed, in a fixed order."""
    return tuple(k for k in ROW_KINDS if _columns_for(feed, k))


def max_rate() -> float:
    """Kinds are disjoint, so `rate` times the number of kinds in a feed must be at most 1."""
    return 1 / max(len(row_kinds(f)) for f in FEEDS)


def rows_per_kind(n: int, feed: str, rate: float) -> int:
    """Rows each kind gets in an n-row file: rate * n, rounded half up (and all kinds fit)."""
    return min(int(rate * n + 0.5), n // len(row_kinds(feed)))


def assign(rng: np.random.Generator, n: int, feed: str, rate: float) -> np.ndarray:
    """Per row, the index into row_kinds(feed) of its kind, or -1. Each kind gets exactly
    rows_per_kind rows, at random places, so the rate holds even in small files."""
    kind_of_row = np.full(n, -1, dtype=np.int64)
    k = rows_per_kind(n, feed, rate)
    if k:
        chosen = rng.permutation(n)[: k * len(row_kinds(feed))]
        kind_of_row[chosen] = np.repeat(np.arange(len(row_kinds(feed))), k)
    return kind_of_row


def _spelling(value: str, u: float) -> str:
    variants = [
        v for v in dict.fromkeys((value[:1] + value[1:].lower(), value.lower())) if v != value
    ]
    return variants[int(u * len(variants))] if variants else value.upper()


def _noisy(value: str) -> str | None:
    number = float(value)
    return repr(float(np.nextafter(number, np.inf))) if number > 0 else None


def _edit(kind: str, header: str, value: str, u: float) -> str | None:
    """The dirty version of one value, or None if this value cannot carry the kind."""
    blank = value.strip() == ""
    if kind == CATEGORY_SPELLING:
        return None if blank else _spelling(value, u)
    if kind == UNKNOWN_CATEGORY:
        return UNKNOWN_VALUES.get(header, "Weekly")
    if kind == FLOAT_NOISE:
        return None if blank else _noisy(value)
    if kind == BLANK_AS_SPACE:
        return " "
    if kind == UNPARSEABLE_NUMBER:
        return None if blank else value + "a"
    if kind == WHITESPACE:
        if blank or "," in value or '"' in value:
            return None
        return (" " + value + " ", " " + value, value + " ")[int(u * 3)]
    if kind == EMPTY_CUSTOMER_ID:
        return ""
    if kind == MALFORMED_CUSTOMER_ID:
        return value.replace("-", "") if u < 0.5 else value.lower()
    raise ValueError(kind)


def apply_to_columns(
    rng: np.random.Generator, feed: str, columns: dict[str, pa.Array], kind_of_row: np.ndarray
) -> None:
    """Edit one value of every row whose kind is a value edit (in place, in `columns`)."""
    edits: dict[str, dict[int, str]] = {h: {} for h in columns}
    for k, kind in enumerate(row_kinds(feed)):
        if kind in (WRONG_FIELD_COUNT, DUPLICATE_LINE):
            continue
        rows = np.flatnonzero(kind_of_row == k)
        if len(rows) == 0:
            continue
        candidates = _columns_for(feed, kind)
        values = {h: columns[h].take(pa.array(rows)).to_pylist() for h in candidates}
        start, style = rng.random(len(rows)), rng.random(len(rows))
        for i, row in enumerate(rows.tolist()):
            first = int(start[i] * len(candidates))
            for j in range(len(candidates)):
                header = candidates[(first + j) % len(candidates)]
                new = _edit(kind, header, values[header][i], float(style[i]))
                if new is not None:
                    edits[header][row] = new
                    break
    for header, changed in edits.items():
        if changed:
            mask = np.zeros(len(columns[header]), dtype=bool)
            order = sorted(changed)
            mask[order] = True
            replacement = pa.array([changed[r] for r in order], type=pa.string())
            columns[header] = pc.replace_with_mask(columns[header], pa.array(mask), replacement)


def apply_to_lines(
    rng: np.random.Generator, feed: str, lines: pa.Array, kind_of_row: np.ndarray
) -> pa.Array:
    """Wrong field counts (a field dropped or one added) and duplicated lines."""
    kinds = row_kinds(feed)
    broken = np.flatnonzero(kind_of_row == kinds.index(WRONG_FIELD_COUNT))
    if len(broken):
        drop = rng.random(len(broken)) < 0.5
        old = lines.take(pa.array(broken)).to_pylist()
        new = [
            line.rsplit(",", 1)[0] if d else line + ",1"
            for line, d in zip(old, drop.tolist(), strict=True)
        ]
        mask = np.zeros(len(lines), dtype=bool)
        mask[broken] = True
        lines = pc.replace_with_mask(lines, pa.array(mask), pa.array(new, type=lines.type))
    copies = np.flatnonzero(kind_of_row == kinds.index(DUPLICATE_LINE))
    if len(copies):
        # Each copy lands at a random later place in the file (a re-sent chunk).
        n = len(lines)
        lands_after = copies + np.floor(rng.random(len(copies)) * (n - copies)).astype(np.int64)
        position = np.concatenate([np.arange(n), lands_after])
        is_copy = np.concatenate([np.zeros(n, bool), np.ones(len(copies), bool)])
        source = np.concatenate([np.arange(n), copies])
        lines = lines.take(pa.array(source[np.lexsort((is_copy, position))]))
    return lines


def plan_file_quirks(seed: int, files: list[tuple[int, str]], rate: float) -> dict:
    """(day, feed) -> set of file quirks. Each quirk hits a share of files that grows with the
    rate (10% at 1%), and at least one file whenever rate > 0, so every quirk is exercised."""
    plan: dict[tuple[int, str], set[str]] = {f: set() for f in files}
    if rate <= 0 or not files:
        return plan
    rng = np.random.default_rng([seed, 901])
    share = min(0.5, max(0.1, 10 * rate))
    for quirk in FILE_QUIRKS:
        hit = rng.random(len(files)) < share
        if not hit.any():
            hit[int(rng.integers(len(files)))] = True
        for f, h in zip(files, hit.tolist(), strict=True):
            if h:
                plan[f].add(quirk)
    return plan
