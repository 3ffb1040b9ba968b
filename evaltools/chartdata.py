"""What a leaderboard chart shows, whoever draws it: the units in chart order, their unique names,
the title that says when only the top units are shown, scores as published, axis ticks and the
poster's baseline.

Two drawers read these: the altair charts of :mod:`evaltools.charts.leaderboard` (notebooks, the
explorer) and the SVG/PNG figures that publishing draws itself (:mod:`evaltools.publish.figures`,
no Vega). This module imports neither altair nor any drawing library, so publishing never loads
them. Charts draw what the leaderboard already holds: nothing here computes a score.

Examples
--------
>>> from evaltools.examples import two_buildings
>>> ranked_units(two_buildings(), None).select("单位", "rank")["单位"].to_list()
['A', 'B']
>>> nice_ticks(0.0, 97.41)
(0.0, 100.0, 10.0)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Protocol

import polars as pl

if TYPE_CHECKING:
    from evaltools.rubric import Rubric

__all__ = [
    "MAX_CHART_ROWS", "MAX_CHART_UNITS", "POSTER_MARGIN", "POSTER_WIDTH", "RANK_INTERVAL", "TOTAL_INTERVAL", "RankedBoard",
    "bar_labels", "chart_title", "criteria_cells", "digits_of", "display_names", "nice_ticks",
    "poster_baseline", "poster_rows", "ranked_units", "score_text", "score_text_value", "table_of", "tick_step",
]

#: rank-interval columns a robustness analysis may add to ``Leaderboard.table``
RANK_INTERVAL = ("rank_lower", "rank_upper")
#: total-interval columns (whiskers on the total axis) a robustness analysis may add
TOTAL_INTERVAL = ("total_low", "total_high")

#: the most units a chart draws, and the most rows it hands Vega (altair refuses more than 5,000
#: rows; Vega cannot draw a canvas 6,000 bars tall). A city's leaderboard (thousands of units) is
#: charted as its top units, and the title says so; the tables always list every unit.
MAX_CHART_UNITS = 100
MAX_CHART_ROWS = 1500

#: the poster's width in chart units with its margins; at the default scale 2 the PNG is 1080 px
POSTER_WIDTH = 540
#: the poster's left and right margin (chart units)
POSTER_MARGIN = 24


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


def score_text_value(value: float, digits: int = 2) -> str:
    """One number as published (四舍五入, ``digits`` decimals).

    >>> score_text_value(70.0, 0), score_text_value(2.675)
    ('70', '2.68')
    """
    return pl.select(score_text(pl.lit(value, pl.Float64), digits)).item()


def digits_of(lb: Any) -> int:
    """The decimals the rubric publishes (2 without a rubric)."""
    rubric = getattr(lb, "rubric", None)
    return rubric.digits if rubric is not None else 2


def table_of(lb: Any) -> pl.DataFrame:
    """The board's ranked table (or the frame itself)."""
    return lb.table if hasattr(lb, "table") else lb


def display_names(table: pl.DataFrame) -> pl.DataFrame:
    """Add ``单位`` (name, else id) — unique even when two units share a name."""
    name = pl.coalesce(pl.col("name"), pl.col("unit_id")) if "name" in table.columns \
        else pl.col("unit_id")
    dup = name.is_duplicated()
    return table.with_columns(
        pl.when(dup).then(pl.format("{}（{}）", name, pl.col("unit_id"))).otherwise(name)
        .alias("单位"))


