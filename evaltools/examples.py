"""Small leaderboards for the docstring examples and tests (top layer: nothing imports it).

Docstrings of lower modules (charts, publish, robustness) show their output on these boards; the
boards are built here, above the leaderboard, so no lower module imports upward to make one.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

import polars as pl

from evaltools.leaderboard import Leaderboard, evaluate
from evaltools.rubric import Criterion, GradeBand, Rubric

if TYPE_CHECKING:
    from evaltools.dataset import Dataset

__all__ = ["three_buildings", "two_buildings"]


def two_buildings() -> Leaderboard:
    """Two buildings, three judges, a 60 + 40 points rubric scored out of 10 (A 94, B 80)."""
    rubric = Rubric(name="楼栋评比", criteria=(
        Criterion("clean", "环境卫生", max_points=60, scale=(0, 10)),
        Criterion("tidy", "楼道整洁", max_points=40, scale=(0, 10))),
        judge_aggregate="mean", grades=(GradeBand("优秀", 90), GradeBand("合格", 60)))
    scores = pl.DataFrame({
        "round": 1, "unit_id": ["A"] * 6 + ["B"] * 6, "judge_id": ["J1", "J2", "J3"] * 4,
        "criterion": (["clean"] * 3 + ["tidy"] * 3) * 2,
        "score": [9.0, 9, 9, 10, 10, 10, 7, 8, 9, 8, 8, 8]})
    ds = SimpleNamespace(scores=scores, units=None, ratings=None, deductions=None, rubric=rubric)
    return evaluate(cast("Dataset", ds))  # a stand-in with the tables evaluate reads


def three_buildings() -> Leaderboard:
    """Three buildings, five judges, weighted sum on two criteria: A and B trade places on the
    weights, C is dominated by B."""
    rubric = Rubric(name="示例", criteria=(
        Criterion("clean", "环境卫生", weight=0.5, scale=(0, 10)),
        Criterion("tidy", "楼道整洁", weight=0.5, scale=(0, 10))),
        method="weighted_sum", judge_aggregate="mean", min_judges=1)
    clean: dict[str, list[float]] = {"A": [9, 9, 8, 9, 9.5], "B": [6, 7, 6, 5, 7], "C": [5, 6, 5, 4, 6]}
    tidy: dict[str, list[float]] = {"A": [7, 8, 7, 8, 7.9], "B": [9, 9, 7, 9, 8], "C": [7, 8, 7, 7, 7.5]}
    units, judges, crits, vals = [], [], [], []
    for cid, table in (("clean", clean), ("tidy", tidy)):
        for u, xs in table.items():
            units += [u] * 5
            judges += [f"J{i}" for i in range(1, 6)]
            crits += [cid] * 5
            vals += [float(x) for x in xs]
    scores = pl.DataFrame({"round": 1, "unit_id": units, "judge_id": judges, "criterion": crits,
                           "score": vals})
    ds = SimpleNamespace(scores=scores, units=None, ratings=None, deductions=None, rubric=rubric)
    return evaluate(cast("Dataset", ds))  # a stand-in with the tables evaluate reads
