"""The weight explorer and the unit inspector, driven as a person would: set ``.value`` on the
controls and read what the Output widgets show (the frames behind them). No kernel, no browser."""

from __future__ import annotations

import dataclasses

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import evaltools as et
from evaltools.charts.units import satisfaction_dots, unit_profile, weight_bars
from evaltools.examples import two_buildings
from evaltools.ratings import summarize
from evaltools.widgets import (
    PLAIN_TEXT,
    UnitInspector,
    WeightExplorer,
    rebalance,
    rubric_weights,
    unit_inspector,
    weight_explorer,
)


@pytest.fixture(scope="module")
def sample():
    from evaltools.datasets import load_sample

    return load_sample()


@pytest.fixture(scope="module")
def board(sample):
    return et.evaluate(sample)


@pytest.fixture
def explorer(board, tmp_path):
    return WeightExplorer(board, charts=False, out_dir=tmp_path)


def _shown_html(output) -> str:
    (bundle,) = output.outputs
    assert bundle["output_type"] == "display_data"
    return bundle["data"]["text/html"]


# ---- rebalancing ----------------------------------------------------------------------------

def test_rebalance_known_answers():
    assert rebalance({"a": 50, "b": 30, "c": 20}, "a", 60) == {"a": 60.0, "b": 24.0, "c": 16.0}
    # locked c keeps 20; a is capped at 80 and b gets nothing
    assert rebalance({"a": 50, "b": 30, "c": 20}, "a", 95, locked={"c"}) == \
        {"a": 80.0, "b": 0.0, "c": 20.0}
    # the others all 0: the rest is shared equally
    assert rebalance({"a": 100, "b": 0, "c": 0}, "a", 40) == {"a": 40.0, "b": 30.0, "c": 30.0}
    # everything else locked: the moved one cannot move
    assert rebalance({"a": 50, "b": 30, "c": 20}, "a", 10, locked={"b", "c"}) == \
        {"a": 50.0, "b": 30.0, "c": 20.0}


@given(st.lists(st.floats(0, 100), min_size=2, max_size=9).filter(lambda v: sum(v) > 1),
       st.integers(0, 8), st.floats(0, 100), st.sets(st.integers(0, 8)))
def test_rebalance_properties(raw, which, value, locked_idx):
    ids = [f"c{i}" for i in range(len(raw))]
    s = sum(raw)
    weights = {k: 100 * v / s for k, v in zip(ids, raw, strict=True)}
    changed = ids[which % len(ids)]
    locked = {ids[i] for i in locked_idx if i < len(ids)} - {changed}
    out = rebalance(weights, changed, value, locked)
    assert sum(out.values()) == pytest.approx(100.0)
    assert all(v >= -1e-12 for v in out.values())
    for k in locked:  # locks hold
        assert out[k] == pytest.approx(weights[k])
    held = sum(weights[k] for k in locked)
    free = [k for k in ids if k not in locked and k != changed]
    if free:
        assert out[changed] == pytest.approx(min(value, 100 - held))
        before = sum(weights[k] for k in free)
        if before > 1e-9:  # the free ones keep their proportions
            for k in free:
                assert out[k] * before == pytest.approx(weights[k] * sum(out[f] for f in free),
                                                        abs=1e-6)


def test_rubric_weights_points_and_mcda():
    lb = two_buildings()
    assert rubric_weights(lb.rubric) == {"clean": 60.0, "tidy": 40.0}
    mcda = lb.rubric.with_method("topsis").with_weights({"clean": 1, "tidy": 3})
    assert rubric_weights(mcda) == {"clean": 25.0, "tidy": 75.0}


# ---- the explorer -----------------------------------------------------------------------------

def test_known_answer_on_the_two_building_board():
    ex = WeightExplorer(two_buildings(), charts=False)
    ex.sliders["clean"].value = 80
    # A: 0.9 × 80 + 1.0 × 20 = 92; B: 0.8 × 80 + 0.8 × 20 = 80
    assert ex.table["总分"].to_list() == [92.0, 80.0]
    assert ex.weights == {"clean": 80.0, "tidy": 20.0}
    assert ex.sliders["tidy"].value == 20.0


