"""Step 1–2 of a round: each criterion's aggregated value per unit (judges' panels, review cards, units columns, campaign votes)."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import polars as pl

from evaltools import labels, ranking
from evaltools.errors import EvalToolsError, RubricError, UsageError
from evaltools.rubric import Criterion, Rubric
from evaltools.scoring.common import (
    RULE_ZH,
    joined_ids,
    judge_rule,
    note,
    problem,
    rating_rule,
    satisfaction_definition,
    table_of,
)

if TYPE_CHECKING:
    from evaltools.dataset import Dataset
    from evaltools.scoring.coded import RoundPanels, ScoreCodes

# --------------------------------------------------------------------------------------------
# the scores table as integer codes, for long tables (evaluate at 100k units)

#: From this many score rows on, the judges' panels are laid out from integer codes
#: (:mod:`evaltools.scoring.coded`, numpy); below, they are polars group-bys and scoring a board
#: never imports numpy (≈ 0.05 s of CPU per command, issue 17). Where the two paths cross:
#: docs/performance.md, "Where it stands (session 7)".
CODED_MIN_ROWS = 50_000

SCORE_CODES_KEY = "score_codes"


def score_codes(dataset: Dataset, rubric: Rubric, cache: dict | None) -> ScoreCodes | None:
    """The scores as codes (from ``cache`` when there), or None when the coded path does not
    apply (fewer than :data:`CODED_MIN_ROWS` scores, no judges criteria, nulls in unit or
    judge ids)."""
    scores = table_of(dataset, "scores")
    crit_ids = tuple(c.id for c in rubric.criteria if c.source == "judges")
    if scores is None or not crit_ids or scores.height < CODED_MIN_ROWS:
        return None
    key = (SCORE_CODES_KEY, crit_ids)
    if cache is not None and key in cache:
        return cache[key]
    from evaltools.scoring import coded

    out = coded.make_codes(scores, crit_ids)
    if cache is not None:
        cache[key] = out
    return out


# --------------------------------------------------------------------------------------------
# step 1: judges


def _judge_values(scores: pl.DataFrame, rubric: Rubric, rnd: int | None,
                  crits: list[Criterion], notes: list[str],
                  panels: RoundPanels | None = None) -> pl.DataFrame:
    """Aggregate the judges' scores of round ``rnd`` for the judges criteria ``crits``.

    The arithmetic is that of :func:`evaltools.judging.aggregate` (mean / median / trimmed mean
    and the declared fallback): one polars group-by per round on a street office's table, or, on
    a long one, the panels laid out from integer codes (``panels``, from
    :func:`evaltools.scoring.coded.round_panels`) and reduced as matrices. ``zscore`` goes
    through :func:`evaltools.judging.standardize`. This function picks the rule per criterion,
    checks the panel size first so that the error names the criterion in Chinese, and maps
    z-scores back onto the criterion's scale.
    """
    empty = pl.DataFrame(schema={"unit_id": pl.String, "criterion": pl.String, "rule": pl.String,
                                 "raw": pl.List(pl.Float64), "n": pl.Int64, "value": pl.Float64})
    rule_map = {c.id: judge_rule(c, rubric) for c in crits}
    fallback = rubric.judge_fallback
    need = pl.max_horizontal(pl.lit(rubric.min_judges),
                             pl.when(pl.col("rule") == "trimmed_mean").then(3).otherwise(1))

    def round_scores() -> pl.LazyFrame:
        return (
            scores.lazy().filter(pl.col("round") == rnd)
            .select(pl.col("unit_id").cast(pl.String), pl.col("judge_id").cast(pl.String),
                    pl.col("criterion").cast(pl.String), pl.col("score").cast(pl.Float64))
            .filter(pl.col("score").is_not_null() & pl.col("score").is_not_nan(),
                    pl.col("criterion").is_in(pl.Series(list(rule_map), dtype=pl.String)
                                              .implode()))
        )

    if panels is not None and panels.codes.crit_ids != tuple(rule_map):
        panels = None  # coded for other criteria: the polars path
    if panels is not None:
        from evaltools.scoring.coded import judge_panels

        if panels.lens.size == 0:
            return empty
        base = judge_panels(panels, rule_map)
    else:
        base = _judge_panels(round_scores(), rule_map, fallback)
        if base.height == 0:
            return empty
    short = base.lazy().with_columns(need=need).filter(pl.col("n") < pl.col("need")).collect(
        engine="in-memory")
    if short.height:
        if fallback is None:
            problems = []
            for (cid,), grp in short.sort("unit_id").group_by("criterion", maintain_order=True):
                c = rubric.criterion(cid)
                need_n = int(grp.select(pl.col("need").max()).item())
                units = joined_ids(grp, pl.format("{}({}人)", "unit_id", "n"))
                units_en = joined_ids(grp, pl.format("{} ({} judges)", "unit_id", "n"))
                problems.append(problem(
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
        listed = joined_ids(short.sort("unit_id", "criterion"),
                             pl.format("{}/{}({})", "unit_id", "criterion", "n"))
        listed_zh = joined_ids(short.sort("unit_id", "criterion"), pl.format(
            "{}/{}（{}位）", "unit_id", pl.col("criterion").replace_strict(
                labels.criterion_names(rubric), default=pl.col("criterion")), "n"))
        notes.append(note(
            f"第{rnd}轮 评委人数不足的 {short.height} 项改用{RULE_ZH[fallback]}：{listed_zh}",
            f"round {rnd}: {short.height} unit×criterion value(s) had too few judges and used "
            f"the declared fallback {fallback}: {listed}",
        ))

    if panels is not None:
        from evaltools.scoring.coded import judge_values

        out = base.lazy().with_columns(judge_values(panels, base["rule"], rubric))  # one query
    else:  # each panel's statistic by its rule, the fallback's where it has too few judges
        ok = pl.col("n") >= need
        by_rule = pl.lit(None, pl.Float64)  # zscore: filled below
        for rule in sorted(set(rule_map.values()) - {"zscore"}):
            by_rule = pl.when(pl.col("rule") == rule).then(f"_{rule}").otherwise(by_rule)
        short_value = pl.col(f"_{fallback}") if fallback is not None else pl.lit(None, pl.Float64)
        out = base.lazy().with_columns(value=pl.when(ok).then(by_rule).otherwise(short_value),
                                       _fb=~ok if fallback is not None else pl.lit(False))
    if "zscore" in rule_map.values():
        sub = round_scores().filter(pl.col("criterion").is_in(
            [c for c, r in rule_map.items() if r == "zscore"])).collect(engine="in-memory")
        out = out.join(_zscore_values(sub, rnd, notes).lazy(), on=["unit_id", "criterion"],
                       how="left", maintain_order="left").with_columns(
            value=pl.when((pl.col("rule") == "zscore") & ~pl.col("_fb"))
            .then("_zvalue").otherwise("value"))
    used = pl.when("_fb").then(pl.lit(fallback)).otherwise("rule") if fallback else pl.col("rule")
    return out.select("unit_id", "criterion", used.alias("rule"), "raw", "n",
                      pl.col("value").cast(pl.Float64)).collect(engine="in-memory")


def _judge_panels(scores: pl.LazyFrame, rule_map: dict[str, str], fallback: str | None
                  ) -> pl.DataFrame:
    """One row per (unit, criterion) panel of ``scores`` (one round, judges criteria, real
    scores): ``unit_id, criterion, rule``, ``raw`` (the scores in judge order; a judge's repeated
    rows in input order), ``n``, and the statistics the rules and the fallback need
    (``_mean``, ``_median``, ``_trimmed_mean``: :func:`evaltools.judging.trimmed_mean`)."""
    from evaltools import judging

    wanted = {r for r in rule_map.values() if r != "zscore"}
    if fallback is not None:
        wanted.add(fallback)
    score = pl.col("score")
    stats = {"mean": score.mean(), "median": score.median(),
             "trimmed_mean": judging.trimmed_mean(score)}
    return (scores.sort("unit_id", "criterion", "judge_id", maintain_order=True)
            .group_by("unit_id", "criterion", maintain_order=True)
            .agg(raw=score, n=pl.len().cast(pl.Int64),
                 **{f"_{r}": stats[r] for r in sorted(wanted)})
            .with_columns(rule=pl.col("criterion").replace_strict(rule_map,
                                                                  return_dtype=pl.String))
            .collect(engine="in-memory"))


def _zscore_values(sub: pl.DataFrame, rnd: int | None, notes: list[str]) -> pl.DataFrame:
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
        z.group_by("unit_id", "criterion").agg(pl.col("z").mean().alias("z_value"))
        .join(panel, on="criterion", how="left")
        .select("unit_id", "criterion",
                pl.when(pl.col("_psd").is_null() | (pl.col("_psd") == 0)).then(pl.col("_pm"))
                .otherwise(pl.col("_pm") + pl.col("z_value") * pl.col("_psd")).alias("_zvalue"))
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
            columns=("unit_id", "n", column[rule]),
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


def rating_criterion_values(dataset: Dataset, rubric: Rubric, cache: dict | None
                            ) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """The ratings criteria's values and notes (from ``cache`` when there: cards carry no
    round, so every round shares them)."""
    rated = [c for c in rubric.criteria if c.source == "ratings"]
    r = rubric.ratings
    key = ("rating_values", tuple((c.id, c.aggregate, c.items) for c in rated),
           (tuple(r.labels.items()), r.satisfied, r.scale, r.prior_weight, r.confidence))
    if cache is not None and key in cache:
        return cache[key]
    notes: list[str] = []
    found = (_rating_values(table_of(dataset, "ratings"), rubric, rated, notes), tuple(notes))
    if cache is not None:
        cache[key] = found
    return found


def _unit_column_values(units: pl.DataFrame | None, crits: list[Criterion]) -> pl.DataFrame:
    parts = []
    for c in crits:
        if c.column is None:
            raise RubricError(problem(
                "units_without_column", f"指标“{c.name}”({c.id}) 来源为 units 但没有指定 column",
                f"criterion {c.id} has source 'units' but no column", column="column",
                fix_zh="在该指标下写 column = \"户数\" 之类", fix_en="name the units column"))
        if units is None or c.column not in units.columns:
            raise EvalToolsError(problem(
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


def participants(dataset: Dataset, rubric: Rubric, rnd: int | None) -> pl.DataFrame:
    """The units taking part in round ``rnd`` (one column ``unit_id``, sorted)."""
    scores = table_of(dataset, "scores")
    judge_ids = [c.id for c in rubric.criteria if c.source == "judges"]
    if judge_ids:
        if scores is None:
            return pl.DataFrame(schema={"unit_id": pl.String})
        return (scores.filter((pl.col("round") == rnd) & pl.col("criterion").is_in(judge_ids))
                .select(pl.col("unit_id").cast(pl.String)).unique().sort("unit_id"))
    for name in ("units", "ratings", "tickets"):
        t = table_of(dataset, name)
        if t is not None:
            return t.select(pl.col("unit_id").cast(pl.String)).unique().sort("unit_id")
    return pl.DataFrame(schema={"unit_id": pl.String})


def _not_yet(src: str, crits: list[Criterion], module_zh: str, module_en: str) -> None:
    ids = ", ".join(c.id for c in crits)
    raise EvalToolsError(problem(
        "needs_module",
        f"指标 {ids} 的来源为 {src}，需要{module_zh}，暂不能计分",
        f"criteria {ids} with source {src!r} need the {module_en}, not available yet",
        column="source", value=src))


def criterion_values(dataset: Dataset, rubric: Rubric, rnd: int | None,
                     notes: list[str] | None = None) -> pl.DataFrame:
    """Aggregated value of every criterion for every participant of round ``rnd`` (long form).

    Columns: ``unit_id, criterion, criterion_name, source, rule, raw, n, value, filled``. Missing
    values follow ``rubric.missing`` (see the module docstring).
    """
    notes = [] if notes is None else notes
    return collect_criterion_values(dataset, rubric, rnd, notes, None)


def collect_criterion_values(dataset: Dataset, rubric: Rubric, rnd: int | None, notes: list[str],
                      panels: RoundPanels | None, *, cache: dict | None = None) -> pl.DataFrame:
    """:func:`criterion_values`, with the round's coded panels when the caller has them.

    ``cache`` (a dict kept for one dataset, as :func:`~evaltools.scoring.rounds.score_round`'s):
    the ratings' values, which carry no round, are computed once for all rounds."""
    if panels is None and rnd is not None:
        codes = score_codes(dataset, rubric, None)
        if codes is not None:
            from evaltools.scoring.coded import round_panels

            panels = round_panels(codes, rnd)
    by_source: dict[str, list[Criterion]] = {}
    for c in rubric.criteria:
        by_source.setdefault(c.source, []).append(c)
    rating_values, rating_notes = rating_criterion_values(dataset, rubric, cache)
    parts = []
    coded = None
    if by_source.get("tickets"):  # 民情速递站 KPIs (evaltools.kpi, issue 6)
        from evaltools.kpi import ticket_criterion_values

        parts.append(ticket_criterion_values(
            dataset, by_source["tickets"], notes, labels=rubric.ratings.labels,
            satisfied=rubric.ratings.satisfied))
    if by_source.get("campaign"):  # 晒最美 votes (evaltools.campaign, issue 7)
        from evaltools.campaign import unit_values

        ties = ranking.as_ties(rubric.ties) if rubric.ties in ranking.TIES else "min"
        parts.append(unit_values(
            table_of(dataset, "entries"), table_of(dataset, "votes"), rnd,
            {c.id: c.measure or "vote_share" for c in by_source["campaign"]}, ties=ties))
    if by_source.get("judges"):
        scores = table_of(dataset, "scores")
        if scores is not None:
            parts.append(_judge_values(scores, rubric, rnd, by_source["judges"], notes,
                                       panels))
            if panels is not None:  # only participants, already in (criterion, unit) order
                coded = len(parts) - 1
    parts.append(rating_values)
    notes.extend(rating_notes)
    parts.append(_unit_column_values(table_of(dataset, "units"), by_source.get("units", [])))

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
        found = pl.concat(parts)
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
    columns = ("unit_id", "criterion", "criterion_name", "source", "rule", "raw", "n", "value",
               "filled")
    in_order = _sorted_by_order_and_unit(out)
    value = pl.col("value").fill_nan(None)
    filled = out.lazy().with_columns(rule=pl.coalesce("rule", "_rule0"), value=value,
                                     filled=value.is_null())
    # one query (the usual case: already in order, the columns chosen at once)
    out = (filled.select(columns) if in_order else filled).collect(engine="in-memory")
    if out["filled"].any():
        missing = out.filter("filled")
        policy = rubric.missing
        if policy == "error":
            problems = []
            for (cid,), grp in missing.sort("unit_id").group_by("criterion",
                                                                  maintain_order=True):
                c = rubric.criterion(cid)
                units = joined_ids(grp, pl.col("unit_id"))
                where = f"第{rnd}轮 " if rnd is not None else ""
                where_en = f"round {rnd}, " if rnd is not None else ""
                problems.append(problem(
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
        listed = joined_ids(missing.sort("criterion", "unit_id"),
                             pl.format("{}/{}", "unit_id", "criterion"))
        listed_zh = joined_ids(missing.sort("criterion", "unit_id"), pl.format(
            "{}/{}", "unit_id", pl.col("criterion").replace_strict(
                labels.criterion_names(rubric), default=pl.col("criterion"))))
        how_zh = "按 0 分计" if policy == "zero" else "按其他单位的平均值填补"
        how_en = "filled with 0" if policy == "zero" else "filled with the other units' mean"
        notes.append(note(f"{missing.height} 个缺失值{how_zh}：{listed_zh}",
                           f"{missing.height} missing value(s) {how_en}: {listed}"))
    if not in_order:
        out = out.sort("_order", "unit_id").select(columns)
    return out


def _sorted_by_order_and_unit(frame: pl.DataFrame) -> bool:
    """Whether ``frame`` is already sorted by (``_order``, ``unit_id``) (a null unit id is
    taken as in order), without a query: Series comparisons on neighbours."""
    n = frame.height
    if n < 2:
        return True
    order = frame["_order"]
    step = order.slice(1) - order.slice(0, n - 1)
    if (step < 0).any():
        return False
    same = step == 0
    if not same.any():
        return True
    units = frame["unit_id"]
    rising = (units.slice(1) >= units.slice(0, n - 1)).fill_null(True)
    return bool((rising | ~same).all())


def _full_grid(parts: list[pl.DataFrame], coded: int | None, who: pl.DataFrame,
               meta: pl.DataFrame, default_rule: pl.DataFrame) -> pl.DataFrame | None:
    """The criterion values when every participant has one row per criterion (the usual case),
    without joins on the long table: only the small parts are matched with the participants
    (the coded judges' part holds nothing else) and sorted; the criterion's name, source, order
    and default rule are gathered by its position in the rubric. None when the grid is not
    full (the caller then joins)."""
    ids = meta["criterion"]
    small = [i for i in range(len(parts)) if i != coded and parts[i].height]
    pieces = [] if coded is None else [parts[coded]]
    pos = pl.col("criterion").replace_strict(ids, meta["_order"], default=-1)
    pieces.extend(  # one query per part
        parts[i].lazy().join(who.lazy(), on="unit_id", how="semi")
        .sort(pos, "unit_id").collect(engine="in-memory")
        for i in small)
    if not pieces:
        return None
    order_of = dict(zip(ids.to_list(), meta["_order"].to_list(), strict=True))
    firsts = [order_of.get(piece["criterion"][0], -1) if piece.height else -1
              for piece in pieces]
    pieces = [pieces[i] for i in sorted(range(len(pieces)), key=firsts.__getitem__)]  # stable
    found = pl.concat(pieces)
    try:
        code = found["criterion"].cast(pl.Enum(ids.to_list())).to_physical()
    except pl.exceptions.InvalidOperationError:
        return None
    per = code.unique_counts()  # rows of each criterion present
    if (found.height != who.height * meta.height or per.len() != meta.height
            or not (per == who.height).all()):
        return None
    return found.hstack([  # one query per small frame
        *meta.select(pl.col("criterion_name", "source").gather(code)),
        code.cast(pl.Int64).alias("_order"),
        default_rule.select(pl.col("_rule0").gather(code)).to_series()])
