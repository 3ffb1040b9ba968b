"""The scoring pipeline: validated tables + rubric → one scored row per unit (评分流水线).

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

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from evaltools.errors import EvalToolsError, Problem, RubricError, UsageError
from evaltools.rubric import Criterion, Rubric

__all__ = [
    "DEFAULT_NORMALIZATION",
    "JUDGE_RULES",
    "METHODS",
    "RATING_RULES",
    "ReweightModel",
    "RoundResult",
    "combine_rounds",
    "criterion_values",
    "in_points",
    "reweight_model",
    "score_round",
    "values_key",
]

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
RULE_ZH = {
    "mean": "平均分",
    "median": "中位数",
    "trimmed_mean": "去掉一个最高分和一个最低分后平均",
    "zscore": "评委标准分(z)平均后还原到分值",
    "satisfaction_rate": "满意率",
    "bayesian_average": "贝叶斯平均",
    "wilson_lower": "Wilson 区间下限",
    "top2box": "前两档占比",
    "column": "参评单位表中的数值",
}

VALUES_SCHEMA = {
    "round": pl.Int64,
    "unit_id": pl.String,
    "criterion": pl.String,
    "criterion_name": pl.String,
    "source": pl.String,
    "rule": pl.String,
    "raw": pl.List(pl.Float64),
    "n": pl.Int64,
    "value": pl.Float64,
    "filled": pl.Boolean,
    "normalized": pl.Float64,
    "weight": pl.Float64,
    "points_raw": pl.Float64,
    "deduction": pl.Float64,
    "points": pl.Float64,
    "share": pl.Float64,
}

ADJUSTMENTS_SCHEMA = {
    "round": pl.Int64,
    "unit_id": pl.String,
    "kind": pl.String,
    "item": pl.String,
    "item_name": pl.String,
    "criterion": pl.String,
    "count": pl.Int64,
    "points_each": pl.Float64,
    "cap": pl.Float64,
    "applied": pl.Float64,
    "action": pl.String,
}


@dataclass(frozen=True, eq=False)
class RoundResult:
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


def _note(zh: str, en: str) -> str:
    return f"{zh} | {en}"


def _problem(rule: str, zh: str, en: str, *, column: str | None = None, value: object = None,
             fix_zh: str = "", fix_en: str = "") -> Problem:
    return Problem(None, None, column, value, rule, zh, en, fix_zh, fix_en)


def _table(dataset: Any, name: str) -> pl.DataFrame | None:
    frame = getattr(dataset, name, None)
    if frame is None or frame.height == 0:
        return None
    return frame


def _joined_ids(frame: pl.DataFrame, expr: pl.Expr, limit: int = 20) -> str:
    """Join the first ``limit`` strings of ``expr`` with 、 (for messages; no Python row loop)."""
    out = frame.head(limit).select(expr.cast(pl.String).str.join("、")).item()
    more = frame.height - limit
    return out + (f" …(+{more})" if more > 0 else "")


def judge_rule(criterion: Criterion, rubric: Rubric) -> str:
    rule = criterion.aggregate or rubric.judge_aggregate
    if rule not in JUDGE_RULES:
        raise RubricError(_problem(
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
        raise RubricError(_problem(
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
    return _note(f"满意率 = ({labels}) / 有效评价数",
                 f"satisfaction rate = ({labels}) / valid answers")


# --------------------------------------------------------------------------------------------
# the scores table as integer codes (one pass over the long table, shared by the steps below)


@dataclass(frozen=True, eq=False)
class _ScoreCodes:
    """The whole scores table as integer codes: made once per dataset and rubric, shared by the
    rounds (the previous round for movement) and by the steps that need the scores (judges'
    panels, participants, judges per unit). Units and judges are coded in their sorted order,
    criteria in the rubric's order of its judges criteria (−1: not one of them)."""

    rounds: pl.Series
    units: pl.Series
    judges: pl.Series
    crit_ids: tuple[str, ...]
    u: np.ndarray
    j: np.ndarray
    c: np.ndarray
    score: np.ndarray


@dataclass(frozen=True, eq=False)
class _RoundPanels:
    """One round's judges' panels laid out from :class:`_ScoreCodes` (see ``_round_panels``)."""

    codes: _ScoreCodes
    sorted_scores: np.ndarray
    starts: np.ndarray
    lens: np.ndarray
    unit_of: np.ndarray
    crit_of: np.ndarray
    participants: pl.DataFrame
    n_judges: pl.DataFrame


SCORE_CODES_KEY = "score_codes"


def _score_codes(dataset: Any, rubric: Rubric, cache: dict | None) -> _ScoreCodes | None:
    """The scores as codes (from ``cache`` when there), or None when the coded path does not
    apply (no scores or no judges criteria, nulls in unit or judge ids)."""
    scores = _table(dataset, "scores")
    crit_ids = tuple(c.id for c in rubric.criteria if c.source == "judges")
    if scores is None or not crit_ids:
        return None
    key = (SCORE_CODES_KEY, crit_ids)
    if cache is not None and key in cache:
        return cache[key]
    from evaltools import judging

    out = None
    units = judging._string_codes(scores["unit_id"])
    judges = judging._string_codes(scores["judge_id"]) if units is not None else None
    if units is not None and judges is not None:
        crit = scores["criterion"].cast(pl.String)
        try:
            c = crit.cast(pl.Enum(list(crit_ids))).to_physical().fill_null(-1)
        except pl.exceptions.InvalidOperationError:  # other criteria too: code them −1
            c = crit.replace_strict(list(crit_ids), list(range(len(crit_ids))), default=-1,
                                    return_dtype=pl.Int32)
        out = _ScoreCodes(
            rounds=scores["round"], units=units[1], judges=judges[1], crit_ids=crit_ids,
            u=units[0], j=judges[0], c=c.cast(pl.Int32).to_numpy(),
            score=scores["score"].cast(pl.Float64).to_numpy())
    if cache is not None:
        cache[key] = out
    return out


