"""The weight explorer's charts drawn in the browser, seen from Python (issue 17): what a move
sends to the page (rows only), when a new spec goes instead, that the rows are the table's, and
that the spec with its rows draws what the published chart draws. No kernel, no browser (the
page's side is in test_widgets_browser.py)."""

from __future__ import annotations

import asyncio

import polars as pl
import pytest

import evaltools as et
from evaltools.charts.leaderboard import ROW_ORDER, leaderboard_bars, total_rows
from evaltools.charts.units import weight_bars, weight_rows
from evaltools.widgets import TOTALS, WEIGHTS, UnitInspector, WeightExplorer


@pytest.fixture(scope="module")
def board():
    from evaltools.datasets import load_sample

    return et.evaluate(load_sample())


class Sent:
    """The state messages a widget sends to the page (recorded in place of the comm)."""

    def __init__(self, widget) -> None:
        self.messages: list[dict] = []
        widget._send = lambda msg, buffers=None: self.messages.append(msg)

    def keys(self) -> list[set[str]]:
        out = [set(m["state"]) for m in self.messages if m.get("method") == "update"]
        self.messages.clear()
        return out


def _explorer(board, **kwargs) -> tuple[WeightExplorer, Sent]:
    ex = WeightExplorer(board, charts="browser", **kwargs)
    return ex, Sent(ex.chart_view)


def test_a_slider_move_sends_rows_only(board):
    ex, sent = _explorer(board)
    table, style = Sent(ex.table_view), Sent(ex.table_style)
    outputs = ex.table_out.outputs
    spec = ex.chart_view.spec
    revision = ex.chart_view.revision
    ex.sliders["safety"].value = 30
    assert ex.path == "fast"
    assert sent.keys() == [{"data", "revision"}]  # one message: the rows, no spec
    assert ex.chart_view.spec is spec and ex.chart_view.revision == revision + 1
    assert table.keys() == [{"value"}]  # the table: its HTML, in place
    assert style.keys() == []  # its <style> went once
    assert ex.table_out.outputs is outputs  # no output area re-rendered
    ex.sliders["sanitation"].value = 12
    assert sent.keys() == [{"data", "revision"}]
    assert ex._board is None  # the chart's rows came from the rows shown: no whole board built


@pytest.mark.parametrize("change", ["method", "ties", "top_n"])
def test_other_options_rebuild_the_spec_and_send_it_only_when_it_differs(board, change,
                                                                        monkeypatch):
    """A change of method, ties or top_n builds the spec again (the fast path's rows need not
    fit the last one); the spec reads its rows by name and takes scales, order and height from
    them, so it is usually the same and only the rows go; a spec that differs goes too."""
    ex, sent = _explorer(board)
    built = []
    chart_spec = ex.chart_spec
    monkeypatch.setattr(ex, "chart_spec", lambda b: built.append(1) or chart_spec(b))
    if change == "method":
        ex.method.value = "topsis"
    elif change == "ties":
        ex.ties.value = "dense" if ex.ties.value != "dense" else "min"
    else:
        ex.top_n.value = 5
    assert built == [1]
    # the same spec: not sent again; the rows when they changed (a tie rule may change none)
    assert sent.keys() == ([] if change == "ties" else [{"data", "revision"}])
    ex.sliders["safety"].value = 30  # a move: rows only, no spec built
    assert built == [1] and sent.keys() == [{"data", "revision"}]


def test_a_spec_that_differs_is_sent(board, monkeypatch):
    """top_n beyond what a chart draws: the title says so (前5名，共8个单位): a new spec."""
    import evaltools.chartdata as chartdata

    ex, sent = _explorer(board)
    monkeypatch.setattr(chartdata, "MAX_CHART_UNITS", 5)  # what every chart of a board draws
    ex.top_n.value = 8
    assert sent.keys() == [{"spec", "data", "revision"}]
    assert "前5名，共8个单位" in ex.chart_view.spec["hconcat"][0]["title"]
    assert len(ex.chart_view.data[TOTALS]) == 5
    ex.sliders["safety"].value = 30
    assert sent.keys() == [{"data", "revision"}]


def test_the_spec_reads_named_datasets_and_holds_no_rows(board):
    ex, _ = _explorer(board)
    spec = ex.chart_view.spec
    assert "datasets" not in spec
    totals, weights = spec["hconcat"]
    assert totals["data"] == {"name": TOTALS} and weights["data"] == {"name": WEIGHTS}
    for part in (totals, weights):
        for layer in part["layer"]:
            # sorted by the rows' order, not by a list baked into the spec
            assert layer["encoding"]["y"]["sort"] == {"field": ROW_ORDER, "op": "min"}
    assert spec["config"]["font"]  # themed


