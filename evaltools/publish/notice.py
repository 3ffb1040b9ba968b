"""The 公示 as a government notice: title, opening, guards, per-building detail, index, 晒最美 recount,
objections and 落款 — the parts of the page that make it a notice an office can sign.

Everything a reader sees goes through :mod:`evaltools.labels` (no codes, no ids but the units'
own); per-building detail is built for all units at once (polars), with no script on the page.
"""

from __future__ import annotations

import html
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl

from evaltools import labels
from evaltools.errors import EvalToolsError, Problem
from evaltools.publish.audit import rubric_changed
from evaltools.publish.memo import per_leaderboard
from evaltools.publish.privacy import html_escape, judge_aliases
from evaltools.publish.tables import score_text_expr

__all__ = [
    "check_publishable",
    "date_zh",
    "detail_html",
    "index_html",
    "is_draft",
    "maximum_total",
    "notice_title",
    "objection_text",
    "opening_text",
    "period_text",
    "round_label",
    "signature_html",
    "star_names",
]


def _e(text: object) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def date_zh(d: date) -> str:
    """A date as a notice writes it: 2024年5月1日."""
    return f"{d.year}年{d.month}月{d.day}日"


def round_label(lb: Any) -> str:
    """第6轮 / 各轮平均; a competition with a single round (or none) is named by the rubric's
    ``period`` instead (a one-off competition has no 第1轮)."""
    if lb.round == "all":
        return "各轮平均"
    if isinstance(lb.round, int) and (lb.round > 1 or lb.previous_round is not None):
        return f"第{lb.round}轮"
    return ""


def notice_title(lb: Any) -> str:
    """关于<name><round>评比结果的公示 (``[publish] title`` overrides); a draft says so."""
    r = lb.rubric
    if r.notice.title:
        title = r.notice.title
    else:
        # the period only when the name does not already say it (2021年第三季度楼栋评比)
        rnd = round_label(lb) or (f"（{r.period}）" if r.period and r.period not in r.name else "")
        tail = "结果" if r.name.endswith(("评比", "评比赛", "评选", "比赛", "竞赛")) else "评比结果"
        title = f"关于{r.name}{rnd}{tail}的公示"
    return f"{title}（草稿）" if is_draft(lb) else title


def is_draft(lb: Any) -> bool:
    """Weights, method or ties changed in code and not saved as the rubric: not a 公示."""
    return rubric_changed(lb)


def maximum_total(rubric: Any) -> tuple[float, float]:
    """(the competition's full marks, the highest total the rules allow). For the points method
    bonuses may lift a total above full marks, up to the sum of their caps; MCDA scores are
    0–100."""
    if not labels.scale_is_points(rubric):
        return 100.0, 100.0
    room = sum(float(b.cap if b.cap is not None else b.points) for b in rubric.bonuses)
    return float(rubric.total_points), float(rubric.total_points) + room


def check_publishable(lb: Any) -> list[str]:
    """Guards before a page is written; returns the sentences the page must carry.

    A total above the highest total the rules allow is an error (naming the units); a total above
    full marks that bonuses allow is said on the page.
    """
    full, highest = maximum_total(lb.rubric)
    col = "total_unrounded" if "total_unrounded" in lb.table.columns else "total"
    over = lb.table.filter(pl.col(col) > highest + 1e-9)
    if over.height:
        first = over.row(0, named=True)
        ids = "、".join(over["unit_id"].head(10).to_list())
        raise EvalToolsError(Problem(
            None, None, "total", first[col], "total_above_maximum",
            f"总分超过规则允许的最高分 {labels.points_text(highest)} 分（单位：{ids}），不能公示",
            f"totals above the highest the rules allow ({highest:g}) for units {ids}: not "
            "publishable",
            "检查评委打分的量程（scale）、各指标满分和加分上限",
            "check the judges' scale, the criteria's max_points and the bonus caps"))
    notes = []
    if lb.table.filter(pl.col(col) > full + 1e-9).height:
        notes.append(f"本次评比设有加分项，加分后总分可超过满分 {labels.points_text(full)} 分"
                     f"（最高 {labels.points_text(highest)} 分）。")
    if lb.rubric.ties == "average":
        notes.append("并列名次按公示惯例写作“并列第N名”，N 取并列各单位中的最小名次。")
    return notes


