"""晒最美 charts as specs (to_dict), unconfigured, Chinese labels; the gallery embeds the photos."""

from __future__ import annotations

import altair as alt
import polars as pl
import pytest

from evaltools.campaign import analyze_campaign, photo_data_uris, votes_by_hour
from evaltools.charts import campaign as cc
from evaltools.datasets import SAMPLE_DIR, load_sample
from evaltools.errors import UsageError


@pytest.fixture(scope="module")
def a():
    return analyze_campaign(load_sample())


def test_charts_are_unconfigured_and_layerable(a):
    charts = [cc.rank_bump(a.results), cc.participation(a.rounds),
              cc.votes_heatmap(votes_by_hour(a.votes))]
    for ch in charts:
        assert ch.config is alt.Undefined
    alt.layer(cc.participation(a.rounds), cc.participation(a.rounds))  # does not raise
    assert cc.share_multiples(a.results).config is alt.Undefined


def test_bump_reverses_rank_axis_and_can_show_the_recount(a):
    spec = cc.rank_bump(a.results).to_dict()
    y = spec["layer"][0]["encoding"]["y"]
    assert y["field"] == "名次" and y["scale"]["reverse"] is True
    raw = cc.rank_bump(a.results).data
    rec = cc.rank_bump(a.results, recount=True).data
    assert not raw["名次"].equals(rec["名次"])  # the bursts move ranks


def test_participation_stacks_new_and_returning(a):
    data = cc.participation(a.rounds).data
    assert set(data["投票人"]) == {"新投票人", "回头投票人"}
    per_round = data.group_by("轮次").agg(pl.col("人数").sum()).sort("轮次")["人数"]
    assert per_round.to_list() == a.rounds["voters"].to_list()


def test_heatmap_marks_the_burst_hours(a):
    ch = cc.votes_heatmap(votes_by_hour(a.votes))
    data = ch.data
    marked = data.filter(pl.col("集中投票") > 0)
    assert marked["集中投票"].sum() == a.votes["burst"].sum()
    assert sorted(marked["小时"].to_list()) == [2, 14, 23]


def test_gallery_embeds_photos(a):
    res = photo_data_uris(a.results, SAMPLE_DIR)
    assert res["photo"].str.starts_with("data:image/png;base64,").all()
    ch = cc.entry_gallery(res, round=3)
    spec = ch.to_dict()
    assert spec["facet"]["field"] == "作品编号" and spec["title"] == "第3轮 晒最美作品"
    assert ch.data.height == 9 and ch.data["照片"].is_not_null().all()
    missing = photo_data_uris(a.results.with_columns(photo=pl.lit("photos/none.png")), SAMPLE_DIR)
    assert missing["photo"].is_null().all()


def test_wrong_table_is_a_usage_error(a):
    with pytest.raises(UsageError):
        cc.participation(a.results)


@pytest.mark.system
def test_charts_render_to_png(a, cjk_font, test_output):
    from evaltools.charts import to_png

    res = photo_data_uris(a.results, SAMPLE_DIR)
    chart = cc.entry_gallery(res, round=2) & cc.votes_heatmap(
        votes_by_hour(a.votes.filter(pl.col("round") == 2)))
    png = to_png(chart, scale=1)
    assert png.startswith(b"\x89PNG")
    (test_output / "campaign_gallery_heatmap.png").write_bytes(png)