def _round_panels(codes: _ScoreCodes, rnd: int) -> _RoundPanels:
    """Round ``rnd`` from the codes: participants (units with a row of a judges criterion), the
    number of distinct judges per unit (every row of the round), and the panels of the judges
    criteria with a score, ordered by criterion (rubric order), then unit (sorted)."""
    from evaltools import judging

    in_round = (codes.rounds == rnd).fill_null(False).to_numpy()
    if in_round.all():
        u, j, c, sc = codes.u, codes.j, codes.c, codes.score
    else:
        rows = np.flatnonzero(in_round)
        u, j, c, sc = codes.u[rows], codes.j[rows], codes.c[rows], codes.score[rows]
    n_u, n_j, n_c = codes.units.len(), max(codes.judges.len(), 1), len(codes.crit_ids)
    pair = u.astype(np.int64 if n_u * n_j >= 2**31 else np.int32) * n_j
    pair += j
    if n_u * n_j <= 4 * pair.size + (1 << 20):
        seen = np.zeros(n_u * n_j, bool)
        seen[pair] = True
        per_unit = seen.reshape(n_u, n_j).sum(axis=1)
    else:
        per_unit = np.bincount(np.unique(pair) // n_j, minlength=n_u)
    judged = c >= 0
    has = per_unit > 0
    if judged.all():
        is_part = has
    else:
        is_part = np.zeros(n_u, bool)
        is_part[u[judged]] = True
    n_judges = pl.DataFrame({"unit_id": codes.units.filter(pl.Series(has)),
                             "n_judges": pl.Series(per_unit[has], dtype=pl.Int64)})
    participants = pl.DataFrame({"unit_id": codes.units.filter(pl.Series(is_part))})
    ok = judged & ~np.isnan(sc)
    if not ok.all():
        u, j, c, sc = u[ok], j[ok], c[ok], sc[ok]
    sorted_scores, starts, lens, gid = judging._coded_panels(u, c, j, sc, n_u, n_c, n_j)
    return _RoundPanels(codes=codes, sorted_scores=sorted_scores, starts=starts, lens=lens,
                        unit_of=gid % n_u, crit_of=gid // n_u, participants=participants,
                        n_judges=n_judges)


# --------------------------------------------------------------------------------------------
# step 1: judges


def _judge_values(scores: pl.DataFrame, rubric: Rubric, rnd: int,
                  crits: list[Criterion], notes: list[str],
                  panels: _RoundPanels | None = None) -> pl.DataFrame:
    """Aggregate the judges' scores of round ``rnd`` for the judges criteria ``crits``.

    The arithmetic is that of :func:`evaltools.judging.aggregate` (mean / median / trimmed mean
    and the declared fallback), done on the panels laid out from integer codes (``panels``, from
    :func:`_round_panels`; else by ``judging._panel_groups`` here) with
    ``judging._panel_reduce``, and :func:`evaltools.judging.standardize`
    (z-scores); this function picks
    the rule per criterion, checks the panel size first so that the error names the criterion in
    Chinese, and maps z-scores back onto the criterion's scale.
    """
    from evaltools import judging

    empty = pl.DataFrame(schema={"unit_id": pl.String, "criterion": pl.String, "rule": pl.String,
                                 "raw": pl.List(pl.Float64), "n": pl.Int64, "value": pl.Float64})
    rules = pl.DataFrame(
        {"criterion": [c.id for c in crits], "rule": [judge_rule(c, rubric) for c in crits]},
        schema={"criterion": pl.String, "rule": pl.String},
    )
    rule_map = dict(zip(rules["criterion"], rules["rule"], strict=True))

    def round_scores() -> pl.DataFrame:
        return (
            scores.filter(pl.col("round") == rnd)
            .select(pl.col("unit_id").cast(pl.String), pl.col("judge_id").cast(pl.String),
                    "criterion", pl.col("score").cast(pl.Float64))
            .filter(pl.col("score").is_not_null() & pl.col("score").is_not_nan(),
                    pl.col("criterion").is_in(rules["criterion"].implode()))
        )

    if panels is not None and panels.codes.crit_ids == tuple(rule_map):
        if panels.lens.size == 0:
            return empty
        sorted_scores, starts, lens = panels.sorted_scores, panels.starts, panels.lens
        ids = pl.Series(list(rule_map), dtype=pl.String)
        crit_of = pl.Series(panels.crit_of)
        base = pl.DataFrame({
            "unit_id": panels.codes.units.gather(panels.unit_of),
            "criterion": ids.gather(crit_of),
            "rule": pl.Series(list(rule_map.values()), dtype=pl.String).gather(crit_of),
            "raw": judging._panel_lists(sorted_scores, starts, lens),
            "n": pl.Series(lens, dtype=pl.Int64),
        })
    else:
        s = round_scores()
        if s.height == 0:
            return empty
        # one stable sort on integer codes (unit, criterion, judge) instead of string group-bys:
        # each (unit, criterion) panel is a contiguous run of scores in judge order
        order, starts, lens = judging._panel_groups(s["unit_id"], s["criterion"], s["judge_id"])
        sorted_scores = s["score"].to_numpy()[order]
        base = s.select("unit_id", "criterion")[order[starts]].with_columns(
            pl.col("criterion").replace_strict(rule_map, return_dtype=pl.String).alias("rule"),
            judging._panel_lists(sorted_scores, starts, lens).alias("raw"),
            pl.Series("n", lens, dtype=pl.Int64),
        )
    need = pl.max_horizontal(pl.lit(rubric.min_judges),
                             pl.when(pl.col("rule") == "trimmed_mean").then(3).otherwise(1))
    short = base.with_columns(need=need).filter(pl.col("n") < pl.col("need"))
    fallback = rubric.judge_fallback
    if short.height:
        if fallback is None:
            problems = []
            for (cid,), grp in short.sort("unit_id").group_by("criterion", maintain_order=True):
                c = rubric.criterion(cid)
                need_n = int(grp["need"].max())
                units = _joined_ids(grp, pl.format("{}({}人)", "unit_id", "n"))
                units_en = _joined_ids(grp, pl.format("{} ({} judges)", "unit_id", "n"))
                problems.append(_problem(
                    "too_few_judges",
                    f"第{rnd}轮 指标“{c.name}”({cid}) 评委人数不足 {need_n} 人：{units}",
                    f"round {rnd}, criterion {cid}: fewer than {need_n} judges scored "
                    f"{units_en}",
                    column=cid,
                    fix_zh="补齐评委打分，或在评分细则 [judges] 中设置 fallback（mean 或 median）",
                    fix_en="add the missing judges' scores, or set [judges] fallback "
                    "(mean or median) in the rubric",
                ))
            raise EvalToolsError(problems)
        if fallback not in ("mean", "median"):
            raise UsageError.choice("judge_fallback", fallback, ("mean", "median"))
        listed = _joined_ids(short.sort("unit_id", "criterion"),
                             pl.format("{}/{}({})", "unit_id", "criterion", "n"))
        notes.append(_note(
            f"第{rnd}轮 评委人数不足的 {short.height} 项改用{RULE_ZH[fallback]}：{listed}",
            f"round {rnd}: {short.height} unit×criterion value(s) had too few judges and used "
            f"the declared fallback {fallback}: {listed}",
        ))

    value = np.full(base.height, np.nan)
    fell_back = np.zeros(base.height, dtype=bool)
    rule_of = base["rule"]
    for rule in sorted(set(rules["rule"])):  # at most four rules
        rows = np.flatnonzero((rule_of == rule).to_numpy())
        if rows.size == 0:
            continue
        need_n = max(int(rubric.min_judges), 3 if rule == "trimmed_mean" else 1)
        short_rows = rows[lens[rows] < need_n]
        ok_rows = rows[lens[rows] >= need_n]
        if rule != "zscore":
            value[ok_rows] = judging._panel_reduce(sorted_scores, starts, lens, rule, ok_rows)
        if short_rows.size and fallback is not None:
            value[short_rows] = judging._panel_reduce(sorted_scores, starts, lens, fallback,
                                                      short_rows)
            fell_back[short_rows] = True
    out = base.with_columns(pl.Series("value", value, dtype=pl.Float64),
                            pl.Series("_fb", fell_back, dtype=pl.Boolean))
    if "zscore" in set(rules["rule"]):
        sub = round_scores().filter(pl.col("criterion").is_in(
            [c for c, r in rule_map.items() if r == "zscore"]))
        out = out.join(_zscore_values(sub, rnd, notes), on=["unit_id", "criterion"],
                       how="left").with_columns(
            value=pl.when((pl.col("rule") == "zscore") & ~pl.col("_fb"))
            .then("_zvalue").otherwise("value"))
    used = pl.when("_fb").then(pl.lit(fallback)).otherwise("rule") if fallback else pl.col("rule")
    return out.select("unit_id", "criterion", used.alias("rule"), "raw", "n",
                      pl.col("value").cast(pl.Float64))


def _zscore_values(sub: pl.DataFrame, rnd: int, notes: list[str]) -> pl.DataFrame:
    """Mean z per unit and criterion mapped back: ``panel mean + z̄ × panel sd`` (see module doc)."""
    from evaltools import judging

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        z = judging.standardize(sub.with_columns(pl.lit(rnd).alias("round")), judge="judge_id",
                                score="score", by=("round", "criterion"))
    notes.extend(str(w.message) for w in caught)
    panel = sub.group_by("criterion").agg(pl.col("score").mean().alias("_pm"),
                                          pl.col("score").std().alias("_psd"))
    return (
        z.group_by("unit_id", "criterion").agg(pl.col("z").mean().alias("_z"))
        .join(panel, on="criterion", how="left")
        .select("unit_id", "criterion",
                pl.when(pl.col("_psd").is_null() | (pl.col("_psd") == 0)).then(pl.col("_pm"))
                .otherwise(pl.col("_pm") + pl.col("_z") * pl.col("_psd")).alias("_zvalue"))
    )


# --------------------------------------------------------------------------------------------
# step 2: ratings and units columns


def _rating_values(ratings: pl.DataFrame | None, rubric: Rubric, crits: list[Criterion],
                   notes: list[str]) -> pl.DataFrame:
    empty = pl.DataFrame(schema={"unit_id": pl.String, "criterion": pl.String, "rule": pl.String,
                                 "raw": pl.List(pl.Float64), "n": pl.Int64, "value": pl.Float64})
    if not crits:
        return empty
    if ratings is None:
        return empty  # every unit will be missing → handled by the missing-value policy
    from evaltools import ratings as ratings_mod

    cfg = rubric.ratings
    column = {
        "satisfaction_rate": "satisfaction_rate",
        "mean": "mean",
        "bayesian_average": "bayesian_average",
        "wilson_lower": "wilson_lower",
        "top2box": "top2box",
    }
    parts = []
    for c in crits:
        rule = rating_rule(c)
        cards = ratings.filter(pl.col("item").is_in(list(c.items))) if c.items else ratings
        summary = ratings_mod.summarize(
            cards, unit="unit_id", rating="rating", labels=cfg.labels, satisfied=cfg.satisfied,
            prior_weight=cfg.prior_weight, confidence=cfg.confidence,
        )
        parts.append(summary.select(
            pl.col("unit_id").cast(pl.String),
            pl.lit(c.id).alias("criterion"),
            pl.lit(rule).alias("rule"),
            pl.lit(None, pl.List(pl.Float64)).alias("raw"),
            pl.col("n").cast(pl.Int64),
            pl.col(column[rule]).cast(pl.Float64).alias("value"),
        ))
    notes.append(satisfaction_definition(rubric))
    return pl.concat(parts) if parts else empty


def _unit_column_values(units: pl.DataFrame | None, crits: list[Criterion]) -> pl.DataFrame:
    parts = []
    for c in crits:
        if c.column is None:
            raise RubricError(_problem(
                "units_without_column", f"指标“{c.name}”({c.id}) 来源为 units 但没有指定 column",
                f"criterion {c.id} has source 'units' but no column", column="column",
                fix_zh="在该指标下写 column = \"户数\" 之类", fix_en="name the units column"))
        if units is None or c.column not in units.columns:
            raise EvalToolsError(_problem(
                "units_column_missing",
                f"指标“{c.name}”({c.id}) 需要参评单位表中的“{c.column}”列，但没有找到",
                f"criterion {c.id} needs column {c.column!r} of the units table, which is missing",
                column=c.column))
        parts.append(units.select(
            pl.col("unit_id").cast(pl.String),
            pl.lit(c.id).alias("criterion"),
            pl.lit("column").alias("rule"),
            pl.lit(None, pl.List(pl.Float64)).alias("raw"),
            pl.lit(None, pl.Int64).alias("n"),
            pl.col(c.column).cast(pl.Float64, strict=False).alias("value"),
        ))
    if not parts:
        return pl.DataFrame(schema={"unit_id": pl.String, "criterion": pl.String,
                                    "rule": pl.String, "raw": pl.List(pl.Float64),
                                    "n": pl.Int64, "value": pl.Float64})
    return pl.concat(parts)


def participants(dataset: Any, rubric: Rubric, rnd: int | None) -> pl.DataFrame:
    """The units taking part in round ``rnd`` (one column ``unit_id``, sorted)."""
    scores = _table(dataset, "scores")
    judge_ids = [c.id for c in rubric.criteria if c.source == "judges"]
    if judge_ids:
        if scores is None:
            return pl.DataFrame(schema={"unit_id": pl.String})
        return (scores.filter((pl.col("round") == rnd) & pl.col("criterion").is_in(judge_ids))
                .select(pl.col("unit_id").cast(pl.String)).unique().sort("unit_id"))
    for name in ("units", "ratings", "tickets"):
        t = _table(dataset, name)
        if t is not None:
            return t.select(pl.col("unit_id").cast(pl.String)).unique().sort("unit_id")
    return pl.DataFrame(schema={"unit_id": pl.String})


def _not_yet(src: str, crits: list[Criterion], module_zh: str, module_en: str) -> None:
    ids = ", ".join(c.id for c in crits)
    raise EvalToolsError(_problem(
        "needs_module",
        f"指标 {ids} 的来源为 {src}，需要{module_zh}，暂不能计分",
        f"criteria {ids} with source {src!r} need the {module_en}, not available yet",
        column="source", value=src))


def criterion_values(dataset: Any, rubric: Rubric, rnd: int | None,
                     notes: list[str] | None = None) -> pl.DataFrame:
    """Aggregated value of every criterion for every participant of round ``rnd`` (long form).

    Columns: ``unit_id, criterion, criterion_name, source, rule, raw, n, value, filled``. Missing
    values follow ``rubric.missing`` (see the module docstring).
    """
    notes = [] if notes is None else notes
    return _criterion_values(dataset, rubric, rnd, notes, None)


def _criterion_values(dataset: Any, rubric: Rubric, rnd: int | None, notes: list[str],
                      panels: _RoundPanels | None) -> pl.DataFrame:
    """:func:`criterion_values`, with the round's coded panels when the caller has them."""
    if panels is None and rnd is not None:
        codes = _score_codes(dataset, rubric, None)
        panels = _round_panels(codes, rnd) if codes is not None else None
    by_source: dict[str, list[Criterion]] = {}
    for c in rubric.criteria:
        by_source.setdefault(c.source, []).append(c)
    parts = []
    coded = None
    if by_source.get("tickets"):  # 民情速递站 KPIs (evaltools.kpi, issue 6)
        from evaltools.kpi import ticket_criterion_values

        parts.append(ticket_criterion_values(
            dataset, by_source["tickets"], notes, labels=rubric.ratings.labels,
            satisfied=rubric.ratings.satisfied))
    if by_source.get("campaign"):  # 晒最美 votes (evaltools.campaign, issue 7)
        from evaltools.campaign import unit_values

        ties = rubric.ties if rubric.ties in ("min", "dense", "ordinal", "average") else "min"
        parts.append(unit_values(
            _table(dataset, "entries"), _table(dataset, "votes"), rnd,
            {c.id: c.measure or "vote_share" for c in by_source["campaign"]}, ties=ties))
    if by_source.get("judges"):
        scores = _table(dataset, "scores")
        if scores is not None:
            parts.append(_judge_values(scores, rubric, rnd, by_source["judges"], notes,
                                       panels))
            if panels is not None:  # only participants, already in (criterion, unit) order
                coded = len(parts) - 1
    parts.append(_rating_values(_table(dataset, "ratings"), rubric,
                                by_source.get("ratings", []), notes))
    parts.append(_unit_column_values(_table(dataset, "units"), by_source.get("units", [])))
    found = pl.concat(parts)

    ids = [c.id for c in rubric.criteria]
    meta = pl.DataFrame({
        "criterion": ids,
        "criterion_name": [c.name for c in rubric.criteria],
        "source": [c.source for c in rubric.criteria],
        "_order": list(range(len(rubric.criteria))),
    }, schema={"criterion": pl.String, "criterion_name": pl.String, "source": pl.String,
               "_order": pl.Int64})
    default_rule = pl.DataFrame({
        "criterion": ids,
        "_rule0": [judge_rule(c, rubric) if c.source == "judges"
                   else rating_rule(c) if c.source == "ratings"
                   else (c.measure or "measure") if c.source == "tickets"
                   else (c.measure or "vote_share") if c.source == "campaign" else "column"
                   for c in rubric.criteria],
    })
    who = panels.participants if panels is not None else participants(dataset, rubric, rnd)
    out = _full_grid(parts, coded, who, meta, default_rule)
    if out is None:
        kept = found.join(who, on="unit_id", how="semi")
        per_criterion = kept.group_by("criterion").len()
        if (per_criterion.height == meta.height and kept.height == who.height * meta.height
                and (per_criterion["len"] == who.height).all()):
            # every participant has a row for every criterion (the usual case): no grid join
            grid = kept.join(meta, on="criterion", how="left")
        else:
            grid = who.join(meta, how="cross").join(found, on=["unit_id", "criterion"],
                                                    how="left")
        out = grid.join(default_rule, on="criterion", how="left")
    out = (
        out.with_columns(
            rule=pl.coalesce("rule", "_rule0"),
            value=pl.col("value").fill_nan(None),
        )
        .with_columns(filled=pl.col("value").is_null())
    )
    missing = out.filter("filled")
    if missing.height:
        policy = rubric.missing
        if policy == "error":
            problems = []
            for (cid,), grp in missing.sort("unit_id").group_by("criterion",
                                                                  maintain_order=True):
                c = rubric.criterion(cid)
                units = _joined_ids(grp, pl.col("unit_id"))
                where = f"第{rnd}轮 " if rnd is not None else ""
                where_en = f"round {rnd}, " if rnd is not None else ""
                problems.append(_problem(
                    "missing_value",
                    f"{where}指标“{c.name}”({cid}) 缺少 {grp.height} 个单位的数据：{units}",
                    f"{where_en}criterion {cid} has no value for {grp.height} unit(s): {units}",
                    column=cid,
                    fix_zh="补齐数据，或在评分细则 [missing] 中设置 policy = \"zero\" 或 \"mean\"",
                    fix_en='complete the data, or set [missing] policy = "zero" or "mean" '
                    "in the rubric",
                ))
            raise EvalToolsError(problems)
        fill = pl.lit(0.0) if policy == "zero" else pl.col("value").mean().over("criterion")
        out = out.with_columns(value=pl.col("value").fill_null(fill))
        listed = _joined_ids(missing.sort("criterion", "unit_id"),
                             pl.format("{}/{}", "unit_id", "criterion"))
        how_zh = "按 0 分计" if policy == "zero" else "按其他单位的平均值填补"
        how_en = "filled with 0" if policy == "zero" else "filled with the other units' mean"
        notes.append(_note(f"{missing.height} 个缺失值{how_zh}：{listed}",
                           f"{missing.height} missing value(s) {how_en}: {listed}"))
    if not _sorted_by_order_and_unit(out):
        out = out.sort("_order", "unit_id")
    return out.select("unit_id", "criterion", "criterion_name", "source", "rule", "raw",
                      "n", "value", "filled")


def _sorted_by_order_and_unit(frame: pl.DataFrame) -> bool:
    """Whether ``frame`` is already sorted by (``_order``, ``unit_id``)."""
    step = pl.col("_order").diff()
    return bool(frame.select(
        (step.is_null() | (step > 0) | ((step == 0)
                                        & (pl.col("unit_id") >= pl.col("unit_id").shift())))
        .all()).item())


def _full_grid(parts: list[pl.DataFrame], coded: int | None, who: pl.DataFrame,
               meta: pl.DataFrame, default_rule: pl.DataFrame) -> pl.DataFrame | None:
    """The criterion values when every participant has one row per criterion (the usual case),
    without joins on the long table: only the small parts are matched with the participants
    (the coded judges' part holds nothing else) and sorted; the criterion's name, source, order
    and default rule are gathered by its position in the rubric. None when the grid is not
    full (the caller then joins)."""
    ids = meta["criterion"]
    small = [i for i in range(len(parts)) if i != coded and parts[i].height]
    kept = [parts[i].join(who, on="unit_id", how="semi") for i in small]
    pieces = [] if coded is None else [parts[coded]]
    for piece in kept:
        pos = piece["criterion"].replace_strict(ids, meta["_order"], default=-1)
        pieces.append(piece.with_columns(_pos=pos).sort("_pos", "unit_id").drop("_pos"))
    if not pieces:
        return None
    firsts = [int(piece["criterion"][:1].replace_strict(ids, meta["_order"], default=-1)[0])
              if piece.height else -1 for piece in pieces]
    pieces = [pieces[i] for i in np.argsort(firsts, kind="stable")]
    found = pl.concat(pieces)
    try:
        code = found["criterion"].cast(pl.Enum(ids.to_list())).to_physical()
    except pl.exceptions.InvalidOperationError:
        return None
    per = np.bincount(code.to_numpy(), minlength=meta.height)
    if found.height != who.height * meta.height or not (per == who.height).all():
        return None
    return found.with_columns(
        meta["criterion_name"].gather(code).alias("criterion_name"),
        meta["source"].gather(code).alias("source"),
        code.cast(pl.Int64).alias("_order"),
        default_rule["_rule0"].gather(code).alias("_rule0"),
    )


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


def _criteria_frame(rubric: Rubric, values: pl.DataFrame) -> pl.DataFrame:
    # the aggregation rule matters for the full-points value of ratings and campaign criteria
    # only (see _high); judges criteria, the bulk of the rows, need no group-by
    ruled = [c.id for c in rubric.criteria if c.source in ("ratings", "campaign")]
    rules = (values.filter(pl.col("criterion").is_in(ruled))
             .group_by("criterion").agg(pl.col("rule").mode().first()))
    rule_of = dict(zip(rules["criterion"].to_list(), rules["rule"].to_list(), strict=True))
    return pl.DataFrame({
        "criterion": [c.id for c in rubric.criteria],
        "max_points": [None if c.max_points is None else float(c.max_points)
                       for c in rubric.criteria],
        "high": [_high(c, rule_of.get(c.id, ""), rubric) for c in rubric.criteria],
        "is_min": [c.direction == "min" for c in rubric.criteria],
    }, schema={"criterion": pl.String, "max_points": pl.Float64, "high": pl.Float64,
               "is_min": pl.Boolean})


def _found_items(dataset: Any, rnd: int) -> pl.DataFrame:
    ded = _table(dataset, "deductions")
    if ded is None:
        return pl.DataFrame(schema={"unit_id": pl.String, "item": pl.String, "count": pl.Int64})
    return (ded.filter(pl.col("round") == rnd)
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
    }, schema={"item": pl.String, "item_name": pl.String, "criterion": pl.String,
               "points_each": pl.Float64, "cap": pl.Float64}).with_columns(kind=pl.lit(kind))


