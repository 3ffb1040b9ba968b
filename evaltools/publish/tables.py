"""The tables that get published, built from a leaderboard (the content, not the format).

:func:`published_table`, :func:`method_lines`, :func:`weights_table`, the satisfaction, comments,
judges and values tables, :func:`group_points`, :func:`with_intervals` and :func:`default_sections`.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from evaltools.errors import UsageError, require_columns
from evaltools.publish.privacy import scrub_text

__all__ = ["default_sections", "with_intervals"]

METHOD_ZH = {
    "points": "百分制计分：各指标得分相加，扣分、加分后为总分",
    "weighted_sum": "加权求和：各指标标准化后按权重相加",
    "weighted_product": "加权乘积：各指标标准化后按权重相乘",
    "topsis": "TOPSIS（逼近理想解排序法）",
    "vikor": "VIKOR（折衷排序法）",
}
TIES_ZH = {
    "min": "得分相同者并列，名次相同，其后名次顺延（如 1、2、2、4），公示为“并列第2名”",
    "dense": "得分相同者并列，其后名次不跳号（如 1、2、2、3）",
    "ordinal": "不设并列，得分相同时按顺序排名",
    "average": "得分相同者取平均名次（如 1、2.5、2.5、4）",
}
ROUNDING_ZH = {"half_up": "四舍五入", "half_even": "银行家舍入（四舍六入五成双）"}
SOURCE_ZH = {"judges": "评委打分", "ratings": "群众点评", "tickets": "民情速递站",
             "campaign": "晒最美投票", "units": "台账数据"}


# =============================================================================================
# Tables that get published
# =============================================================================================


def score_text_expr(col: str | pl.Expr, digits: int) -> pl.Expr:
    from evaltools.charts.leaderboard import score_text

    return score_text(col, digits)


def rounded(col: str | pl.Expr, rubric: Any) -> pl.Expr:
    from evaltools import rounding

    fn = rounding.round_half_even if rubric.rounding == "half_even" else rounding.round_half_up
    return fn(col, rubric.digits)


def group_names(rubric: Any) -> list[str]:
    """一级指标 in rubric order (empty when no criterion names a group)."""
    groups = [c.group for c in rubric.criteria if c.group]
    return list(dict.fromkeys(groups)) if len(groups) == len(rubric.criteria) else []


def group_points(lb: Any) -> pl.DataFrame:
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


def published_table(lb: Any) -> pl.DataFrame:
    """The leaderboard as published in Excel and CSV: ``Leaderboard.labelled_table()`` without
    the unrounded total (ranking used it; the 方法与权重 sheet says so)."""
    return lb.labelled_table().drop("未取舍总分", strict=False)


def notes_zh(lb: Any) -> pl.DataFrame:
    """The notes, Chinese part only, with phones and ID numbers masked."""
    notes = pl.DataFrame({"note": list(lb.notes)}, schema={"note": pl.String})
    return notes.select(scrub_text(pl.col("note").str.split(" | ").list.first()).alias("说明"))


def method_lines(lb: Any) -> list[tuple[str, str]]:
    """(what, how) pairs describing the computation, in Chinese."""
    from evaltools import scoring

    r = lb.rubric
    lines = [("计分方法", METHOD_ZH.get(r.method, r.method))]
    if r.method != "points":
        norm = r.normalization or scoring.DEFAULT_NORMALIZATION.get(r.method, "—")
        lines.append(("标准化", str(norm)))
    judged = [c for c in r.criteria if c.source == "judges"]
    if judged:
        rules = sorted({scoring.RULE_ZH.get(c.aggregate or r.judge_aggregate,
                                            c.aggregate or r.judge_aggregate) for c in judged})
        text = "、".join(rules) + f"；每项至少 {r.min_judges} 位评委"
        if r.judge_fallback:
            text += f"，不足时改用{scoring.RULE_ZH.get(r.judge_fallback, r.judge_fallback)}"
        lines.append(("评委打分汇总", text))
    if any(c.source == "ratings" for c in r.criteria):
        lines.append(("满意率口径", scoring.satisfaction_definition(r).split(" | ")[0]))
    lines.append(("并列规则", TIES_ZH.get(r.ties, r.ties)
                  + (f"；得分相同时依次比较：{'、'.join(_breaker_names(r))}"
                     if r.tie_breakers else "")))
    lines.append(("取舍规则", f"按未取舍的总分排名；公示分数{ROUNDING_ZH.get(r.rounding, r.rounding)}"
                  f"保留 {r.digits} 位小数"))
    if r.grades:
        bands = sorted(r.grades, key=lambda b: -b.min)
        lines.append(("等级", "；".join(f"{b.name}：{b.min:g} 分及以上" for b in bands)))
    if r.stars:
        lines.append(("星级", "每达到一项标准得一颗星（最多五星）："
                      + "；".join(_star_text(s, r) for s in r.stars)))
    for rules, kind in ((r.deductions, "扣分"), (r.bonuses, "加分")):
        if rules:
            lines.append((kind, "；".join(
                f"{d.name or d.item}每处{d.points:g}分" + (f"，最多{d.cap:g}分" if d.cap else "")
                + (f"（从“{r.criterion(d.criterion).name}”中扣除，扣完为止）"
                   if getattr(d, "criterion", None) else "")
                for d in rules)))
    if r.vetoes:
        lines.append(("一票否决", "；".join(
            f"{v.name or v.item}：" + ("取消评比资格" if v.action == "disqualify"
                                      else f"等级定为{v.grade}") for v in r.vetoes)))
    return lines


def _breaker_names(r: Any) -> list[str]:
    names = {c.id: c.name for c in r.criteria}
    return [("总分" if b == "total" else names.get(b, b)) for b in r.tie_breakers]


def _star_text(s: Any, r: Any) -> str:
    if s.criterion is not None and s.min_share is not None:
        return f"{s.name}（{r.criterion(s.criterion).name}得分率≥{s.min_share:.0%}）"
    if s.min_total is not None:
        return f"{s.name}（总分≥{s.min_total:g}）"
    return s.name


def weights_table(lb: Any) -> pl.DataFrame:
    """One row per criterion: 一级指标, 指标, 来源, 汇总方式, 方向, 满分 (points) or 权重 (MCDA
    methods: the weights in effect, normalised to sum 1)."""
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
        aggregates.append(scoring.RULE_ZH.get(rule, rule))
    return pl.DataFrame({
        "一级指标": [c.group or "" for c in r.criteria],
        "指标": [c.name for c in r.criteria],
        "指标编号": [c.id for c in r.criteria],
        "来源": [SOURCE_ZH.get(c.source, c.source) for c in r.criteria],
        "汇总方式": aggregates,
        "方向": ["越大越好" if c.direction == "max" else "越小越好" for c in r.criteria],
        wname: w,
    })


def satisfaction_table(lb: Any) -> pl.DataFrame | None:
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
    return (names.join(s, on="unit_id", how="inner").sort("rank", "unit_id", nulls_last=True)
            .select(pl.col("unit_id").alias("单位编号"), pl.col("name").alias("名称"),
                    pl.col("n").cast(pl.Int64).alias("有效评价数"),
                    pl.col("n_satisfied").cast(pl.Float64).alias("满意数"),
                    pl.col("satisfaction_rate").alias("满意率"),
                    pl.col("wilson_lower").alias("满意率下限"),
                    pl.col("wilson_upper").alias("满意率上限"),
                    pl.col("mean").alias("平均分"),
                    pl.col("bayesian_average").alias("贝叶斯平均"),
                    pl.col("satisfied_definition").alias("满意口径")))


def comments_table(lb: Any) -> pl.DataFrame | None:
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


def judges_table(lb: Any) -> pl.DataFrame | None:
    """The judges' raw scores of the published round (judges by id and role, never by name)."""
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
    return (s.join(lb.table.select("unit_id", "name"), on="unit_id", how="left")
            .sort("round", "unit_id", "criterion", "judge_id")
            .select(pl.col("round").alias("轮次"), pl.col("unit_id").alias("单位编号"),
                    pl.col("name").alias("名称"),
                    pl.col("criterion").replace_strict(names, default=pl.col("criterion"))
                    .alias("指标"),
                    pl.col("judge_id").alias("评委编号"), pl.col("role").alias("评委身份"),
                    pl.col("score").alias("得分")))


