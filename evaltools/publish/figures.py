"""The published figures, drawn by evaltools without Vega (issue 17): 总分排名 (bars of the
totals), 各指标得分率 (units × criteria) and the 海报 (poster), as :class:`~evaltools.publish.drawing.Figure`
objects that give SVG and PNG.

They show what the altair charts of :mod:`evaltools.charts.leaderboard` show (the same rows and
labels, from :mod:`evaltools.chartdata`), laid out here: every ranked unit drawn once, in rank
order; long names broken onto more lines instead of cut; a bar's label after its end. The altair
charts stay for notebooks and the explorer.

Examples
--------
>>> from evaltools.examples import two_buildings
>>> fig = leaderboard_figure(two_buildings())
>>> svg = fig.svg()
>>> svg.count('class="bar"'), "第1名" in svg, fig.png(scale=1)[:4] == b"\\x89PNG"
(2, True, True)
"""

from __future__ import annotations

import math
from typing import Any

import polars as pl

from evaltools.chartdata import (
    POSTER_MARGIN,
    POSTER_WIDTH,
    TOTAL_INTERVAL,
    bar_labels,
    chart_title,
    criteria_cells,
    nice_ticks,
    poster_rows,
    ranked_units,
    score_text,
    score_text_value,
    tick_step,
)
from evaltools.publish.drawing import (
    Figure,
    bars,
    image,
    lines,
    ramp,
    rects,
    text_width,
    texts,
    wrap_lines,
)
from evaltools.publish.memo import per_leaderboard

__all__ = ["BAR_COLOUR", "REDYELLOWGREEN", "heatmap_figure", "leaderboard_figure",
           "poster_figure", "published_bars", "share_colour"]

#: the bars' red (the altair charts' too)
BAR_COLOUR = "#c0392b"
#: Vega's "redyellowgreen" scheme (0 → red, 1 → green), interpolated linearly in RGB as Vega does
REDYELLOWGREEN = ("#a50026", "#d4322c", "#f16e43", "#fcac63", "#fedd8d", "#f9f7ae", "#d7ee8e",
                  "#a4d86e", "#64bc61", "#22964f", "#006837")

PAD = 8
TITLE_SIZE = 16
#: the widest a unit's name is set on one line before it is broken (px at 12 px: 15 汉字)
NAME_WIDTH = 180
#: the bars' plot width (the altair chart's too)
PLOT_WIDTH = 420


def _baseline(centre: pl.Expr | float, size: float) -> pl.Expr | float:
    """The baseline that centres a line of CJK text of ``size`` px on ``centre``."""
    return centre + 0.36 * size


def _title(title: str, width: float) -> tuple[pl.DataFrame, float]:
    """The figure's title at the top left, broken onto lines when wider than ``width``; the
    height it takes."""
    rows = wrap_lines(pl.DataFrame({"t": [title]}), "t", size=TITLE_SIZE,
                      max_width=max(width, 200), bold=True)
    shapes = texts(rows, x=PAD, y=PAD + TITLE_SIZE + pl.col("line") * (TITLE_SIZE + 4),
                   text=pl.col("text"), size=TITLE_SIZE, bold=True, css="title")
    return shapes, PAD + rows.height * (TITLE_SIZE + 4) + 8


