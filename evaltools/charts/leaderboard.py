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

from typing import TYPE_CHECKING, Any

import altair as alt
import polars as pl

from evaltools.chartdata import (
    MAX_CHART_ROWS,
    MAX_CHART_UNITS,
    POSTER_MARGIN,
    POSTER_WIDTH,
    RANK_INTERVAL,
    TOTAL_INTERVAL,
    RankedBoard,
    bar_labels,
    chart_title,
    criteria_cells,
    digits_of,
    display_names,
    poster_baseline,
    poster_rows,
    ranked_units,
    score_text,
    score_text_value,
    table_of,
)

if TYPE_CHECKING:
    from evaltools.leaderboard import Leaderboard

__all__ = [
    "MAX_CHART_ROWS", "MAX_CHART_UNITS", "POSTER_MARGIN", "POSTER_WIDTH", "RANK_INTERVAL",
    "ROW_ORDER", "TOTAL_INTERVAL", "RankedBoard", "contributions", "criteria_heatmap",
    "judge_leniency", "leaderboard_bars", "poster_baseline", "poster_chart", "score_text",
    "score_text_value", "total_rows", "total_rows_title",
]

# What the charts show is decided in evaltools.chartdata, shared with the figures publishing draws
# without Vega (evaltools.publish.figures); the names stay importable from here.
_digits = digits_of
_table = table_of
_display = display_names
_ranked = ranked_units
_of_all = chart_title


#: the column of :func:`total_rows` (with ``order=True``) and :func:`evaltools.charts.units.
#: weight_rows` that a chart reading a named dataset sorts its bars by (their row order)
ROW_ORDER = "顺序"


def total_rows(lb: RankedBoard, *, top: int | None = None, order: bool = False) -> pl.DataFrame:
    """The rows :func:`leaderboard_bars` draws, in rank order: 单位, unit_id, rank, rank_label,
    total, 标注 (rank label and total with the rubric's decimals), and the interval and grade
    columns the table has. With ``order``, also :data:`ROW_ORDER` (0, 1, 2 …), what the
    bars are sorted by when the chart reads them from a named dataset (``data_name``).

    Examples
    --------
    >>> from evaltools.examples import two_buildings
    >>> total_rows(two_buildings(), order=True).select("单位", "标注", "顺序").rows()
    [('A', '第1名 94.00', 0), ('B', '第2名 80.00', 1)]
    """
    t = _ranked(lb, top)
    cols = set(t.columns)
    t = t.with_columns(bar_labels(lb, t))
    keep = ["单位", "unit_id", "rank", "rank_label", "total", "标注",
            *[c for c in (*TOTAL_INTERVAL, *RANK_INTERVAL, "grade") if c in cols]]
    t = t.select(keep)
    return t.with_row_index(ROW_ORDER).select(*keep, ROW_ORDER) if order else t


def total_rows_title(lb: RankedBoard, rows: pl.DataFrame, *, top: int | None = None) -> str:
    """The title :func:`leaderboard_bars` gives the ``rows`` of :func:`total_rows`: 总分排名,
    saying when they are only the top units of a large board."""
    return _of_all(lb, rows, top, "总分排名")


def leaderboard_bars(lb: RankedBoard, *, top: int | None = None, title: str | None = None,
                     data_name: str | None = None) -> alt.LayerChart:
    """Horizontal bars of the published totals in rank order, labelled with the total.

    ``top`` keeps ranks 1..top (ties at the boundary kept). When the table carries
    ``total_low``/``total_high``, whiskers show that interval; when it carries ``rank_lower`` /
    ``rank_upper`` (:func:`evaltools.robustness.rank_intervals`), the label adds the rank
    interval (名次区间).
    Disqualified units are left out.

    ``data_name``: the chart holds no rows but reads the named dataset ``data_name``, whose
    rows are :func:`total_rows` with ``order=True`` (the bars sorted by :data:`ROW_ORDER`), so a
    viewer can swap the rows without a new spec (the weight explorer in the browser). The
    spec depends on the board only through the interval columns and the title.
    """
    t = total_rows(lb, top=top)
    cols = set(t.columns)
    if data_name is None:
        base = alt.Chart(t).encode(y=alt.Y("单位:N", sort=t["单位"].to_list(), title=None))
    else:
        base = alt.Chart(alt.Data(name=data_name)).encode(
            y=alt.Y("单位:N", sort=alt.EncodingSortField(ROW_ORDER, op="min"), title=None))
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
                            title=title or total_rows_title(lb, t, top=top))