def values_table(lb: Any) -> pl.DataFrame:
    """Per unit and criterion: aggregated value, max points or weight, points (分项得分)."""
    from evaltools import scoring

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
        pl.col("rule").replace_strict(scoring.RULE_ZH, default=pl.col("rule")).alias("汇总方式"),
        pl.col("n").alias("评委或评价数"),
        pl.col("value").alias("汇总值"),
        pl.col("weight").alias("满分" if r.method == "points" else "权重"),
        pl.col("points_raw").alias("扣分前得分"),
        pl.col("deduction").alias("扣分"),
        pl.col("points").alias("得分"),
        pl.col("share").alias("得分率") if "share" in v.columns else pl.lit(None, pl.Float64)
        .alias("得分率"),
    )


def with_intervals(lb: Any, intervals: Any) -> Any:
    """The leaderboard with ``rank_lower`` / ``rank_upper`` joined onto its table, from a
    :class:`evaltools.robustness.RankIntervals` or a frame with ``unit_id``, ``rank_lower``,
    ``rank_upper`` (None: unchanged)."""
    if intervals is None:
        return lb
    frame = getattr(intervals, "table", intervals)
    require_columns(frame, ("unit_id", "rank_lower", "rank_upper"), what_zh="名次区间表",
                    what_en="the rank-interval table", error=UsageError,
                    fix_zh="请传入 robustness.rank_intervals(...) 的结果",
                    fix_en="pass the result of robustness.rank_intervals(...)")
    table = lb.table.drop("rank_lower", "rank_upper", strict=False).join(
        frame.select(pl.col("unit_id").cast(pl.String), "rank_lower", "rank_upper"),
        on="unit_id", how="left")
    return lb._replace(table=table)


def default_sections(lb: Any) -> dict[str, pl.DataFrame]:
    """Sections published when the dataset has the data: 民情速递站 (ticket KPIs by street, with
    their definitions, :func:`evaltools.kpi.ticket_kpis`) and 晒最美 (each round's winners,
    :func:`evaltools.campaign.analyze_campaign`). A part that cannot be computed is left out
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
            from evaltools import campaign

            won = campaign.analyze_campaign(ds).winners()
            keep = [c for c in ("round", "category", "entry_id", "unit_id", "title", "votes",
                                "share_in_category", "flagged_votes", "votes_recount")
                    if c in won.columns]
            out["晒最美"] = won.select(keep).rename(
                {c: campaign.ENTRY_LABELS.get(c, c) for c in keep})
        except (EvalToolsError, ImportError) as exc:
            warnings.warn(f"晒最美部分未发布 | campaign results not published: {exc}",
                          EvalToolsWarning, stacklevel=2)
    return out
