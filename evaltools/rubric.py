"""The rubric (评分细则): what is ranked, how, and with which criteria, points and rules.

A rubric is written by the user as ``rubric.toml`` (format in ``docs/rubric.md``) and read with
:func:`read_rubric`, which validates everything and raises one :class:`~evaltools.errors.RubricError`
listing every problem. The objects here are frozen: changing a weight gives a new rubric
(:meth:`Rubric.with_weights`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

__all__ = [
    "BonusRule",
    "Criterion",
    "DeductionRule",
    "GradeBand",
    "RatingsConfig",
    "Rubric",
    "StarRule",
    "VetoRule",
    "WjxMapping",
]

Source = Literal["judges", "ratings", "tickets", "campaign", "units"]
Direction = Literal["max", "min"]


@dataclass(frozen=True)
class Criterion:
    """One criterion (二级指标) of the rubric.

    id : English identifier used in data files (``criterion`` column) and code.
    name : Chinese name shown to users (环境卫生).
    group : 一级指标 it belongs to (e.g. 环境整治), or None.
    source : where its raw value comes from: ``judges`` (the scores table), ``ratings`` (review
        cards), ``tickets`` (民情速递站 KPIs), ``campaign`` (晒最美 votes) or ``units`` (a column of
        the units table, named by ``column``).
    aggregate : how the source is reduced to one value per unit, e.g. for judges ``mean`` /
        ``median`` / ``trimmed_mean`` / ``zscore``; for ratings ``satisfaction_rate`` / ``mean`` /
        ``bayesian_average`` / ``wilson_lower`` / ``top2box``. None = the rubric's default.
    items : for ``ratings``: the survey items that feed it (empty = all items).
    measure : for ``tickets`` / ``campaign``: the KPI or vote measure (``feedback_rate``,
        ``vote_share`` …).
    column : for ``units``: the column of the units table.
    weight : relative weight (methods weighted_sum / weighted_product / topsis / vikor).
    max_points : points available (method ``points``); judges' aggregated score on ``scale`` is
        converted to ``value / scale_max * max_points``.
    direction : ``max`` (越大越好) or ``min`` (越小越好).
    scale : (low, high) inclusive range a raw judge score must lie in; None = not checked.
    """

    id: str
    name: str
    group: str | None = None
    source: Source = "judges"
    aggregate: str | None = None
    items: tuple[str, ...] = ()
    measure: str | None = None
    column: str | None = None
    weight: float | None = None
    max_points: float | None = None
    direction: Direction = "max"
    scale: tuple[float, float] | None = None


@dataclass(frozen=True)
class DeductionRule:
    """扣分: ``points`` per occurrence of ``item``, at most ``cap`` in all, taken from ``criterion``
    (or from the total when None); a criterion's points never go below 0."""

    item: str
    points: float
    criterion: str | None = None
    cap: float | None = None
    name: str | None = None


@dataclass(frozen=True)
class BonusRule:
    """加分: ``points`` per occurrence of ``item``, at most ``cap`` in all."""

    item: str
    points: float
    cap: float | None = None
    name: str | None = None


@dataclass(frozen=True)
class VetoRule:
    """一票否决: when ``item`` occurs, ``disqualify`` the unit or force it to ``grade``."""

    item: str
    action: Literal["disqualify", "grade"] = "disqualify"
    grade: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class GradeBand:
    """A grade (优秀/良好/合格/不合格) given to totals ``>= min``."""

    name: str
    min: float


@dataclass(frozen=True)
class StarRule:
    """One ★ when the unit meets this standard: ``criterion``'s points reach ``min_share`` of its
    maximum (or the total reaches ``min_total`` when ``criterion`` is None)."""

    name: str
    criterion: str | None = None
    min_share: float | None = None
    min_total: float | None = None


@dataclass(frozen=True)
class RatingsConfig:
    """How review-card answers become numbers and satisfaction rates.

    labels : label → value (满意 → 4 …); numbers in the data are taken as values directly.
    satisfied : labels counted as satisfied in 满意率 (``("满意",)`` or ``("满意", "基本满意")``).
    scale : (low, high) of numeric ratings.
    prior_weight : m of the Bayesian average.
    confidence : of the Wilson interval.
    """

    labels: dict[str, float] = field(
        default_factory=lambda: {"满意": 4.0, "基本满意": 3.0, "不太满意": 2.0, "不满意": 1.0}
    )
    satisfied: tuple[str, ...] = ("满意", "基本满意")
    scale: tuple[float, float] = (1.0, 4.0)
    prior_weight: float = 10.0
    confidence: float = 0.95


@dataclass(frozen=True)
class WjxMapping:
    """How a 问卷星 export maps onto the ``ratings`` table.

    unit_question : header of the question that names the building (e.g. "1、您居住的楼栋").
    items : question header (with or without its "3、" number) → rating item id.
    unit_labels : answer text → unit_id, when the answers are names rather than ids.
    """

    unit_question: str
    items: dict[str, str]
    unit_labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Rubric:
    """A whole competition's rules, as read from ``rubric.toml``."""

    name: str
    criteria: tuple[Criterion, ...]
    unit: Literal["building", "courtyard"] = "building"
    method: str = "points"  # points | weighted_sum | weighted_product | topsis | vikor
    normalization: str | None = None  # None = the method's default
    judge_aggregate: str = "trimmed_mean"
    min_judges: int = 3
    judge_fallback: str | None = None  # aggregate used when fewer than min_judges scored
    missing: Literal["error", "zero", "mean"] = "error"
    ties: str = "min"
    tie_breakers: tuple[str, ...] = ()
    digits: int = 2
    rounding: Literal["half_up", "half_even"] = "half_up"
    deductions: tuple[DeductionRule, ...] = ()
    bonuses: tuple[BonusRule, ...] = ()
    vetoes: tuple[VetoRule, ...] = ()
    grades: tuple[GradeBand, ...] = ()
    stars: tuple[StarRule, ...] = ()
    ratings: RatingsConfig = field(default_factory=RatingsConfig)
    wjx: WjxMapping | None = None
    organiser: str | None = None
    period: str | None = None
    notice_days: int | None = None
    total_points: float = 100.0
    allow_comments: bool = False
    source_path: str | None = None
    sha256: str | None = None

    @property
    def criterion_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.criteria)

    def criterion(self, cid: str) -> Criterion:
        for c in self.criteria:
            if c.id == cid:
                return c
        raise KeyError(cid)

    def with_weights(self, weights: dict[str, float]) -> Rubric:
        """A new rubric whose criteria carry ``weights`` (ids not named keep theirs)."""
        crit = tuple(replace(c, weight=float(weights.get(c.id, c.weight or 0.0)))
                     for c in self.criteria)
        return replace(self, criteria=crit)

    def with_method(self, method: str, normalization: str | None = None) -> Rubric:
        return replace(self, method=method, normalization=normalization)
