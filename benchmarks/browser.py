"""Browser benchmark (issue 17): what people wait for in chromium, offline. Not a timed test.

``python -m benchmarks.browser [--interactions 12] [--skip-voila] [--modes browser,svg] [--out PATH]``

Starts JupyterLab (and Voila, as ``make app`` does) on a temporary copy of ``notebooks/`` with
this checkout first on ``PYTHONPATH``, drives Debian's chromium with Playwright (headless; every
request that is not to 127.0.0.1 is recorded and aborted — the run fails if one is attempted)
and records:

- ``run_all_04``: notebook 04, "Run All Cells" → the explorer usable (sliders, the table and the
  chart drawn), seconds from the click;
- ``slider_1k[<mode>]``: a notebook with the weight explorer on 1,000 units (the ``evaluate``
  benchmark's dataset): one slider moved by the keyboard (one 0.5 % step, alternately up and
  down on each slider in turn) → the table AND the chart redrawn, milliseconds from the key press
  to the last change of each (a MutationObserver in the page); median over ``--interactions``.
  ``browser`` is the default in a kernel (the spec is sent, the vendored Vega draws it);
  ``svg`` is the server-side SVG of vl-convert (the behaviour before issue 17), measured in the
  same run as the baseline;
- ``voila_first_page``: the Voila app (notebook 04, evaltools template): navigation → the
  explorer usable.

Targets (issue 17): slider → table + charts < 150 ms at 1k units, Run All → usable < 3 s, the
app's first page < 3 s. The result (with the load average) is written as JSON
(``benchmarks/results/browser.json`` by default) and printed as a table.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")
RESULTS = ROOT / "benchmarks" / "results"
# Lab's words in English and in Chinese (`make lab` installs the zh-CN language pack)
RUN = re.compile(r"^(Run|运行)$")
RUN_ALL = re.compile(r"^(Run All Cells|运行所有单元格)$")
SELECT = re.compile(r"^(Select|选择)$")
IDLE = re.compile(r"Kernel status: Idle|内核状态：空闲")  # the span has spaces around

TARGETS = {"slider_1k[browser]": ("ms", 150.0), "run_all_04": ("s", 3.0),
           "voila_first_page": ("s", 3.0)}


def _loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _notebook(cells: list[str]) -> dict:
    return {"cells": [{"cell_type": "code", "execution_count": None, "id": f"c{i}",
                       "metadata": {}, "outputs": [], "source": src}
                      for i, src in enumerate(cells)],
            "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                        "name": "python3"}},
            "nbformat": 4, "nbformat_minor": 5}


def _explorer_1k(charts: str) -> dict:
    return _notebook([
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from benchmarks.cases.evaluate import make_dataset\n"
        "import evaltools as et\n"
        "from evaltools.widgets import WeightExplorer",
        f"explorer = WeightExplorer(et.evaluate(make_dataset(1000)), top=10, charts={charts!r})\n"
        "explorer",
    ])


@contextmanager
def _server(kind: str, folder: Path, notebook: str | None = None):
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
        "JUPYTER_PATH": str(ROOT / "jupyter")}
    if kind == "lab":
        cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
               f"--port={port}", "--IdentityProvider.token=", "--ServerApp.password=",
               "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        probe = f"http://127.0.0.1:{port}/api/contents"
    else:
        cmd = [sys.executable, "-m", "voila", str(folder / notebook), "--no-browser",
               "--Voila.ip=127.0.0.1", f"--port={port}", "--template=evaltools"]
        probe = f"http://127.0.0.1:{port}/voila/static/"
    if os.geteuid() == 0 and kind == "lab":
        cmd.append("--allow-root")
    proc = subprocess.Popen(cmd, cwd=folder, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(probe, timeout=2).close()
                break
            except urllib.error.HTTPError:
                break  # the server answers
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError(f"{kind} did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


# In the page: the explorer's two Output areas (table first, then the chart) and the time of
# the last DOM change in each.
WATCH = """() => {
  const outs = [...document.querySelectorAll('.widget-output')].filter(
      o => o.closest('.widget-vbox') && o.closest('.widget-vbox').querySelector('.widget-slider'));
  const [table, chart] = outs;
  window.__t = {table: 0, chart: 0};
  for (const [name, node] of [['table', table], ['chart', chart]]) {
    new MutationObserver(() => { window.__t[name] = performance.now(); })
      .observe(node, {subtree: true, childList: true, characterData: true, attributes: true});
  }
  return outs.length;
}"""

USABLE = """() => {
  const slider = document.querySelector('.widget-slider .noUi-handle');
  const table = document.querySelector('.evaltools-table');
  const chart = document.querySelector('.evaltools-vega-chart[data-revision] svg, '
      + '.widget-output img, .widget-output svg.marks, .widget-output .jp-RenderedSVG svg');
  return !!(slider && table && chart);
}"""


def _open(page, base: str, notebook: str) -> None:
    """Open ``notebook`` in a fresh Lab workspace (no restored tabs) and wait for its kernel."""
    _open.count = getattr(_open, "count", 0) + 1
    page.goto(f"{base}/lab/workspaces/bench{_open.count}/tree/{notebook}?reset")
    page.locator(".jp-Notebook >> visible=true").first.wait_for(timeout=120_000)
    _kernel_idle(page)


def _kernel_idle(page) -> None:
    """Wait until the notebook's kernel has started (the status bar says Idle); accept the
    kernel dialog if Lab asks."""
    select = page.locator(".jp-Dialog button", has_text=SELECT)
    try:
        select.first.wait_for(timeout=3000)
        select.first.click()
    except Exception:  # no dialog
        pass
    page.get_by_text(IDLE).first.wait_for(state="attached", timeout=120_000)
    page.wait_for_timeout(500)


def _usable(page, timeout_ms: int = 120_000) -> None:
    try:
        page.wait_for_function(USABLE, timeout=timeout_ms, polling=20)
    except Exception:
        page.screenshot(path=str(Path(tempfile.gettempdir()) / "evaltools-browser-bench.png"))
        raise


def _slider_latencies(page, n: int) -> list[float]:
    assert page.evaluate(WATCH) >= 2, "explorer outputs not found"
    handles = page.locator(".widget-slider .noUi-handle")
    count = handles.count()
    out = []
    for i in range(n):
        handle = handles.nth(i % count)
        handle.focus()
        page.wait_for_timeout(300)
        t0 = page.evaluate("() => { window.__t = {table: 0, chart: 0}; return performance.now(); }")
        handle.press("ArrowRight" if (i // count) % 2 == 0 else "ArrowLeft")
        page.wait_for_function(f"() => window.__t.table > {t0} && window.__t.chart > {t0}",
                               timeout=30_000, polling=10)
        page.wait_for_timeout(400)  # later changes (the deferred chart) are counted too
        t = page.evaluate("() => window.__t")
        out.append(max(t["table"], t["chart"]) - t0)
    return out


def _lab_cases(page, folder: Path, interactions: int, res: dict[str, Any],
               modes: tuple[str, ...] = ("browser", "svg")) -> None:
    """Notebook 04 Run All, and the slider latency at 1k units in both chart modes."""
    with _server("lab", folder) as base:
        # notebook 04: Run All → usable
        _open(page, base, "04_权重调整与排名.ipynb")
        page.get_by_text(RUN).first.click()
        item = page.get_by_text(RUN_ALL).first
        item.wait_for(state="visible")
        t0 = time.perf_counter()
        item.click()
        _usable(page)
        res["cases"]["run_all_04"] = {"unit": "s", "values": [time.perf_counter() - t0]}
        # slider latency at 1k units, both chart modes
        for mode in modes:
            _open(page, base, f"bench_1k_{mode}.ipynb")
            page.get_by_text(RUN).first.click()
            page.get_by_text(RUN_ALL).first.click()
            _usable(page)
            page.wait_for_timeout(1000)
            lat = _slider_latencies(page, interactions)
            res["cases"][f"slider_1k[{mode}]"] = {"unit": "ms", "values": lat}


def run(interactions: int, voila: bool, lab: bool = True,
        modes: tuple[str, ...] = ("browser", "svg")) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    res: dict[str, Any] = {"load_start": _loadavg(), "cases": {}}
    external: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="evaltools-browser-bench-"))
    folder = tmp / "notebooks"
    shutil.copytree(ROOT / "notebooks", folder)
    # the notebooks' DATA = "data/sample" is found in a parent folder of the notebooks
    (tmp / "data").symlink_to(ROOT / "data", target_is_directory=True)
    for mode in ("browser", "svg"):
        (folder / f"bench_1k_{mode}.ipynb").write_text(json.dumps(_explorer_1k(mode)))
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = browser.new_context(viewport={"width": 1400, "height": 1000})

            def guard(route):
                if route.request.url.startswith(LOCAL):
                    route.continue_()
                else:
                    external.append(route.request.url)
                    route.abort()

            context.route("**/*", guard)
            page = context.new_page()
            if lab:
                _lab_cases(page, folder, interactions, res, modes)
            if voila:
                with _server("voila", folder, "04_权重调整与排名.ipynb") as base:
                    urllib.request.urlopen(f"{base}/", timeout=120).close()  # warm: one run
                    times = []
                    for _ in range(3):
                        t0 = time.perf_counter()
                        page.goto(f"{base}/")
                        _usable(page)
                        times.append(time.perf_counter() - t0)
                    res["cases"]["voila_first_page"] = {"unit": "s", "values": times}
            context.close()
            browser.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    res["load_end"] = _loadavg()
    res["external_requests"] = external
    for name, case in res["cases"].items():
        case["median"] = statistics.median(case["values"])
        if name in TARGETS:
            unit, limit = TARGETS[name]
            case["target"] = f"< {limit:g} {unit}"
            case["status"] = "PASS" if case["median"] < limit and not external else "FAIL"
    return res


def format_result(res: dict[str, Any]) -> str:
    lines = [f"load average {res['load_start']} → {res['load_end']}; "
             f"off-machine requests: {len(res['external_requests'])}",
             f"{'case':24} {'median':>10} {'min–max':>20} {'n':>3}  target      status"]
    for name, c in res["cases"].items():
        u = c["unit"]
        lines.append(f"{name:24} {c['median']:>8.3g} {u} {min(c['values']):>8.3g}–"
                     f"{max(c['values']):<8.3g} {u} {len(c['values']):>3}  "
                     f"{c.get('target', ''):11} {c.get('status', '')}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.browser",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("--interactions", type=int, default=12)
    ap.add_argument("--skip-voila", action="store_true")
    ap.add_argument("--skip-lab", action="store_true", help="only the Voila app")
    ap.add_argument("--modes", default="browser,svg",
                    help="chart modes of the slider case, comma-separated (default browser,svg)")
    ap.add_argument("--out", type=Path, default=RESULTS / "browser.json")
    args = ap.parse_args(argv)
    res = run(args.interactions, voila=not args.skip_voila, lab=not args.skip_lab,
              modes=tuple(m for m in args.modes.split(",") if m))
    print(format_result(res))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"results: {args.out}")
    return 1 if res["external_requests"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