def period_text(lb: Any, generated: datetime, notice_start: date | None = None) -> str:
    """公示期 7 天（2024年05月01日 至 2024年05月07日）, or empty when the rubric sets no days."""
    days = lb.rubric.notice_days
    if not days:
        return ""
    start = notice_start or lb.rubric.notice.notice_start or generated.date()
    end = start + timedelta(days=days - 1)
    return f"公示期 {days} 天（{start:%Y年%m月%d日} 至 {end:%Y年%m月%d日}）。"


def objection_text(lb: Any) -> list[str]:
    """How to object, line by line: the invitation, then 受理地址 / 联系电话 / 电子邮箱 / 监督电话
    as far as the rubric gives them."""
    r = lb.rubric
    n = r.notice
    issuer = n.issuer or r.organiser or "主办单位"
    lines = [f"公示期内，如对评比结果有异议，请以书面、电话或电子邮件方式向{issuer}反映；"
             "反映情况须实事求是，以单位名义反映的请加盖公章，以个人名义反映的请署真实姓名。"]
    for key, label in (("address", "受理地址"), ("phone", "联系电话"), ("email", "电子邮箱"),
                       ("supervision_phone", "监督电话")):
        value = getattr(n, key)
        if value:
            lines.append(f"{label}：{value}")
    return lines


def opening_text(lb: Any) -> str:
    """Who evaluated what, when and how, in one paragraph (``[publish] opening`` overrides)."""
    r = lb.rubric
    if r.notice.opening:
        return r.notice.opening
    ds = lb.dataset
    unit = labels.unit_word(r.unit)
    who = r.organiser or "主办单位"
    when = f"于{r.period}" if r.period else ""
    rnd = round_label(lb)
    parts = []
    scores = getattr(ds, "scores", None)
    if scores is not None and scores.height and any(c.source == "judges" for c in r.criteria):
        s = scores.filter(pl.col("round") == lb.round) if isinstance(lb.round, int) else scores
        judges = s["judge_id"].n_unique() if "judge_id" in s.columns else 0
        parts.append(f"由 {judges} 位评委逐项现场评分" if judges else "由评委逐项现场评分")
    ratings = getattr(ds, "ratings", None)
    if ratings is not None and ratings.height and any(c.source == "ratings" for c in r.criteria):
        cards = (ratings["respondent_id"].n_unique() if "respondent_id" in ratings.columns
                 else ratings.height)
        parts.append(f"结合 {cards} 份群众点评卡的满意度测评")
    if any(c.source == "tickets" for c in r.criteria):
        parts.append("结合民情速递站工单办理情况")
    if any(c.source == "campaign" for c in r.criteria):
        parts.append("结合“晒最美”群众投票")
    how = "，".join(parts)
    full, _ = maximum_total(r)
    method = (f"按评分细则（{labels.method_zh(r.method)}，满分 {labels.points_text(full)} 分）"
              if labels.scale_is_points(r) else f"按评分细则（{labels.method_zh(r.method)}）")
    return (f"{who}{when}组织开展{r.name}{('（' + rnd + '）') if rnd else ''}。本次共有 "
            f"{lb.table.height} 个{unit}参评，{how}{'，' if how else ''}{method}计算总分并排名。"
            "现将评比结果予以公示。")


def signature_html(lb: Any, when: date) -> str:
    """落款: the issuing office and the date, bottom right, with a stamp area for print."""
    r = lb.rubric
    issuer = r.notice.issuer or r.organiser or ""
    stamp = ('<div class="stamp" aria-hidden="true">（盖章）</div>' if r.notice.stamp else "")
    return (f'<div id="signature"><div class="sig">{stamp}<p class="issuer">{_e(issuer)}</p>'
            f'<p class="date">{_e(date_zh(when))}</p></div></div>')


# ---------------------------------------------------------------------------------------------
# stars, per-building detail, index


@per_leaderboard
def star_names(lb: Any) -> pl.DataFrame:
    """``unit_id`` and ``star_names`` (卫生星、平安星 …; empty when none, and for disqualified
    units), one row per unit of the table."""
    from evaltools.scoring.board import star_flags

    r = lb.rubric
    t = lb.table.select("unit_id", "total", "disqualified")
    if not r.stars:
        return t.select("unit_id", pl.lit("").alias("star_names"))
    flags = star_flags(t, lb.values, r)
    names = list(dict.fromkeys(s.name for s in r.stars))
    joined = pl.concat_list([pl.when(pl.col(n)).then(pl.lit(n)).otherwise(pl.lit(None, pl.String))
                             for n in names]).list.drop_nulls().list.join("、")
    return (t.join(flags, on="unit_id", how="left")
            .select("unit_id", pl.when(pl.col("disqualified")).then(pl.lit(""))
                    .otherwise(joined).alias("star_names")))


