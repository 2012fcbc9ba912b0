"""Customer attributes as column arrays (one slot per customer), drawn consistently.

Every categorical value is stored as an index into the contract's canonical categories, so the
formatter writes the contract's spelling and nothing here repeats it. Money is in cents.
Consistency rules are built in, not patched afterwards: Internet Type None <=> no internet and
then no add-ons and 0 GB; no phone => no multiple lines and no long distance; Churned <=> churn
label/value and a churn category + reason; Total Revenue from the other totals to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from telco360.shipped.contract import CHURN_REASONS, FEEDS


def categories(feed: str, header: str) -> tuple[str, ...]:
    return next(c.categories for c in FEEDS[feed].columns if c.header == header)


def code(feed: str, header: str, value: str) -> int:
    return categories(feed, header).index(value)


# Category codes used in the logic below (indices into the contract's categories).
NO_INTERNET = code("services", "Internet Type", "None")
DSL = code("services", "Internet Type", "DSL")
FIBER = code("services", "Internet Type", "Fiber Optic")
CABLE = code("services", "Internet Type", "Cable")
CHURNED = code("status", "Customer Status", "Churned")
STAYED = code("status", "Customer Status", "Stayed")
JOINED = code("status", "Customer Status", "Joined")
NO_CHURN = -1

# Internet add-ons, in services-feed order; all No without internet.
ADDONS = (
    "Online Security",
    "Online Backup",
    "Device Protection Plan",
    "Premium Tech Support",
    "Streaming TV",
    "Streaming Movies",
    "Streaming Music",
    "Unlimited Data",
)
_ADDON_TAKE_UP = np.array([0.29, 0.34, 0.34, 0.29, 0.38, 0.39, 0.35, 0.67])
_ADDON_PRICE_CENTS = np.array([500, 500, 500, 500, 1000, 1000, 500, 500])
_INTERNET_PRICE_CENTS = np.zeros(len(categories("services", "Internet Type")), dtype=np.int64)
_INTERNET_PRICE_CENTS[[DSL, FIBER, CABLE]] = (2500, 4500, 3000)

CHURN_CATEGORIES = categories("status", "Churn Category")
# Reasons flattened in contract order: reason code -> (category code, text).
REASONS = tuple(
    (CHURN_CATEGORIES.index(cat), reason)
    for cat in sorted(CHURN_REASONS)
    for reason in CHURN_REASONS[cat]
)
_REASON_CATEGORY = np.array([cat for cat, _ in REASONS])
_CATEGORY_WEIGHTS = {"Competitor": 0.45, "Dissatisfaction": 0.17, "Attitude": 0.16}


@dataclass
class Customers:
    id_number: np.ndarray  # 0 .. 10**4 * 26**5 - 1, rendered as 7590-VHVEG
    gender: np.ndarray
    age: np.ndarray
    married: np.ndarray
    dependents: np.ndarray  # number of dependents
    zip_index: np.ndarray  # row of the zip table
    referrals: np.ndarray
    tenure: np.ndarray
    offer: np.ndarray
    phone: np.ndarray
    avg_long_distance: np.ndarray  # cents
    multiple_lines: np.ndarray
    internet_type: np.ndarray
    avg_gb: np.ndarray
    addons: np.ndarray  # (n, len(ADDONS)) bool
    contract: np.ndarray
    paperless: np.ndarray
    payment: np.ndarray
    monthly: np.ndarray  # cents
    total_charges: np.ndarray  # cents, -1 = blank (first month, not billed yet)
    refunds: np.ndarray
    extra_data: np.ndarray
    long_distance: np.ndarray
    status: np.ndarray
    satisfaction: np.ndarray
    churn_score: np.ndarray
    cltv: np.ndarray
    reason: np.ndarray  # index into REASONS, NO_CHURN unless churned

    def __len__(self) -> int:
        return len(self.id_number)

    @property
    def revenue(self) -> np.ndarray:
        charges = np.maximum(self.total_charges, 0)
        return charges - self.refunds + self.extra_data + self.long_distance

    @property
    def churn_category(self) -> np.ndarray:
        return np.where(self.reason >= 0, _REASON_CATEGORY[np.maximum(self.reason, 0)], NO_CHURN)


ID_SPACE = 10**4 * 26**5


def unique_ids(rng: np.random.Generator, count: int) -> np.ndarray:
    """`count` distinct customer id numbers in random (not sorted) order."""
    drawn = rng.integers(0, ID_SPACE, size=count + count // 10 + 16, dtype=np.int64)
    _, first = np.unique(drawn, return_index=True)
    keep = np.sort(first)[:count]  # first occurrences, in draw order
    if len(keep) < count:  # vanishingly unlikely: ~1e-11 collision rate
        raise RuntimeError("customer id space exhausted; use another seed")
    return drawn[keep]


def monthly_cents(rng: np.random.Generator, c: Customers, rows: np.ndarray) -> np.ndarray:
    """Monthly charge from the services held, with a little noise, in the IBM range."""
    internet = _INTERNET_PRICE_CENTS[c.internet_type[rows]]
    addons = (c.addons[rows] * _ADDON_PRICE_CENTS).sum(axis=1)
    phone = c.phone[rows] * (2000 + 500 * c.multiple_lines[rows])
    noise = rng.integers(-150, 151, size=len(rows))
    return np.clip(phone + internet + addons + noise, 1825, 11875).astype(np.int64)


def draw(rng: np.random.Generator, count: int, joined_from: int, zip_weights: np.ndarray):
    """`count` customers; those at index >= `joined_from` join later (status Joined, month 1)."""
    n = count
    later = np.arange(n) >= joined_from
    status = rng.choice([STAYED, JOINED, CHURNED], size=n, p=[0.74, 0.06, 0.20])
    status[later] = JOINED
    age = rng.integers(19, 81, size=n)
    dependents = np.where(rng.random(n) < 0.77, 0, rng.integers(1, 4, size=n))
    tenure = np.where(status == JOINED, rng.integers(1, 7, size=n), rng.integers(1, 73, size=n))
    tenure[later] = 1
    phone = rng.random(n) < 0.90
    internet_type = rng.choice([FIBER, DSL, CABLE, NO_INTERNET], size=n, p=[0.44, 0.22, 0.13, 0.21])
    internet_type[~phone] = rng.choice([FIBER, DSL, CABLE], size=int((~phone).sum()))
    internet = internet_type != NO_INTERNET
    addons = (rng.random((n, len(ADDONS))) < _ADDON_TAKE_UP) & internet[:, None]
    referrals = np.where(rng.random(n) < 0.55, 0, rng.integers(1, 12, size=n))
    c = Customers(
        id_number=unique_ids(rng, n),
        gender=rng.integers(0, 2, size=n),
        age=age,
        married=rng.random(n) < 0.48,
        dependents=dependents,
        zip_index=rng.choice(len(zip_weights), size=n, p=zip_weights),
        referrals=referrals,
        tenure=tenure,
        offer=np.where(rng.random(n) < 0.55, 0, rng.integers(1, 6, size=n)),
        phone=phone,
        avg_long_distance=np.where(phone, rng.integers(100, 5000, size=n), 0),
        multiple_lines=phone & (rng.random(n) < 0.45),
        internet_type=internet_type,
        avg_gb=np.where(internet, rng.integers(2, 86, size=n), 0),
        addons=addons,
        contract=rng.choice(3, size=n, p=[0.51, 0.21, 0.28]),
        paperless=rng.random(n) < 0.59,
        payment=rng.choice(3, size=n, p=[0.55, 0.39, 0.06]),
        monthly=np.zeros(n, dtype=np.int64),
        total_charges=np.zeros(n, dtype=np.int64),
        refunds=np.zeros(n, dtype=np.int64),
        extra_data=np.zeros(n, dtype=np.int64),
        long_distance=np.zeros(n, dtype=np.int64),
        status=status,
        satisfaction=np.zeros(n, dtype=np.int64),
        churn_score=np.zeros(n, dtype=np.int64),
        cltv=rng.integers(2003, 6501, size=n),
        reason=np.full(n, NO_CHURN),
    )
    everyone = np.arange(n)
    c.monthly = monthly_cents(rng, c, everyone)
    # Totals over the tenure; a month-1 customer is often not billed yet (blank charges).
    unbilled = (c.tenure == 1) & (rng.random(n) < 0.5)
    charges = np.rint(c.monthly * c.tenure * rng.uniform(0.85, 1.15, size=n)).astype(np.int64)
    c.total_charges = np.where(unbilled, -1, charges)
    capped = rng.random(n) < 0.3
    extra = rng.integers(1, 16, size=n) * 1000
    c.extra_data = np.where(internet & ~c.addons[:, -1] & capped & ~unbilled, extra, 0)
    c.long_distance = np.where(unbilled, 0, c.avg_long_distance * c.tenure)
    refund = np.minimum(rng.integers(0, 5000, size=n), charges)
    c.refunds = np.where((rng.random(n) < 0.08) & ~unbilled, refund, 0)
    draw_scores(rng, c, everyone)
    churned = everyone[status == CHURNED]
    churn(rng, c, churned)
    return c


def draw_scores(rng: np.random.Generator, c: Customers, rows: np.ndarray) -> None:
    """Satisfaction and churn score for not-churned customers (churn() sets the churned)."""
    c.satisfaction[rows] = rng.choice(
        [1, 2, 3, 4, 5], size=len(rows), p=[0.04, 0.06, 0.35, 0.3, 0.25]
    )
    c.churn_score[rows] = rng.integers(5, 81, size=len(rows))


def churn(rng: np.random.Generator, c: Customers, rows: np.ndarray) -> None:
    """Mark customers Churned with a category and a reason of that category."""
    k = len(rows)
    weights = np.array([_CATEGORY_WEIGHTS.get(CHURN_CATEGORIES[cat], 0.11) for cat, _ in REASONS])
    per_reason = (
        weights / np.bincount(_REASON_CATEGORY, minlength=len(CHURN_CATEGORIES))[_REASON_CATEGORY]
    )
    c.reason[rows] = rng.choice(len(REASONS), size=k, p=per_reason / per_reason.sum())
    c.status[rows] = CHURNED
    c.satisfaction[rows] = rng.choice([1, 2, 3], size=k, p=[0.45, 0.4, 0.15])
    c.churn_score[rows] = rng.integers(65, 97, size=k)


def change_services(rng: np.random.Generator, c: Customers, rows: np.ndarray) -> None:
    """A plan change: internet customers toggle an add-on; everyone may change contract,
    payment or paperless billing. Totals are as of the quarter, so they stay."""
    k = len(rows)
    internet = c.internet_type[rows] != NO_INTERNET
    which = rng.integers(0, len(ADDONS), size=k)
    toggled = rows[internet]
    c.addons[toggled, which[internet]] ^= True
    other = rows[~internet]
    c.contract[other] = (c.contract[other] + rng.integers(1, 3, size=len(other))) % 3
    switch_pay = rows[rng.random(k) < 0.3]
    c.payment[switch_pay] = (c.payment[switch_pay] + 1) % 3
    c.paperless[rows[rng.random(k) < 0.2]] ^= True
    # No extra data charges once on unlimited data.
    c.extra_data[rows] = np.where(c.addons[rows, -1], 0, c.extra_data[rows])
    c.monthly[rows] = monthly_cents(rng, c, rows)
