"""Full :func:`evaltools.evaluate` on n units × 5 judges × 10 criteria, with cards and deductions.

The Dataset is built in memory (no file reading is timed): ``units`` (n rows), ``scores``
(n × 5 judges × 10 criteria, one round, 0–10 with one decimal), ``ratings`` (10 review cards per
unit on one item, four labels), ``deductions`` (about a third of the units, one to three rows from
three deduction rules). Rubric: 10 judge criteria of 9 points (去掉一个最高分和一个最低分) and one
satisfaction criterion of 10 points (Bayesian average of the cards), the three deduction rules
with caps, grades. Timed: ``evaluate(dataset)`` → Leaderboard. Memory: peak RSS above the idle
interpreter (libraries imported, before the input was built) divided by the input's in-memory
size (the tables' Arrow buffer sizes; see :func:`dataset_bytes`).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from benchmarks.harness import Case, Impl, Target, register

N_JUDGES = 5
N_CRITERIA = 10
CARDS_PER_UNIT = 10
LABELS = ("满意", "基本满意", "不太满意", "不满意")
DEDUCTION_ITEMS = ("楼道堆物", "私拉电线", "垃圾未分类")


def make_rubric():
    from evaltools.rubric import Criterion, DeductionRule, GradeBand, Rubric

    crits = tuple(Criterion(f"c{j:02d}", f"指标{j + 1}", max_points=9.0, scale=(0.0, 10.0))
                  for j in range(N_CRITERIA))
    crits += (Criterion("satisfaction", "群众满意度", source="ratings",
                        aggregate="bayesian_average", max_points=10.0),)
    return Rubric(
        name="基准测试评比", criteria=crits, judge_aggregate="trimmed_mean", min_judges=3,
        deductions=(DeductionRule("楼道堆物", 1.0, cap=5.0),
                    DeductionRule("私拉电线", 2.0, cap=6.0),
                    DeductionRule("垃圾未分类", 0.5, cap=3.0)),
        grades=(GradeBand("优秀", 90), GradeBand("良好", 80), GradeBand("合格", 60),
                GradeBand("不合格", 0)),
    )


def make_dataset(n_units: int, seed: int = 3):
    from evaltools.dataset import Dataset

    rng = np.random.default_rng(seed)
    ids = pl.Series("unit_id", [f"B{i:06d}" for i in range(n_units)])
    units = pl.DataFrame({
        "unit_id": ids, "name": ids.str.replace("B", "楼栋"),
        "street": pl.Series(["济源路街道", "新安路街道"]).gather(np.arange(n_units) % 2),
        "community": pl.Series([f"社区{i}" for i in range(20)]).gather(np.arange(n_units) % 20),
        "courtyard": ids.str.replace("B", "院"),
    })
    m = n_units * N_JUDGES * N_CRITERIA
    quality = rng.uniform(5.0, 9.5, n_units)
    score = np.clip(np.repeat(quality, N_JUDGES * N_CRITERIA) + rng.normal(0, 1.0, m), 0, 10)
    scores = pl.DataFrame({
        "round": pl.Series(np.ones(m, np.int64)),
        "unit_id": ids.gather(np.repeat(np.arange(n_units), N_JUDGES * N_CRITERIA)),
        "judge_id": pl.Series([f"J{j + 1}" for j in range(N_JUDGES)]).gather(
            np.tile(np.repeat(np.arange(N_JUDGES), N_CRITERIA), n_units)),
        "criterion": pl.Series([f"c{j:02d}" for j in range(N_CRITERIA)]).gather(
            np.tile(np.arange(N_CRITERIA), n_units * N_JUDGES)),
        "score": np.round(score, 1),
    })
    nc = n_units * CARDS_PER_UNIT
    card_unit = np.repeat(np.arange(n_units), CARDS_PER_UNIT)
    level = np.minimum(3, (rng.random(nc) * (10.5 - quality[card_unit]) / 2).astype(np.int64))
    ratings = pl.DataFrame({
        "unit_id": ids.gather(card_unit),
        "respondent_id": pl.Series(np.arange(nc)).cast(pl.String),
        "submitted_at": pl.datetime_range(
            pl.datetime(2024, 5, 1), pl.datetime(2024, 5, 1) + pl.duration(seconds=nc - 1),
            "1s", eager=True),
        "item": pl.Series(["总体满意度"] * nc),
        "rating": pl.Series(LABELS).gather(level),
    })
    du = rng.choice(n_units, size=n_units // 3, replace=False)
    k = rng.integers(1, 4, du.size)
    rows = np.repeat(du, k)
    item_idx = (rng.integers(0, 3, rows.size))
    deductions = pl.DataFrame({
        "round": pl.Series(np.ones(rows.size, np.int64)),
        "unit_id": ids.gather(rows),
        "item": pl.Series(DEDUCTION_ITEMS).gather(item_idx),
        "count": pl.Series(rng.integers(1, 4, rows.size)),
    })
    return Dataset(units=units, scores=scores, ratings=ratings, deductions=deductions,
                   rubric=make_rubric())


def dataset_bytes(ds) -> int:
    """The tables' in-memory size: their Arrow buffers (zero-copy export).

    Not ``DataFrame.estimated_size()``: for String columns (Arrow string views) polars counts
    only the string bytes, not the 16-byte view per row, so it reported 182 MB for tables that
    hold 399 MB (the scores' three id columns alone are 3 × 16 B × 5M rows); the process's RSS
    grows by ≈ 435 MB when the 100k dataset is built.
    """
    newest = pl.CompatLevel.newest()
    return int(sum(getattr(ds, t).to_arrow(compat_level=newest).get_total_buffer_size()
                   for t in ds.tables))


def run_evaluate(ds):
    from evaltools import evaluate

    return evaluate(ds)


register(Case(
    name="evaluate", title="full evaluate(): units × 5 judges × 10 criteria + cards + deductions",
    sizes=(10_000, 100_000), quick_sizes=(300,), setup=make_dataset,
    impls=(Impl("evaltools", run_evaluate, role="subject", compare=False),),
    targets=(
        Target("under 2 s", "seconds", limit=2.0, size=100_000),
        Target("peak RSS < 3× input size", "rss_input", limit=3.0, size=100_000),
    ),
    input_bytes=dataset_bytes, size_label="units",
))
