"""A California-like zip code reference: zip codes, their city, centroid and population.

Real California zip codes start 900-961 and the first three digits follow geography, so each
3-digit prefix below is tied to a few real cities (approximate centres). Zip codes are drawn
from those prefixes; each gets one of its prefix's cities and a centroid jittered around it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# (first zip, last zip) prefix range -> cities (name, latitude, longitude).
_REGIONS: tuple[tuple[int, int, tuple[tuple[str, float, float], ...]], ...] = (
    (
        900,
        908,
        (
            ("Los Angeles", 34.0522, -118.2437),
            ("Long Beach", 33.7701, -118.1937),
            ("Inglewood", 33.9617, -118.3531),
            ("Compton", 33.8958, -118.2201),
            ("Torrance", 33.8358, -118.3406),
            ("Santa Monica", 34.0195, -118.4912),
            ("Whittier", 33.9792, -118.0328),
            ("Downey", 33.9401, -118.1332),
        ),
    ),
    (
        910,
        918,
        (
            ("Pasadena", 34.1478, -118.1445),
            ("Glendale", 34.1425, -118.2551),
            ("Burbank", 34.1808, -118.3090),
            ("Van Nuys", 34.1899, -118.4514),
            ("Santa Clarita", 34.3917, -118.5426),
            ("Pomona", 34.0551, -117.7500),
            ("West Covina", 34.0686, -117.9390),
        ),
    ),
    (
        919,
        921,
        (
            ("San Diego", 32.7157, -117.1611),
            ("Chula Vista", 32.6401, -117.0842),
            ("Escondido", 33.1192, -117.0864),
            ("Oceanside", 33.1959, -117.3795),
            ("El Cajon", 32.7948, -116.9625),
        ),
    ),
    (
        922,
        925,
        (
            ("Riverside", 33.9806, -117.3755),
            ("Palm Springs", 33.8303, -116.5453),
            ("San Bernardino", 34.1083, -117.2898),
            ("Ontario", 34.0633, -117.6509),
            ("Temecula", 33.4936, -117.1484),
        ),
    ),
    (
        926,
        928,
        (
            ("Santa Ana", 33.7455, -117.8677),
            ("Anaheim", 33.8366, -117.9143),
            ("Irvine", 33.6846, -117.8265),
            ("Huntington Beach", 33.6595, -117.9988),
        ),
    ),
    (
        930,
        931,
        (
            ("Oxnard", 34.1975, -119.1771),
            ("Ventura", 34.2746, -119.2290),
            ("Santa Barbara", 34.4208, -119.6982),
        ),
    ),
    (932, 933, (("Bakersfield", 35.3733, -119.0187), ("Delano", 35.7688, -119.2471))),
    (934, 934, (("San Luis Obispo", 35.2828, -120.6596), ("Santa Maria", 34.9530, -120.4357))),
    (935, 935, (("Lancaster", 34.6868, -118.1542), ("Palmdale", 34.5794, -118.1165))),
    (936, 937, (("Fresno", 36.7378, -119.7871), ("Visalia", 36.3302, -119.2921))),
    (939, 939, (("Salinas", 36.6777, -121.6555), ("Monterey", 36.6002, -121.8947))),
    (
        940,
        941,
        (
            ("San Francisco", 37.7749, -122.4194),
            ("San Mateo", 37.5630, -122.3255),
            ("Daly City", 37.6879, -122.4702),
        ),
    ),
    (943, 944, (("Palo Alto", 37.4419, -122.1430), ("Redwood City", 37.4852, -122.2364))),
    (
        945,
        948,
        (
            ("Oakland", 37.8044, -122.2712),
            ("Berkeley", 37.8716, -122.2727),
            ("Fremont", 37.5485, -121.9886),
            ("Hayward", 37.6688, -122.0808),
            ("Richmond", 37.9358, -122.3478),
        ),
    ),
    (949, 949, (("San Rafael", 37.9735, -122.5311), ("Novato", 38.1074, -122.5697))),
    (
        950,
        951,
        (
            ("San Jose", 37.3382, -121.8863),
            ("Santa Clara", 37.3541, -121.9552),
            ("Santa Cruz", 36.9741, -122.0308),
        ),
    ),
    (952, 953, (("Stockton", 37.9577, -121.2908), ("Modesto", 37.6391, -120.9969))),
    (954, 954, (("Santa Rosa", 38.4404, -122.7141), ("Petaluma", 38.2324, -122.6367))),
    (955, 955, (("Eureka", 40.8021, -124.1637), ("Arcata", 40.8665, -124.0828))),
    (
        956,
        958,
        (
            ("Sacramento", 38.5816, -121.4944),
            ("Roseville", 38.7521, -121.2880),
            ("Davis", 38.5449, -121.7405),
        ),
    ),
    (959, 959, (("Chico", 39.7285, -121.8375), ("Yuba City", 39.1404, -121.6169))),
    (960, 961, (("Redding", 40.5865, -122.3917), ("South Lake Tahoe", 38.9399, -119.9772))),
)

MIN_ZIPS, MAX_ZIPS = 300, 1600


@dataclass(frozen=True)
class ZipTable:
    """One row per zip code, sorted by zip; coordinates in micro-degrees (exact formatting)."""

    codes: np.ndarray  # int, 5 digits
    city: np.ndarray  # object (str)
    lat_micro: np.ndarray  # int64
    lon_micro: np.ndarray  # int64
    population: np.ndarray  # int64

    def __len__(self) -> int:
        return len(self.codes)


def zip_count(customers: int) -> int:
    """A few hundred zip codes for small samples, ~1,600 (California has ~1,700) at scale."""
    return int(np.clip(customers // 10, MIN_ZIPS, MAX_ZIPS))


def build_zip_table(rng: np.random.Generator, count: int) -> ZipTable:
    prefixes, cities = [], []
    for first, last, region_cities in _REGIONS:
        for prefix in range(first, last + 1):
            prefixes.append(prefix)
            cities.append(region_cities)
    pool = np.array([p * 100 + s for p in prefixes for s in range(100)], dtype=np.int64)
    codes = np.sort(rng.choice(pool, size=count, replace=False))
    region_of = {p: i for i, p in enumerate(prefixes)}
    pick = rng.random(count)
    names, lats, lons = [], [], []
    for code, u in zip(codes.tolist(), pick.tolist(), strict=True):
        options = cities[region_of[code // 100]]
        name, lat, lon = options[int(u * len(options))]
        names.append(name)
        lats.append(lat)
        lons.append(lon)
    jitter = rng.uniform(-0.08, 0.08, size=(2, count))
    lat_micro = np.rint((np.array(lats) + jitter[0]) * 1e6).astype(np.int64)
    lon_micro = np.rint((np.array(lons) + jitter[1]) * 1e6).astype(np.int64)
    population = np.clip(rng.lognormal(mean=9.8, sigma=1.0, size=count), 11, 105_000)
    return ZipTable(
        codes=codes,
        city=np.array(names, dtype=object),
        lat_micro=lat_micro,
        lon_micro=lon_micro,
        population=np.rint(population).astype(np.int64),
    )


def revise_populations(rng: np.random.Generator, table: ZipTable, share: float) -> ZipTable:
    """A later population file: the same zip codes, a few populations revised by 1-10%."""
    changed = rng.random(len(table)) < share
    factor = 1 + rng.choice([-1, 1], size=len(table)) * rng.uniform(0.01, 0.10, size=len(table))
    population = np.where(changed, np.rint(table.population * factor), table.population)
    return ZipTable(
        table.codes, table.city, table.lat_micro, table.lon_micro, population.astype(np.int64)
    )
