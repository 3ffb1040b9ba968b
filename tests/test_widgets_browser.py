"""The weight explorer's charts drawn by chromium (issue 17): after a slider move only the rows
are sent and the view already drawn shows them (no new spec, no Vega-Lite compile).

Two levels: the widget's JavaScript (``evaltools.charts.browser.widget_esm``) with a stand-in
for the widget model, fed the explorer's own spec and rows from Python (fast); and JupyterLab
with a real kernel, where a key press on a slider must change the labels drawn in the chart to
the new weights and the table's totals. Not timed (``python -m benchmarks.browser`` times it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import evaltools as et
from evaltools.widgets import TOTALS, WEIGHTS, WeightExplorer
from tests.browser import offline_page

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"

pytestmark = [pytest.mark.system, pytest.mark.browser]

# In the page: the widget's module from a blob URL, rendered into #chart with a stand-in model
# (get / on / off as anywidget's); window.__chart.set(state) changes traits and fires the
# change:revision event as the widget manager does.
MOUNT = """async ([esm, state]) => {
  const url = URL.createObjectURL(new Blob([esm], {type: "text/javascript"}));
  const widget = (await import(url)).default;
  const listeners = {};
  const model = {
    get: (k) => state[k],
    on: (ev, cb) => { (listeners[ev] ||= []).push(cb); },
    off: (ev, cb) => { listeners[ev] = (listeners[ev] || []).filter((f) => f !== cb); },
  };
  const el = document.createElement("div");
  el.id = "chart";
  document.body.appendChild(el);
  widget.render({model, el});
  window.__chart = {
    set(changes) {
      Object.assign(state, changes);
      for (const cb of listeners["change:revision"] || []) cb();
    },
  };
}"""

# the text marks drawn in the chart's SVG (Vega's SVG renderer: one <text> per label; axis
# labels are role-axis-label, not role-mark)
LABELS = """() => [...document.querySelectorAll('#chart svg g.mark-text.role-mark text')]
    .map((t) => t.textContent)"""


def _labels(data: dict) -> list[str]:
    """The labels a chart of these rows draws: every total's and every weight's 标注."""
    return [row["标注"] for name in (TOTALS, WEIGHTS) for row in data[name]]


def _wait_revision(page, revision: int, selector: str = "#chart") -> None:
    page.wait_for_function(
        f"() => document.querySelector({selector!r})?.dataset.revision === '{revision}'",
        timeout=60_000, polling=20)


@pytest.fixture(scope="module")
def sample_board():
    return et.evaluate(et.read_dataset(SAMPLE))


def test_a_move_sends_rows_that_the_drawn_view_shows(sample_board, chromium, test_output):
    from evaltools.charts.browser import widget_esm

    ex = WeightExplorer(sample_board, top=5, charts="browser")
    view = ex.chart_view
    first = {"spec": view.spec, "data": view.data, "revision": view.revision}
    ex.sliders["safety"].value = 40
    assert view.spec is first["spec"]  # only rows were sent
    moved = {"data": view.data, "revision": view.revision}
    with offline_page(chromium, width=1200, height=800) as (page, seen):
        page.set_content("<html><body></body></html>")
        page.evaluate(MOUNT, [widget_esm(), json.loads(json.dumps(first))])
        _wait_revision(page, first["revision"])
        assert page.get_attribute("#chart", "data-draw-kind") == "spec"
        before = page.evaluate(LABELS)
        svg = page.evaluate_handle("() => document.querySelector('#chart svg')")
        page.evaluate("(d) => window.__chart.set(d)", json.loads(json.dumps(moved)))
        _wait_revision(page, moved["revision"])
        assert page.get_attribute("#chart", "data-draw-kind") == "data"
        # the same SVG element: the view was updated, not drawn anew
        assert page.evaluate("(s) => s === document.querySelector('#chart svg')", svg)
        after = page.evaluate(LABELS)
        page.screenshot(path=test_output / "explorer_chart_after_move.png")
    assert seen.external == []
    assert after != before
    assert sorted(before) == sorted(_labels(first["data"]))
    assert sorted(after) == sorted(_labels(moved["data"]))
    # what the chart shows is the explorer's table and weights after the move
    table = ex.table
    for label, total in zip(table["排名"], table["总分"], strict=True):
        assert f"{label} {total:.2f}" in after
    assert f"{ex.weights['safety']:.1f}%" in after
    assert f"{ex.weights['safety']:.1f}%" not in before


def test_a_new_spec_is_drawn_afresh_and_bursts_are_coalesced(sample_board, chromium):
    from evaltools.charts.browser import widget_esm

    ex = WeightExplorer(sample_board, top=5, charts="browser")
    view = ex.chart_view
    state = {"spec": view.spec, "data": view.data, "revision": view.revision}
    moves = []
    for value in (30, 35, 20, 25):  # four quick moves: the page gets them while drawing
        ex.sliders["sanitation"].value = value
        moves.append({"data": view.data, "revision": view.revision})
    ex.top_n.value = 3  # another spec (top_n is in its key)
    respec = {"spec": view.spec, "data": view.data, "revision": view.revision}
    assert respec["spec"] is not state["spec"]
    with offline_page(chromium, width=1200, height=800) as (page, seen):
        page.set_content("<html><body></body></html>")
        page.evaluate(MOUNT, [widget_esm(), json.loads(json.dumps(state))])
        _wait_revision(page, state["revision"])
        page.evaluate("""(moves) => { for (const m of moves) window.__chart.set(m); }""",
                      json.loads(json.dumps(moves)))
        _wait_revision(page, moves[-1]["revision"])  # the last move wins
        coalesced = page.evaluate(LABELS)
        # the first move is drawn, the three that came while it was drawn are drawn once
        assert page.get_attribute("#chart", "data-draws") == "3"
        page.evaluate("(d) => window.__chart.set(d)", json.loads(json.dumps(respec)))
        _wait_revision(page, respec["revision"])
        assert page.get_attribute("#chart", "data-draw-kind") == "spec"
        three = page.evaluate(LABELS)
    assert seen.external == []
    assert sorted(coalesced) == sorted(_labels(moves[-1]["data"]))
    assert sorted(three) == sorted(_labels(respec["data"]))
    assert len(respec["data"][TOTALS]) == 3

