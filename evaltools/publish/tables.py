"""The tables that get published, built from a leaderboard (the content, not the format).

:func:`published_table`, :func:`method_lines`, :func:`weights_table`, the satisfaction, comments,
judges and values tables, :func:`group_points`, :func:`with_intervals` and :func:`default_sections`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import polars as pl

from evaltools import labels
from evaltools.errors import UsageError, require_columns
from evaltools.publish.memo import per_leaderboard
from evaltools.publish.privacy import judge_aliases, publish_judges, scrub_text

if TYPE_CHECKING:
    from evaltools.leaderboard import Leaderboard
    from evaltools.robustness import RankIntervals
    from evaltools.rubric import Rubric

__all__ = ["default_sections", "recount_sections", "with_intervals"]

#: the label layer's tables (evaltools.labels), kept here under their old names
METHOD_ZH = labels.METHOD_DESCRIPTION_ZH
TIES_ZH = labels.TIES_DESCRIPTION_ZH
ROUNDING_ZH = labels.ROUNDING_ZH
SOURCE_ZH = labels.SOURCE_ZH


# =============================================================================================
# Tables that get published
# =============================================================================================


def score_text_expr(col: str | pl.Expr, digits: int) -> pl.Expr:
    from evaltools.chartdata import score_text  # no altair import (issue 17)

    return score_text(col, digits)


def rounded(col: str | pl.Expr, rubric: Rubric) -> pl.Expr:
    from evaltools import rounding

    fn = rounding.round_half_even if rubric.rounding == "half_even" else rounding.round_half_up
    return fn(col, rubric.digits)


def group_names(rubric: Rubric) -> list[str]:
    """一级指标 in rubric order (empty when no criterion names a group)."""
    groups = [c.group for c in rubric.criteria if c.group]
    return list(dict.fromkeys(groups)) if len(groups) == len(rubric.criteria) else []


def group_points(lb: Leaderboard) -> pl.DataFrame:
    """Points per 一级指标 and unit (sum of its criteria, unrounded), wide: ``unit_id`` + one
    column per group. Empty (unit_id only) when criteria have no groups."""
    rubric = lb.rubric
    groups = group_names(rubric)
    if not groups:
        return lb.table.select("unit_id")
    of = {c.id: c.group for c in rubric.criteria}
    v = lb.values.with_columns(group=pl.col("criterion").replace_strict(of))
    wide = (v.group_by("unit_id", "group").agg(pl.col("points").sum())
            .pivot(on="group", index="unit_id", values="points"))
    return lb.table.select("unit_id").join(wide, on="unit_id", how="left").select(
        "unit_id", *groups)


@per_leaderboard
def published_table(lb: Leaderboard) -> pl.DataFrame:
    """The leaderboard as published in Excel and CSV: ``Leaderboard.labelled_table()`` without
    the unrounded total (ranking used it; the 方法与权重 sheet says so)."""
    return lb.labelled_table().drop("未取舍总分", strict=False)


def notes_zh(lb: Leaderboard) -> pl.DataFrame:
    """The notes, Chinese part only, with phones and ID numbers masked."""
    notes = pl.DataFrame({"note": list(lb.notes)}, schema={"note": pl.String})
    return notes.select(scrub_text(pl.col("note").str.split(" | ").list.first()).alias("说明"))


def method_lines(lb: Leaderboard) -> list[tuple[str, str]]:
    """(what, how) pairs describing the computation, in plain Chinese (every code through
    :mod:`evaltools.labels`)."""
    from evaltools import scoring

    r = lb.rubric
    lines = [("计分方法", labels.method_description(r.method))]
    if r.method != "points":
        norm = r.normalization or scoring.DEFAULT_NORMALIZATION.get(r.method)
        lines.append(("标准化", labels.normalization_zh(norm)))
    judged = [c for c in r.criteria if c.source == "judges"]
    if judged:
        rules = sorted({labels.rule_zh(c.aggregate or r.judge_aggregate) for c in judged})
        text = "、".join(rules) + f"；每项至少 {r.min_judges} 位评委"
        if r.judge_fallback:
            text += f"，不足时改用{labels.rule_zh(r.judge_fallback)}"
        lines.append(("评委打分汇总", text))
    if any(c.source == "ratings" for c in r.criteria):
        lines.append(("满意率口径", scoring.satisfaction_definition(r).split(" | ")[0]))
    lines.append(("并列规则", labels.ties_description(r.ties, r.tie_breakers, r)))
    lines.append(("取舍规则", f"按未取舍的总分排名；公示分数{labels.rounding_zh(r.rounding)}"
                  f"保留 {r.digits} 位小数"))
    if r.grades and labels.scale_is_points(r):
        bands = sorted(r.grades, key=lambda b: -b.min)
        lines.append(("等级", "；".join(f"{b.name}：{labels.points_text(b.min)} 分及以上"
                                       for b in bands)))
    elif r.grades:
        lines.append(("等级", f"等级分数线按百分制制定，{labels.method_zh(r.method)}的综合得分"
                      "不是百分制分数，本次不评定等级"))
    if r.stars:
        lines.append(("星级", "每达到一项标准得一颗星（最多五星）："
                      + "；".join(labels.star_rule_zh(s, r) for s in r.stars)))
    for adjustments, kind in ((r.deductions, "扣分"), (r.bonuses, "加分")):
        if adjustments:
            lines.append((kind, "；".join(
                f"{d.name or d.item}每处{labels.points_text(d.points)}分"
                + (f"，最多{labels.points_text(d.cap)}分" if d.cap else "")
                + (f"（从“{labels.criterion_name(r, crit)}”中扣除，扣完为止）"
                   if (crit := getattr(d, "criterion", None)) else "")
                for d in adjustments)))
    if r.bonuses and r.method == "points":
        lines.append(("满分", f"各指标满分合计 {labels.points_text(_criteria_points(r))} 分；"
                      "加分可使总分超过各指标满分之和，总分最高 "
                      f"{labels.points_text(_criteria_points(r) + _bonus_room(r))} 分"))
    if r.vetoes:
        lines.append(("一票否决", "；".join(
            f"{v.name or v.item}：" + ("取消评比资格" if v.action == "disqualify"
                                      else f"等级定为{v.grade}") for v in r.vetoes)))
    return lines


def _criteria_points(r: Any) -> float:
    return sum(float(c.max_points or 0.0) for c in r.criteria)


def _bonus_room(r: Any) -> float:
    return sum(float(b.cap if b.cap is not None else b.points) for b in r.bonuses)


def _breaker_names(r: Any) -> list[str]:
    return labels.breaker_names(r.tie_breakers, r)


def _star_text(s: Any, r: Any) -> str:
    return labels.star_rule_zh(s, r)


def weights_table(lb: Leaderboard) -> pl.DataFrame:
    """One row per criterion: 一级指标, 指标, 来源, 汇总方式, 方向, 满分 (points) or 权重 (MCDA
    methods: the weights in effect, normalised to sum 1). No ids: they are in the audit's
    technical appendix (:func:`criterion_ids_table`)."""
    from evaltools import scoring

    r = lb.rubric
    if r.method == "points":
        wname, w = "满分", [float(c.max_points or 0.0) for c in r.criteria]
    else:
        ws = scoring.mcda_weights(r, [])
        total = sum(ws.values()) or 1.0  # methods use the weights normalised to sum 1
        wname, w = "权重", [float(ws.get(c.id, 0.0)) / total for c in r.criteria]
    aggregates = []
    for c in r.criteria:
        if c.source == "judges":
            rule = c.aggregate or r.judge_aggregate
        elif c.source == "ratings":
            rule = c.aggregate or "satisfaction_rate"
        else:
            rule = c.measure or c.column or c.aggregate or ""
        aggregates.append(labels.rule_zh(rule))
    return pl.DataFrame({
        "一级指标": [c.group or "" for c in r.criteria],
        "指标": [c.name for c in r.criteria],
        "来源": [labels.source_zh(c.source) for c in r.criteria],
        "汇总方式": aggregates,
        "方向": [labels.direction_zh(c.direction) for c in r.criteria],
        wname: w,
    })


def criterion_ids_table(rubric: Any) -> pl.DataFrame:
    """指标编号 ↔ 指标 (the ids in the data files), for the audit's technical appendix only."""
    return pl.DataFrame({"指标编号": [c.id for c in rubric.criteria],
                         "指标": [c.name for c in rubric.criteria]},
                        schema={"指标编号": pl.String, "指标": pl.String})