def ranked_units(lb: Any, top: int | None, *, rows_per_unit: int = 1) -> pl.DataFrame:
    """The ranked units to chart, in rank order (disqualified and not-scored units left out):
    ranks 1..``top``, and at most :data:`MAX_CHART_UNITS` (fewer when each unit is
    ``rows_per_unit`` rows, so the chart stays within :data:`MAX_CHART_ROWS`)."""
    table = table_of(lb)
    keep = ~pl.col("disqualified").fill_null(False) if "disqualified" in table.columns \
        else pl.lit(True)
    if "rank" in table.columns:  # 未参评 units have no rank
        keep = keep & pl.col("rank").is_not_null()
    t = display_names(table).filter(keep)
    if top is not None:
        t = t.filter(pl.col("rank") <= top)
    return t.head(max(1, min(MAX_CHART_UNITS, MAX_CHART_ROWS // max(rows_per_unit, 1))))


def chart_title(lb: Any, shown: pl.DataFrame, top: int | None, title: str) -> str:
    """``title``, saying when the chart shows only the top units of a large board."""
    table = table_of(lb)
    keep = pl.col("rank").is_not_null() if "rank" in table.columns else pl.lit(True)
    if "disqualified" in table.columns:
        keep = keep & ~pl.col("disqualified").fill_null(False)
    if top is not None and "rank" in table.columns:
        keep = keep & (pl.col("rank") <= top)
    n = table.filter(keep).height
    if shown.height >= n:
        return title
    return f"{title}（前{shown.height}名，共{n}个单位；完整名单见榜单表格）"


def bar_labels(lb: Any, t: pl.DataFrame) -> pl.Expr:
    """The label after each unit's bar: ``第1名 97.41``, with the rank interval (名次区间) when
    the table carries one."""
    label = pl.format("{} {}", pl.col("rank_label"), score_text("total", digits_of(lb)))
    if set(RANK_INTERVAL) <= set(t.columns):
        label = pl.format("{}（名次区间 {}–{}）", label, pl.col("rank_lower"),
                          pl.col("rank_upper"))
    return label.alias("标注")


def criteria_cells(lb: Any, top: int | None) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    """The heatmap's cells: (units in rank order with ``单位``; one row per unit × criterion
    with ``指标`` (the criterion's name), ``share`` (得分率: points / max points, or the method's
    normalised value) and ``得分`` (points rounded 四舍五入 to one decimal); the criterion names
    in the rubric's order)."""
    from evaltools.rounding import round_half_up

    t = ranked_units(lb, top, rows_per_unit=len(lb.rubric.criteria)).select(
        "unit_id", "单位", "rank")
    names = {c.id: c.name for c in lb.rubric.criteria}
    v = lb.values
    share = pl.col("share") if "share" in v.columns else pl.col("normalized")
    d = (v.select("unit_id", "criterion", share.alias("share"), pl.col("points"))
         .join(t, on="unit_id", how="inner")
         .with_columns(指标=pl.col("criterion").replace_strict(names, default=pl.col("criterion")),
                       得分=round_half_up("points", 1)))
    return t, d, [names[c] for c in lb.rubric.criterion_ids]


def tick_step(lo: float, hi: float, count: int) -> float:
    """The step between about ``count`` ticks on [lo, hi]: 1, 2 or 5 times a power of ten (d3's
    ``tickIncrement``, which Vega uses).

    >>> tick_step(0, 100, 11), tick_step(0, 1, 5), tick_step(0, 300, 11)
    (10.0, 0.2, 20.0)
    """
    raw = (hi - lo) / max(count, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    err = raw / power
    factor = 10 if err >= math.sqrt(50) else 5 if err >= math.sqrt(10) else \
        2 if err >= math.sqrt(2) else 1
    return float(round(factor * power, 12))


def nice_ticks(lo: float, hi: float, count: int = 10) -> tuple[float, float, float]:
    """A round axis for [lo, hi]: (start, stop, step), start and stop multiples of a step of
    1, 2 or 5 times a power of ten, about ``count`` steps (d3's ``nice``, which Vega uses; a span
    that is empty or not finite becomes [0, 1]).

    >>> nice_ticks(0, 97.41), nice_ticks(0, 300, 11), nice_ticks(-3.2, 12.5), nice_ticks(5, 5)
    ((0.0, 100.0, 10.0), (0.0, 300.0, 20.0), (-4.0, 14.0, 2.0), (0.0, 5.0, 0.5))
    """
    lo, hi = float(lo), float(hi)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        lo, hi = 0.0, 1.0
    if hi <= lo:  # one value: an axis from 0 to it
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    if hi <= lo:
        lo, hi = 0.0, 1.0
    step = tick_step(lo, hi, count)
    for _ in range(10):  # d3 repeats until the step no longer changes
        lo, hi = math.floor(lo / step) * step, math.ceil(hi / step) * step
        new = tick_step(lo, hi, count)
        if new == step:
            break
        step = new
    return float(round(lo, 10)), float(round(hi, 10)), step


def poster_baseline(totals: list[float]) -> float:
    """Where the poster's bars start: a round number below the lowest total, so that totals a
    few points apart still look different (93.9 vs 93.7 on a 0–100 axis would not). The gap
    between the lowest and the highest total takes at least 60 % of the bar length; when the
    totals are spread widely the bars start at 0.

    Examples
    --------
    >>> poster_baseline([97.41, 93.88, 93.70, 92.53])
    85.0
    >>> poster_baseline([95.0, 40.0])
    0.0
    """
    vals = [float(t) for t in totals if t is not None]
    if not vals:
        return 0.0
    lo, hi = min(vals), max(vals)
    spread = max(hi - lo, 0.5)
    base = lo - spread * 2 / 3                  # lowest bar ≈ 40 % of the longest
    if base <= 0 or base < hi * 0.4:
        return 0.0
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 1000) if s >= spread / 2)
    return float((base // step) * step)


def poster_rows(lb: Any, top: int) -> tuple[pl.DataFrame, float, float | None]:
    """The poster's rows for ranks 1..``top`` (``单位``, ``rank``, ``rank_label``, ``total``, ``总分``
    as published, ``差距`` the gap to the first, ``街道``, ``星级`` stars or the grade, ``base``),
    where the bars start (:func:`poster_baseline`) and the first unit's total."""
    from evaltools import labels

    t = ranked_units(lb, top)
    digits = digits_of(lb)
    has_stars = bool(lb.rubric.stars) if hasattr(lb, "rubric") else False
    top_total = t["total"].max() if t.height else None
    best = float(top_total) if isinstance(top_total, int | float) else None
    base = poster_baseline(t["total"].to_list())
    gap = score_text(pl.lit(best, pl.Float64) - pl.col("total"), digits)
    t = t.with_columns(
        总分=score_text("total", digits),
        差距=pl.when(pl.col("rank") > 1).then(pl.format("差第1名 {} 分", gap))
        .otherwise(pl.lit("")),
        街道=pl.coalesce(pl.col("street"), pl.lit("")) if "street" in t.columns else pl.lit(""),
        星级=(labels.stars_expr("stars")
              if has_stars and "stars" in t.columns
              else pl.coalesce(pl.col("grade"), pl.lit("")) if "grade" in t.columns
              else pl.lit("")),
        base=pl.lit(base, pl.Float64),
    ).select("单位", "rank", "rank_label", "total", "总分", "差距", "街道", "星级", "base")
    return t, base, best
