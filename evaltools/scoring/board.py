"""The ranked table of a round (榜单的行): ranks, 并列 labels, published totals, grades, stars,
movement and names; and the whole evaluation, data + rubric → :class:`Evaluation`.

:func:`evaluate_rounds` is the pipeline behind :func:`evaltools.evaluate`: it lists the rounds,
scores the chosen round (and the previous one, for movement) with
:func:`~evaltools.scoring.rounds.score_round`, ranks the eligible units with
:func:`evaltools.ranking.rank` (the rubric's ties rule and tie-breakers, on *unrounded* totals),
labels the ranks (第1名 / 并列第2名 / 取消资格), rounds the published numbers (四舍五入 to
``rubric.digits``) and gives grades and stars. :class:`evaltools.leaderboard.Leaderboard` wraps the
result for people; nothing here calls back up into it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import polars as pl

from evaltools import labels
from evaltools.errors import EvalToolsError, Problem, UsageError
from evaltools.records import FieldRepr
from evaltools.rubric import Rubric
from evaltools.scoring.common import METHODS, RoundResult
from evaltools.scoring.methods import mcda_weights
from evaltools.scoring.points import in_points
from evaltools.scoring.rounds import combine_rounds, score_round
from evaltools.scoring.values import SCORE_CODES_KEY, rating_criterion_values, score_codes

if TYPE_CHECKING:
    from polars.expr.whenthen import ChainedThen, Then

    from evaltools.dataset import Dataset

RoundArg = int | Literal["all"] | None
DISQUALIFIED_LABEL = "取消资格"
#: the label of a unit of the units table with no judge score in the round (no rank, no total)
NOT_SCORED_LABEL = "未参评（缺评分）"


def round_published(col: str | pl.Expr, rubric: Rubric) -> pl.Expr:
    from evaltools import rounding

    if rubric.rounding == "half_even":
        return rounding.round_half_even(col, rubric.digits)
    return rounding.round_half_up(col, rubric.digits)


def round_numbers(dataset: Dataset, rubric: Rubric, cache: dict | None = None) -> list[int]:
    scores = getattr(dataset, "scores", None)
    if scores is None or scores.height == 0 or not any(c.source == "judges"
                                                       for c in rubric.criteria):
        return []
    codes = score_codes(dataset, rubric, cache) if cache is not None else None
    if codes is not None:  # the scores coded once for the rounds too (see scoring)
        from evaltools.scoring.coded import rounds_of

        rounds = rounds_of(codes, scores, rubric.criterion_ids)
        return sorted(rounds.drop_nulls().unique().cast(pl.Int64).to_list())
    judged = scores.filter(pl.col("criterion").is_in(list(rubric.criterion_ids)))
    return sorted(judged["round"].drop_nulls().unique().cast(pl.Int64).to_list())


def grade_expr(total: pl.Expr, rubric: Rubric) -> pl.Expr:
    bands = sorted(rubric.grades, key=lambda b: -b.min)
    if not bands:
        return pl.lit(None, pl.String)
    expr: Then | ChainedThen = pl.when(total >= bands[0].min).then(pl.lit(bands[0].name))

    for b in bands[1:]:
        expr = expr.when(total >= b.min).then(pl.lit(b.name))
    return expr.otherwise(pl.lit(None, pl.String))


def star_flags(units: pl.DataFrame, values: pl.DataFrame, rubric: Rubric) -> pl.DataFrame:
    """``unit_id`` and one Boolean column per star rule, named as the star (卫生星 …): whether
    the unit meets that standard (criterion share, or published ``total`` of ``units``)."""
    out = units.select("unit_id", *(["total"] if "total" in units.columns else []))
    for s in rubric.stars:
        if s.criterion is not None and s.min_share is not None:
            share = values.filter(pl.col("criterion") == s.criterion).select(
                "unit_id", (pl.col("share") >= s.min_share - 1e-12).alias(s.name))
            out = out.join(share, on="unit_id", how="left", maintain_order="left")
        elif s.min_total is not None:
            out = out.with_columns((pl.col("total") >= s.min_total).alias(s.name))
        else:
            out = out.with_columns(pl.lit(False).alias(s.name))
    names = list(dict.fromkeys(s.name for s in rubric.stars))
    return out.select("unit_id", *(pl.col(n).fill_null(False) for n in names))


def add_stars(units: pl.LazyFrame, values: pl.DataFrame, rubric: Rubric) -> pl.LazyFrame:
    """Add ``stars``: one ★ per StarRule met (criterion share or published total), at most 5
    (to the caller's query: one for every star)."""
    if not rubric.stars:
        return units.with_columns(stars=pl.lit(0, pl.Int64))
    met = []
    out = units
    for i, s in enumerate(rubric.stars):
        name = f"_star{i}"
        if s.criterion is not None and s.min_share is not None:
            # a criterion weighted 0 has share 0/0 = NaN, which polars orders above every
            # number: it must not award its star to every unit
            share = values.lazy().filter(pl.col("criterion") == s.criterion).select(
                "unit_id", ((pl.col("share") >= s.min_share - 1e-12)
                            & pl.col("share").is_not_nan()).alias(name))
            out = out.join(share, on="unit_id", how="left", maintain_order="left")
        elif s.min_total is not None:
            out = out.with_columns((pl.col("total") >= s.min_total).alias(name))
        else:
            out = out.with_columns(pl.lit(False).alias(name))
        met.append(name)
    count = pl.sum_horizontal(pl.col(m).fill_null(False).cast(pl.Int64) for m in met)
    return out.with_columns(stars=pl.min_horizontal(count, pl.lit(5)).cast(pl.Int64)).drop(met)


def rank_units(units: pl.DataFrame, rubric: Rubric) -> pl.DataFrame:
    """``unit_id`` and ``rank`` of the eligible units (not disqualified, with a total) of a
    round's ``units`` (sorted by unit id: ``ordinal`` ties follow that order)."""
    from evaltools import ranking

    breakers = [("total" if b == "total" else b) for b in rubric.tie_breakers]
    unknown = [b for b in breakers if b not in units.columns]
    if unknown:
        raise UsageError(Problem(
            None, None, "tie_breakers", ", ".join(unknown), "unknown_tie_breaker",
            "并列规则中的指标不存在", "tie-breakers name unknown criteria",
            f"可选：total 或 {', '.join(rubric.criterion_ids)}",
            f"use 'total' or one of {list(rubric.criterion_ids)}"))
    eligible = (units.lazy().filter(~pl.col("disqualified") & pl.col("total").is_not_null())
                .select("unit_id", "total", *(b for b in dict.fromkeys(breakers) if b != "total"))
                .collect(engine="in-memory"))  # one query, in order (as eager filters are)
    ranked = ranking.rank(eligible,
                          by="total", descending=True, ties=ranking.as_ties(rubric.ties),

                          tie_breakers=tuple(breakers))
    return ranked.select("unit_id", pl.col("rank").cast(pl.Float64 if rubric.ties == "average"
                                                        else pl.Int64))


def label_ranks(units: pl.DataFrame, ranks: pl.DataFrame) -> pl.LazyFrame:
    """``units`` with ``rank`` and ``rank_label`` (并列 from repeated ranks in ``ranks``, which
    must hold every unit sharing a rank with one of ``units``; 取消资格 when disqualified), as a
    query that :func:`table_rows` carries on."""
    from evaltools import ranking

    if ranks.schema["rank"].is_float():  # average ties: publish the competition rank (1224),
        # never "第1.0名" / "并列第21.5名"; a group of k tied at average a starts at a - (k-1)/2
        shown = (pl.col("rank") - (pl.len().over("rank") - 1) / 2).round(0).cast(pl.Int64)
        ranked = ranks.lazy().with_columns(ranking.rank_label(shown, ranking.tied("rank")))
    else:
        ranked = ranks.lazy().with_columns(ranking.rank_label("rank"))
    return (units.lazy().join(ranked, on="unit_id", how="left", maintain_order="left")
            .with_columns(rank_label=pl.when(pl.col("disqualified"))
                          .then(pl.lit(DISQUALIFIED_LABEL)).otherwise(pl.col("rank_label"))))


def rank_round(result: RoundResult, rubric: Rubric) -> pl.LazyFrame:
    """Rank the eligible units of a round (disqualified ones get no rank)."""
    units = result.units.sort("unit_id")
    return label_ranks(units, rank_units(units, rubric))


def unit_info(dataset: Dataset, cache: dict | None = None) -> pl.DataFrame:
    """``unit_id``, ``name``, ``street``, ``community`` of the units table (kept in ``cache``)."""
    if cache is not None and UNIT_INFO_KEY in cache:
        return cache[UNIT_INFO_KEY]
    units = getattr(dataset, "units", None)
    cols = ("name", "street", "community")
    if units is None:
        info = pl.DataFrame(schema={"unit_id": pl.String, **dict.fromkeys(cols, pl.String)})
    else:
        info = units.select(
            pl.col("unit_id").cast(pl.String),
            *(pl.col(c).cast(pl.String) if c in units.columns
              else pl.lit(None, pl.String).alias(c) for c in cols),
        ).unique("unit_id", keep="first")
    if cache is not None:
        cache[UNIT_INFO_KEY] = info
    return info


UNIT_INFO_KEY = ("unit_info",)


def build_table(result: RoundResult, previous: RoundResult | None,
                 dataset: Dataset, rubric: Rubric, cache: dict | None = None) -> pl.DataFrame:
    prev = None
    if previous is not None:  # only its ranks: no labels
        prev = rank_units(previous.units.sort("unit_id"), rubric).select(
            "unit_id", pl.col("rank").alias("previous_rank"))
    return table_rows(rank_round(result, rubric), result.values, prev,
                       unit_info(dataset, cache), rubric)


def table_rows(ranked: pl.LazyFrame, values: pl.DataFrame, prev: pl.DataFrame | None,
                info: pl.DataFrame, rubric: Rubric) -> pl.DataFrame:
    """The leaderboard rows of ranked units (``rank_round``): published totals, grades, stars,
    movement against ``prev`` (``unit_id``, ``previous_rank``), names; in rank order."""
    from evaltools import ranking

    crit = list(rubric.criterion_ids)
    published = round_published("total", rubric)
    # one query: the published totals (both see the unrounded total), stars, grades, names
    out = ranked.with_columns(total_unrounded=pl.col("total"), total=published)
    out = add_stars(out, values, rubric).with_columns(
        grade=pl.when(pl.col("disqualified")).then(pl.lit(None, pl.String))
        # grade bands are written in points: an MCDA score (another scale) gets none
        .otherwise(pl.coalesce("forced_grade", grade_expr(pl.col("total"), rubric)
                               if labels.scale_is_points(rubric)
                               else pl.lit(None, pl.String))),
        stars=pl.when(pl.col("disqualified")).then(0).otherwise(pl.col("stars")),
    )
    if prev is not None:
        out = out.join(prev.lazy(), on="unit_id", how="left").with_columns(
            ranking.movement("rank", "previous_rank"))
    else:
        out = out.with_columns(previous_rank=pl.lit(None, pl.Int64),
                               movement=pl.lit(None, pl.String))
    out = out.join(info.lazy(), on="unit_id", how="left")
    out = out.with_columns(
        *(round_published(c, rubric) for c in [*crit, "deductions", "bonuses"]))
    return out.sort(["rank", "unit_id"], nulls_last=True).select(
        "rank", "rank_label", "unit_id", "name", "street", "community", "total", "grade",
        "stars", *crit, "deductions", "bonuses", "n_cards", "n_judges", "movement",
        "previous_rank", "disqualified", "total_unrounded",
    ).collect(engine="in-memory")  # as the eager steps it replaces


def unscored_units(table: pl.DataFrame, dataset: Dataset, rubric: Rubric,
                   rnd: int | str | None) -> pl.DataFrame:
    """The units of the units table that are not in ``table`` (one column ``unit_id``, sorted):
    units without a judge score in round ``rnd`` (in any round for ``"all"``). Empty when the
    rubric has no judges criteria or the dataset no units table (then the units table does not
    say who takes part)."""
    units = getattr(dataset, "units", None)
    empty = pl.DataFrame(schema={"unit_id": pl.String})
    if (units is None or units.height == 0 or "unit_id" not in units.columns or rnd is None
            or not any(c.source == "judges" for c in rubric.criteria)):
        return empty
    ids = units.select(pl.col("unit_id").cast(pl.String)).drop_nulls().unique()
    return ids.join(table.select(pl.col("unit_id").cast(pl.String)), on="unit_id",
                    how="anti").sort("unit_id")


def add_unscored_units(table: pl.DataFrame, dataset: Dataset, rubric: Rubric,
                       rnd: int | str | None) -> tuple[pl.DataFrame, list[str]]:
    """A unit of the units table with no judge score in the round never vanishes (issue 18,
    item 3): with ``[missing] policy = "error"`` the run fails naming it (``not_scored``);
    otherwise it is listed after the ranked units as 未参评（缺评分）, without a rank or total,
    and a note names it."""
    from evaltools.scoring.common import joined_ids

    absent = unscored_units(table, dataset, rubric, rnd)
    if absent.height == 0:
        return table, []
    listed = joined_ids(absent, pl.col("unit_id"))
    where = "各轮均" if rnd == "all" else f"第{rnd}轮"
    where_en = "any round" if rnd == "all" else f"round {rnd}"
    if rubric.missing == "error":
        raise EvalToolsError(Problem(
            None, None, "unit_id", listed, "not_scored",
            f"单位表中有 {absent.height} 个单位{where}没有任何评委评分：{listed}",
            f"{absent.height} unit(s) of the units table have no judge score in {where_en}: "
            f"{listed}",
            "补齐这些单位的评分；若确未参评，请在评分细则 [missing] 中设置 policy = \"zero\" "
            "或 \"mean\"（它们将列为“未参评”，不排名），或从单位表中删除",
            'add their scores; if they truly did not take part, set [missing] policy = "zero" '
            'or "mean" (they are then listed as not scored, without a rank) or remove them '
            "from the units table"))
    info = unit_info(dataset)
    rows = absent.join(info, on="unit_id", how="left").with_columns(
        rank_label=pl.lit(NOT_SCORED_LABEL), disqualified=pl.lit(False),
        n_judges=pl.lit(0, pl.Int64), stars=pl.lit(0, pl.Int64))
    rows = rows.select([pl.col(c).cast(t) if c in rows.columns else pl.lit(None, t).alias(c)
                        for c, t in table.schema.items()])
    note = (f"{absent.height} 个单位{where}没有评委评分，列为“{NOT_SCORED_LABEL}”，不排名："
            f"{listed} | {absent.height} unit(s) have no judge score in {where_en}, listed as "
            f"not scored, without a rank: {listed}")
    return pl.concat([table, rows]), [note]


def reweighted_rubric(rubric: Rubric, weights: Mapping[str, float]) -> tuple[Rubric, tuple[str, ...]]:
    """The rubric :meth:`evaltools.leaderboard.Leaderboard.with_weights` evaluates, and its note."""
    ids = set(rubric.criterion_ids)
    unknown = sorted(set(weights) - ids)
    if unknown:
        raise UsageError.choice("weights", ", ".join(unknown), sorted(ids))
    bad = {k: v for k, v in weights.items() if not (float(v) >= 0)}
    if bad:
        raise UsageError(Problem(
            None, None, "weights", bad, "bad_weight", "权重必须是非负数",
            "weights must be non-negative numbers"))
    notes: tuple[str, ...] = ()
    if rubric.method == "points":
        current = {c.id: float(c.max_points or 0.0) for c in rubric.criteria}
        new = {k: float(weights.get(k, current[k])) for k in current}
        s = sum(new.values())
        if s <= 0:
            raise UsageError("所有权重都是 0", "all weights are zero")
        budget = sum(current.values())
        # a criterion whose values are already points (no scale) keeps them on its old 0–max
        # scale: the new weight converts them, as it converts a judge's 0–10 (scoring._high)
        crits = tuple(dataclasses.replace(
            c, max_points=new[c.id] / s * budget, weight=new[c.id],
            scale=(0.0, current[c.id]) if in_points(c, rubric) else c.scale)
            for c in rubric.criteria)
        rubric = dataclasses.replace(rubric, criteria=crits)
        notes = (f"按新权重重新分配各指标满分（合计仍为 {budget:g} 分） | points method: the "
                 f"weights re-divide the {budget:g} max points among the criteria",)
    else:
        current = mcda_weights(rubric, [])  # the weights in effect now
        rubric = rubric.with_weights({**current, **{k: float(v) for k, v in weights.items()}})
    return rubric, notes




@dataclass(frozen=True, repr=False, eq=False)  # repr: FieldRepr's
class Evaluation(FieldRepr):
    """What :func:`evaluate_rounds` computes: the ranked table of one round (or of the mean over
    rounds), the long criterion values, the adjustments found and the notes, for ``rubric``.
    :class:`evaltools.leaderboard.Leaderboard` has the same fields and the methods people use."""

    table: pl.DataFrame
    values: pl.DataFrame
    adjustments: pl.DataFrame
    notes: tuple[str, ...]
    rubric: Rubric
    round: RoundArg
    previous_round: int | None = None


def evaluate_rounds(dataset: Dataset, rubric: Rubric, *, round: RoundArg = None,
                    cache: dict | None = None) -> Evaluation:
    """Score and rank ``dataset`` with ``rubric``: the pipeline behind :func:`evaltools.evaluate`
    (see it for the parameters). ``cache`` keeps the weight-independent results for this one
    dataset; the coded scores are dropped from it afterwards (also when a round raises)."""
    if rubric.method not in METHODS:
        raise UsageError.choice("method", rubric.method, METHODS)
    cache = {} if cache is None else cache
    try:
        return _evaluate_in(dataset, rubric, round, cache)
    finally:  # the coded scores served this call's rounds; the aggregated values stay cached
        for key in [k for k in cache if isinstance(k, tuple) and k[:1] == (SCORE_CODES_KEY,)]:
            del cache[key]


def _evaluate_in(dataset: Dataset, rubric: Rubric, round: RoundArg, cache: dict) -> Evaluation:
    # the cards' values first (every round shares them, from the cache): the summary's working
    # memory is given back before the scores are coded and laid out — evaluate's peak RSS at
    # 100k units (3.0 → 2.6–2.7× its input with the leaner ratings group-bys)
    rating_criterion_values(dataset, rubric, cache)
    rounds_key = ("rounds", rubric.criterion_ids, tuple(c.source for c in rubric.criteria))
    if rounds_key not in cache:
        cache[rounds_key] = round_numbers(dataset, rubric, cache)
    rounds = list(cache[rounds_key])
    previous: RoundResult | None = None
    prev_round: int | None = None
    notes: list[str] = []
    if round == "all":
        if not rounds:
            result = score_round(dataset, rubric, None, cache=cache)
        else:
            result = combine_rounds(
                [score_round(dataset, rubric, r, cache=cache) for r in rounds], rubric)
    else:
        if round is None:
            chosen = rounds[-1] if rounds else None
        elif isinstance(round, bool) or not isinstance(round, int) or round not in rounds:
            raise UsageError.choice("round", round, [*map(str, rounds), "all"])
        else:
            chosen = round
        result = score_round(dataset, rubric, chosen, cache=cache)
        if chosen is not None and rounds.index(chosen) > 0:
            prev_round = rounds[rounds.index(chosen) - 1]
            try:
                previous = score_round(dataset, rubric, prev_round, cache=cache)
            except EvalToolsError as exc:
                notes.append(f"上一轮（第{prev_round}轮）无法计分，未计算名次变化 | previous round "
                             f"{prev_round} could not be scored, no movement: "
                             f"{exc.problems[0].message_en()}")
                prev_round = None
        round = chosen
    table = build_table(result, previous, dataset, rubric, cache)
    table, absent_notes = add_unscored_units(table, dataset, rubric, round)
    notes.extend(absent_notes)
    ties_note = (f"并列规则：{labels.ties_zh(rubric.ties, rubric.tie_breakers, rubric)}"
                 f"；按未取舍的总分排名，公示分{labels.rounding_zh(rubric.rounding)}到 "
                 f"{rubric.digits} 位小数"
                 f" | ties rule {rubric.ties}"
                 + (f", tie-breakers {list(rubric.tie_breakers)}" if rubric.tie_breakers else "")
                 + f"; ranked on unrounded totals, published totals rounded to "
                 f"{rubric.digits} decimals ({rubric.rounding})")
    all_notes = tuple(dict.fromkeys([*result.notes, *notes, ties_note]))
    return Evaluation(table=table, values=result.values, adjustments=result.adjustments,
                      notes=all_notes, rubric=rubric, round=round, previous_round=prev_round)