#: the satisfied residents' column: whole people, or residents counted by their share of
#: satisfied answers when some answered several items
SATISFIED_WHOLE = "满意人数"
SATISFIED_SHARED = "满意人数（折算）"


@per_leaderboard
def satisfaction_table(lb: Leaderboard) -> pl.DataFrame | None:
    """Per unit: answers, 满意率 with its Wilson interval, mean and Bayesian average (None when
    the dataset has no review cards)."""
    ratings = getattr(lb.dataset, "ratings", None)
    if ratings is None or ratings.height == 0:
        return None
    from evaltools.ratings import summarize

    cfg = lb.rubric.ratings
    s = summarize(ratings.with_columns(pl.col("unit_id").cast(pl.String)),
                  labels=cfg.labels, satisfied=cfg.satisfied, prior_weight=cfg.prior_weight,
                  confidence=cfg.confidence)
    names = lb.table.select("unit_id", "name", "rank")
    # a resident who answered several items counts as the share of them they were satisfied
    # with (docs/methods.md, "Per respondent"): then the count is not whole, and says so
    shared = "n_answers" in s.columns and bool((s["n_answers"] != s["n"]).any())
    return (names.join(s, on="unit_id", how="inner").sort("rank", "unit_id", nulls_last=True)
            .select(pl.col("unit_id").alias("单位编号"), pl.col("name").alias("名称"),
                    pl.col("n").cast(pl.Int64).alias("有效评价数"),
                    pl.col("n_satisfied").cast(pl.Float64).alias(
                        SATISFIED_SHARED if shared else SATISFIED_WHOLE),
                    pl.col("satisfaction_rate").alias("满意率"),
                    pl.col("wilson_lower").alias("满意率下限"),
                    pl.col("wilson_upper").alias("满意率上限"),
                    pl.col("mean").alias("平均分"),
                    pl.col("bayesian_average").alias("贝叶斯平均"),
                    pl.col("satisfied_definition").alias("满意口径")))


