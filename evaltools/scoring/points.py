"""Step 3 for the ``points`` method (百分制): shares of full marks, deductions (扣分), bonuses (加分) and vetoes found."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import polars as pl

from evaltools.engines import engine_for
from evaltools.errors import RubricError
from evaltools.rubric import Criterion, Rubric
from evaltools.scoring.common import ADJUSTMENTS_SCHEMA, problem, table_of

if TYPE_CHECKING:
    from evaltools.dataset import Dataset

# --------------------------------------------------------------------------------------------
# step 3: points and MCDA


def _high(c: Criterion, rule: str, rubric: Rubric) -> float | None:
    """The value that earns full points: the top of the criterion's scale (see module doc)."""
    if c.source == "ratings":
        if rule in ("satisfaction_rate", "wilson_lower", "top2box"):
            return 1.0
        return float(rubric.ratings.scale[1])
    if c.source == "campaign" and c.scale is None and rule in ("vote_share", "recount_share"):
        return 1.0  # a share of the round's votes: 100% earns full points
    if c.scale is not None:
        return float(c.scale[1])
    if c.source == "tickets":  # rates (反馈率 …) earn full points at 1; counts need a scale
        from evaltools.kpi import RATE_MEASURES

        return 1.0 if c.measure in RATE_MEASURES else None
    return None  # the value is already in points


def in_points(c: Criterion, rubric: Rubric) -> bool:
    """Whether criterion ``c``'s values are already points: method ``points`` and no value that
    earns full marks (no scale, a count or a rank; see :func:`_high`)."""
    if rubric.method != "points" or c.source == "ratings":
        return False
    rule = (c.measure or "vote_share") if c.source == "campaign" else ""
    return _high(c, rule, rubric) is None


def criteria_frame(rubric: Rubric, values: pl.DataFrame) -> pl.DataFrame:
    # the aggregation rule matters for the full-points value of ratings and campaign criteria
    # only (see _high); judges criteria, the bulk of the rows, need no group-by
    ruled = [c.id for c in rubric.criteria if c.source in ("ratings", "campaign")]
    rule_of: dict[str, str] = {}
    if ruled:  # one query
        rules = (values.lazy().filter(pl.col("criterion").is_in(ruled))
                 .group_by("criterion").agg(pl.col("rule").mode().first())
                 .collect(engine="in-memory"))
        rule_of = dict(zip(rules["criterion"].to_list(), rules["rule"].to_list(), strict=True))
    return pl.DataFrame({
        "criterion": [c.id for c in rubric.criteria],
        "max_points": [None if c.max_points is None else float(c.max_points)
                       for c in rubric.criteria],
        "high": [_high(c, rule_of.get(c.id, ""), rubric) for c in rubric.criteria],
        "is_min": [c.direction == "min" for c in rubric.criteria],
    }, schema={"criterion": pl.String, "max_points": pl.Float64, "high": pl.Float64,
               "is_min": pl.Boolean})


def _found_items(dataset: Dataset, rnd: int) -> pl.LazyFrame:
    """The items found per unit in round ``rnd`` (a count above 0), as part of the caller's
    query (which joins it twice: polars computes it once)."""
    ded = table_of(dataset, "deductions")
    if ded is None:
        return pl.LazyFrame(schema={"unit_id": pl.String, "item": pl.String, "count": pl.Int64})
    return (ded.lazy().filter(pl.col("round") == rnd)
            .group_by(pl.col("unit_id").cast(pl.String), "item")
            .agg(pl.col("count").cast(pl.Int64).sum())
            .filter(pl.col("count") > 0))


def _rules_frame(rules: tuple, kind: str) -> pl.DataFrame:
    return pl.DataFrame({
        "item": [r.item for r in rules],
        "item_name": [r.name or r.item for r in rules],
        "criterion": [getattr(r, "criterion", None) for r in rules],
        "points_each": [float(r.points) for r in rules],
        "cap": [None if r.cap is None else float(r.cap) for r in rules],
        "kind": [kind] * len(rules),
    }, schema={"item": pl.String, "item_name": pl.String, "criterion": pl.String,
               "points_each": pl.Float64, "cap": pl.Float64, "kind": pl.String})


