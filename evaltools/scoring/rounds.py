"""One round scored: validated tables + rubric → one scored row per unit (评分流水线).

This module turns a :class:`~evaltools.dataset.Dataset` and a :class:`~evaltools.rubric.Rubric`
into the numbers behind a leaderboard, for one round. It calls the math kernels
(:mod:`evaltools.judging`, :mod:`evaltools.ratings`, :mod:`evaltools.mcda`,
:mod:`evaltools.rounding`) and never re-implements them; ranking and presentation live in
:mod:`evaltools.leaderboard`. Everything is vectorised polars: loops run over criteria, rules and
rounds, never over units or rows.

The steps, for one round ``r``:

1. **Judges** (``source = "judges"``): per (unit, criterion) the judges' scores are reduced with
   the criterion's ``aggregate`` (else the rubric's ``judge_aggregate``):

   - ``mean``, ``median``;
   - ``trimmed_mean``: 去掉一个最高分和一个最低分 (exactly one of each, even when tied), via
     :func:`evaltools.judging.trimmed_mean`;
   - ``zscore``: each judge's scores are standardised per judge, round and criterion
     (:func:`evaltools.judging.standardize`, sample sd), the z-scores are averaged per unit, and
     the mean z is mapped back onto the criterion's scale with the whole panel's mean and sd for
     that criterion and round (``value = mean + z̄ · sd``), so points stay interpretable.

   ``rubric.min_judges`` applies to every judge aggregate (and ``trimmed_mean`` always needs 3).
   With fewer judges the result is an error naming the unit, criterion, round and count, unless
   ``rubric.judge_fallback`` (``mean`` or ``median``) is declared: then it is used and the notes
   say where.
2. **Review cards** (``source = "ratings"``): :func:`evaltools.ratings.summarize` over the
   criterion's ``items`` (all items when empty) with ``rubric.ratings``; the aggregate picks
   ``satisfaction_rate`` (default; the 满意率 definition is stated in the notes), ``mean``,
   ``bayesian_average``, ``wilson_lower`` or ``top2box``. Cards carry no round: the same values
   serve every round. ``source = "units"`` takes the named column of the units table.
   ``tickets`` criteria need the KPI module (issue 6) and raise for now. ``campaign`` criteria
   take the unit's votes in round ``r`` from :func:`evaltools.campaign.unit_values`
   (``vote_share``, ``votes``, ``rank`` with the rubric's ties, ``recount_share``).
3. **Missing values** (a participating unit without a value): ``rubric.missing = "error"`` raises
   one error naming every unit and criterion; ``"zero"`` and ``"mean"`` (mean of the other units
   in the round) fill and say so in the notes.
4. **Method ``points``**: ``share = value / high`` where ``high`` is the top of the criterion's
   ``scale`` (judges / units; without a scale the value is already in points — re-weighted, it
   is converted from its 0–``max_points`` scale: ``in_points``), 1 for rates and the
   top of ``rubric.ratings.scale`` for rating means; points = ``share × max_points`` (direction
   ``min``: ``(1 − share) × max_points``). Deductions: ``count × points`` per rule, capped per rule,
   taken from the named criterion (never below 0) or from the total (never below 0); bonuses
   ``count × points`` capped per rule, added to the total (the total may then exceed
   ``total_points``). **MCDA methods** (``weighted_sum``, ``weighted_product``, ``topsis``,
   ``vikor``): the unit × criterion matrix of aggregated values goes to :mod:`evaltools.mcda` with
   the criteria's weights (``max_points`` as weights when no weight is set; equal weights when
   neither) and the rubric's normalisation; total = score × 100 (VIKOR: ``(1 − Q) × 100`` since
   its Q is lower-better). Deductions and bonuses are points-rubric rules and are ignored by MCDA
   methods (the notes say so); star rules still compare a criterion's value with its full marks
   (``share`` as in the points method, before deductions).
5. **Vetoes** (一票否决, every method): an item of a ``disqualify`` rule found in the round
   disqualifies the unit (its total is kept for reference, it gets no rank); a ``grade`` rule forces
   the grade (the lowest forced band wins). Grades come from ``rubric.grades`` on the published
   (rounded) total; one ★ per :class:`~evaltools.rubric.StarRule` met, at most 5.

Participants of round ``r`` are the units with at least one judge score in that round; when the
rubric has no judges criteria, every unit of the units table (else of the review cards).

Examples
--------
>>> import polars as pl
>>> from types import SimpleNamespace
>>> from evaltools.rubric import Criterion, Rubric
>>> rubric = Rubric(name="示例", criteria=(
...     Criterion("clean", "环境卫生", max_points=60, scale=(0, 10)),
...     Criterion("tidy", "楼道整洁", max_points=40, scale=(0, 10))), judge_aggregate="mean",
...     min_judges=1)
>>> scores = pl.DataFrame({"round": [1] * 4, "unit_id": ["A", "A", "B", "B"],
...     "judge_id": ["J1"] * 4, "criterion": ["clean", "tidy"] * 2, "score": [9.0, 5.0, 7.0, 10.0]})
>>> ds = SimpleNamespace(scores=scores, units=None, ratings=None, deductions=None)
>>> res = score_round(ds, rubric, 1)
>>> res.units.select("unit_id", "clean", "tidy", "total")
shape: (2, 4)
┌─────────┬───────┬──────┬───────┐
│ unit_id ┆ clean ┆ tidy ┆ total │
│ ---     ┆ ---   ┆ ---  ┆ ---   │
│ str     ┆ f64   ┆ f64  ┆ f64   │
╞═════════╪═══════╪══════╪═══════╡
│ A       ┆ 54.0  ┆ 20.0 ┆ 74.0  │
│ B       ┆ 42.0  ┆ 40.0 ┆ 82.0  │
└─────────┴───────┴──────┴───────┘
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from evaltools import labels
from evaltools.engines import engine_for
from evaltools.errors import RubricError, UsageError
from evaltools.rubric import Rubric
from evaltools.scoring.common import (
    ADJUSTMENTS_SCHEMA,
    METHODS,
    RESERVED_COLUMNS,
    VALUES_SCHEMA,
    RoundResult,
    note,
    problem,
    table_of,
)
from evaltools.scoring.methods import score_mcda
from evaltools.scoring.points import round_adjustments, score_points, unit_adjustments
from evaltools.scoring.values import collect_criterion_values, score_codes

if TYPE_CHECKING:
    from evaltools.dataset import Dataset
    from evaltools.scoring.coded import RoundPanels

# --------------------------------------------------------------------------------------------
# the round


#: the cache key of the cards per unit (the same in every round)
N_CARDS_KEY = "n_cards"


def _present_units(values: pl.DataFrame, panels: RoundPanels | None) -> pl.DataFrame:
    """``values``' distinct units, sorted (matched against the coded round's sorted
    participants when there are panels, instead of hashing and sorting the long column)."""
    if panels is not None:
        from evaltools.scoring.coded import present_units

        found = present_units(values, panels)
        if found is not None:
            return found
    return values.select("unit_id").unique().sort("unit_id")


def _unit_counts(dataset: Dataset, rnd: int | None, units: pl.DataFrame,
                 panels: RoundPanels | None = None, cache: dict | None = None) -> pl.DataFrame:
    scores = table_of(dataset, "scores")
    ratings = table_of(dataset, "ratings")
    out = units.lazy().select("unit_id")  # one query to the counts
    if panels is not None:
        out = out.join(panels.n_judges.lazy(), on="unit_id", how="left")
    elif scores is not None and rnd is not None:
        nj = (scores.lazy().filter(pl.col("round") == rnd)
              .group_by(pl.col("unit_id").cast(pl.String))
              .agg(pl.col("judge_id").n_unique().cast(pl.Int64).alias("n_judges")))
        out = out.join(nj, on="unit_id", how="left")
    else:
        out = out.with_columns(n_judges=pl.lit(None, pl.Int64))
    if ratings is not None:
        if cache is not None and N_CARDS_KEY in cache:  # cards carry no round
            nc = cache[N_CARDS_KEY]
        else:
            nc = (ratings.group_by(pl.col("unit_id").cast(pl.String))
                  .agg(pl.col("respondent_id").n_unique().cast(pl.Int64).alias("n_cards")))
            if cache is not None:
                cache[N_CARDS_KEY] = nc
        out = (out.join(nc.lazy(), on="unit_id", how="left")
               .with_columns(pl.col("n_cards").fill_null(0)))
    else:
        out = out.with_columns(n_cards=pl.lit(None, pl.Int64))
    return out.collect(engine="in-memory")  # in units' order, as the eager joins were


def values_key(rubric: Rubric, rnd: int | None) -> tuple:
    """What :func:`criterion_values` depends on: the round and the rubric's criteria, sources,
    aggregates, judge and missing-value rules and ratings settings — not weights, max points,
    method, normalisation, ties, grades or stars. Two rubrics with the same key give the same
    aggregated values, so a cache keyed on it can serve a weight change (the weight explorer)."""
    crits = tuple((c.id, c.name, c.source, c.aggregate, c.items, c.measure, c.column)
                  for c in rubric.criteria)
    r = rubric.ratings
    ratings = (tuple(r.labels.items()), r.satisfied, r.scale, r.prior_weight, r.confidence)
    return (rnd, crits, rubric.judge_aggregate, rubric.min_judges, rubric.judge_fallback,
            rubric.missing, ratings)


def score_round(dataset: Dataset, rubric: Rubric, rnd: int | None, *,
                cache: dict | None = None) -> RoundResult:
    """Score every participant of round ``rnd`` (see the module docstring for each step).

    ``rnd`` may be None when the dataset has no judges' scores (ratings-only rubrics).
    ``cache``: a dict kept by the caller for *one* dataset; the weight-independent parts
    (aggregated criterion values, deductions found, judge and card counts) are stored in it under
    :func:`values_key`, so re-scoring with other weights, method or ties skips the aggregation.
    """
    if rubric.method not in METHODS:
        raise UsageError.choice("method", rubric.method, METHODS)
    clash = sorted(set(rubric.criterion_ids) & RESERVED_COLUMNS)
    if clash:
        raise RubricError(problem(
            "reserved_criterion_id", f"指标编号 {', '.join(clash)} 与榜单的固定列同名",
            f"criterion ids {clash} clash with fixed leaderboard columns", column="id",
            value=", ".join(clash), fix_zh="换一个指标编号（如 total_score → env_total）",
            fix_en=f"rename them; reserved: {sorted(RESERVED_COLUMNS)}"))
    notes: list[str] = []
    key = values_key(rubric, rnd)
    if cache is not None and key in cache:
        values, cached_notes, units, counts = cache[key]
        notes.extend(cached_notes)
    else:
        codes = score_codes(dataset, rubric, cache) if rnd is not None else None
        panels = None
        if codes is not None and rnd is not None:
            from evaltools.scoring.coded import round_panels

            panels = round_panels(codes, rnd)
        values = collect_criterion_values(dataset, rubric, rnd, notes, panels, cache=cache)
        units = _present_units(values, panels)
        counts = _unit_counts(dataset, rnd, units, panels, cache)
        del panels
        if cache is not None:
            cache[key] = (values, tuple(notes), units, counts)
    adj_key = ("adjustments", key, rubric.deductions, rubric.bonuses, rubric.vetoes)
    if cache is not None and adj_key in cache:
        adj = cache[adj_key]
    else:
        adj = round_adjustments(dataset, rubric, rnd if rnd is not None else -1, units)
        if cache is not None:
            cache[adj_key] = adj
    if rubric.method == "points":
        vals = score_points(values, rubric, adj)
        per_unit = None
    else:
        vals, per_unit = score_mcda(values, rubric, notes)
        if adj.filter(pl.col("kind") != "否决").height:
            notes.append(note(f"扣分和加分只用于百分制计分，{labels.method_zh(rubric.method)}未计入",
                               f"deductions and bonuses apply to the points method only; "
                               f"ignored by {rubric.method}"))
            adj = adj.filter(pl.col("kind") == "否决")
    vals = vals.lazy().with_columns(pl.lit(rnd, pl.Int64).alias("round")).select(
        [pl.col(k).cast(t) for k, t in VALUES_SCHEMA.items()]).collect(engine="in-memory")

    ids = list(rubric.criterion_ids)
    block_units = criterion_blocks(vals, ids)
    if block_units is not None:  # criterion blocks of the same units: slices, no pivot
        size = block_units.len()
        ded = [f"_ded{k}" for k in range(len(ids))]  # each criterion's deductions
        blocks = pl.DataFrame([
            block_units,
            *(vals["points"].slice(k * size, size).alias(cid) for k, cid in enumerate(ids)),
            *(vals["deduction"].slice(k * size, size).alias(d) for k, d in enumerate(ded))])
        # the sums on the in-memory engine, as the eager steps did (the streaming engine adds
        # in another order at scale: other last bits)
        wide = blocks.lazy().with_columns(_sum=pl.sum_horizontal(ids),
                                          _cded=pl.sum_horizontal(ded)).drop(ded).collect(
            engine="in-memory").lazy()
    else:
        pivoted = vals.pivot(on="criterion", index="unit_id", values="points")
        size = pivoted.height
        sums = vals.group_by("unit_id").agg(
            pl.col("points").sum().alias("_sum"), pl.col("deduction").sum().alias("_cded"))
        wide = pivoted.lazy().select("unit_id", *ids).join(sums.lazy(), on="unit_id",
                                                            how="left")
    money = unit_adjustments(adj)
    # one query from here to the sorted units
    out = (wide.join(money.lazy(), on="unit_id", how="left")
           .with_columns(pl.col("_tded", "bonuses").fill_null(0.0),
                         pl.col("disqualified").fill_null(False)))
    if per_unit is None:
        out = out.with_columns(
            total=pl.max_horizontal(pl.col("_sum") - pl.col("_tded"), pl.lit(0.0))
            + pl.col("bonuses"),
            score=pl.lit(None, pl.Float64),
        )
        out = out.with_columns(
            deductions=pl.col("_cded") + pl.min_horizontal("_tded", "_sum"))
    else:
        out = (out.join(per_unit.lazy(), on="unit_id", how="left")
               .with_columns(deductions=pl.lit(0.0)))
    out = out.with_columns(forced_grade=_worst_grade(pl.col("_forced"), rubric))
    out = out.join(counts.lazy(), on="unit_id", how="left").select(
        "unit_id", *rubric.criterion_ids, "deductions", "bonuses", "total", "score",
        "disqualified", "forced_grade", "n_judges", "n_cards")
    return RoundResult(units=out.sort("unit_id").collect(engine=engine_for(size)),
                       values=vals, adjustments=adj,
                       notes=tuple(dict.fromkeys(notes)))


def criterion_blocks(vals: pl.DataFrame, ids: list[str]) -> pl.Series | None:
    """The units when ``vals`` is one block per criterion (rubric order), each listing the same
    units in the same order — how :func:`criterion_values` lays out a full grid; else None."""
    k = len(ids)
    if k == 0 or vals.height == 0 or vals.height % k:
        return None
    size = vals.height // k
    crit, unit = vals["criterion"], vals["unit_id"]
    units = unit.slice(0, size)
    for b, cid in enumerate(ids):  # block by block: comparisons, no index or copy of the column
        block = crit.slice(b * size, size)
        if block.null_count() or not (block == cid).all():
            return None
        if b and not unit.slice(b * size, size).equals(units):
            return None
    return units


def _worst_grade(forced: pl.Expr, rubric: Rubric) -> pl.Expr:
    """Of the grades forced by vetoes (a list per unit), the lowest band; null when none."""
    order = [b.name for b in sorted(rubric.grades, key=lambda b: -b.min)]
    if not order:
        return forced.list.first()
    rank = {name: i for i, name in enumerate(order)}
    return forced.list.eval(
        pl.element().sort_by(pl.element().replace_strict(rank, default=len(order)),
                             descending=True)
    ).list.first()


def combine_rounds(results: list[RoundResult], rubric: Rubric) -> RoundResult:
    """``round="all"``: each unit's mean over the rounds it took part in; a veto in any round counts.

    Criterion points, deductions, bonuses and totals are averaged; counts of judges are the maximum
    over rounds; ``values.raw`` holds every round's scores; ``adjustments`` sum the counts over
    the rounds and give ``applied`` as the mean per round taken part in.
    """
    units = pl.concat([r.units for r in results], how="vertical_relaxed")
    num = [*rubric.criterion_ids, "deductions", "bonuses", "total", "score"]
    out = units.group_by("unit_id").agg(
        *(pl.col(c).mean() for c in num),
        pl.col("disqualified").any(),
        pl.col("forced_grade").drop_nulls().alias("_forced"),
        pl.col("n_judges").max(),
        pl.col("n_cards").first(),
        pl.len().alias("_rounds"),
    ).with_columns(forced_grade=_worst_grade(pl.col("_forced"), rubric))
    out = out.select(units.columns).sort("unit_id")
    values = pl.concat([r.values for r in results])
    values = values.group_by("unit_id", "criterion", maintain_order=True).agg(
        pl.lit(None, pl.Int64).alias("round"),
        *(pl.col(c).first() for c in ("criterion_name", "source", "rule")),
        pl.col("raw").list.explode(keep_nulls=False, empty_as_null=False).alias("raw"),
        pl.col("n").max(),
        *(pl.col(c).mean() for c in ("value", "normalized", "weight", "points_raw",
                                     "deduction", "points", "share")),
        pl.col("filled").any(),
    ).select(list(VALUES_SCHEMA)).cast(VALUES_SCHEMA)
    # adjustments as a mean per round taken part in, so that explain() still adds up
    n_rounds = units.group_by("unit_id").agg(pl.len().alias("_rounds"))
    adj = (
        pl.concat([r.adjustments for r in results])
        .group_by("unit_id", "kind", "item", "item_name", "criterion", "action",
                  maintain_order=True)
        .agg(pl.col("count").sum(), pl.col("points_each").first(), pl.col("cap").first(),
             pl.col("applied").sum())
        .join(n_rounds, on="unit_id", how="left")
        .with_columns(pl.col("applied") / pl.col("_rounds"), pl.lit(None, pl.Int64).alias("round"))
        .select(list(ADJUSTMENTS_SCHEMA)).cast(ADJUSTMENTS_SCHEMA)
        .sort("unit_id", "kind", "item")
    )
    notes = [n for r in results for n in r.notes]
    notes.append(note(f"总榜为各单位参加的 {len(results)} 轮的平均",
                       f"overall table: each unit's mean over the rounds it took part in "
                       f"({len(results)} rounds)"))
    return RoundResult(out, values, adj, tuple(dict.fromkeys(notes)))