def comments_table(lb: Leaderboard) -> pl.DataFrame | None:
    """Residents' comments, scrubbed, when the rubric allows publishing them (else None)."""
    ratings = getattr(lb.dataset, "ratings", None)
    if not lb.rubric.allow_comments or ratings is None or "comment" not in ratings.columns:
        return None
    c = (ratings.filter(pl.col("comment").str.strip_chars().str.len_chars() > 0)
         .unique(["respondent_id", "comment"], keep="first", maintain_order=True)
         .join(lb.table.select("unit_id", "name"), on="unit_id", how="left")
         .sort("unit_id", "respondent_id")
         .select(pl.col("unit_id").alias("单位编号"), pl.col("name").alias("名称"),
                 scrub_text("comment").alias("群众留言")))
    return c if c.height else None


def judges_table(lb: Leaderboard) -> pl.DataFrame | None:
    """The judges' raw scores of the published round, judges as 评委1…评委N
    (:func:`evaltools.publish.privacy.judge_aliases`) with their role."""
    scores = getattr(lb.dataset, "scores", None)
    if scores is None or scores.height == 0:
        return None
    judged = [c.id for c in lb.rubric.criteria if c.source == "judges"]
    s = scores.filter(pl.col("criterion").is_in(judged))
    if isinstance(lb.round, int):
        s = s.filter(pl.col("round") == lb.round)
    names = {c.id: c.name for c in lb.rubric.criteria}
    judges = getattr(lb.dataset, "judges", None)
    s = s.with_columns(pl.col("unit_id", "judge_id").cast(pl.String))
    if judges is not None and "role" in judges.columns:
        s = s.join(judges.select(pl.col("judge_id").cast(pl.String), "role")
                   .unique("judge_id", keep="first"), on="judge_id", how="left")
    else:
        s = s.with_columns(role=pl.lit(None, pl.String))
    aliases = judge_aliases(lb)
    s = s.join(aliases.with_row_index("_order"), on="judge_id", how="left")
    s = publish_judges(s, aliases)
    return (s.join(lb.table.select("unit_id", "name"), on="unit_id", how="left")
            .sort("round", "unit_id", "criterion", "_order")
            .select(pl.col("round").alias("轮次"), pl.col("unit_id").alias("单位编号"),
                    pl.col("name").alias("名称"),
                    pl.col("criterion").replace_strict(names, default=pl.col("criterion"))
                    .alias("指标"),
                    pl.col("judge_id").alias("评委编号"), pl.col("role").alias("评委身份"),
                    pl.col("score").alias("得分")))