def _adjustments(dataset: Any, rubric: Rubric, rnd: int, units: pl.DataFrame) -> pl.DataFrame:
    """Deductions, bonuses and vetoes found in round ``rnd`` for the participants ``units``."""
    found = _found_items(dataset, rnd).join(units.select("unit_id"), on="unit_id", how="semi")
    rules = pl.concat([_rules_frame(rubric.deductions, "扣分"),
                       _rules_frame(rubric.bonuses, "加分")])
    money = found.join(rules, on="item", how="inner").with_columns(
        applied=pl.min_horizontal(pl.col("count") * pl.col("points_each"),
                                  pl.col("cap").fill_null(float("inf"))),
        action=pl.lit(None, pl.String),
    )
    vetoes = pl.DataFrame({
        "item": [v.item for v in rubric.vetoes],
        "item_name": [v.name or v.item for v in rubric.vetoes],
        "action": [v.action if v.action == "disqualify" else f"grade:{v.grade}"
                   for v in rubric.vetoes],
    }, schema={"item": pl.String, "item_name": pl.String, "action": pl.String})
    veto = found.join(vetoes, on="item", how="inner").with_columns(
        kind=pl.lit("否决"), criterion=pl.lit(None, pl.String),
        points_each=pl.lit(None, pl.Float64), cap=pl.lit(None, pl.Float64),
        applied=pl.lit(None, pl.Float64),
    )
    cols = list(ADJUSTMENTS_SCHEMA)
    out = pl.concat([
        money.with_columns(pl.lit(rnd, pl.Int64).alias("round")).select(cols),
        veto.with_columns(pl.lit(rnd, pl.Int64).alias("round")).select(cols),
    ]).cast(ADJUSTMENTS_SCHEMA)
    return out.sort("unit_id", "kind", "item")


