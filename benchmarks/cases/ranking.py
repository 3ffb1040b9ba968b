"""Ranking 1M scores with many ties: evaltools vs ``numpy.argsort`` vs ``scipy.stats.rankdata``.

Scores are multiples of 0.02 between 0 and 100 (5 001 distinct values, so about 200 units share
each score): the competition ranking "1224" (并列) matters. ``evaltools`` is
:func:`evaltools.ranking.rank` (ties="min", higher is better) on a one-column DataFrame;
``scipy`` is ``rankdata(-score, method="min")`` (the reference; results must be identical);
``numpy.argsort`` sorts ``-score`` (quicksort, numpy's default) and gives an order, not ranks,
so it is a speed floor only.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from benchmarks.harness import Case, Impl, Target, register


def make_scores(n: int, seed: int = 7) -> dict:
    rng = np.random.default_rng(seed)
    s = rng.integers(0, 5001, n) / 50.0
    return {"scores": s, "df": pl.DataFrame({"score": s})}


def evaltools_rank(d: dict) -> np.ndarray:
    from evaltools.ranking import rank

    return rank(d["df"], by="score", ties="min")["rank"].to_numpy()


def scipy_rank(d: dict) -> np.ndarray:
    from scipy.stats import rankdata

    return rankdata(-d["scores"], method="min")


def numpy_argsort(d: dict) -> np.ndarray:
    return np.argsort(-d["scores"])


def rank_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a.astype(np.int64) - b.astype(np.int64))))


register(Case(
    name="ranking", title="rank 1M scores with ties (min / 1224)",
    sizes=(1_000_000,), quick_sizes=(1_000,), setup=make_scores,
    impls=(
        Impl("scipy.rankdata", scipy_rank, role="baseline"),
        Impl("evaltools", evaltools_rank, role="subject"),
        Impl("numpy.argsort", numpy_argsort, role="floor", compare=False),
    ),
    reference="scipy.rankdata", compare=rank_diff,
    targets=(
        Target("≤ 0.6× numpy.argsort", "ratio", other="numpy.argsort", limit=0.6,
               size=1_000_000),
        Target("identical to scipy rankdata(min)", "diff", limit=0.0, size=1_000_000),
    ),
    input_bytes=lambda d: int(d["df"].estimated_size()), size_label="scores",
))