def values_table(lb: Leaderboard) -> pl.DataFrame:
    """Per unit and criterion: aggregated value, max points or weight, points (分项得分)."""

    r = lb.rubric
    order = lb.table.select("unit_id", "name", pl.int_range(pl.len()).alias("_o"))
    crit_order = {cid: i for i, cid in enumerate(r.criterion_ids)}
    groups = {c.id: c.group or "" for c in r.criteria}
    v = lb.values.join(order, on="unit_id", how="left").with_columns(
        _c=pl.col("criterion").replace_strict(crit_order, default=len(crit_order)))
    return v.sort("_o", "_c").select(
        pl.col("unit_id").alias("单位编号"), pl.col("name").alias("名称"),
        pl.col("criterion").replace_strict(groups, default="").alias("一级指标"),
        pl.col("criterion_name").alias("指标"),
        pl.col("rule").replace_strict(labels.RULE_ZH, default=pl.col("rule")).alias("汇总方式"),
        pl.col("n").alias("评委或评价数"),
        pl.col("value").alias("汇总值"),
        pl.col("weight").alias("满分" if r.method == "points" else "权重"),
        pl.col("points_raw").alias("扣分前得分"),
        pl.col("deduction").alias("扣分"),
        pl.col("points").alias("得分"),
        pl.col("share").alias("得分率") if "share" in v.columns else pl.lit(None, pl.Float64)
        .alias("得分率"),
    )


def with_intervals(lb: Leaderboard, intervals: RankIntervals | pl.DataFrame | None,
                   ) -> Leaderboard:
    """The leaderboard with ``rank_lower`` / ``rank_upper`` joined onto its table, from a
    :class:`evaltools.robustness.RankIntervals` or a frame with ``unit_id``, ``rank_lower``,
    ``rank_upper`` (None: unchanged)."""
    if intervals is None:
        return lb
    frame = cast(pl.DataFrame, getattr(intervals, "table", intervals))  # its table, or the frame
    require_columns(frame, ("unit_id", "rank_lower", "rank_upper"), what_zh="名次区间表",
                    what_en="the rank-interval table", error=UsageError,
                    fix_zh="请传入 robustness.rank_intervals(...) 的结果",
                    fix_en="pass the result of robustness.rank_intervals(...)")
    table = lb.table.drop("rank_lower", "rank_upper", strict=False).join(
        frame.select(pl.col("unit_id").cast(pl.String), "rank_lower", "rank_upper"),
        on="unit_id", how="left")
    return lb._replace(table=table)


