"""Robustness (issue 5): bootstrap rank intervals, SMAA-2 and weight stability at the issue's sizes.

* ``bootstrap`` — :func:`evaltools.robustness.rank_intervals`, 1 000 replicates on 1 000 units ×
  5 judges × 9 judged criteria (trimmed mean, points) + a 满意率 criterion from ~50 review cards
  per unit (one item each). No other library computes this; the targets are seconds and peak RSS.
* ``smaa`` — :func:`evaltools.robustness.smaa`, 10 000 weight samples × 1 000 units × 10 criteria
  (weighted sum, min-max).
* ``weight_stability`` — :func:`evaltools.robustness.weight_stability` at 10 000 units ×
  10 criteria (weighted sum, closed form).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import polars as pl

from benchmarks.harness import Case, Impl, Target, register


def _points_dataset(n_units: int, *, judges: int = 5, crit: int = 9, cards: int = 50,
                    seed: int = 5):
    from evaltools.rubric import Criterion, Rubric

    rng = np.random.default_rng(seed)
    ids = [f"c{j}" for j in range(crit)]
    criteria = tuple(Criterion(c, f"指标{j}", max_points=8.0, scale=(0, 10))
                     for j, c in enumerate(ids))
    criteria += (Criterion("sat", "满意率", source="ratings", max_points=28.0),)
    rubric = Rubric(name="bench", criteria=criteria, judge_aggregate="trimmed_mean")
    units = np.array([f"U{i:05d}" for i in range(n_units)])
    quality = rng.uniform(5, 9, n_units)
    u = np.repeat(np.arange(n_units), judges * crit)
    j = np.tile(np.repeat(np.arange(judges), crit), n_units)
    c = np.tile(np.arange(crit), n_units * judges)
    score = np.clip(quality[u] + rng.normal(0, 1, u.size), 0, 10).round(1)
    scores = pl.DataFrame({"round": 1, "unit_id": units[u],
                           "judge_id": np.char.add("J", j.astype(str)),
                           "criterion": np.array(ids)[c], "score": score})
    n_cards = rng.poisson(cards, n_units).clip(5)
    cu = np.repeat(np.arange(n_units), n_cards)
    sat = rng.random(cu.size) < (quality[cu] - 3) / 7
    ratings = pl.DataFrame({"unit_id": units[cu],
                            "respondent_id": np.char.add("R", np.arange(cu.size).astype(str)),
                            "item": "总体", "rating": np.where(sat, "满意", "不满意")})
    return SimpleNamespace(scores=scores, units=None, ratings=ratings, deductions=None,
                           rubric=rubric)


def setup_bootstrap(n: int):
    from evaltools import evaluate

    return evaluate(_points_dataset(n))


def _wsm_board(n_units: int, crit: int = 10, seed: int = 9):
    from evaltools import evaluate
    from evaltools.rubric import Criterion, Rubric

    rng = np.random.default_rng(seed)
    ids = [f"c{j}" for j in range(crit)]
    rubric = Rubric(name="bench", criteria=tuple(
        Criterion(c, f"指标{j}", weight=float(w), scale=(0, 100))
        for j, (c, w) in enumerate(zip(ids, rng.uniform(0.5, 1.5, crit), strict=True))),
        method="weighted_sum", judge_aggregate="mean", min_judges=1)
    units = np.array([f"U{i:05d}" for i in range(n_units)])
    X = rng.uniform(0, 100, (n_units, crit))
    scores = pl.DataFrame({"round": 1, "unit_id": np.repeat(units, crit), "judge_id": "J",
                           "criterion": np.tile(ids, n_units), "score": X.ravel()})
    ds = SimpleNamespace(scores=scores, units=None, ratings=None, deductions=None,
                         rubric=rubric)
    return evaluate(ds)


def bootstrap(lb):
    from evaltools.robustness import rank_intervals

    return rank_intervals(lb, replicates=1000, seed=1, progress=False).table["rank_upper"]


def smaa_10k(lb):
    from evaltools.robustness import smaa

    return smaa(lb, samples=10_000, seed=1, progress=False).indices[:, 0]


def stability(lb):
    from evaltools.robustness import weight_stability

    return weight_stability(lb).pairs["change"]


def numpy_argsort_floor(lb):
    """One argsort of a (10 000, units) matrix: the ranking floor of SMAA."""
    rng = np.random.default_rng(0)
    return np.argsort(rng.random((10_000, lb.table.height)), axis=1)


register(Case(
    name="robustness_bootstrap",
    title="bootstrap rank intervals, 1000 replicates (units × 5 judges × 10 criteria, ~50 cards)",
    sizes=(1_000,), quick_sizes=(30,), setup=setup_bootstrap,
    impls=(Impl("evaltools", bootstrap, role="subject", compare=False),),
    targets=(Target("< 10 s", "seconds", limit=10.0, size=1_000),
             Target("peak RSS < 1 GB", "rss_mb", limit=1024.0, size=1_000)),
    size_label="units", budget_s=60.0,
))

register(Case(
    name="robustness_smaa",
    title="SMAA-2, 10 000 weight samples × units × 10 criteria (weighted sum)",
    sizes=(1_000,), quick_sizes=(30,), setup=_wsm_board,
    impls=(Impl("evaltools", smaa_10k, role="subject", compare=False),
           Impl("numpy.argsort", numpy_argsort_floor, role="floor", compare=False)),
    targets=(Target("< 2 s", "seconds", limit=2.0, size=1_000),),
    size_label="units", budget_s=30.0,
))

register(Case(
    name="robustness_stability",
    title="weight stability, all criteria and adjacent pairs (weighted sum, closed form)",
    sizes=(10_000,), quick_sizes=(50,), setup=_wsm_board,
    impls=(Impl("evaltools", stability, role="subject", compare=False),),
    targets=(Target("< 1 s", "seconds", limit=1.0, size=10_000),),
    size_label="units", budget_s=30.0,
))