def criteria_heatmap(lb: Leaderboard, *, top: int | None = None) -> alt.LayerChart:
    """Units (rows, rank order) × criteria (columns): colour = 得分率 (points / max points or
    the method's normalised value), text = points.

    Uses ``Leaderboard.values`` (``share`` column) and the rubric's criterion names.
    """
    t, d, crit_order = criteria_cells(lb, top)
    order = t["单位"].to_list()
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



def poster_chart(lb: Any, *, top: int = 10, title: str = "光荣榜", subtitle: str = "",
                 footer: str = "", qr: str | None = None) -> alt.VConcatChart:
    """A portrait poster of ranks 1..top for a WeChat group (:data:`POSTER_WIDTH` units wide:
    1080 px at scale 2): one row per unit — rank, name and street above, a bar of the total
    with its value and the gap to the first below, stars on the right.

    Bars start at :func:`poster_baseline` (said under the list) so close totals look
    different. ``footer`` is a line under the list (organiser, date); ``qr`` an image URL (a
    ``data:image/png;base64,…`` QR code to the page) drawn beside it. Unconfigured; export with
    :func:`evaltools.charts.to_png`.
    """
    t, base, best = poster_rows(lb, top)
    order = t["单位"].to_list()
    high = best if best is not None else 1.0
    top_x = high + max(high - base, 1e-9) * 0.75
    x = alt.X("total:Q", axis=None, scale=alt.Scale(domain=[base, top_x], zero=False, nice=False,
                                                    clamp=True))
    y = alt.Y("单位:N", sort=order, axis=None)
    row = alt.Chart(t).encode(y=y)
    width = POSTER_WIDTH - 2 * POSTER_MARGIN
    rows = alt.layer(
        row.mark_text(align="left", baseline="middle", dy=-14, fontSize=17, fontWeight="bold",
                      color="#b22222").encode(text="rank_label:N", x=alt.value(0)),
        row.mark_text(align="left", baseline="middle", dy=-14, fontSize=17, fontWeight="bold",
                      limit=width - 210).encode(text="单位:N", x=alt.value(100)),
        row.mark_text(align="right", baseline="middle", dy=-14, fontSize=13, color="#666")
        .encode(text="街道:N", x=alt.value(width)),
        row.mark_bar(color="#c0392b", height=14, yOffset=12, cornerRadiusEnd=3).encode(
            x=x, x2="base:Q"),
        row.mark_text(align="left", baseline="middle", dx=6, dy=12, fontSize=15,
                      fontWeight="bold").encode(x=x, text="总分:N"),
        row.mark_text(align="left", baseline="middle", dx=62, dy=12, fontSize=12, color="#888")
        .encode(x=x, text="差距:N"),
        row.mark_text(align="right", baseline="middle", dy=12, fontSize=16, color="#d4a017")
        .encode(text="星级:N", x=alt.value(width)),
    ).properties(width=width, height=alt.Step(62))
    note = (f"条形从 {score_text_value(base, 0)} 分画起，便于看清分差；数字为公示总分"
            if base > 0 else "条形长度为公示总分")
    lines = [line for line in (note, footer) if line]
    foot_data = pl.DataFrame({"line": lines, "y": [24 * i for i in range(len(lines))]})
    foot = alt.Chart(foot_data).mark_text(align="left", baseline="top", fontSize=13,
                                          color="#555").encode(
        text="line:N", x=alt.value(0), y=alt.Y("y:Q", scale=None, axis=None))
    parts: list[Any] = [foot]
    if qr:
        img = alt.Chart(alt.Data(values=[{"url": qr}])).mark_image(
            width=110, height=110, align="right", baseline="top").encode(
            url="url:N", x=alt.value(width), y=alt.value(0))
        cap = alt.Chart(alt.Data(values=[{"t": "扫码查看公示全文"}])).mark_text(
            align="right", baseline="top", fontSize=12, color="#555").encode(
            text="t:N", x=alt.value(width), y=alt.value(114))
        parts += [img, cap]
    footer_chart = alt.layer(*parts).properties(
        width=width, height=max(134 if qr else 0, 24 * len(lines)))
    return alt.vconcat(rows, footer_chart, spacing=18).properties(
        padding={"left": POSTER_MARGIN, "right": POSTER_MARGIN, "top": 16, "bottom": 16},
        title=alt.Title(title, subtitle=subtitle or alt.Undefined, fontSize=30,
                        subtitleFontSize=15, anchor="middle", color="#b22222", offset=14))
