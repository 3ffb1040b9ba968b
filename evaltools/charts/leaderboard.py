"""Leaderboard charts: totals, units × criteria heatmap, stacked contributions, judge leniency.

Every function returns an *unconfigured* altair chart (compose with ``+``, ``|``, ``&``; the
``evaltools`` theme sets the CJK font once, at export). Charts draw what the leaderboard already
holds: they never compute scores. Labels are Chinese; units are shown by name (unit id when the
units table has no name).

Examples
--------
>>> import altair as alt
>>> from evaltools.examples import two_buildings
>>> lb = two_buildings()
>>> spec = leaderboard_bars(lb).to_dict()
>>> spec["layer"][0]["mark"]["type"], spec["layer"][0]["encoding"]["x"]["field"]
('bar', 'total')
>>> criteria_heatmap(lb).to_dict()["layer"][0]["encoding"]["color"]["field"]
'share'
>>> contributions(lb).config is alt.Undefined   # unconfigured: still composable
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import altair as alt
import polars as pl

if TYPE_CHECKING:
    from evaltools.leaderboard import Leaderboard
    from evaltools.rubric import Rubric

__all__ = [
    "contributions", "criteria_heatmap", "judge_leniency", "leaderboard_bars", "poster_chart",
    "score_text",
]

#: rank-interval columns a robustness analysis may add to ``Leaderboard.table``
RANK_INTERVAL = ("rank_lower", "rank_upper")
#: total-interval columns (whiskers on the total axis) a robustness analysis may add
TOTAL_INTERVAL = ("total_low", "total_high")


class RankedBoard(Protocol):
    """What the totals charts read of a board: its ranked ``table`` and its ``rubric`` (a
    :class:`~evaltools.leaderboard.Leaderboard`, or the weight explorer's rows shown)."""

    @property
    def table(self) -> pl.DataFrame: ...

    @property
    def rubric(self) -> Rubric: ...


def score_text(col: str | pl.Expr, digits: int = 2) -> pl.Expr:
    """Scores as text with exactly ``digits`` decimals, rounded 四舍五入 (93.7 → "93.70")."""
    from evaltools.rounding import round_half_up

    return round_half_up(col, digits).cast(pl.Decimal(38, digits)).cast(pl.String)


def _digits(lb: RankedBoard | pl.DataFrame) -> int:
    rubric = getattr(lb, "rubric", None)
    return rubric.digits if rubric is not None else 2


def _table(lb: RankedBoard | pl.DataFrame) -> pl.DataFrame:
    return lb.table if hasattr(lb, "table") else lb


def _display(table: pl.DataFrame) -> pl.DataFrame:
    """Add ``单位`` (name, else id) — unique even when two units share a name."""
    name = pl.coalesce(pl.col("name"), pl.col("unit_id")) if "name" in table.columns \
        else pl.col("unit_id")
    dup = name.is_duplicated()
    return table.with_columns(
        pl.when(dup).then(pl.format("{}（{}）", name, pl.col("unit_id"))).otherwise(name)
        .alias("单位"))


#: the most units a chart draws, and the most rows it hands Vega (altair refuses more than 5,000
#: rows; Vega cannot draw a canvas 6,000 bars tall). A city's leaderboard (thousands of units) is
#: charted as its top units, and the title says so; the tables always list every unit.
MAX_CHART_UNITS = 100
MAX_CHART_ROWS = 1500


def _ranked(lb: RankedBoard | pl.DataFrame, top: int | None, *, rows_per_unit: int = 1) -> pl.DataFrame:
    """The ranked units to chart, in rank order (disqualified and not-scored units left out):
    ranks 1..``top``, and at most :data:`MAX_CHART_UNITS` (fewer when each unit is
    ``rows_per_unit`` rows, so the chart stays within :data:`MAX_CHART_ROWS`)."""
    table = _table(lb)
    keep = ~pl.col("disqualified").fill_null(False) if "disqualified" in table.columns \
        else pl.lit(True)
    if "rank" in table.columns:  # 未参评 units have no rank
        keep = keep & pl.col("rank").is_not_null()
    t = _display(table).filter(keep)
    if top is not None:
        t = t.filter(pl.col("rank") <= top)
    return t.head(max(1, min(MAX_CHART_UNITS, MAX_CHART_ROWS // max(rows_per_unit, 1))))


def _of_all(lb: Any, shown: pl.DataFrame, top: int | None, title: str) -> str:
    """``title``, saying when the chart shows only the top units of a large board."""
    table = _table(lb)
    keep = pl.col("rank").is_not_null() if "rank" in table.columns else pl.lit(True)
    if "disqualified" in table.columns:
        keep = keep & ~pl.col("disqualified").fill_null(False)
    if top is not None and "rank" in table.columns:
        keep = keep & (pl.col("rank") <= top)
    n = table.filter(keep).height
    if shown.height >= n:
        return title
    return f"{title}（前{shown.height}名，共{n}个单位；完整名单见榜单表格）"


def leaderboard_bars(lb: RankedBoard, *, top: int | None = None, title: str | None = None,
                     ) -> alt.LayerChart:
    """Horizontal bars of the published totals in rank order, labelled with the total.

    ``top`` keeps ranks 1..top (ties at the boundary kept). When the table carries
    ``total_low``/``total_high``, whiskers show that interval; when it carries ``rank_lower`` /
    ``rank_upper`` (:func:`evaltools.robustness.rank_intervals`), the label adds the rank
    interval (名次区间).
    Disqualified units are left out.
    """
    t = _ranked(lb, top)
    cols = set(t.columns)
    label = pl.format("{} {}", pl.col("rank_label"), score_text("total", _digits(lb)))
    if set(RANK_INTERVAL) <= cols:
        label = pl.format("{}（名次区间 {}–{}）", label, pl.col("rank_lower"),
                          pl.col("rank_upper"))
    t = t.with_columns(label.alias("标注"))
    keep = ["单位", "unit_id", "rank", "rank_label", "total", "标注",
            *[c for c in (*TOTAL_INTERVAL, *RANK_INTERVAL, "grade") if c in cols]]
    t = t.select(keep)
    order = t["单位"].to_list()
    base = alt.Chart(t).encode(
        y=alt.Y("单位:N", sort=order, title=None),
    )
    bars = base.mark_bar(color="#c0392b").encode(
        x=alt.X("total:Q", title="总分"),
        tooltip=[alt.Tooltip("rank_label:N", title="排名"), alt.Tooltip("单位:N"),
                 alt.Tooltip("total:Q", title="总分")],
    )
    text = base.mark_text(align="left", dx=3, fontSize=11).encode(
        x=alt.X("total:Q"), text=alt.Text("标注:N"))
    layers: list[alt.Chart] = [bars]
    if set(TOTAL_INTERVAL) <= cols:
        layers.append(base.mark_rule(color="#333").encode(
            x=alt.X("total_low:Q"), x2=alt.X2("total_high:Q")))
    layers.append(text)
    chart = alt.layer(*layers)
    assert isinstance(chart, alt.LayerChart)  # no facet encodings: alt.layer hoists none
    return chart.properties(width=420, height=alt.Step(20),
                            title=title or _of_all(lb, t, top, "总分排名"))


def criteria_heatmap(lb: Leaderboard, *, top: int | None = None) -> alt.LayerChart:
    """Units (rows, rank order) × criteria (columns): colour = 得分率 (points / max points or
    the method's normalised value), text = points.

    Uses ``Leaderboard.values`` (``share`` column) and the rubric's criterion names.
    """
    from evaltools.rounding import round_half_up

    t = _ranked(lb, top, rows_per_unit=len(lb.rubric.criteria)).select("unit_id", "单位", "rank")
    names = {c.id: c.name for c in lb.rubric.criteria}
    v = lb.values
    share = pl.col("share") if "share" in v.columns else pl.col("normalized")
    d = (v.select("unit_id", "criterion", share.alias("share"), pl.col("points"))
         .join(t, on="unit_id", how="inner")
         .with_columns(指标=pl.col("criterion").replace_strict(names, default=pl.col("criterion")),
                       得分=round_half_up("points", 1)))
    order = t["单位"].to_list()
    crit_order = [names[c] for c in lb.rubric.criterion_ids]
    base = alt.Chart(d).encode(
        x=alt.X("指标:N", sort=crit_order, title=None, axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("单位:N", sort=order, title=None),
    )
    rect = base.mark_rect().encode(
        color=alt.Color("share:Q", title="得分率", scale=alt.Scale(scheme="redyellowgreen",
                                                                   domain=[0, 1])),
        tooltip=[alt.Tooltip("单位:N"), alt.Tooltip("指标:N"),
                 alt.Tooltip("得分:Q"), alt.Tooltip("share:Q", title="得分率", format=".0%")],
    )
    text = base.mark_text(fontSize=10).encode(text=alt.Text("得分:Q", format=".1f"))
    chart = alt.layer(rect, text)
    assert isinstance(chart, alt.LayerChart)  # no facet encodings: alt.layer hoists none
    return chart.properties(width=alt.Step(56), height=alt.Step(18),
                            title=_of_all(lb, t, top, "各指标得分率"))


def contributions(lb: RankedBoard, *, top: int | None = None) -> alt.Chart:
    """Stacked bars: each unit's points per criterion (what its total is made of)."""
    t = _ranked(lb, top, rows_per_unit=len(lb.rubric.criteria))
    names = {c.id: c.name for c in lb.rubric.criteria}
    ids = list(lb.rubric.criterion_ids)
    long = (t.select("单位", *ids)
            .unpivot(index="单位", on=ids, variable_name="criterion", value_name="得分")
            .with_columns(指标=pl.col("criterion").replace_strict(names)))
    order = t["单位"].to_list()
    return alt.Chart(long).mark_bar().encode(
        y=alt.Y("单位:N", sort=order, title=None),
        x=alt.X("sum(得分):Q", title="得分"),
        color=alt.Color("指标:N", sort=[names[c] for c in ids], title="指标"),
        order=alt.Order("criterion:N"),
        tooltip=[alt.Tooltip("单位:N"), alt.Tooltip("指标:N"), alt.Tooltip("得分:Q", format=".2f")],
    ).properties(width=420, height=alt.Step(18), title=_of_all(lb, t, top, "总分构成"))


def judge_leniency(report: Any) -> alt.Chart:
    """Bars of each judge's leniency (mean score − panel mean on the same cells; > 0 宽松,
    < 0 严格), outliers in red.

    ``report``: a :func:`evaltools.judging.judge_report` frame (``judge_id``, ``leniency``,
    ``outlier``), or a Leaderboard (its round's judges' scores are reported).
    Judges are shown by id, never by name.
    """
    if hasattr(report, "dataset"):
        from evaltools.judging import judge_report

        lb = report
        scores = lb.dataset.scores
        if isinstance(lb.round, int):
            scores = scores.filter(pl.col("round") == lb.round)
        judged = [c.id for c in lb.rubric.criteria if c.source == "judges"]
        report = judge_report(scores.filter(pl.col("criterion").is_in(judged)))
    d = report.select("judge_id", "leniency", pl.col("outlier").fill_null(False)).with_columns(
        方向=pl.when(pl.col("outlier")).then(pl.lit("需复核"))
        .when(pl.col("leniency") >= 0).then(pl.lit("偏宽松")).otherwise(pl.lit("偏严格")))
    return alt.Chart(d).mark_bar().encode(
        x=alt.X("leniency:Q", title="宽严度（评委分 − 同组平均分）"),
        y=alt.Y("judge_id:N", sort="-x", title="评委"),
        color=alt.Color("方向:N", title=None,
                        scale=alt.Scale(domain=["偏宽松", "偏严格", "需复核"],
                                        range=["#e67e22", "#2980b9", "#c0392b"])),
        tooltip=[alt.Tooltip("judge_id:N", title="评委"),
                 alt.Tooltip("leniency:Q", title="宽严度", format=".2f")],
    ).properties(width=360, height=alt.Step(18), title="评委宽严度")


def poster_chart(lb: RankedBoard, *, top: int = 10, title: str = "光荣榜", subtitle: str = "") -> alt.Chart:
    """A poster of ranks 1..top: rank, unit and street on the left, a bar with the total, and
    the stars (or grade) on the right. Unconfigured; export with :func:`evaltools.charts.to_png`.
    """
    t = _ranked(lb, top)
    n = pl.col("stars").fill_null(0).clip(0, 5) if "stars" in t.columns else pl.lit(0)
    has_stars = bool(lb.rubric.stars) if hasattr(lb, "rubric") else False
    t = t.with_columns(
        总分=score_text("total", _digits(lb)),
        街道=pl.coalesce(pl.col("street"), pl.lit("")) if "street" in t.columns else pl.lit(""),
        星级=(pl.lit("★★★★★").str.slice(0, n) if has_stars
              else pl.coalesce(pl.col("grade"), pl.lit("")) if "grade" in t.columns
              else pl.lit("")),
    ).select("单位", "rank", "rank_label", "total", "总分", "街道", "星级")
    order = t["单位"].to_list()
    y = alt.Y("单位:N", sort=order, axis=None)
    base = alt.Chart(t).encode(y=y)
    rank = base.mark_text(align="right", fontSize=16, fontWeight="bold", color="#b22222").encode(
        text="rank_label:N", x=alt.value(76)).properties(width=80)
    unit = base.mark_text(align="left", fontSize=16).encode(
        text="单位:N", x=alt.value(0)).properties(width=190)
    street = base.mark_text(align="left", fontSize=13, color="#666").encode(
        text="街道:N", x=alt.value(0)).properties(width=90)
    bar = alt.layer(
        base.mark_bar(color="#c0392b", cornerRadiusEnd=3).encode(
            x=alt.X("total:Q", axis=None, scale=alt.Scale(domainMin=0))),
        base.mark_text(align="left", dx=4, fontSize=15, fontWeight="bold").encode(
            x="total:Q", text="总分:N"),
    ).properties(width=280)
    stars = base.mark_text(align="left", fontSize=15, color="#d4a017").encode(
        text="星级:N", x=alt.value(0)).properties(width=100)
    return alt.hconcat(rank, unit, street, bar, stars, spacing=8).resolve_scale(y="shared") \
        .properties(padding=16, title=alt.Title(title, subtitle=subtitle or alt.Undefined, fontSize=26,
                                    subtitleFontSize=14, anchor="middle", color="#b22222",
                                    offset=12))
