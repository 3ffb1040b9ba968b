"""Per-unit charts: a building's profile over the criteria, satisfaction with Wilson intervals,
weights as bars.

Every function returns an *unconfigured* altair chart (compose with ``+``, ``|``, ``&``; the
``evaltools`` theme sets the CJK font once, at export). The charts draw numbers that the library
already computed (``Leaderboard.values``, :func:`evaltools.ratings.summarize`, a weights dict);
labels are Chinese.

Examples
--------
>>> from evaltools.examples import two_buildings
>>> lb = two_buildings()
>>> spec = unit_profile(lb, ["A"]).to_dict()
>>> [layer["mark"]["type"] for layer in spec["layer"]]
['line', 'line', 'point']
>>> import altair as alt
>>> chart = weight_bars({"clean": 60, "tidy": 40}, names={"clean": "环境卫生", "tidy": "楼道整洁"})
>>> chart.to_dict()["layer"][0]["encoding"]["x"]["field"], chart.config is alt.Undefined
('权重（%）', True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import altair as alt
import polars as pl

from evaltools.charts.leaderboard import ROW_ORDER
from evaltools.errors import EvalToolsError, Problem

if TYPE_CHECKING:
    from evaltools.charts.leaderboard import RankedBoard
    from evaltools.leaderboard import Leaderboard

__all__ = ["satisfaction_dots", "total_bars", "unit_profile", "weight_bars", "weight_rows"]

RED = "#c0392b"
GREY = "#8c8c8c"


def _unit_labels(lb: RankedBoard) -> pl.DataFrame:
    """unit_id → 单位 (name, else id; the id is added when two units share a name)."""
    t = lb.table
    name = pl.coalesce(pl.col("name"), pl.col("unit_id")) if "name" in t.columns \
        else pl.col("unit_id")
    return t.select("unit_id", name.alias("_n")).with_columns(
        pl.when(pl.col("_n").is_duplicated()).then(pl.format("{}（{}）", "_n", "unit_id"))
        .otherwise(pl.col("_n")).alias("单位")).drop("_n")


def unit_profile(lb: Leaderboard, unit_ids: Sequence[str] | str, *, reference: bool = True,
                 ) -> alt.LayerChart:
    """Parallel-coordinates profile: each criterion's 得分率 (share of full marks) for the units.

    Parameters
    ----------
    lb : a :class:`~evaltools.leaderboard.Leaderboard` (its ``values.share``: points after
        deductions ÷ max points for the ``points`` method; value ÷ full marks for MCDA methods).
    unit_ids : one unit id or several (one coloured line each).
    reference : also draw the median 得分率 of all units (grey dashed line, 全体中位数).

    Examples
    --------
    >>> from evaltools.examples import two_buildings
    >>> spec = unit_profile(two_buildings(), "B", reference=False).to_dict()
    >>> spec["layer"][0]["encoding"]["y"]["title"], spec["layer"][0]["encoding"]["y"]["scale"]
    ('得分率', {'domain': [0, 1]})
    """
    ids = [unit_ids] if isinstance(unit_ids, str) else [str(u) for u in unit_ids]
    known = set(lb.table["unit_id"].to_list())
    unknown = [u for u in ids if u not in known]
    if unknown:
        raise EvalToolsError(Problem(
            None, None, "unit_ids", ", ".join(unknown), "unknown_unit",
            "榜单中没有这个单位", "this unit is not on the leaderboard",
            "从榜单的单位编号中选择", "pick unit ids from the leaderboard table"))
    order = [c.name for c in lb.rubric.criteria]
    values = lb.values.select("unit_id", "criterion", pl.col("criterion_name").alias("指标"),
                              pl.col("share").alias("得分率"))
    lines = (values.filter(pl.col("unit_id").is_in(ids))
             .join(_unit_labels(lb), on="unit_id", how="left"))
    x = alt.X("指标:N", sort=order, title=None, axis=alt.Axis(labelAngle=0))
    y = alt.Y("得分率:Q", scale=alt.Scale(domain=[0, 1]), title="得分率",
              axis=alt.Axis(format="%"))
    layers = []
    if reference:
        med = values.group_by("指标", maintain_order=True).agg(pl.col("得分率").median()).with_columns(
            单位=pl.lit("全体中位数"))
        layers.append(alt.Chart(med).mark_line(color=GREY, strokeDash=[4, 3]).encode(
            x=x, y=y, detail="单位:N",
            tooltip=[alt.Tooltip("指标:N"), alt.Tooltip("得分率:Q", format=".1%", title="中位数")]))
    else:
        layers.append(alt.Chart(lines).mark_line(opacity=0).encode(x=x, y=y))
    color = alt.Color("单位:N", title="单位", legend=alt.Legend(orient="bottom"))
    layers.append(alt.Chart(lines).mark_line(strokeWidth=2).encode(x=x, y=y, color=color))
    layers.append(alt.Chart(lines).mark_point(filled=True, size=50).encode(
        x=x, y=y, color=color,
        tooltip=[alt.Tooltip("单位:N"), alt.Tooltip("指标:N"),
                 alt.Tooltip("得分率:Q", format=".1%")]))
    chart = alt.layer(*layers)
    assert isinstance(chart, alt.LayerChart)  # no facet encodings: alt.layer hoists none
    return chart.properties(width=460, height=220, title="各指标得分率")


def satisfaction_dots(summary: pl.DataFrame, *, unit: str = "unit_id", label: str | None = None,
                      min_n: int = 30, top: int | None = None) -> alt.LayerChart:
    """满意率 per unit as a dot, with its Wilson interval as a line; sorted by the lower bound.

    Parameters
    ----------
    summary : the table of :func:`evaltools.ratings.summarize` (``n``, ``satisfaction_rate``,
        ``wilson_lower``, ``wilson_upper``, ``satisfied_definition``), optionally joined with
        unit names.
    unit : the unit column; label : the column shown on the axis (default ``unit``).
    min_n : units with fewer answers are drawn hollow and grey (样本少，结果不稳定).
    top : keep only the ``top`` units with the highest lower bound.

    The raw rate is the dot; the lower bound is the sort key, shown beside it — never instead of
    it. The title names the 满意率 definition used.

    Examples
    --------
    >>> import polars as pl
    >>> from evaltools.ratings import summarize
    >>> cards = pl.DataFrame({"unit_id": ["A"] * 4 + ["B"],
    ...                       "rating": ["满意", "满意", "基本满意", "不满意", "满意"]})
    >>> spec = satisfaction_dots(summarize(cards), min_n=3).to_dict()
    >>> spec["title"]
    '满意率与 Wilson 区间（满意率 = 满意+基本满意）'
    """
    need = {unit, "n", "satisfaction_rate", "wilson_lower", "wilson_upper"}
    absent = sorted(need - set(summary.columns))
    if absent:
        raise EvalToolsError(Problem(
            None, None, ", ".join(absent), None, "missing_column",
            "满意度汇总表缺少这些列", "the satisfaction summary lacks these columns",
            "用 evaltools.ratings.summarize 生成汇总表", "build it with ratings.summarize"))
    label = label or unit
    definition = (summary["satisfied_definition"][0]
                  if "satisfied_definition" in summary.columns and summary.height else None)
    d = summary.sort("wilson_lower", descending=True, nulls_last=True)
    if top is not None:
        d = d.head(top)
    d = d.with_columns(
        pl.col(label).cast(pl.String).alias("单位"),
        pl.when(pl.col("n") < min_n).then(pl.lit(f"少于{min_n}份")).otherwise(pl.lit("样本充足"))
        .alias("样本"))
    order = d["单位"].to_list()
    y = alt.Y("单位:N", sort=order, title=None)
    tips = [alt.Tooltip("单位:N"), alt.Tooltip("n:Q", title="答卷数"),
            alt.Tooltip("satisfaction_rate:Q", title="满意率", format=".1%"),
            alt.Tooltip("wilson_lower:Q", title="区间下限", format=".1%"),
            alt.Tooltip("wilson_upper:Q", title="区间上限", format=".1%")]
    color = alt.Color("样本:N", title="样本量",
                      scale=alt.Scale(domain=["样本充足", f"少于{min_n}份"], range=[RED, GREY]))
    base = alt.Chart(d)
    rule = base.mark_rule(strokeWidth=2).encode(
        y=y, x=alt.X("wilson_lower:Q", title="满意率", scale=alt.Scale(zero=False, domainMax=1),
                     axis=alt.Axis(format="%")),
        x2="wilson_upper:Q", color=color, tooltip=tips)
    dot = base.mark_point(size=60, filled=True).encode(
        y=y, x="satisfaction_rate:Q", color=color, tooltip=tips,
        shape=alt.Shape("样本:N", title="样本量",
                        scale=alt.Scale(domain=["样本充足", f"少于{min_n}份"],
                                        range=["circle", "diamond"])))
    title = "满意率与 Wilson 区间" + (f"（满意率 = {definition}）" if definition else "")
    chart = alt.layer(rule, dot)
    assert isinstance(chart, alt.LayerChart)  # no facet encodings: alt.layer hoists none
    return chart.properties(width=420, height=alt.Step(16), title=title)


def weight_rows(weights: Mapping[str, float], *, names: Mapping[str, str] | None = None,
                defaults: Mapping[str, float] | None = None, order: bool = False,
                ) -> pl.DataFrame:
    """The rows :func:`weight_bars` draws: id, 指标, 权重（%） (percent of the weights' sum),
    细则权重（%） (``defaults``, when given), 标注 (one decimal and %). With ``order``, also
    ``顺序`` (0, 1, 2 …: the bars' order when the chart reads a named dataset).

    Examples
    --------
    >>> weight_rows({"a": 1, "b": 3}, names={"a": "甲"}, order=True).rows()
    [('a', '甲', 25.0, '25.0%', 0), ('b', 'b', 75.0, '75.0%', 1)]
    """
    names = dict(names or {})
    total = float(sum(weights.values())) or 1.0
    rows: dict[str, list] = {"id": list(weights), "指标": [names.get(k, k) for k in weights],
                             "权重（%）": [100.0 * float(v) / total for v in weights.values()]}
    if defaults is not None:
        dtotal = float(sum(defaults.values())) or 1.0
        rows["细则权重（%）"] = [100.0 * float(defaults.get(k, 0.0)) / dtotal for k in weights]
    if order:
        rows[ROW_ORDER] = list(range(len(weights)))
    d = pl.DataFrame(rows).with_columns(
        pl.col("权重（%）").round(1).cast(pl.String).alias("标注") + "%")
    return d.select(*(c for c in d.columns if c != ROW_ORDER), *([ROW_ORDER] if order else []))


def weight_bars(weights: Mapping[str, float], *, names: Mapping[str, str] | None = None,
                defaults: Mapping[str, float] | None = None,
                data_name: str | None = None) -> alt.LayerChart:
    """Horizontal bars of criterion weights in percent of their sum; ``defaults`` as black ticks
    (评分细则原权重) so a person sees what moved.

    ``data_name``: the chart holds no rows but reads the named dataset ``data_name``, whose rows
    are :func:`weight_rows` with ``order=True`` (as :func:`evaltools.charts.leaderboard.
    leaderboard_bars`): only whether ``defaults`` are given shapes the spec.

    Examples
    --------
    >>> spec = weight_bars({"a": 1, "b": 3}, defaults={"a": 1, "b": 1}).to_dict()
    >>> [layer["mark"]["type"] for layer in spec["layer"]]
    ['bar', 'tick', 'text']
    >>> sorted(spec["datasets"].values())[0][0]["权重（%）"]
    25.0
    """
    if data_name is None:
        d = weight_rows(weights, names=names, defaults=defaults)
        source: alt.Data | pl.DataFrame = d
        y = alt.Y("指标:N", sort=d["指标"].to_list(), title=None)
    else:
        source = alt.Data(name=data_name)
        y = alt.Y("指标:N", sort=alt.EncodingSortField(ROW_ORDER, op="min"), title=None)
    x = alt.X("权重（%）:Q", title="权重（%）")
    layers = [alt.Chart(source).mark_bar(color=RED).encode(
        y=y, x=x, tooltip=[alt.Tooltip("指标:N"), alt.Tooltip("权重（%）:Q", format=".1f")])]
    if defaults is not None:
        layers.append(alt.Chart(source).mark_tick(color="black", thickness=2).encode(
            y=y, x=alt.X("细则权重（%）:Q"),
            tooltip=[alt.Tooltip("细则权重（%）:Q", format=".1f", title="评分细则原权重（%）")]))
    layers.append(alt.Chart(source).mark_text(align="left", dx=3, fontSize=11).encode(
        y=y, x=x, text="标注:N"))
    chart = alt.layer(*layers)
    assert isinstance(chart, alt.LayerChart)  # no facet encodings: alt.layer hoists none
    return chart.properties(width=260, height=alt.Step(18), title="指标权重")


def total_bars(lb: RankedBoard, *, top: int = 10) -> alt.LayerChart:
    """Published totals of the units ranked ``top`` or better, as labelled bars (rank order).

    A small stand-in for :func:`evaltools.charts.leaderboard.leaderboard_bars` where that is not
    installed.

    Examples
    --------
    >>> from evaltools.examples import two_buildings
    >>> total_bars(two_buildings()).to_dict()["layer"][0]["encoding"]["x"]["field"]
    'total'
    """
    t = (lb.table.filter(pl.col("rank") <= top)
         .join(_unit_labels(lb), on="unit_id", how="left")
         .select("单位", "rank_label", "total",
                 pl.format("{} {}", "rank_label", "total").alias("标注")))
    y = alt.Y("单位:N", sort=t["单位"].to_list(), title=None)
    bars = alt.Chart(t).mark_bar(color=RED).encode(
        y=y, x=alt.X("total:Q", title="总分"),
        tooltip=[alt.Tooltip("rank_label:N", title="排名"), alt.Tooltip("total:Q", title="总分")])
    text = alt.Chart(t).mark_text(align="left", dx=3, fontSize=11).encode(
        y=y, x="total:Q", text="标注:N")
    chart = alt.layer(bars, text)
    assert isinstance(chart, alt.LayerChart)  # no facet encodings: alt.layer hoists none
    return chart.properties(width=360, height=alt.Step(20), title="总分排名")