def _num(col: str | pl.Expr, digits: int) -> pl.Expr:
    return score_text_expr(col, digits)


def _judge_text(lb: Any) -> pl.DataFrame | None:
    """Per unit × criterion: judges' scores as 评委1 9.5、评委2 …, numbered as in every other
    published file (:func:`evaltools.publish.privacy.judge_aliases`: 评委3 is the same person
    on every building, in the workbook and in the audit), never by name unless the rubric's
    ``[publish] judge_names = true``."""
    scores = getattr(lb.dataset, "scores", None)
    if scores is None or scores.height == 0 or not isinstance(lb.round, int):
        return None
    s = scores.filter(pl.col("round") == lb.round).select(
        pl.col("unit_id").cast(pl.String), pl.col("criterion").cast(pl.String),
        pl.col("judge_id").cast(pl.String), pl.col("score").cast(pl.Float64))
    aliases = judge_aliases(lb).with_row_index("k")
    s = s.join(aliases, on="judge_id", how="left").sort("k")
    text = pl.format("{}：{}", "published", pl.col("score").round(2).cast(pl.String)
                     .str.strip_suffix(".0"))
    return s.group_by("unit_id", "criterion").agg(
        judges=text.str.join("，"),
        high=pl.col("score").max(), low=pl.col("score").min(), n_scores=pl.len())


