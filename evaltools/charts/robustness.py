"""Charts of a ranking's uncertainty: rank-interval whiskers, SMAA acceptability bars and weight
stability intervals. Each returns an *unconfigured* altair chart (compose with ``+``, ``|``, ``&``;
the theme in :mod:`evaltools.charts` sets the CJK fonts); the ``*_data`` helpers return the frame
each chart draws, with Chinese column names. Charts never compute scores: they take the results of
:mod:`evaltools.robustness`.

Examples
--------
>>> from evaltools.examples import three_buildings
>>> from evaltools.robustness import rank_intervals, smaa, weight_stability
>>> lb = three_buildings()
>>> spec = rank_interval_chart(rank_intervals(lb, replicates=50, seed=0, progress=False)).to_dict()
>>> spec["layer"][0]["mark"]["type"], spec["layer"][1]["mark"]["type"]
('rule', 'point')
>>> acceptability_data(smaa(lb, samples=200, seed=0, progress=False)).columns
['单位', '名次', '可接受度']
>>> weight_interval_data(weight_stability(lb))["指标"].to_list()
['环境卫生', '楼道整洁']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import altair as alt
import polars as pl

if TYPE_CHECKING:
    from evaltools.robustness import Acceptability, RankIntervals, WeightStability

__all__ = [
    "acceptability_chart",
    "acceptability_data",
    "rank_interval_chart",
    "rank_interval_data",
    "weight_interval_chart",
    "weight_interval_data",
]


def _unit(frame: pl.DataFrame) -> pl.Expr:
    name = pl.coalesce(pl.col("name"), pl.col("unit_id")) if "name" in frame.columns \
        else pl.col("unit_id")
    return pl.when(name.is_duplicated()).then(pl.format("{}（{}）", name, pl.col("unit_id"))) \
        .otherwise(name)


def rank_interval_data(intervals: RankIntervals, *, top: int | None = None) -> pl.DataFrame:
    """单位, 名次, 区间下限, 区间上限, 名次中位数, 第一名概率 of ranked units (ranks ≤ ``top``)."""
    t = intervals.table.filter(pl.col("rank").is_not_null())
    if top is not None:
        t = t.filter(pl.col("rank") <= top)
    return t.select(_unit(t).alias("单位"), pl.col("rank").alias("名次"),
                    pl.col("rank_lower").alias("区间下限"), pl.col("rank_upper").alias("区间上限"),
                    pl.col("median_rank").alias("名次中位数"),
                    pl.col("p_first").alias("第一名概率"))


def rank_interval_chart(intervals: RankIntervals, *, top: int | None = None,
                        title: str | None = None) -> alt.LayerChart:
    """Whiskers from the lower to the upper end of each unit's rank interval, a dot at its
    published rank; units in rank order, rank 1 at the top of the axis."""
    d = rank_interval_data(intervals, top=top)
    order = d["单位"].to_list()
    pct = f"{intervals.level * 100:g}%"
    base = alt.Chart(d).encode(y=alt.Y("单位:N", sort=order, title=None))
    whisk = base.mark_rule(strokeWidth=2, color="#7f8c8d").encode(
        x=alt.X("区间下限:Q", title=f"名次（{pct}区间）", scale=alt.Scale(reverse=True)),
        x2="区间上限:Q")
    dot = base.mark_point(filled=True, size=60, color="#c0392b").encode(
        x="名次:Q",
        tooltip=["单位:N", "名次:Q", "区间下限:Q", "区间上限:Q",
                 alt.Tooltip("第一名概率:Q", format=".0%")])
    chart = alt.layer(whisk, dot)
    assert isinstance(chart, alt.LayerChart)  # no facet encodings: alt.layer hoists none
    return chart.properties(title=title) if title else chart


def acceptability_data(acc: Acceptability, *, max_rank: int = 5, units: int = 10) -> pl.DataFrame:
    """单位, 名次, 可接受度 (b(i, r)) for ranks ≤ ``max_rank`` of the ``units`` units with the
    highest first-rank acceptability."""
    best = acc.table.filter(pl.col("b1").is_not_null()).sort("b1", descending=True).head(units)
    long = acc.long(max_rank).join(best.select("unit_id", _unit(best).alias("单位")),
                                   on="unit_id", how="inner")
    return long.select("单位", pl.col("rank").alias("名次"),
                       pl.col("acceptability").alias("可接受度"))


def acceptability_chart(acc: Acceptability, *, max_rank: int = 5, units: int = 10,
                        title: str | None = None) -> alt.Chart:
    """Stacked bars of the rank acceptability indices: how often each unit takes rank 1, 2, …
    when the weights are drawn at random (SMAA-2)."""
    d = acceptability_data(acc, max_rank=max_rank, units=units)
    order = d.unique("单位", maintain_order=True)["单位"].to_list()
    chart = alt.Chart(d).mark_bar().encode(
        y=alt.Y("单位:N", sort=order, title=None),
        x=alt.X("可接受度:Q", title="名次可接受度", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("名次:O", title="名次", scale=alt.Scale(scheme="reds", reverse=True)),
        order=alt.Order("名次:O"),
        tooltip=["单位:N", "名次:O", alt.Tooltip("可接受度:Q", format=".1%")])
    return chart.properties(title=title) if title else chart


def weight_interval_data(ws: WeightStability) -> pl.DataFrame:
    """指标, 现权重, 第一名不变（下/上）, 前N名不变（下/上） per criterion."""
    return ws.criteria.select(
        pl.col("name").alias("指标"), pl.col("weight").alias("现权重"),
        pl.col("first_low").alias("第一名不变下限"), pl.col("first_high").alias("第一名不变上限"),
        pl.col("top_low").alias("前几名不变下限"), pl.col("top_high").alias("前几名不变上限"))


def weight_interval_chart(ws: WeightStability, *, title: str | None = None) -> alt.LayerChart:
    """Per criterion: the weight interval keeping rank 1 (light bar), the narrower one keeping the
    top-N order (dark bar) and the current weight (tick)."""
    d = weight_interval_data(ws)
    base = alt.Chart(d).encode(y=alt.Y("指标:N", sort=d["指标"].to_list(), title=None))
    scale = alt.Scale(domain=[0, 1])
    first = base.mark_bar(color="#f5b7b1", height=14).encode(
        x=alt.X("第一名不变下限:Q", title="权重（其他权重按比例调整）", scale=scale),
        x2="第一名不变上限:Q",
        tooltip=["指标:N", alt.Tooltip("第一名不变下限:Q", format=".3f"),
                 alt.Tooltip("第一名不变上限:Q", format=".3f")])
    topn = base.mark_bar(color="#c0392b", height=6).encode(
        x="前几名不变下限:Q", x2="前几名不变上限:Q",
        tooltip=["指标:N", alt.Tooltip("前几名不变下限:Q", format=".3f"),
                 alt.Tooltip("前几名不变上限:Q", format=".3f")])
    now = base.mark_tick(color="black", thickness=2, size=18).encode(
        x="现权重:Q", tooltip=["指标:N", alt.Tooltip("现权重:Q", format=".3f")])
    chart = alt.layer(first, topn, now)
    assert isinstance(chart, alt.LayerChart)  # no facet encodings: alt.layer hoists none
    return chart.properties(title=title) if title else chart