def test_starts_on_the_rubric(explorer, board):
    assert explorer.weights == pytest.approx(rubric_weights(board.rubric))
    assert sum(explorer.weights.values()) == pytest.approx(100)
    top = board.top(10)
    assert explorer.table["单位编号"].to_list() == top["unit_id"].to_list()
    assert explorer.table["排名"].to_list() == top["rank_label"].to_list()
    assert explorer.table["总分"].to_list() == top["total"].to_list()
    assert set(explorer.table["较细则默认"].to_list()) == {"—"}
    assert explorer.table.columns[:8] == ["名次", "排名", "单位编号", "名称", "总分", "等级",
                                          "星级", "较细则默认"]
    # the table is an HTML widget shown in table_out (a move changes only its value), its
    # <style> another (sent once)
    shown = [b["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
             for b in explorer.table_out.outputs]
    assert shown == [explorer.table_style.model_id, explorer.table_view.model_id]
    html = explorer.table_view.value
    assert top["name"][0] in html and "较细则默认" in html and "<style>" not in html
    style = explorer.table_style.value
    assert style.startswith("<style>") and "#evaltools-explorer" in style


def test_slider_change_reweights_and_shows_movement(explorer, board):
    explorer.sliders["satisfaction"].value = 50
    w = explorer.weights
    assert w["satisfaction"] == 50.0
    assert sum(explorer._weights.values()) == pytest.approx(100)
    # the others keep their proportions (sanitation : stairwell was 20 : 15)
    assert w["sanitation"] / w["stairwell"] == pytest.approx(20 / 15)
    expected = board.with_weights(explorer._weights)
    assert_frame_equal(explorer.board.table, expected.table)
    assert explorer.table["单位编号"].to_list() == expected.top(10)["unit_id"].to_list()
    # movement against the rubric's ranks, computed independently
    default_rank = dict(zip(board.table["unit_id"], board.table["rank"], strict=True))
    for uid, rank, mv in explorer.table.select("单位编号", "名次", "较细则默认").iter_rows():
        diff = default_rank[uid] - rank
        assert mv == ("—" if diff == 0 else f"▲{diff}" if diff > 0 else f"▼{-diff}")
    assert any(m != "—" for m in explorer.table["较细则默认"])
    assert "▲" in explorer.table_view.value or "▼" in explorer.table_view.value


def test_locked_weights_stay(explorer):
    before = explorer.weights
    explorer.locks["sanitation"].value = True
    assert explorer.sliders["sanitation"].disabled
    explorer.sliders["greenery"].value = 30
    after = explorer.weights
    assert after["sanitation"] == before["sanitation"]
    assert after["greenery"] == 30.0
    assert sum(explorer._weights.values()) == pytest.approx(100)


def test_recompute_takes_relative_weights(explorer, board):
    lb = explorer.recompute({"sanitation": 0, "participation": 40})
    assert explorer.weights["sanitation"] == 0.0
    assert explorer.sliders["sanitation"].value == 0.0
    assert sum(explorer._weights.values()) == pytest.approx(100)
    assert lb.table["sanitation"].max() == 0.0
    with pytest.raises(et.UsageError):
        explorer.recompute({"nope": 1})


def test_method_normalisation_and_ties_dropdowns(explorer, board):
    assert explorer.normalization.disabled  # points: no normalisation
    explorer.method.value = "topsis"
    assert not explorer.normalization.disabled
    assert explorer.board.rubric.method == "topsis"
    explorer.normalization.value = "minmax"
    assert explorer.board.rubric.normalization == "minmax"
    fresh = et.evaluate(board.dataset, board.rubric.with_method("topsis", "minmax"))
    assert_frame_equal(explorer.board.table, fresh.with_weights(explorer._weights).table)
    explorer.ties.value = "dense"
    assert explorer.board.rubric.ties == "dense"
    assert "TOPSIS" in explorer.status.value


def test_judge_aggregate_dropdown(explorer, board):
    explorer.aggregate.value = "median"
    median = dataclasses.replace(board.rubric, judge_aggregate="median")
    assert_frame_equal(explorer.board.table,
                       et.evaluate(board.dataset, median).with_weights(explorer._weights).table)
    assert set(explorer.board.values.filter(pl.col("source") == "judges")["rule"]) == {"median"}


def test_an_impossible_option_shows_an_error_and_keeps_the_board(explorer):
    explorer.method.value = "weighted_product"
    good = explorer.board
    explorer.normalization.value = "zscore"  # not allowed for weighted_product
    assert explorer.error and "zscore" in explorer.error
    assert "无法计算" in explorer.status.value
    assert explorer.board is good
    explorer.normalization.value = "max"
    assert explorer.error is None


def test_top_n(explorer, board):
    explorer.top_n.value = 3
    assert explorer.table["名次"].max() <= 3
    assert explorer.table.height == board.top(3).height


def test_reset(explorer, board):
    explorer.sliders["safety"].value = 60
    explorer.locks["safety"].value = True
    explorer.method.value = "vikor"
    explorer.reset()
    assert explorer.weights == pytest.approx(rubric_weights(board.rubric))
    assert not any(lock.value for lock in explorer.locks.values())
    assert explorer.method.value == "points"
    assert explorer.table["总分"].to_list() == board.top(10)["total"].to_list()


def test_save_as_rubric_round_trips(explorer, tmp_path):
    explorer.sliders["satisfaction"].value = 40
    explorer.ties.value = "dense"
    path = explorer.save("调整后.toml")
    assert path == tmp_path / "调整后.toml"
    saved = et.read_rubric(path)
    assert saved.ties == "dense"
    again = et.evaluate(explorer.board.dataset, saved)
    assert again.table["unit_id"].to_list() == explorer.board.table["unit_id"].to_list()
    assert again.table["total"].to_list() == explorer.board.table["total"].to_list()
    assert "已保存" in explorer.status.value


def test_publish(explorer, tmp_path):
    written = explorer.publish(tmp_path / "out")
    if hasattr(explorer.board, "write_html"):
        assert written and all(p.exists() for p in written)
        assert "已发布" in explorer.status.value
    else:
        assert written == [] and explorer.publish_button.disabled


def test_display_is_a_widget_with_a_stable_text(explorer):
    bundle = explorer._repr_mimebundle_()
    assert bundle["text/plain"] == PLAIN_TEXT
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_charts_are_drawn_as_svg(board):
    ex = weight_explorer(board, top=5)
    (bundle,) = ex.chart_out.outputs
    assert bundle["data"]["image/svg+xml"].lstrip().startswith("<svg")
    spec = ex.chart.to_dict()
    assert len(spec["hconcat"]) == 2
    ex.sliders["participation"].value = 30
    assert ex.chart.to_dict()["datasets"] != spec["datasets"]


def test_update_path_is_fast_enough_to_call(board):
    """Not a timing assertion (the benchmark suite times it): the update path runs without
    drawing when charts are off, and returns the new board."""
    ex = WeightExplorer(board, charts=False)
    lb = ex.update()
    assert lb is ex.board and ex.chart is None


# ---- the inspector ------------------------------------------------------------------------------

def test_inspector_shows_explain(board):
    ins = UnitInspector(board, charts=False)
    first = board.table["unit_id"][0]
    assert ins.unit.value == first
    assert_frame_equal(ins.table, board.explain(first))
    last = board.table["unit_id"][-1]
    ins.unit.value = last
    assert_frame_equal(ins.table, board.explain(last))
    assert "总分" in _shown_html(ins.table_out)
    labels = [label for label, _ in ins.unit.options]
    assert labels[0].startswith("第1名")


def test_inspector_follows_the_explorer(board):
    ex = WeightExplorer(board, charts=False)
    ins = unit_inspector(ex, unit_id="JY019", charts=False)
    assert ins.unit.value == "JY019"
    ex.sliders["sanitation"].value = 60
    assert ins.board is ex.board
    assert ins.unit.value == "JY019"
    assert_frame_equal(ins.table, ex.board.explain("JY019"))


def test_inspector_chart(board):
    ins = UnitInspector(board, unit_id="XA011")
    assert ins.chart_out.outputs[0]["data"]["image/svg+xml"].lstrip().startswith("<svg")
    assert "粮机厂院" in str(ins.chart.to_dict())


# ---- charts ------------------------------------------------------------------------------------

def test_unit_profile_spec(board):
    spec = unit_profile(board, ["XA011", "JY019"]).to_dict()
    data = [row for rows in spec["datasets"].values() for row in rows]
    shares = {(r["单位"], r["指标"]): r["得分率"] for r in data if "单位" in r and "指标" in r}
    v = board.values.filter(pl.col("unit_id") == "XA011", pl.col("criterion") == "sanitation")
    assert shares[("粮机厂院", "环境卫生")] == pytest.approx(v["share"][0])
    with pytest.raises(et.EvalToolsError):
        unit_profile(board, ["NOPE"])


def test_satisfaction_dots_spec(sample):
    s = summarize(sample.ratings, satisfied=["满意"])
    chart = satisfaction_dots(s, min_n=200, top=10)
    spec = chart.to_dict()
    assert spec["title"].endswith("（满意率 = 满意）")
    rows = next(iter(spec["datasets"].values()))
    lowers = [r["wilson_lower"] for r in rows]
    assert lowers == sorted(lowers, reverse=True) and len(rows) == 10
    with pytest.raises(et.EvalToolsError):
        satisfaction_dots(s.drop("wilson_upper"))


def test_weight_bars_percent():
    rows = next(iter(weight_bars({"a": 2, "b": 6}, defaults={"a": 1, "b": 1}).to_dict()[
        "datasets"].values()))
    assert [r["权重（%）"] for r in rows] == [25.0, 75.0]
    assert [r["细则权重（%）"] for r in rows] == [50.0, 50.0]


def test_status_names_the_round_as_people_do(explorer, tmp_path):
    """第6轮 for the sample (also after a slider's fast path); a one-off competition (no round in
    its files) is named by its period, never 第1轮."""
    from pathlib import Path

    from evaltools.importer import init_dataset

    assert "第6轮" in explorer.status.value
    name = next(iter(explorer.sliders))
    explorer.sliders[name].value = explorer.sliders[name].value + 1
    assert "第6轮" in explorer.status.value
    raw = Path(__file__).parent / "raw" / "good" / "按评委分表"
    init_dataset([raw], tmp_path / "ds")
    one_off = WeightExplorer(et.evaluate(et.read_dataset(tmp_path / "ds")), charts=False,
                             out_dir=tmp_path)
    assert "2021年第三季度" in one_off.status.value and "第1轮" not in one_off.status.value
