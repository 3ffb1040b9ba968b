"""Satisfaction aggregation: 10M review cards over 10k units (rate, Wilson, Bayesian average).

Cards: ``unit_id`` (String, "U00001" …) and ``rating`` (String, the four labels 满意 / 基本满意 /
不太满意 / 不满意 with unit-specific probabilities). ``evaltools`` is
:func:`evaltools.ratings.summarize` (label check, 满意率 = 满意 + 基本满意 with its Wilson 95 %
interval, Bayesian average with m = 10 and C = the mean of all answers, top-2-box). The baseline
is the same numbers written by hand in polars: one ``replace_strict`` (which also rejects unknown
labels), one ``group_by``, closed-form Wilson and Bayesian average.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy import stats

from benchmarks.harness import Case, Impl, Target, register

LABELS = {"满意": 4.0, "基本满意": 3.0, "不太满意": 2.0, "不满意": 1.0}
SATISFIED = ("满意", "基本满意")
PRIOR_WEIGHT = 10.0
CONFIDENCE = 0.95


def make_cards(n_cards: int, n_units: int | None = None, seed: int = 11) -> pl.DataFrame:
    """``n_cards`` cards spread unevenly over ``n_units`` units (default n_cards / 1000)."""
    n_units = n_units or max(10, n_cards // 1000)
    rng = np.random.default_rng(seed)
    unit = rng.integers(0, n_units, n_cards)
    # each unit has its own satisfaction level: value = 4 - floor(3 * u**skew)
    skew = rng.uniform(0.5, 3.0, n_units)[unit]
    value = (4 - np.floor(3.999 * rng.random(n_cards) ** skew)).astype(np.int8)
    labels = pl.Series(list(LABELS))  # index 0 = 满意 (4) … 3 = 不满意 (1)
    ids = pl.Series([f"U{i:05d}" for i in range(n_units)])
    return pl.DataFrame({
        "unit_id": ids.gather(unit),
        "rating": labels.gather(4 - value.astype(np.int64)),
    })


def evaltools_summary(cards: pl.DataFrame) -> pl.DataFrame:
    from evaltools.ratings import summarize

    return summarize(cards, labels=LABELS, satisfied=SATISFIED, prior_weight=PRIOR_WEIGHT,
                     confidence=CONFIDENCE)


def polars_by_hand(cards: pl.DataFrame) -> pl.DataFrame:
    z = float(stats.norm.ppf(1 - (1 - CONFIDENCE) / 2))
    sat = [LABELS[s] for s in SATISFIED]
    g = (cards.lazy()
         .select("unit_id", pl.col("rating").replace_strict(LABELS, return_dtype=pl.Float64)
                 .alias("v"))
         .group_by("unit_id")
         .agg(n=pl.len(), total=pl.col("v").sum(), k=pl.col("v").is_in(sat).sum())
         .collect())
    C = g["total"].sum() / g["n"].sum()
    n, k = pl.col("n").cast(pl.Float64), pl.col("k").cast(pl.Float64)
    p = k / n
    centre, den = p + z * z / (2 * n), 1 + z * z / n
    half = z * (p * (1 - p) / n + z * z / (4 * n * n)).sqrt()
    return g.select(
        "unit_id", "n",
        satisfaction_rate=p,
        wilson_lower=((centre - half) / den).clip(0.0, 1.0),
        wilson_upper=((centre + half) / den).clip(0.0, 1.0),
        bayesian_average=(pl.col("total") + PRIOR_WEIGHT * C) / (n + PRIOR_WEIGHT),
    )


COMPARED = ("satisfaction_rate", "wilson_lower", "wilson_upper", "bayesian_average")


def summary_diff(a: pl.DataFrame, b: pl.DataFrame) -> float:
    a, b = a.sort("unit_id"), b.sort("unit_id")
    if a["unit_id"].to_list() != b["unit_id"].to_list():
        return float("inf")
    return max(float((a[c] - b[c]).abs().max()) for c in COMPARED)


register(Case(
    name="satisfaction", title="satisfaction aggregation, cards over units (n/1000 units)",
    sizes=(10_000_000,), quick_sizes=(20_000,), setup=make_cards,
    impls=(
        Impl("polars by hand", polars_by_hand, role="baseline"),
        Impl("evaltools", evaltools_summary, role="subject"),
    ),
    reference="polars by hand", compare=summary_diff,
    targets=(
        Target("within 1.3× of hand-written polars", "ratio", other="polars by hand",
               limit=1.3, size=10_000_000),
        Target("same numbers as the baseline (1e-12)", "diff", limit=1e-12, size=10_000_000),
    ),
    input_bytes=lambda df: int(df.estimated_size()), size_label="cards",
))