def _attach_criteria(values: pl.DataFrame, crit: pl.DataFrame) -> pl.DataFrame:
    """``values.join(crit, on="criterion", how="left")`` for a small per-criterion ``crit``:
    its columns gathered by each row's criterion position (no join on the long table)."""
    try:
        code = values["criterion"].cast(pl.Enum(crit["criterion"].to_list())).to_physical()
    except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError):
        return values.join(crit, on="criterion", how="left")
    if code.null_count():
        return values.join(crit, on="criterion", how="left")
    return values.with_columns(crit[c].gather(code) for c in crit.columns if c != "criterion")


def _criterion_deductions(adj: pl.DataFrame) -> pl.DataFrame:
    """Per (unit, criterion): the deductions taken from that criterion (``_ded``)."""
    return (adj.filter((pl.col("kind") == "扣分") & pl.col("criterion").is_not_null())
            .group_by("unit_id", "criterion").agg(pl.col("applied").sum().alias("_ded")))


def _unit_adjustments(adj: pl.DataFrame) -> pl.DataFrame:
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


def _points(values: pl.DataFrame, rubric: Rubric, adj: pl.DataFrame) -> pl.DataFrame:
    crit = _criteria_frame(rubric, values)
    if crit["max_points"].is_null().any():
        lacking = ", ".join(crit.filter(pl.col("max_points").is_null())["criterion"].to_list())
        raise RubricError(_problem(
            "max_points_missing", f"计分方法 points 需要每个指标的满分 max_points，缺少：{lacking}",
            f"method 'points' needs max_points for every criterion; missing for {lacking}",
            column="max_points",
            fix_zh="为这些指标写上 max_points，或改用 weighted_sum 等方法",
            fix_en="give these criteria max_points, or use a weighted method"))
    per_crit = _criterion_deductions(adj)
    share = pl.col("value") / pl.coalesce("high", "max_points")
    with_crit = _attach_criteria(values, crit)
    with_ded = (with_crit.join(per_crit, on=["unit_id", "criterion"], how="left")
                if per_crit.height else with_crit.with_columns(_ded=pl.lit(None, pl.Float64)))
    return (
        with_ded
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
    )


