"""The weight explorer's charts drawn by chromium (issue 17): after a slider move only the rows
are sent and the view already drawn shows them (no new spec, no Vega-Lite compile).

Two levels: the widget's JavaScript (``evaltools.charts.browser.widget_esm``) with a stand-in
for the widget model, fed the explorer's own spec and rows from Python (fast); and JupyterLab
with a real kernel, where a key press on a slider must change the labels drawn in the chart to
the new weights and the table's totals. Not timed (``python -m benchmarks.browser`` times it)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
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



# ---- JupyterLab, a real kernel ------------------------------------------------------------------

RUN = re.compile(r"^(Run|运行)$")
RUN_ALL = re.compile(r"^(Run All Cells|运行所有单元格)$")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab_explorer(tmp_path_factory):
    """JupyterLab serving a notebook with the weight explorer on the sample (charts by default:
    drawn by the browser in a kernel)."""
    folder = tmp_path_factory.mktemp("lab")
    cells = ["import evaltools as et\nfrom evaltools.widgets import WeightExplorer",
             f"explorer = WeightExplorer(et.evaluate(et.read_dataset({str(SAMPLE)!r})), top=5)\n"
             "explorer"]
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {},
                     "outputs": [], "source": src} for i, src in enumerate(cells)],
          "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                      "name": "python3"}},
          "nbformat": 4, "nbformat_minor": 5}
    (folder / "explorer.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    port = _free_port()
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
           f"--port={port}", "--IdentityProvider.token=", "--ServerApp.password=",
           "--LabApp.news_url=None",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    proc = subprocess.Popen(cmd, cwd=folder, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"{base}/api/contents", timeout=2).close()
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start within 120 s")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


CHART = ".evaltools-vega-chart"
MARK_LABELS = f"""() => [...document.querySelectorAll('{CHART} svg g.mark-text.role-mark text')]
    .map((t) => t.textContent)"""
TABLE_ROWS = """() => [...document.querySelectorAll('.evaltools-table tbody tr')]
    .map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent.trim()))"""


def test_a_slider_move_in_lab_redraws_the_chart_with_the_new_values(lab_explorer, chromium,
                                                                    test_output):
    with offline_page(chromium, width=1400, height=1000) as (page, seen):
        page.goto(f"{lab_explorer}/lab/tree/explorer.ipynb")
        page.locator(".jp-Notebook").first.wait_for(state="visible", timeout=120_000)
        page.wait_for_timeout(2000)  # the kernel starts
        page.get_by_text(RUN).first.click()
        page.get_by_text(RUN_ALL).first.click()
        page.locator(f"{CHART}[data-revision] svg").first.wait_for(state="visible",
                                                                    timeout=120_000)
        page.locator(".evaltools-table").first.wait_for(state="visible", timeout=60_000)
        chart = page.locator(CHART).first
        revision = int(chart.get_attribute("data-revision") or 0)
        before = page.evaluate(MARK_LABELS)
        # the first slider (环境卫生, 20 %): one keyboard step (0.5) up
        handle = page.locator(".widget-slider .noUi-handle").first
        handle.focus()
        handle.press("ArrowRight")
        page.wait_for_function(
            f"() => +document.querySelector('{CHART}').dataset.revision > {revision}",
            timeout=60_000, polling=20)
        page.wait_for_timeout(1000)  # the table and a coalesced drawing settle
        after = page.evaluate(MARK_LABELS)
        rows = page.evaluate(TABLE_ROWS)
        kind = chart.get_attribute("data-draw-kind")
        page.screenshot(path=test_output / "lab_explorer_after_move.png")
    assert seen.external == []
    assert kind == "data"  # the rows went into the view drawn: no new spec
    assert "20.0%" in before and "20.5%" in after and "20.5%" not in before
    # the bars' labels are the table's ranks and totals after the move
    assert rows and all(f"{r[1]} {r[4]}" in after for r in rows)
