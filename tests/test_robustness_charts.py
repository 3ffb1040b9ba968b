"""Robustness charts: specs, not pixels; unconfigured so they compose."""

from __future__ import annotations

import altair as alt
import polars as pl
import pytest

from evaltools.charts.robustness import (
    acceptability_chart,
    acceptability_data,
    rank_interval_chart,
    rank_interval_data,
    weight_interval_chart,
    weight_interval_data,
)
from evaltools.examples import three_buildings
from evaltools.robustness import rank_intervals, smaa, weight_stability


@pytest.fixture(scope="module")
def results():
    lb = three_buildings()
    return (rank_intervals(lb, replicates=100, seed=0, progress=False),
            smaa(lb, samples=500, seed=0, progress=False), weight_stability(lb, top_n=2))


def test_data_helpers(results):
    ri, acc, ws = results
    d = rank_interval_data(ri)
    assert d.columns == ["单位", "名次", "区间下限", "区间上限", "名次中位数", "第一名概率"]
    assert (d["区间下限"] <= d["名次"]).all() and (d["区间上限"] >= d["名次"]).all()
    a = acceptability_data(acc, max_rank=3)
    sums = a.group_by("单位").agg(pl.col("可接受度").sum())["可接受度"].round(9).to_list()
    assert sums == [1.0, 1.0, 1.0]  # every unit, over ranks 1-3 of 3
    w = weight_interval_data(ws)
    assert (w["第一名不变下限"] <= w["现权重"]).all() and (w["现权重"] <= w["第一名不变上限"]).all()


def test_charts_are_unconfigured_and_compose(results):
    ri, acc, ws = results
    charts = [rank_interval_chart(ri, title="名次区间"), acceptability_chart(acc),
              weight_interval_chart(ws)]
    for c in charts:
        # unconfigured: no .configure_*() on the chart (the active theme may add a config to
        # to_dict(), so check the chart object itself)
        assert c.config is alt.Undefined
        spec = c.to_dict()
        assert "名次" in str(spec) or "权重" in str(spec)
    combined = alt.vconcat(*charts)
    assert len(combined.to_dict()["vconcat"]) == 3
