"""Shared parts of the scoring pipeline: method and rule names, table schemas, RoundResult, message helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import polars as pl

from evaltools import labels
from evaltools.errors import Problem, RubricError
from evaltools.records import FieldRepr
from evaltools.rubric import Criterion, Rubric

if TYPE_CHECKING:
    from evaltools.dataset import Dataset

METHODS = ("points", "weighted_sum", "weighted_product", "topsis", "vikor")
JUDGE_RULES = ("mean", "median", "trimmed_mean", "zscore")
RATING_RULES = ("satisfaction_rate", "mean", "bayesian_average", "wilson_lower", "top2box")
#: the normalisation each MCDA method uses when the rubric names none (VIKOR's own scaling is
#: min-max, shown in ``values``).
DEFAULT_NORMALIZATION = {
    "weighted_sum": "minmax",
    "weighted_product": "max",
    "topsis": "vector",
    "vikor": "minmax",
}
#: columns of the per-unit and leaderboard tables that a criterion id may not take
RESERVED_COLUMNS = frozenset({
    "unit_id", "name", "street", "community", "rank", "rank_label", "total", "grade", "stars",
    "deductions", "bonuses", "score", "disqualified", "forced_grade", "n_judges", "n_cards",
    "movement", "previous_rank", "total_unrounded",
})
#: aggregation rules in Chinese: the label layer's table (one mapping for every output)
RULE_ZH = labels.RULE_ZH

VALUES_SCHEMA = pl.Schema({
    "round": pl.Int64(),
    "unit_id": pl.String(),
    "criterion": pl.String(),
    "criterion_name": pl.String(),
    "source": pl.String(),
    "rule": pl.String(),
    "raw": pl.List(pl.Float64()),
    "n": pl.Int64(),
    "value": pl.Float64(),
    "filled": pl.Boolean(),
    "normalized": pl.Float64(),
    "weight": pl.Float64(),
    "points_raw": pl.Float64(),
    "deduction": pl.Float64(),
    "points": pl.Float64(),
    "share": pl.Float64(),
})

ADJUSTMENTS_SCHEMA = pl.Schema({
    "round": pl.Int64(),
    "unit_id": pl.String(),
    "kind": pl.String(),
    "item": pl.String(),
    "item_name": pl.String(),
    "criterion": pl.String(),
    "count": pl.Int64(),
    "points_each": pl.Float64(),
    "cap": pl.Float64(),
    "applied": pl.Float64(),
    "action": pl.String(),
})


@dataclass(frozen=True, repr=False, eq=False)  # repr: FieldRepr's
class RoundResult(FieldRepr):
    """What :func:`score_round` computes for one round (or the mean of several, ``round="all"``).

    units : one row per participating unit: ``unit_id``, one column per criterion id (points, or
        weighted contribution × 100 for MCDA methods), ``deductions`` (points taken from the total
        and from criteria), ``bonuses``, ``total`` (unrounded), ``disqualified``, ``forced_grade``,
        ``n_judges``, ``n_cards``, and for MCDA methods ``score`` (the method's own score).
    values : long form, one row per unit × criterion (columns in ``VALUES_SCHEMA``).
    adjustments : deductions, bonuses and vetoes found, one row per unit × item.
    notes : zh | en sentences about decisions taken (fallbacks, fills, definitions).
    """

    units: pl.DataFrame
    values: pl.DataFrame
    adjustments: pl.DataFrame
    notes: tuple[str, ...] = field(default=())


# --------------------------------------------------------------------------------------------
# helpers


def note(zh: str, en: str) -> str:
    return f"{zh} | {en}"


def problem(rule: str, zh: str, en: str, *, column: str | None = None, value: object = None,
             fix_zh: str = "", fix_en: str = "") -> Problem:
    return Problem(None, None, column, value, rule, zh, en, fix_zh, fix_en)


def table_of(dataset: Dataset, name: str) -> pl.DataFrame | None:
    frame = getattr(dataset, name, None)
    if frame is None or frame.height == 0:
        return None
    return frame


def joined_ids(frame: pl.DataFrame, expr: pl.Expr, limit: int = 20) -> str:
    """Join the first ``limit`` strings of ``expr`` with 、 (for messages; no Python row loop)."""
    out = frame.head(limit).select(expr.cast(pl.String).str.join("、")).item()
    more = frame.height - limit
    return out + (f" …(+{more})" if more > 0 else "")


def judge_rule(criterion: Criterion, rubric: Rubric) -> str:
    rule = criterion.aggregate or rubric.judge_aggregate
    if rule not in JUDGE_RULES:
        raise RubricError(problem(
            "bad_aggregate",
            f"指标“{criterion.name}”({criterion.id}) 的评委汇总方式 {rule} 不受支持",
            f"criterion {criterion.id}: judge aggregate {rule!r} is not one of {list(JUDGE_RULES)}",
            column="aggregate", value=rule,
            fix_zh=f"可选：{'、'.join(JUDGE_RULES)}", fix_en=f"use one of {list(JUDGE_RULES)}",
        ))
    return rule


def rating_rule(criterion: Criterion) -> str:
    rule = criterion.aggregate or "satisfaction_rate"
    if rule not in RATING_RULES:
        raise RubricError(problem(
            "bad_aggregate",
            f"指标“{criterion.name}”({criterion.id}) 的点评汇总方式 {rule} 不受支持",
            f"criterion {criterion.id}: ratings aggregate {rule!r} is not one of "
            f"{list(RATING_RULES)}",
            column="aggregate", value=rule,
            fix_zh=f"可选：{'、'.join(RATING_RULES)}", fix_en=f"use one of {list(RATING_RULES)}",
        ))
    return rule


def satisfaction_definition(rubric: Rubric) -> str:
    """满意率 definition as a note, e.g. ``满意率 = (满意+基本满意) / 有效评价数 | …``."""
    from evaltools.ratings import satisfied_definition

    labels = satisfied_definition(rubric.ratings.satisfied)
    return note(f"满意率 = ({labels}) / 有效评价数",
                 f"satisfaction rate = ({labels}) / valid answers")