def mcda_weights(rubric: Rubric, notes: list[str]) -> dict[str, float]:
    """The weights handed to the MCDA method: ``weight``, else ``max_points``, else equal."""
    ws = [c.weight for c in rubric.criteria]
    if any(w is not None for w in ws):
        if any(w is None for w in ws):
            none = ", ".join(c.id for c in rubric.criteria if c.weight is None)
            notes.append(_note(f"指标 {none} 没有权重，按 0 计", f"criteria {none} have no weight: 0"))
        return {c.id: float(c.weight or 0.0) for c in rubric.criteria}
    if all(c.max_points is not None for c in rubric.criteria):
        notes.append(_note("评分细则没有权重，按各指标满分 max_points 的比例作为权重",
                           "no weights in the rubric: max_points used as weights"))
        return {c.id: float(c.max_points) for c in rubric.criteria}
    notes.append(_note("评分细则没有权重，各指标等权", "no weights in the rubric: equal weights"))
    return {c.id: 1.0 for c in rubric.criteria}


def _mcda_setup(rubric: Rubric, notes: list[str]) -> tuple[dict[str, float], str]:
    """The MCDA method's weights (normalised to sum 1, in criterion order) and normalisation."""
    method = rubric.method
    norm = rubric.normalization or DEFAULT_NORMALIZATION[method]
    raw_w = mcda_weights(rubric, notes)
    total_w = sum(raw_w.values())
    if total_w <= 0:
        raise UsageError(_problem(
            "zero_weights", "所有指标的权重都是 0，无法计算", "all criterion weights are zero",
            fix_zh="至少给一个指标正的权重", fix_en="give at least one criterion a positive weight"))
    weights = {k: v / total_w for k, v in raw_w.items()}
    if abs(total_w - 1.0) > 1e-9:
        shown = "、".join(f"{k} {v:.4g}" for k, v in weights.items())
        notes.append(_note(f"权重之和为 {total_w:g}，已按比例换算为和为 1：{shown}",
                           f"weights summed to {total_w:g} and were renormalised to sum 1: "
                           f"{shown}"))
    return weights, norm


def _mcda_matrix(values: pl.DataFrame, ids: list[str]) -> pl.DataFrame:
    """The unit × criterion matrix of aggregated values handed to the MCDA method."""
    return values.pivot(on="criterion", index="unit_id", values="value").select("unit_id", *ids)