def test_the_rows_are_the_tables(board):
    ex, _ = _explorer(board, top=8)
    for cid, value in (("safety", 35.0), ("sanitation", 5.0), ("participation", 22.5)):
        ex.sliders[cid].value = value
        data = ex.chart_view.data
        totals = pl.DataFrame(data[TOTALS])
        shown = ex.table
        assert totals["单位"].to_list() == shown["名称"].to_list()
        assert totals["unit_id"].to_list() == shown["单位编号"].to_list()
        assert totals["rank_label"].to_list() == shown["排名"].to_list()
        assert totals["total"].to_list() == shown["总分"].to_list()
        assert totals[ROW_ORDER].to_list() == list(range(shown.height))
        weights = {r["id"]: r["权重（%）"] for r in data[WEIGHTS]}
        assert weights == pytest.approx(ex.weights, abs=0.01)
        assert [r["标注"] for r in data[WEIGHTS]] == [f"{ex._weights[k]:.1f}%" for k in weights]
        # the same rows as the chart of the whole leaderboard with these weights
        full = total_rows(board.with_weights(ex._weights), top=8, order=True)
        assert data[TOTALS] == full.to_dicts()


def test_shared_names_carry_the_unit_id_as_in_the_published_chart():
    from tests.test_reweight import _tied_dataset

    ds = _tied_dataset()
    ds.units = ds.units.with_columns(
        name=pl.when(pl.col("unit_id").is_in(["A", "H"])).then(pl.lit("同名楼"))
        .otherwise(pl.col("name")))
    ex, _ = _explorer(et.evaluate(ds), top=3)
    for cid, value in (("clean", 60.0), ("green", 10.0)):
        ex.sliders[cid].value = value
        assert ex.path == "fast"
        assert ex.chart_view.data[TOTALS] == total_rows(ex.board, top=3, order=True).to_dicts()


def test_spec_with_its_rows_draws_the_published_chart(board):
    """The data-driven spec with its rows inlined draws the same SVG as the chart with the rows
    in it (leaderboard_bars | weight_bars as published), after a move."""
    import vl_convert as vlc

    from evaltools.charts import use_theme

    ex, _ = _explorer(board, top=6)
    ex.sliders["greenery"].value = 31
    use_theme()
    live = vlc.vegalite_to_svg({**ex.chart_view.spec, "datasets": ex.chart_view.data})
    static = vlc.vegalite_to_svg(ex.charts_for(ex.board).to_dict(validate=False))
    assert live == static
    assert ex.chart is not None and ex.chart.to_dict(validate=False)["hconcat"]


def test_data_variants_build_the_same_rows_as_the_published_charts(board):
    spec = leaderboard_bars(board, top=5).to_dict()
    (rows,) = spec["datasets"].values()
    assert rows == total_rows(board, top=5).to_dicts()
    named = leaderboard_bars(board, top=5, data_name="t").to_dict()
    assert "datasets" not in named and named["title"] == spec["title"]
    w = {"a": 1.0, "b": 3.0}
    (wrows,) = weight_bars(w, defaults=w).to_dict()["datasets"].values()
    assert wrows == weight_rows(w, defaults=w).to_dicts()
    assert weight_rows(w, order=True)[ROW_ORDER].to_list() == [0, 1]


def test_moves_before_the_drawing_runs_are_drawn_once(board):
    """In a kernel the charts are drawn after the message is handled; moves that arrive before
    that are drawn once, with the last weights."""
    ex, sent = _explorer(board)

    async def drag() -> None:
        for value in (20.0, 25.0, 30.0):
            ex.sliders["safety"].value = value
        assert sent.keys() == []  # nothing drawn yet
        await asyncio.sleep(0)

    asyncio.run(drag())
    assert sent.keys() == [{"data", "revision"}]
    shown = {r["id"]: r["权重（%）"] for r in ex.chart_view.data[WEIGHTS]}
    assert shown["safety"] == pytest.approx(30.0)


def test_an_unchanged_chart_is_not_sent_again(board):
    """The inspector redraws its chart after every move of the explorer it follows; the same
    chart (its 得分率 do not move with the weights) is not sent again."""
    ins = UnitInspector(board, unit_id="XA011", charts="browser")
    sent = Sent(ins.chart_view)
    revision = ins.chart_view.revision
    ins.update()  # same unit, same board: the same chart
    assert sent.keys() == [] and ins.chart_view.revision == revision
    ins.unit.value = "JY019"
    assert sent.keys() == [{"spec", "revision"}] and ins.chart_view.revision == revision + 1


def test_a_drawing_lost_with_its_loop_does_not_stop_the_next(board):
    """A drawing scheduled on a loop that was closed before running it does not hold the later
    drawings back (the explorer remembers the loop, not just that a drawing is due)."""
    ex, sent = _explorer(board)
    loop = asyncio.new_event_loop()
    ex._charts_due = loop  # as _deferred leaves it: scheduled on this loop …
    loop.close()  # … which closes without running it
    ex.sliders["safety"].value = 26.0  # no loop running now: drawn at once
    assert sent.keys() == [{"data", "revision"}]
    shown = {r["id"]: r["权重（%）"] for r in ex.chart_view.data[WEIGHTS]}
    assert shown["safety"] == pytest.approx(26.0)
    assert ex._charts_due is None