def detail_html(lb: Any) -> pl.DataFrame:
    """``unit_id`` and ``detail``: each unit's explain() in Chinese as an HTML fragment (criteria
    with judges' scores, what was dropped, deductions with reasons, bonuses, vetoes, stars, rank
    interval). Built for all units at once."""
    r = lb.rubric
    d = r.digits
    v = lb.values
    if isinstance(lb.round, int) and "round" in v.columns:
        v = v.filter(pl.col("round") == lb.round)
    judges = _judge_text(lb)
    if judges is not None:
        v = v.join(judges, on=["unit_id", "criterion"], how="left")
    else:
        v = v.with_columns(judges=pl.when(pl.col("raw").list.len() > 0).then(
            pl.col("raw").list.eval(pl.element().round(2).cast(pl.String)
                                    .str.strip_suffix(".0")).list.join("，")),
            high=pl.col("raw").list.max(), low=pl.col("raw").list.min(),
            n_scores=pl.col("raw").list.len().cast(pl.UInt32))
    dropped = (pl.when((pl.col("rule") == "trimmed_mean") & (pl.col("n_scores") >= 3))
               .then(pl.format("；去掉最高分 {}、最低分 {}",
                               pl.col("high").round(2).cast(pl.String).str.strip_suffix(".0"),
                               pl.col("low").round(2).cast(pl.String).str.strip_suffix(".0")))
               .otherwise(pl.lit("")))
    order = {c.id: i for i, c in enumerate(r.criteria)}
    points_word = "满分" if labels.scale_is_points(r) else "权重"
    weight_text = (_num("weight", d) if labels.scale_is_points(r) else _num("weight", 4))
    crit_rows = v.with_columns(_o=pl.col("criterion").replace_strict(order, default=len(order))) \
        .sort("unit_id", "_o").select(
        "unit_id",
        pl.format("<tr><td>{}</td><td>{}{}</td><td>{}</td><td class=\"num\">{}</td>"
                  "<td class=\"num\">{}</td></tr>",
                  html_escape("criterion_name"),
                  html_escape(pl.coalesce(pl.col("judges"), pl.lit("—"))),
                  html_escape(dropped),
                  html_escape(pl.col("rule").replace_strict(labels.RULE_ZH,
                                                            default=pl.col("rule"))),
                  _num("points", d).fill_null("—"),
                  weight_text.fill_null("—")).alias("row"))
    crit = crit_rows.group_by("unit_id", maintain_order=True).agg(pl.col("row").str.join(""))

    adj = lb.adjustments
    if isinstance(lb.round, int) and "round" in adj.columns:
        adj = adj.filter(pl.col("round") == lb.round)
    names = labels.criterion_names(r)
    where = (pl.when(pl.col("criterion").is_not_null())
             .then(pl.format("，从“{}”中扣除",
                             pl.col("criterion").replace_strict(names, default=pl.col("criterion"))))
             .when(pl.col("kind") == "扣分").then(pl.lit("，从总分中扣除"))
             .otherwise(pl.lit("，计入总分")))
    capped = (pl.when(pl.col("cap").is_not_null()
                      & (pl.col("applied") < pl.col("count") * pl.col("points_each") - 1e-9))
              .then(pl.format("（达到上限 {} 分）", _num("cap", d))).otherwise(pl.lit("")))
    adj_items = adj.select(
        "unit_id", "kind",
        pl.when(pl.col("kind") == "否决")
        .then(pl.format("<li>一票否决：{}，{}</li>", html_escape("item_name"),
                        pl.when(pl.col("action") == "disqualify").then(pl.lit("取消评比资格"))
                        .otherwise(pl.format("等级定为{}", html_escape(
                            pl.col("action").str.strip_prefix("grade:"))))))
        .otherwise(pl.format("<li>{}：{} {} 处 × {} 分 = {} 分{}{}</li>", "kind",
                             html_escape("item_name"), "count", _num("points_each", d),
                             _num("applied", d), capped, where)).alias("li"))
    adj_html = adj_items.group_by("unit_id", maintain_order=True).agg(pl.col("li").str.join(""))

    t = lb.table.join(star_names(lb), on="unit_id", how="left")
    head = ('<table class="explain"><thead><tr><th>指标</th><th>评委打分</th><th>汇总方式</th>'
            f'<th class="num">得分</th><th class="num">{points_word}</th></tr></thead><tbody>')
    interval = (pl.format("<p>名次区间：第{}至{}名（重新抽样评委和点评卡后名次可能落在的范围）</p>",
                          "rank_lower", "rank_upper")
                if {"rank_lower", "rank_upper"} <= set(t.columns) else pl.lit(""))
    stars = pl.when(pl.col("star_names").fill_null("") != "").then(
        pl.format("<p>获得星级：{}</p>", html_escape("star_names"))).otherwise(
        pl.lit("<p>获得星级：—</p>")) if r.stars else pl.lit("")
    out = (t.select("unit_id", "total", "star_names", *(c for c in ("rank_lower", "rank_upper")
                                                          if c in t.columns))
           .join(crit, on="unit_id", how="left").join(adj_html, on="unit_id", how="left")
           .select("unit_id", pl.concat_str(
               pl.lit('<details class="detail"><summary>计分明细</summary>'),
               pl.lit(head), pl.col("row").fill_null(""), pl.lit("</tbody></table>"),
               pl.when(pl.col("li").is_not_null())
               .then(pl.format('<ul class="adjustments">{}</ul>', "li"))
               .otherwise(pl.lit("<p>无扣分、加分。</p>")),
               stars, interval,
               pl.format("<p>总分：{} 分</p>", _num("total", d).fill_null("—")),
               pl.lit("</details>")).alias("detail")))
    return out


def index_html(lb: Any) -> str:
    """A street → community → building index with links to each building's anchor."""
    t = lb.table.select("unit_id", "name", "street", "community")
    if t.height == 0 or (t["street"].null_count() == t.height
                         and t["community"].null_count() == t.height):
        return ""  # no unit names its street or community: nothing to look up by
    t = t.with_columns(pl.col("street").fill_null("其他"), pl.col("community").fill_null("其他"))
    links = t.sort("unit_id").select(
        "street", "community",
        pl.format('<a href="#{}">{}</a>', html_escape("unit_id"),
                  html_escape(pl.coalesce("name", "unit_id"))).alias("a"))
    comm = (links.group_by("street", "community", maintain_order=False)
            .agg(pl.col("a").str.join("、")).sort("street", "community")
            .select("street", pl.format("<dd><b>{}</b>：{}</dd>", html_escape("community"),
                                        "a").alias("dd")))
    streets = (comm.group_by("street", maintain_order=True).agg(pl.col("dd").str.join(""))
               .sort("street").select(pl.format("<dt>{}</dt>{}", html_escape("street"), "dd")
                                      .str.join("")).item())
    return ('<nav id="index"><details><summary>按街道、社区查找本楼栋（点击展开）</summary>'
            f'<dl class="index">{streets}</dl></details></nav>')