def _mcda_scores(matrix: pl.DataFrame, rubric: Rubric, weights: dict[str, float], norm: str,
                 notes: list[str], *, normalized: bool = True,
                 ) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """Run the rubric's MCDA method on ``matrix``: per unit (matrix row order) ``unit_id``,
    ``total`` (score × 100; VIKOR (1 − Q) × 100) and ``score`` (the method's own: VIKOR's Q),
    and, with ``normalized``, the normalised matrix. Warnings become notes."""
    from evaltools import mcda

    method = rubric.method
    criteria = {c.id: c.direction for c in rubric.criteria}
    norm_frame = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if method == "weighted_sum":
            res = mcda.weighted_sum(matrix, criteria, weights, normalization=norm,
                                     id_col="unit_id")
            score = pl.col("score")
        elif method == "weighted_product":
            res = mcda.weighted_product(matrix, criteria, weights, normalization=norm,
                                         id_col="unit_id")
            score = pl.col("score")
        elif method == "topsis":
            res = mcda.topsis(matrix, criteria, weights, normalization=norm, id_col="unit_id")
            score = pl.col("score")
        else:
            res = mcda.vikor(matrix, criteria, weights, id_col="unit_id")
            score = 1.0 - pl.col("Q")
            notes.append(_note("VIKOR 的 Q 越小越好，总分取 (1 − Q) × 100",
                               "VIKOR's Q is lower-better: total = (1 − Q) × 100"))
        if normalized:
            norm_frame = mcda.normalize(matrix, criteria, method=norm, id_col="unit_id")
    for w in caught:
        notes.append(str(w.message))
    per_unit = res.select("unit_id", (score * 100.0).alias("total"),
                          pl.col("score" if method != "vikor" else "Q").alias("score"))
    return per_unit, norm_frame


def _mcda(values: pl.DataFrame, rubric: Rubric, notes: list[str]) -> tuple[pl.DataFrame,
                                                                            pl.DataFrame]:
    """Run the rubric's MCDA method: (values with normalised/weight/contribution, per-unit score)."""
    method = rubric.method
    ids = list(rubric.criterion_ids)
    weights, norm = _mcda_setup(rubric, notes)
    matrix = _mcda_matrix(values, ids)
    per_unit, normalized = _mcda_scores(matrix, rubric, weights, norm, notes)
    long_norm = normalized.unpivot(index="unit_id", on=ids, variable_name="criterion",
                                   value_name="normalized")
    wframe = pl.DataFrame({"criterion": ids, "weight": [weights[i] for i in ids]})
    # share of full marks (for star rules), as in the points method; the normalised value when
    # the criterion has neither a scale nor max points
    crit = _criteria_frame(rubric, values)
    full = pl.col("value") / pl.coalesce("high", "max_points")
    vals = (
        values.join(long_norm, on=["unit_id", "criterion"], how="left")
        .join(wframe, on="criterion", how="left")
        .join(crit, on="criterion", how="left")
        .with_columns(points_raw=pl.col("normalized") * pl.col("weight") * 100.0)
        .with_columns(points=pl.col("points_raw"), deduction=pl.lit(0.0),
                      share=pl.when(full.is_null()).then(pl.col("normalized"))
                      .when(pl.col("is_min")).then(1.0 - full).otherwise(full))
    )
    notes.append(_note(
        f"计分方法 {method}，标准化 {norm}；指标列为 权重 × 标准化值 × 100"
        + ("，合计即总分" if method == "weighted_sum" else "（该方法的总分不是各列之和）"),
        f"method {method}, normalisation {norm}; criterion columns show weight × normalised × 100"
        + (", which sum to the total" if method == "weighted_sum"
           else " (this method's total is not their sum)"),
    ))
    return vals, per_unit


# --------------------------------------------------------------------------------------------
# the round


def _present_units(values: pl.DataFrame, panels: _RoundPanels | None) -> pl.DataFrame:
    """``values``' distinct units, sorted: matched against the (sorted) participants when the
    round was coded, instead of hashing and sorting the long column."""
    if panels is not None and panels.participants.height:
        who = panels.participants["unit_id"]
        try:
            code = values["unit_id"].cast(pl.Enum(who)).to_physical()
        except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError):
            code = None
        if code is not None and not code.null_count():
            seen = np.bincount(code.to_numpy(), minlength=who.len()) > 0
            return pl.DataFrame({"unit_id": who.filter(pl.Series(seen))})
    return values.select("unit_id").unique().sort("unit_id")


def _unit_counts(dataset: Any, rnd: int | None, units: pl.DataFrame,
                 panels: _RoundPanels | None = None) -> pl.DataFrame:
    scores = _table(dataset, "scores")
    ratings = _table(dataset, "ratings")
    out = units.select("unit_id")
    if panels is not None:
        out = out.join(panels.n_judges, on="unit_id", how="left")
    elif scores is not None and rnd is not None:
        nj = (scores.filter(pl.col("round") == rnd)
              .group_by(pl.col("unit_id").cast(pl.String))
              .agg(pl.col("judge_id").n_unique().cast(pl.Int64).alias("n_judges")))
        out = out.join(nj, on="unit_id", how="left")
    else:
        out = out.with_columns(n_judges=pl.lit(None, pl.Int64))
    if ratings is not None:
        nc = (ratings.group_by(pl.col("unit_id").cast(pl.String))
              .agg(pl.col("respondent_id").n_unique().cast(pl.Int64).alias("n_cards")))
        out = out.join(nc, on="unit_id", how="left").with_columns(pl.col("n_cards").fill_null(0))
    else:
        out = out.with_columns(n_cards=pl.lit(None, pl.Int64))
    return out


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