@functools.lru_cache(maxsize=8)
def _rule_frames(deductions: tuple, bonuses: tuple, vetoes: tuple
                 ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rubric's deductions and bonuses (one frame) and vetoes as frames: built once per
    rubric, not once per round (each frame built costs more than the rules it holds)."""
    rules = pl.concat([_rules_frame(deductions, "扣分"), _rules_frame(bonuses, "加分")])
    veto = pl.DataFrame({
        "item": [v.item for v in vetoes],
        "item_name": [v.name or v.item for v in vetoes],
        "action": [v.action if v.action == "disqualify" else f"grade:{v.grade}"
                   for v in vetoes],
    }, schema={"item": pl.String, "item_name": pl.String, "action": pl.String})
    return rules, veto


def round_adjustments(dataset: Dataset, rubric: Rubric, rnd: int, units: pl.DataFrame) -> pl.DataFrame:
    """Deductions, bonuses and vetoes found in round ``rnd`` for the participants ``units``."""
    # one query from the deductions table to the sorted adjustments
    found = (_found_items(dataset, rnd)
             .join(units.lazy().select("unit_id"), on="unit_id", how="semi"))
    try:
        rules, vetoes = _rule_frames(rubric.deductions, rubric.bonuses, rubric.vetoes)
    except TypeError:  # a rule holding something unhashable (a list): built for this round
        rules, vetoes = _rule_frames.__wrapped__(rubric.deductions, rubric.bonuses,
                                                 rubric.vetoes)
    money = found.join(rules.lazy(), on="item", how="inner").with_columns(
        applied=pl.min_horizontal(pl.col("count") * pl.col("points_each"),
                                  pl.col("cap").fill_null(float("inf"))),
        action=pl.lit(None, pl.String),
    )
    veto = found.join(vetoes.lazy(), on="item", how="inner").with_columns(
        kind=pl.lit("否决"), criterion=pl.lit(None, pl.String),
        points_each=pl.lit(None, pl.Float64), cap=pl.lit(None, pl.Float64),
        applied=pl.lit(None, pl.Float64),
    )
    cols = list(ADJUSTMENTS_SCHEMA)
    out = pl.concat([
        money.with_columns(pl.lit(rnd, pl.Int64).alias("round")).select(cols),
        veto.with_columns(pl.lit(rnd, pl.Int64).alias("round")).select(cols),
    ]).cast(ADJUSTMENTS_SCHEMA)
    return out.sort("unit_id", "kind", "item").collect(engine=engine_for(units.height))


def _attach_criteria(values: pl.DataFrame, crit: pl.DataFrame) -> pl.DataFrame:
    """``values.join(crit, on="criterion", how="left")`` for a small per-criterion ``crit``:
    its columns gathered by each row's criterion position (no join on the long table)."""
    try:
        code = values["criterion"].cast(pl.Enum(crit["criterion"].to_list())).to_physical()
    except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError):
        return values.join(crit, on="criterion", how="left")
    if code.null_count():
        return values.join(crit, on="criterion", how="left")
    return values.hstack(crit.select(pl.exclude("criterion").gather(code)))  # one query


def deductions_by_criterion(adj: pl.DataFrame) -> pl.DataFrame:
    """Per (unit, criterion): the deductions taken from that criterion (``_ded``)."""
    return (adj.lazy().filter((pl.col("kind") == "扣分") & pl.col("criterion").is_not_null())
            .group_by("unit_id", "criterion").agg(pl.col("applied").sum().alias("_ded"))
            .collect(engine="in-memory"))  # one query


def unit_adjustments(adj: pl.DataFrame) -> pl.DataFrame:
    """Per unit: deductions from the total (``_tded``), ``bonuses``, ``disqualified`` and the
    grades forced by vetoes (``_forced``, a list)."""
    return adj.group_by("unit_id").agg(
        pl.col("applied").filter(pl.col("kind") == "扣分", pl.col("criterion").is_null())
        .sum().alias("_tded"),
        pl.col("applied").filter(pl.col("kind") == "加分").sum().alias("bonuses"),
        (pl.col("action") == "disqualify").any().alias("disqualified"),
        pl.col("action").filter(pl.col("action").str.starts_with("grade:"))
        .str.strip_prefix("grade:").alias("_forced"),
    )


def score_points(values: pl.DataFrame, rubric: Rubric, adj: pl.DataFrame) -> pl.DataFrame:
    crit = criteria_frame(rubric, values)
    if crit["max_points"].is_null().any():
        lacking = ", ".join(crit.filter(pl.col("max_points").is_null())["criterion"].to_list())
        raise RubricError(problem(
            "max_points_missing", f"计分方法 points 需要每个指标的满分 max_points，缺少：{lacking}",
            f"method 'points' needs max_points for every criterion; missing for {lacking}",
            column="max_points",
            fix_zh="为这些指标写上 max_points，或改用 weighted_sum 等方法",
            fix_en="give these criteria max_points, or use a weighted method"))
    per_crit = deductions_by_criterion(adj)
    share = pl.col("value") / pl.coalesce("high", "max_points")
    with_crit = _attach_criteria(values, crit)
    with_ded = (with_crit.lazy().join(per_crit.lazy(), on=["unit_id", "criterion"], how="left",
                                      maintain_order="left")
                if per_crit.height else with_crit.lazy().with_columns(_ded=pl.lit(None, pl.Float64)))
    return (
        with_ded  # one query
        .with_columns(normalized=share)
        .with_columns(
            weight=pl.col("max_points"),
            points_raw=pl.when("is_min").then(1.0 - pl.col("normalized"))
            .otherwise(pl.col("normalized")) * pl.col("max_points"),
        )
        .with_columns(points=pl.max_horizontal(pl.col("points_raw") - pl.col("_ded").fill_null(0.0),
                                               pl.lit(0.0)))
        .with_columns(deduction=pl.col("points_raw") - pl.col("points"),
                      share=pl.col("points") / pl.col("max_points"))
        .collect(engine=engine_for(values.height))
    )
