"""Ticket KPI charts, tested as specs (and rendered once offline to catch invalid specs)."""

from __future__ import annotations

import altair as alt
import pytest

from evaltools.charts import to_svg
from evaltools.charts.kpi import kpi_trend, overdue_heatmap, stage_funnel
from evaltools.errors import UsageError
from evaltools.kpi import ticket_kpis


@pytest.fixture(scope="module")
def sample():
    from evaltools.datasets import load_sample

    return load_sample()


def _data(chart: alt.TopLevelMixin, layer: int = 0) -> list[dict]:
    spec = chart.to_dict()
    data = spec["layer"][layer].get("data") or spec["data"]  # shared data is hoisted
    name = data["name"]
    return spec["datasets"][name]


def test_trend_has_rates_per_month_and_the_target_line(sample):
    res = ticket_kpis(sample, by=["street", "month"])
    chart = kpi_trend(res, target=0.95)
    spec = chart.to_dict()
    assert spec["layer"][0]["encoding"]["y"]["axis"]["format"] == "%"
    assert spec["layer"][0]["encoding"]["strokeDash"]["field"] == "街道"
    assert _data(chart, 1) == [{"目标值": 0.95, "说明": "目标"}]
    rows = _data(chart, 0)
    assert {r["指标"] for r in rows} == {"反馈率", "办结率"}
    assert len(rows) == 2 * res.table.height
    assert chart.config is alt.Undefined
    assert "<svg" in to_svg(chart)
    assert len(kpi_trend(ticket_kpis(sample, by="month"), target=None).to_dict()["layer"]) == 1


def test_funnel_shows_the_four_stages_in_order(sample):
    chart = stage_funnel(ticket_kpis(sample, by=None))
    rows = _data(chart)
    assert [r["阶段"] for r in rows] == ["居民点单", "社区党支部下单", "党员干部接单", "群众评单"]
    assert rows[0]["count"] == 6731
    by_street = stage_funnel(ticket_kpis(sample, by="street"), by="street")
    assert by_street.to_dict()["layer"][0]["encoding"]["color"]["field"] == "街道"
    assert "<svg" in to_svg(by_street)


def test_heatmap_is_category_by_month_overdue_share(sample):
    res = ticket_kpis(sample, by=["category", "month"])
    chart = overdue_heatmap(res)
    enc = chart.to_dict()["layer"][0]["encoding"]
    assert (enc["x"]["field"], enc["y"]["field"], enc["color"]["field"]) == ("月份", "类别", "超期率")
    assert len(_data(chart)) == res.table.height
    assert "<svg" in to_svg(chart)
    composed = overdue_heatmap(res) | stage_funnel(res)  # unconfigured: composable
    assert "hconcat" in composed.to_dict()


def test_charts_say_which_grouping_they_need(sample):
    with pytest.raises(UsageError) as err:
        overdue_heatmap(ticket_kpis(sample, by="street"))
    assert err.value.problems[0].rule == "chart_needs_group"
    with pytest.raises(UsageError):
        kpi_trend(ticket_kpis(sample, by="street"))
    with pytest.raises(UsageError):
        kpi_trend(ticket_kpis(sample, by=["street", "category", "month"]))