def score_round(dataset: Any, rubric: Rubric, rnd: int | None, *,
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
        raise RubricError(_problem(
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
        codes = _score_codes(dataset, rubric, cache) if rnd is not None else None
        panels = _round_panels(codes, rnd) if codes is not None else None
        values = _criterion_values(dataset, rubric, rnd, notes, panels)
        units = _present_units(values, panels)
        counts = _unit_counts(dataset, rnd, units, panels)
        del panels
        if cache is not None:
            cache[key] = (values, tuple(notes), units, counts)
    adj_key = ("adjustments", key, rubric.deductions, rubric.bonuses, rubric.vetoes)
    if cache is not None and adj_key in cache:
        adj = cache[adj_key]
    else:
        adj = _adjustments(dataset, rubric, rnd if rnd is not None else -1, units)
        if cache is not None:
            cache[adj_key] = adj
    if rubric.method == "points":
        vals = _points(values, rubric, adj)
        per_unit = None
    else:
        vals, per_unit = _mcda(values, rubric, notes)
        if adj.filter(pl.col("kind") != "否决").height:
            notes.append(_note(f"扣分和加分只用于 points 计分方法，{rubric.method} 方法未计入",
                               f"deductions and bonuses apply to the points method only; "
                               f"ignored by {rubric.method}"))
            adj = adj.filter(pl.col("kind") == "否决")
    vals = vals.with_columns(pl.lit(rnd, pl.Int64).alias("round")).select(
        [pl.col(k).cast(t) for k, t in VALUES_SCHEMA.items()])

    ids = list(rubric.criterion_ids)
    block_units = _criterion_blocks(vals, ids)
    if block_units is not None:  # criterion blocks of the same units: slices, no pivot
        size = block_units.len()
        wide = pl.DataFrame([block_units, *(vals["points"].slice(k * size, size).alias(cid)
                                            for k, cid in enumerate(ids))])
        cded = pl.DataFrame([vals["deduction"].slice(k * size, size).alias(cid)
                             for k, cid in enumerate(ids)])
        sums = pl.DataFrame([
            block_units,
            wide.select(pl.sum_horizontal(ids).alias("_sum")).to_series(),
            cded.select(pl.sum_horizontal(ids).alias("_cded")).to_series(),
        ])
    else:
        wide = vals.pivot(on="criterion", index="unit_id", values="points").select(
            "unit_id", *ids)
        sums = vals.group_by("unit_id").agg(
            pl.col("points").sum().alias("_sum"), pl.col("deduction").sum().alias("_cded"))
    money = _unit_adjustments(adj)
    out = (wide.join(sums, on="unit_id", how="left").join(money, on="unit_id", how="left")
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
        out = out.join(per_unit, on="unit_id", how="left").with_columns(deductions=pl.lit(0.0))
    out = out.with_columns(forced_grade=_worst_grade(pl.col("_forced"), rubric))
    out = out.join(counts, on="unit_id", how="left").select(
        "unit_id", *rubric.criterion_ids, "deductions", "bonuses", "total", "score",
        "disqualified", "forced_grade", "n_judges", "n_cards")
    return RoundResult(units=out.sort("unit_id"), values=vals, adjustments=adj,
                       notes=tuple(dict.fromkeys(notes)))


def _criterion_blocks(vals: pl.DataFrame, ids: list[str]) -> pl.Series | None:
    """The units when ``vals`` is one block per criterion (rubric order), each listing the same
    units in the same order — how :func:`criterion_values` lays out a full grid; else None."""
    k = len(ids)
    if k == 0 or vals.height == 0 or vals.height % k:
        return None
    size = vals.height // k
    units = vals["unit_id"].slice(0, size)
    if not vals["criterion"].equals(pl.Series(ids, dtype=pl.String).gather(
            np.repeat(np.arange(k), size))):
        return None
    if not vals["unit_id"].equals(units.gather(np.tile(np.arange(size), k))):
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
    notes.append(_note(f"总榜为各单位参加的 {len(results)} 轮的平均",
                       f"overall table: each unit's mean over the rounds it took part in "
                       f"({len(results)} rounds)"))
    return RoundResult(out, values, adj, tuple(dict.fromkeys(notes)))


# --------------------------------------------------------------------------------------------
# re-weighting: one round's weight-independent parts as arrays


@dataclass(frozen=True, eq=False)
class ReweightModel:
    """One scored round's weight-independent parts as arrays, for scoring it again with other
    weights without the long tables (the weight explorer's slider, robustness's weight samples).

    Rows are the participants sorted by ``unit_id`` (the order of ``RoundResult.units``),
    columns the rubric's criteria in order. Built by :func:`reweight_model`;
    :meth:`units` gives what :func:`score_round` gives as ``RoundResult.units`` for a rubric
    that differs from the model's only in weights (``weight``, ``max_points``): the same
    elementwise operations on the same values, the same polars horizontal sums, the same
    :mod:`evaltools.mcda` kernel on the same matrix, so the totals are the same numbers.

    Attributes
    ----------
    round : the round (int or None). method : the rubric's method.
    unit_ids : participants, sorted (String Series). criteria : criterion ids.
    values : (m, n) aggregated values (missing ones filled by the rubric's policy).
    filled : (m, n) whether a value was filled.
    high : (n,) the value earning full points. NaN: the value is already in points (MCDA
        methods); the points method puts the rubric's ``max_points`` there (so a weight change
        converts such values from their 0–max scale, as ``Leaderboard.with_weights`` does).
    is_min : (n,) criteria whose direction is ``min``.
    criterion_deductions : (m, n) deductions taken from each criterion (points method).
    total_deductions, bonuses : (m,) deductions from the total and bonuses (points method).
    fixed : ``unit_id``, ``disqualified``, ``forced_grade``, ``n_judges``, ``n_cards`` (they do
        not depend on weights).
    blocks : whether the round's values form full criterion blocks (how ``score_round`` then
        sums them); :meth:`units` needs it.
    """

    round: int | None
    method: str
    unit_ids: pl.Series
    criteria: tuple[str, ...]
    values: np.ndarray
    filled: np.ndarray
    high: np.ndarray
    is_min: np.ndarray
    criterion_deductions: np.ndarray
    total_deductions: np.ndarray
    bonuses: np.ndarray
    fixed: pl.DataFrame
    blocks: bool
    #: MCDA: the method's input matrix as ``score_round`` builds it (its row order), the
    #: normalised values (m, n) in ``unit_ids`` order and, per unit, its row in the matrix
    matrix: pl.DataFrame | None = None
    normalized: np.ndarray | None = None
    matrix_rows: np.ndarray | None = None

    def _check(self, rubric: Rubric) -> None:
        if rubric.method != self.method or tuple(rubric.criterion_ids) != self.criteria:
            raise UsageError(_problem(
                "model_mismatch", "重新计权的模型与评分细则的方法或指标不一致",
                "the re-weighting model was built for another method or other criteria",
                value=rubric.method))

    def points(self, rubric: Rubric, rows: np.ndarray | slice = slice(None),
               ) -> tuple[np.ndarray, np.ndarray]:
        """The points method's criterion points after deductions and the deductions taken, both
        (rows, n), with ``rubric``'s ``max_points`` (as ``score_round``'s ``_points``)."""
        V, D = self.values[rows], self.criterion_deductions[rows]
        pts, ded = np.empty(V.shape, order="F"), np.empty(V.shape, order="F")
        for j, c in enumerate(rubric.criteria):  # a loop over criteria
            if c.max_points is None:
                raise RubricError(_problem(
                    "max_points_missing", f"计分方法 points 需要每个指标的满分 max_points，缺少：{c.id}",
                    f"method 'points' needs max_points for every criterion; missing for {c.id}",
                    column="max_points"))
            mp = float(c.max_points)
            with np.errstate(divide="ignore", invalid="ignore"):  # as polars: inf / NaN
                share = V[:, j] / (mp if np.isnan(self.high[j]) else self.high[j])
                raw = ((1.0 - share) if self.is_min[j] else share) * mp
                np.fmax(raw - D[:, j], 0.0, out=pts[:, j])  # NaN-ignoring, as polars
                np.subtract(raw, pts[:, j], out=ded[:, j])
        return pts, ded

    def contributions(self, weights: dict[str, float], rows: np.ndarray | slice = slice(None),
                      ) -> np.ndarray:
        """MCDA: the criterion columns, weight × normalised × 100, (rows, n)."""
        w = np.array([weights[c] for c in self.criteria])
        return self.normalized[rows] * w * 100.0

    def units(self, rubric: Rubric) -> pl.DataFrame:
        """``score_round(dataset, rubric, round).units`` for ``rubric`` (same method, criteria
        and everything else as the model's rubric; other weights)."""
        self._check(rubric)
        ids = list(self.criteria)
        if self.method == "points":
            pts, ded = self.points(rubric)
            cols = pl.DataFrame({c: pts[:, j] for j, c in enumerate(ids)})
            sums = pl.DataFrame({c: ded[:, j] for j, c in enumerate(ids)})
            psum = cols.select(pl.sum_horizontal(ids)).to_series().to_numpy()
            csum = sums.select(pl.sum_horizontal(ids)).to_series().to_numpy()
            tded = self.total_deductions
            # fmax / fmin ignore NaN like polars' max_horizontal / min_horizontal
            total = np.fmax(psum - tded, 0.0) + self.bonuses
            deductions = csum + np.fmin(tded, psum)
            score = pl.lit(None, pl.Float64)
            bonuses = self.bonuses
        else:
            weights, norm = _mcda_setup(rubric, [])
            per_unit, _ = _mcda_scores(self.matrix, rubric, weights, norm, [], normalized=False)
            cols = pl.DataFrame({c: col for c, col in zip(
                ids, self.contributions(weights).T, strict=True)})
            total = per_unit["total"].to_numpy()[self.matrix_rows]
            score = per_unit["score"].gather(self.matrix_rows)
            deductions = np.zeros(len(self.unit_ids))
            bonuses = self.bonuses
        return cols.with_columns(
            self.unit_ids.alias("unit_id"),
            pl.Series("deductions", deductions), pl.Series("bonuses", bonuses),
            pl.Series("total", total), score.alias("score"),
        ).hstack(self.fixed.drop("unit_id")).select(
            "unit_id", *ids, "deductions", "bonuses", "total", "score",
            "disqualified", "forced_grade", "n_judges", "n_cards")

    def shares(self, rubric: Rubric, rows: np.ndarray, criteria: list[str]) -> pl.DataFrame:
        """``RoundResult.values``' ``share`` (of full marks, for star rules) for the units at
        ``rows`` and ``criteria``: long form ``unit_id``, ``criterion``, ``share``."""
        self._check(rubric)
        idx = [self.criteria.index(c) for c in criteria]
        if self.method == "points":
            pts, _ = self.points(rubric, rows)
            with np.errstate(divide="ignore", invalid="ignore"):
                cols = [pts[:, j] / float(rubric.criteria[j].max_points) for j in idx]
        else:
            cols = []
            for j in idx:  # a loop over criteria
                c = rubric.criteria[j]
                high = self.high[j] if not np.isnan(self.high[j]) else (
                    np.nan if c.max_points is None else float(c.max_points))
                if np.isnan(high):
                    cols.append(self.normalized[rows, j])
                    continue
                full = self.values[rows, j] / high
                cols.append(1.0 - full if self.is_min[j] else full)
        ids = self.unit_ids.gather(rows)
        return pl.DataFrame({
            "unit_id": pl.concat([ids] * len(idx)) if idx else ids.clear(),
            "criterion": np.repeat(np.array(criteria, dtype=object), len(ids)).tolist()
            if idx else [],
            "share": np.concatenate(cols) if idx else np.array([]),
        }, schema={"unit_id": pl.String, "criterion": pl.String, "share": pl.Float64})


def reweight_model(dataset: Any, rubric: Rubric, rnd: int | None, *,
                   cache: dict | None = None) -> ReweightModel:
    """A :class:`ReweightModel` of round ``rnd`` scored with ``rubric`` (from ``cache`` when
    ``score_round`` already filled it; it is filled otherwise).

    Examples
    --------
    >>> from evaltools.leaderboard import _doctest_board
    >>> lb = _doctest_board()
    >>> model = reweight_model(lb.dataset, lb.rubric, lb.round)
    >>> model.values.tolist()
    [[9.0, 10.0], [8.0, 8.0]]
    >>> import dataclasses
    >>> crit = tuple(dataclasses.replace(c, max_points=50.0) for c in lb.rubric.criteria)
    >>> model.units(dataclasses.replace(lb.rubric, criteria=crit))["total"].to_list()
    [95.0, 80.0]
    """
    cache = {} if cache is None else cache
    res = score_round(dataset, rubric, rnd, cache=cache)
    values = cache[values_key(rubric, rnd)][0]
    ids = list(rubric.criterion_ids)
    units = res.units.select("unit_id")
    unit_ids = units["unit_id"]
    m = unit_ids.len()
    def wide(col: str) -> pl.DataFrame:
        return units.join(values.pivot(on="criterion", index="unit_id", values=col),
                          on="unit_id", how="left", maintain_order="left")

    # column-major: the per-criterion loops below read whole columns
    V = np.asfortranarray(wide("value").select(pl.col(ids).cast(pl.Float64)).to_numpy())
    filled = wide("filled").select(pl.col(ids).fill_null(True)).to_numpy()
    crit = _criteria_frame(rubric, values)
    high = crit["high"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    if rubric.method == "points":  # values already in points: on the 0–max_points scale
        high = np.where(np.isnan(high), crit["max_points"].cast(pl.Float64)
                        .fill_null(np.nan).to_numpy(), high)
    is_min = np.array([c.direction == "min" for c in rubric.criteria])
    D = np.zeros((m, len(ids)), order="F")
    per = _criterion_deductions(res.adjustments)
    if rubric.method == "points" and per.height:
        row = units.with_row_index("_r")
        per = per.join(row, on="unit_id", how="inner").with_columns(
            _c=pl.col("criterion").replace_strict(ids, list(range(len(ids))), default=None,
                                                  return_dtype=pl.Int64)).drop_nulls("_c")
        D[per["_r"].to_numpy(), per["_c"].to_numpy()] = per["_ded"].to_numpy()
    money = units.join(_unit_adjustments(res.adjustments), on="unit_id", how="left",
                       maintain_order="left").with_columns(pl.col("_tded", "bonuses")
                                                           .fill_null(0.0))
    fixed = res.units.select("unit_id", "disqualified", "forced_grade", "n_judges", "n_cards")
    blocks = _criterion_blocks(res.values, ids) is not None
    matrix = normalized = rows = None
    if rubric.method != "points":
        weights, norm = _mcda_setup(rubric, [])
        matrix = _mcda_matrix(values, ids)
        _, norm_frame = _mcda_scores(matrix, rubric, weights, norm, [])
        where = matrix.select("unit_id").with_row_index("_r")
        rows = units.join(where, on="unit_id", how="left", maintain_order="left")["_r"]
        if rows.null_count():
            raise UsageError(_problem("model_mismatch", "MCDA 矩阵缺少参评单位",
                                      "units missing from the MCDA matrix"))
        rows = rows.to_numpy().astype(np.int64)
        normalized = np.asfortranarray(norm_frame.select(ids).to_numpy().astype(float)[rows])
    return ReweightModel(
        round=rnd, method=rubric.method, unit_ids=unit_ids, criteria=tuple(ids), values=V,
        filled=filled, high=high, is_min=is_min, criterion_deductions=D,
        total_deductions=money["_tded"].cast(pl.Float64).to_numpy(),
        bonuses=money["bonuses"].cast(pl.Float64).to_numpy(), fixed=fixed, blocks=blocks,
        matrix=matrix, normalized=normalized, matrix_rows=rows)