def default_sections(lb: Leaderboard) -> dict[str, pl.DataFrame]:
    """Sections published when the dataset has the data: 民情速递站 (ticket KPIs by street, with
    their definitions, :func:`evaltools.kpi.ticket_kpis`) and 晒最美 (each round's winners after
    the recount, the raw count beside them: :func:`recount_sections`). A part that cannot be computed is left out
    with a warning; the leaderboard is still published."""
    import warnings

    from evaltools.errors import EvalToolsError, EvalToolsWarning

    ds = lb.dataset
    out: dict[str, pl.DataFrame] = {}
    tickets = getattr(ds, "tickets", None)
    if tickets is not None and tickets.height:
        try:
            from evaltools import kpi

            res = kpi.ticket_kpis(ds, by="street")
            keep = [c for c in ("street", "received", "closed", "backlog", "feedback_rate",
                                "closure_rate", "on_time_closure_rate", "immediate_share",
                                "overdue", "satisfaction_rate") if c in res.table.columns]
            names = {**kpi.BY_ZH, **kpi.KPI_NAMES}
            out["民情速递站"] = res.table.select(keep).rename(
                {c: names.get(c, c) for c in keep})
            out["民情速递站指标定义"] = res.definitions().filter(
                pl.col("measure").is_in(keep)).select("指标", "定义")
        except (EvalToolsError, ImportError) as exc:
            warnings.warn(f"民情速递站部分未发布 | ticket KPIs not published: {exc}",
                          EvalToolsWarning, stacklevel=2)
    entries, votes = getattr(ds, "entries", None), getattr(ds, "votes", None)
    if entries is not None and votes is not None and votes.height:
        try:
            out.update(recount_sections(ds))
        except (EvalToolsError, ImportError) as exc:
            warnings.warn(f"晒最美部分未发布 | campaign results not published: {exc}",
                          EvalToolsWarning, stacklevel=2)
    return out


# ---------------------------------------------------------------------------------------------
# 晒最美: the recount is what the notice publishes


def recount_sections(ds: Any) -> dict[str, pl.DataFrame]:
    """晒最美 for the notice: per round and category, the winners *after* excluding flagged votes
    (the recount), the raw count beside them, "复核后名次变化" where the two differ (raw
    winners that lost the recount are listed too), and the rule as a second table."""
    from evaltools import campaign

    analysis = campaign.analyze_campaign(ds)
    res = analysis.results
    keep = res.filter(
        (pl.col("rank_recount") == pl.col("rank_recount").min().over("round", "category"))
        | pl.col("winner"))
    info = getattr(ds, "units", None)
    if info is not None and "name" in info.columns:
        keep = keep.join(info.select(pl.col("unit_id").cast(pl.String), pl.col("name")
                                     .alias("unit_name")).unique("unit_id"),
                         on="unit_id", how="left")
    else:
        keep = keep.with_columns(unit_name=pl.lit(None, pl.String))
    tied = pl.len().over("round", "category", "rank_recount") > 1
    label = (pl.when(tied).then(pl.format("并列第{}名", "rank_recount"))
             .otherwise(pl.format("第{}名", "rank_recount")))
    change = (pl.when(pl.col("rank_recount") != pl.col("rank_in_category"))
              .then(pl.format("原第{}名，复核后第{}名", "rank_in_category", "rank_recount"))
              .otherwise(pl.lit("—")))
    cols = [pl.col("round").alias("轮次"), pl.col("category").alias("类别")]
    frame = keep.sort("round", "category", "rank_recount", "entry_id").select(
        *cols,
        pl.col("entry_id").alias("作品编号"),
        pl.col("title").alias("作品名称") if "title" in keep.columns else pl.lit(None, pl.String)
        .alias("作品名称"),
        pl.coalesce("unit_name", "unit_id").alias("楼栋"),
        label.alias("复核后名次"),
        pl.col("votes_recount").alias("复核后票数"),
        pl.col("votes").alias("原始票数"),
        pl.col("flagged_votes").alias("存疑票数"),
        change.alias("复核后名次变化"),
    )
    rule = pl.DataFrame({"说明": [
        "名次按复核后票数排列：剔除经核查标记的存疑投票（"
        + "、".join(labels.flag_zh(f) for f in analysis.exclude) + "）后重新计票；",
        "同一网络地址、非正常时段投票只作提示，不剔除（邻居可能共用网络）；",
        "原始票数一并列出，复核前后名次不同的在“复核后名次变化”中说明。",
    ]})
    return {"晒最美": frame, "晒最美复核规则": rule}
