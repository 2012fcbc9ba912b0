"""The time-vs-scale chart of bench/results/latest.png."""

from __future__ import annotations


def plot(scales: list[dict], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    x = [s["customers"] for s in scales]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for key, label in (
        ("e2e_s", "end to end"),
        ("job_a_s", "job A clean"),
        ("job_b_s", "job B staging"),
        ("load_s", "warehouse load"),
    ):
        ax.plot(x, [s[key] for s in scales], marker="o", label=label)
    ax.axhline(180, color="grey", linestyle="--", linewidth=1, label="target 1M (180 s)")
    ax.axhline(20, color="grey", linestyle=":", linewidth=1, label="target 10k (20 s)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("customers (one full day + usage)")
    ax.set_ylabel("seconds")
    ax.set_title("Telco 360: cold `telco360 run`, median seconds vs scale")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
