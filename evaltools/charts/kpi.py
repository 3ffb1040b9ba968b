"""Ticket KPI charts: monthly 反馈率/办结率 trend with a target line, 四联单 funnel, overdue heatmap.

Every function returns an *unconfigured* altair chart (compose with ``+``, ``|``, ``&``; the
``evaltools`` theme sets the CJK font once, at export). They draw what a
:class:`~evaltools.kpi.KpiResult` already holds (:func:`evaltools.kpi.funnel` counts the stages):
charts never compute KPIs. Labels are Chinese.

Examples
--------
>>> import altair as alt
>>> from evaltools.datasets import load_sample
>>> from evaltools.kpi import ticket_kpis
>>> ds = load_sample()
>>> trend = kpi_trend(ticket_kpis(ds, by=["street", "month"]), target=0.9)
>>> [layer["mark"]["type"] for layer in trend.to_dict()["layer"]]
['line', 'rule']
>>> stage_funnel(ticket_kpis(ds, by=None)).to_dict()["layer"][0]["encoding"]["y"]["field"]
'阶段'
>>> heat = overdue_heatmap(ticket_kpis(ds, by=["category", "month"]))
>>> heat.to_dict()["layer"][0]["encoding"]["color"]["field"], heat.config is alt.Undefined
('超期率', True)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import altair as alt
import polars as pl

from evaltools.errors import Problem, UsageError

if TYPE_CHECKING:
    from evaltools.kpi import KpiResult

__all__ = ["kpi_trend", "overdue_heatmap", "stage_funnel"]

_RATES = {"feedback_rate": "反馈率", "closure_rate": "办结率",
          "on_time_closure_rate": "按期办结率", "immediate_share": "立即办理占比",
          "overdue_share": "超期率", "satisfaction_rate": "群众评单满意率"}
_KEYS_ZH = {"unit_id": "单位编号", "courtyard": "楼院", "community": "社区", "street": "街道",
            "category": "类别", "channel": "渠道", "month": "月份"}


def _needs(result: KpiResult, keys: tuple[str, ...], chart: str) -> pl.DataFrame:
    table = result.table
    missing = [k for k in keys if k not in table.columns]
    if missing:
        by = ",".join("unit" if k == "unit_id" else k for k in keys)
        raise UsageError(Problem(
            None, None, None, ",".join(missing), "chart_needs_group",
            f"{chart}需要按 {by} 分组的指标表", f"the {chart} chart needs KPIs grouped by {by}",
            f"用 ticket_kpis(..., by=[{by!r}]) 计算", f"compute ticket_kpis(..., by='{by}')"))
    return table


def kpi_trend(result: KpiResult, *, measures: tuple[str, ...] = ("feedback_rate", "closure_rate"),
              target: float | None = 0.9, target_label: str = "目标") -> alt.LayerChart:
    """Monthly trend of rates (反馈率 and 办结率 by default) with a horizontal target line.

    ``result`` must be grouped by ``month`` (and at most one more key, drawn as line dashes,
    e.g. ``by=["street", "month"]``). ``target`` is a share (0.9 = 90 %); None for no line.
    """
    table = _needs(result, ("month",), "趋势图")
    for m in measures:
        if m not in _RATES:
            raise UsageError.choice("measures", m, _RATES)
    other = [k for k in getattr(result, "by", ()) if k != "month"]
    if len(other) > 1:
        raise UsageError(Problem(
            None, None, None, ",".join(other), "chart_too_many_groups",
            "趋势图最多再按一个维度（如街道）分线", "the trend chart takes at most one key "
            "besides month", "用 by=['street', 'month'] 之类", "use e.g. by=['street', 'month']"))
    long = table.select(*other, "month", *measures).unpivot(
        index=[*other, "month"], on=list(measures), variable_name="measure", value_name="比率"
    ).with_columns(指标=pl.col("measure").replace_strict(_RATES, return_dtype=pl.String)
                   ).rename({k: _KEYS_ZH.get(k, k) for k in [*other, "month"]})
    enc: dict[str, Any] = {
        "x": alt.X("月份:O", title="月份"),
        "y": alt.Y("比率:Q", title="比率", axis=alt.Axis(format="%"),
                   scale=alt.Scale(zero=False)),
        "color": alt.Color("指标:N", title="指标"),
        "tooltip": [*(_KEYS_ZH.get(k, k) for k in other), "月份", "指标",
                    alt.Tooltip("比率:Q", format=".1%")],
    }
    if other:
        key = _KEYS_ZH.get(other[0], other[0])
        enc["strokeDash"] = alt.StrokeDash(f"{key}:N", title=key)
    lines = alt.Chart(long).mark_line(point=True).encode(**enc)
    layers = [lines]
    if target is not None:
        rule = alt.Chart(pl.DataFrame({"目标值": [float(target)], "说明": [target_label]})
                         ).mark_rule(color="firebrick", strokeDash=[6, 3]).encode(
            y="目标值:Q", tooltip=["说明", alt.Tooltip("目标值:Q", format=".0%")])
        layers.append(rule)
    chart = alt.layer(*layers)
    assert isinstance(chart, alt.LayerChart)  # no facet encodings: alt.layer hoists none
    return chart.properties(title="反馈率与办结率月度趋势")


def stage_funnel(result: KpiResult, *, by: str | None = None) -> alt.LayerChart:
    """Funnel of the four 四联单 stages (居民点单 → 社区党支部下单 → 党员干部接单 → 群众评单).

    Bars are the ticket counts reaching each stage, labelled with their share of 居民点单;
    ``by`` (e.g. ``"street"``) draws one funnel per group side by side (a column facet is left
    to the caller: the chart colours bars by the group).
    """
    from evaltools.kpi import funnel

    data = funnel(result, by)
    key = _KEYS_ZH.get(by, by) if by else None
    if key:
        data = data.rename({data.columns[0]: key})
    y = alt.Y("阶段:N", sort=alt.SortField("stage"), title=None)
    enc: dict[str, Any] = {
        "y": y, "x": alt.X("count:Q", title="件数"),
        "tooltip": [*([key] if key else []), "阶段", alt.Tooltip("count:Q", title="件数"),
                    alt.Tooltip("share:Q", title="占点单", format=".1%")],
    }
    if key:
        enc["yOffset"] = alt.YOffset(f"{key}:N")
        enc["color"] = alt.Color(f"{key}:N", title=key)
    bars = alt.Chart(data).mark_bar().encode(**enc)
    text_enc = {k: v for k, v in enc.items() if k in ("y", "x", "yOffset")}
    text = alt.Chart(data).mark_text(align="left", dx=3).encode(
        **text_enc, text=alt.Text("share:Q", format=".0%"))
    chart = alt.layer(bars, text)
    assert isinstance(chart, alt.LayerChart)  # no facet encodings: alt.layer hoists none
    return chart.properties(title="四联单各环节件数")


def overdue_heatmap(result: KpiResult) -> alt.LayerChart:
    """Category × month heatmap of the overdue share (超期率), with the counts in the tooltip.

    ``result`` must be grouped by ``category`` and ``month``.
    """
    table = _needs(result, ("category", "month"), "超期热力图")
    data = table.select(
        pl.col("category").alias("类别"), pl.col("month").alias("月份"),
        pl.col("overdue_share").alias("超期率"), pl.col("overdue").alias("超期件数"),
        pl.col("closure_due").alias("应办结件数"))
    heat = alt.Chart(data).mark_rect().encode(
        x=alt.X("月份:O", title="月份"), y=alt.Y("类别:N", title="类别"),
        color=alt.Color("超期率:Q", title="超期率", scale=alt.Scale(scheme="orangered"),
                        legend=alt.Legend(format="%")),
        tooltip=["类别", "月份", alt.Tooltip("超期率:Q", format=".1%"), "超期件数", "应办结件数"])
    chart = alt.layer(heat)
    assert isinstance(chart, alt.LayerChart)  # no facet encodings: alt.layer hoists none
    return chart.properties(title="各类别逐月超期率")