def _names(t: pl.DataFrame, *, size: float, min_step: float) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Units' names broken onto lines (``wrap_lines``) and each unit's row: ``step`` (its
    height), ``top`` (from the first row) and ``mid``."""
    names = wrap_lines(t, "单位", size=size, max_width=NAME_WIDTH)
    line_h = size + 3
    rows = (names.group_by("row", maintain_order=True).agg(pl.col("lines").first())
            .with_columns(step=pl.max_horizontal(pl.lit(min_step), pl.col("lines") * line_h + 4)))
    rows = rows.with_columns(top=pl.col("step").cum_sum() - pl.col("step")).with_columns(
        mid=pl.col("top") + pl.col("step") / 2)
    names = names.join(rows.select("row", "mid"), on="row").with_columns(
        y=pl.col("mid") + (pl.col("line") - (pl.col("lines") - 1) / 2) * line_h)
    return names, rows


def _most(series: pl.Series, *, least: bool = False) -> float:
    """The largest (``least``: smallest) value of a numeric column as a float, 0 when empty."""
    value: Any = series.min() if least else series.max()
    return float(value) if value is not None else 0.0


def _fmt(values: pl.Expr, step: float) -> pl.Expr:
    """Tick labels with as many decimals as the step needs."""
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if step < 1 else 0
    return score_text(values, decimals)


@per_leaderboard
def published_bars(lb: Any) -> Figure:
    """:func:`leaderboard_figure` of ``lb`` with every unit, drawn once per leaderboard: one
    publication's 总分排名.png / .svg and the page's chart are the same figure (issue 17)."""
    return leaderboard_figure(lb)


def leaderboard_figure(lb: Any, *, top: int | None = None, title: str | None = None) -> Figure:
    """总分排名: a horizontal bar of each ranked unit's published total, in rank order, labelled
    ``第1名 97.41`` (with the rank interval when the table carries one, and a whisker from
    ``total_low`` to ``total_high`` when it carries those); names on the left; an axis of 总分
    below. Ranks 1..``top`` (all by default, at most :data:`~evaltools.chartdata.MAX_CHART_UNITS`).
    """
    t = ranked_units(lb, top)
    t = t.with_columns(bar_labels(lb, t))
    names, rows = _names(t, size=12, min_step=20)
    name_w = _most(names["width"])
    totals = t["total"].cast(pl.Float64)
    lo = min(0.0, _most(totals, least=True))
    hi = max(0.0, _most(totals))
    if set(TOTAL_INTERVAL) <= set(t.columns):
        lo = min(lo, _most(t["total_low"], least=True))
        hi = max(hi, _most(t["total_high"]))
    start, stop, _ = nice_ticks(lo, hi, 10)
    step = tick_step(start, stop, math.ceil(PLOT_WIDTH / 40))
    text = f"{title or chart_title(lb, t, top, '总分排名')}"
    heading, top_y = _title(text, PAD + name_w + 6 + PLOT_WIDTH)
    left = PAD + name_w + 6

    def x(v: pl.Expr | float) -> pl.Expr:
        value = v if isinstance(v, pl.Expr) else pl.lit(v, pl.Float64)
        return left + (value.cast(pl.Float64) - start) / (stop - start) * PLOT_WIDTH

    d = (t.with_row_index("row").with_columns(pl.col("row").cast(pl.Int64))
         .join(rows, on="row").with_columns(
             x0=x(pl.min_horizontal(pl.col("total"), pl.lit(0.0))),
             x1=x(pl.max_horizontal(pl.col("total"), pl.lit(0.0))),
             y=pl.col("mid") + top_y,
             tip=pl.format("{}　{}", pl.col("单位"), pl.col("标注")))
         .with_columns(label_w=text_width("标注", 11)))
    plot_h = _most(rows.select(pl.col("step").sum()).to_series())
    axis_y = top_y + plot_h
    ticks = pl.DataFrame({"v": pl.arange(0, round((stop - start) / step) + 1, eager=True)
                          .cast(pl.Float64) * step + start})
    ticks = ticks.with_columns(x=x(pl.col("v")), label=_fmt(pl.col("v"), step))
    parts = [
        heading,
        lines(ticks, x=pl.col("x"), y=top_y, x2=pl.col("x"), y2=axis_y, stroke="#ddd"),
        bars(d, x=pl.col("x0"), y=pl.col("y") - 8, w=pl.col("x1") - pl.col("x0"), h=16,
             fill=BAR_COLOUR, rx=0, tip=pl.col("tip"), css="bar"),
    ]
    if set(TOTAL_INTERVAL) <= set(t.columns):
        whisk = d.filter(pl.col("total_low").is_not_null() & pl.col("total_high").is_not_null())
        parts.append(lines(whisk, x=x(pl.col("total_low")), y=pl.col("y"),
                           x2=x(pl.col("total_high")), y2=pl.col("y"), stroke="#333",
                           stroke_width=1.5))
    label_x = pl.col("x1") + 4
    parts += [
        texts(d, x=label_x, y=_baseline(pl.col("y"), 11), text=pl.col("标注"), size=11,
              css="value"),
        texts(names, x=left - 6, y=_baseline(pl.col("y") + top_y, 12), text=pl.col("text"),
              size=12, anchor="end", css="name"),
        lines(x=left, y=axis_y + 0.5, x2=left + PLOT_WIDTH, y2=axis_y + 0.5, stroke="#888"),
        lines(ticks, x=pl.col("x"), y=axis_y, x2=pl.col("x"), y2=axis_y + 5, stroke="#888"),
        texts(ticks, x=pl.col("x"), y=axis_y + 17, text=pl.col("label"), size=10,
              anchor="middle"),
        texts(x=left + PLOT_WIDTH / 2, y=axis_y + 34, text="总分", size=11, bold=True,
              anchor="middle"),
    ]
    right = float(d.select((pl.col("x1") + 4 + pl.col("label_w")).max()).item() or 0.0)
    width = max(left + PLOT_WIDTH + 10, right, PAD + float(
        pl.select(text_width(pl.lit(text), TITLE_SIZE, bold=True)).item())) + PAD
    scene = pl.concat(parts, how="diagonal_relaxed")
    return Figure(scene, width=width, height=axis_y + 40 + PAD, title=text)


def share_colour(share: str | pl.Expr) -> pl.Expr:
    """得分率 0–1 as its colour in :data:`REDYELLOWGREEN` (``rgb(r,g,b)``; null stays null).

    >>> pl.select(share_colour(pl.lit(1.0))).item(), pl.select(share_colour(pl.lit(0.5))).item()
    ('rgb(0,104,55)', 'rgb(249,247,174)')
    """
    s = pl.col(share) if isinstance(share, str) else share
    n = len(REDYELLOWGREEN) - 1
    t = s.cast(pl.Float64).clip(0.0, 1.0) * n
    i = t.floor().clip(0, n - 1).cast(pl.Int64)
    frac = t - i
    channels = []
    for c in range(3):
        vals = [int(h[1 + 2 * c:3 + 2 * c], 16) for h in REDYELLOWGREEN]
        a = i.replace_strict(dict(enumerate(vals[:-1])), return_dtype=pl.Float64)
        b = i.replace_strict(dict(enumerate(vals[1:])), return_dtype=pl.Float64)
        channels.append((a + (b - a) * frac + 0.5).floor().cast(pl.Int64))
    return pl.format("rgb({},{},{})", *channels)


def _dark(colour: pl.Expr) -> pl.Expr:
    """Whether text on ``rgb(r,g,b)`` should be white (the cell is dark)."""
    rgb = colour.str.extract_all(r"\d+").list.eval(pl.element().cast(pl.Float64))
    luma = rgb.list.get(0) * 0.299 + rgb.list.get(1) * 0.587 + rgb.list.get(2) * 0.114
    return luma < 120


def heatmap_figure(lb: Any, *, top: int | None = None) -> Figure:
    """各指标得分率: one row per ranked unit (rank order), one column per criterion (the
    rubric's order), the cell coloured by 得分率 (:func:`share_colour`) and labelled with the
    points (one decimal); a colour legend on the right."""
    from evaltools import labels

    t, d, crit_order = criteria_cells(lb, top)
    cell_w, size = 56.0, 10.0
    names, rows = _names(t, size=12, min_step=18)
    name_w = _most(names["width"])
    text = chart_title(lb, t, top, "各指标得分率")
    left = PAD + name_w + 6
    heading, top_y = _title(text, left + cell_w * len(crit_order))
    heads = wrap_lines(pl.DataFrame({"指标": crit_order}), "指标", size=11, max_width=cell_w - 4)
    head_lines = int(_most(heads["lines"]) or 1)
    head_h = head_lines * 13 + 4
    grid_y = top_y + head_h
    col = pl.DataFrame({"指标": crit_order, "col": range(len(crit_order))},
                       schema={"指标": pl.String, "col": pl.Int64})
    units = t.with_row_index("row").with_columns(pl.col("row").cast(pl.Int64)).join(rows, on="row")
    cells = (d.join(units.select("unit_id", "top", "step"), on="unit_id")
             .join(col, on="指标").with_columns(fill=share_colour("share"))
             .with_columns(
                 x=left + pl.col("col") * cell_w, y=grid_y + pl.col("top"),
                 label=pl.when(pl.col("得分").is_null()).then(pl.lit(labels.NONE_TEXT))
                 .otherwise(score_text("得分", 1)),
                 ink=pl.when(pl.col("fill").is_null()).then(pl.lit("#000"))
                 .when(_dark(pl.col("fill"))).then(pl.lit("#fff")).otherwise(pl.lit("#000")),
                 tip=pl.format("{}　{}：{}", pl.col("单位"), pl.col("指标"), pl.col("得分")))
             .with_columns(pl.col("fill").fill_null("#eeeeee")))
    grid_h = _most(rows.select(pl.col("step").sum()).to_series())
    legend_x = left + cell_w * len(crit_order) + 16
    ramp_h = min(160.0, max(grid_h, 60.0))
    legend = pl.DataFrame({"v": [0.0, 0.25, 0.5, 0.75, 1.0]}).with_columns(
        y=grid_y + 16 + (1 - pl.col("v")) * ramp_h,
        label=pl.format("{}%", (pl.col("v") * 100).cast(pl.Int64)))
    parts = [
        heading,
        texts(heads, x=left + (pl.col("row") + 0.5) * cell_w,
              y=top_y + 11 + pl.col("line") * 13 + (head_lines - pl.col("lines")) * 13,
              text=pl.col("text"), size=11, anchor="middle", css="criterion"),
        rects(cells, x=pl.col("x"), y=pl.col("y"), w=cell_w, h=pl.col("step"),
              fill=pl.col("fill"), stroke="#fff", stroke_width=1, tip=pl.col("tip"),
              css="cell"),
        texts(cells, x=pl.col("x") + cell_w / 2,
              y=_baseline(pl.col("y") + pl.col("step") / 2, size), text=pl.col("label"),
              size=size, fill=pl.col("ink"), anchor="middle"),
        texts(names, x=left - 6, y=_baseline(pl.col("y") + grid_y, 12), text=pl.col("text"),
              size=12, anchor="end", css="name"),
        texts(x=legend_x, y=grid_y + 8, text="得分率", size=11, bold=True),
        ramp(x=legend_x, y=grid_y + 16, w=12, h=ramp_h, colours=REDYELLOWGREEN),
        lines(legend, x=legend_x + 12, y=pl.col("y"), x2=legend_x + 16, y2=pl.col("y"),
              stroke="#888"),
        texts(legend, x=legend_x + 18, y=_baseline(pl.col("y"), 10), text=pl.col("label"),
              size=10),
    ]
    width = max(legend_x + 48, PAD + float(
        pl.select(text_width(pl.lit(text), TITLE_SIZE, bold=True)).item())) + PAD
    height = max(grid_y + grid_h, grid_y + 16 + ramp_h + 8) + PAD
    return Figure(pl.concat(parts, how="diagonal_relaxed"), width=width, height=height,
                  title=text)


def poster_figure(lb: Any, *, top: int = 10, title: str = "光荣榜", subtitle: str = "",
                  footer: str = "", qr: str | None = None) -> Figure:
    """The portrait poster of ranks 1..``top`` (:data:`~evaltools.chartdata.POSTER_WIDTH` units
    wide: 1080 px at scale 2), as :func:`evaltools.charts.leaderboard.poster_chart` draws it: a
    title and subtitle; per unit the rank, the name (broken onto lines when long) and the street
    above, a bar of the total from :func:`~evaltools.chartdata.poster_baseline` with the total
    and the gap to the first below, the stars on the right; the baseline note and ``footer``
    under the list, the QR code (``qr``, a ``data:image/png;base64,…`` URI) beside them."""
    t, base, best = poster_rows(lb, top)
    inner = POSTER_WIDTH - 2 * POSTER_MARGIN
    left, right = float(POSTER_MARGIN), float(POSTER_MARGIN + inner)
    centre = POSTER_WIDTH / 2
    head = wrap_lines(pl.DataFrame({"t": [title]}), "t", size=30, max_width=inner, bold=True)
    y = 16.0
    parts = [texts(head, x=centre, y=y + 30 + pl.col("line") * 38, text=pl.col("text"), size=30,
                   bold=True, fill="#b22222", anchor="middle", css="title")]
    y += head.height * 38
    if subtitle:
        parts.append(texts(x=centre, y=y + 17, text=subtitle, size=15, anchor="middle"))
        y += 24
    y += 14
    high = best if best is not None else 1.0
    top_x = high + max(high - base, 1e-9) * 0.75
    row_h = 62.0
    d = t.with_row_index("row").with_columns(
        pl.col("row").cast(pl.Int64),
        mid=y + (pl.col("row").cast(pl.Float64) + 0.5) * row_h,
        street_w=text_width("街道", 13),
        bar_end=left + ((pl.col("total").cast(pl.Float64).clip(base, top_x) - base)
                        / (top_x - base) * inner),
        total_w=text_width("总分", 15, bold=True))
    room = (inner - 100 - d["street_w"] - 12).clip(lower_bound=80.0)
    d = d.with_columns(room=room, name_w=text_width("单位", 17, bold=True))
    # a name wider than its room is set at 14 px on lines centred on the name's place
    fits = d.filter(pl.col("name_w") <= pl.col("room")).select(
        "row", "mid", pl.lit(0, pl.Int64).alias("line"), pl.lit(1, pl.Int64).alias("lines"),
        pl.col("单位").alias("text"), pl.lit(17.0).alias("size"))
    long = d.filter(pl.col("name_w") > pl.col("room"))
    broken = wrap_lines(long, "单位", size=14, max_width=pl.col("room"), bold=True).join(
        long.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("i"), "row", "mid"),
        left_on="row", right_on="i").select(
        pl.col("row_right").alias("row"), "mid", "line", "lines", "text",
        pl.lit(14.0).alias("size"))
    names = pl.concat([fits, broken]).sort("row", "line")
    parts += [
        texts(d, x=left, y=_baseline(pl.col("mid") - 14, 17), text=pl.col("rank_label"), size=17,
              bold=True, fill="#b22222"),
        texts(names, x=left + 100, y=pl.col("mid") - 14 + 0.36 * pl.col("size")
              + (pl.col("line") - (pl.col("lines") - 1) / 2) * (pl.col("size") + 2),
              text=pl.col("text"), size=pl.col("size"), bold=True, css="name"),
    ]
    parts += [
        texts(d, x=right, y=_baseline(pl.col("mid") - 14, 13), text=pl.col("街道"), size=13,
              fill="#666", anchor="end"),
        bars(d, x=left, y=pl.col("mid") + 5, w=pl.col("bar_end") - left, h=14, fill=BAR_COLOUR,
             rx=3, css="bar"),
        texts(d, x=pl.col("bar_end") + 6, y=_baseline(pl.col("mid") + 12, 15),
              text=pl.col("总分"), size=15, bold=True, css="value"),
        texts(d, x=pl.col("bar_end") + 6 + pl.col("total_w") + 12,
              y=_baseline(pl.col("mid") + 12, 12), text=pl.col("差距"), size=12, fill="#888"),
        texts(d, x=right, y=_baseline(pl.col("mid") + 12, 16), text=pl.col("星级"), size=16,
              fill="#d4a017", anchor="end"),
    ]
    y += t.height * row_h + 18
    note = (f"条形从 {score_text_value(base, 0)} 分画起，便于看清分差；数字为公示总分"
            if base > 0 else "条形长度为公示总分")
    foot = [line for line in (note, footer) if line]
    parts.append(texts(pl.DataFrame({"line": foot}).with_row_index("i"), x=left,
                       y=y + 13 + pl.col("i").cast(pl.Float64) * 24, text=pl.col("line"),
                       size=13, fill="#555"))
    if qr:
        parts += [image(x=right - 110, y=y, w=110, h=110, href=qr),
                  texts(x=right, y=y + 114 + 12, text="扫码查看公示全文", size=12, fill="#555",
                        anchor="end")]
    height = y + max(134 if qr else 0, 24 * len(foot)) + 16
    return Figure(pl.concat(parts, how="diagonal_relaxed"), width=POSTER_WIDTH, height=height,
                  title=title)

