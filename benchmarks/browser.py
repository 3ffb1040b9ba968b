"""Browser benchmark (issue 17): what people wait for in chromium, offline. Not a timed test.

``python -m benchmarks.browser [--interactions 12] [--visits 3] [--skip-lab] [--skip-voila]
[--modes browser,svg] [--out PATH]``

Starts JupyterLab and the app (``scripts/serve.sh app``, exactly what ``make app`` runs, on a
temporary copy of ``notebooks/`` and ``data/sample``) with this checkout first on ``PYTHONPATH``,
drives Debian's chromium with Playwright (headless; every request that is not to 127.0.0.1 is
recorded and aborted — the run fails if one is attempted) and records:

- ``run_all_04``: notebook 04, "Run All Cells" → the explorer usable (sliders, the table and the
  chart drawn), seconds from the click;
- ``slider_1k[<mode>]``: a notebook with the weight explorer on 1,000 units (the ``evaluate``
  benchmark's dataset): one slider moved by the keyboard (one 0.5 % step, alternately up and
  down on each slider in turn) → the table AND the chart redrawn, milliseconds from the key press
  to the last change of each (a MutationObserver in the page); median over ``--interactions``.
  ``browser`` is the default in a kernel (the spec is sent, the vendored Vega draws it);
  ``svg`` is the server-side SVG of vl-convert (the behaviour before issue 17), measured in the
  same run as the baseline;
- ``app_first_page``: the app (notebook 00) as ``make app`` serves it (its pre-heated kernels),
  and ``app_first_page[no pool]`` (``POOL=0``: a kernel started per visit, as before) in the
  same run: navigation → the first page **usable**: the first tab's controls rendered (the data
  folder dropdown with its folders, the 打开 button enabled) AND answering: a click on the
  "2 检查" tab is sent to the kernel, whose answer shows the 检查 page. Each visit is a fresh
  browser context (empty cache, as a first visit) and starts when the server's processes are
  idle (the pool refilled); median of ``--visits``. Also recorded: the CPU seconds of chromium,
  the server and its kernels during each visit, and when the HTML arrived / DOMContentLoaded /
  the controls appeared / the kernel answered;
- ``app_second_tab``: a second tab opened as soon as the first is usable (the pool is
  refilling: what two tabs, or a quick reload, get);
- ``app_publish``: in the app, the sample (``data/sample``) opened, then a click on 发布榜单 →
  the first step's download links shown (page, workbook, CSV, charts, poster), seconds from
  the click; each a fresh visit (a fresh kernel, as a user publishes once per visit); median of
  ``--visits``; ``app_publish_all``: the same click → the PDF and Word links shown (the second
  step, a spawned process; reported, no target);
- ``voila_first_page``: notebook 04 served the same way → the explorer usable.

Targets (issue 17): slider → table + charts < 150 ms at 1k units, Run All → usable < 3 s, the
app's first page < 3 s, publishing from the app < 1.5 s. The result (with the load average) is
written as JSON (``benchmarks/results/browser.json`` by default) and printed as a table.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
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

APP = "00_评估应用.ipynb"
FILL_DELAY = 5  # scripts/serve.sh: --VoilaKernelManager.fill_delay
TARGETS = {"slider_1k[browser]": ("ms", 150.0), "run_all_04": ("s", 3.0),
           "app_first_page": ("s", 3.0), "app_publish": ("s", 1.5)}


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
def _server(folder: Path):
    """JupyterLab on ``folder`` (no token), as ``make lab`` runs it."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
        "JUPYTER_PATH": str(ROOT / "jupyter")}
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
           f"--port={port}", "--IdentityProvider.token=", "--ServerApp.password=",
           "--LabApp.news_url=None",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    probe = f"http://127.0.0.1:{port}/api/contents"
    if os.geteuid() == 0:
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
            raise RuntimeError("lab did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _processes() -> dict[int, tuple[int, float, bytes]]:
    """pid → (parent pid, CPU seconds used, command line) of every live process."""
    out = {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmd = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        out[int(stat.parent.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick,
                                      cmd)
    return out


def _descendants(root: int, procs: dict[int, tuple[int, float, bytes]]) -> set[int]:
    keep = {root}
    grew = True
    while grew:
        new = {pid for pid, (ppid, _, _) in procs.items() if ppid in keep} - keep
        keep |= new
        grew = bool(new)
    return keep


def _our_cpu() -> float:
    """CPU seconds used so far by this benchmark's live child processes: chromium (through
    Playwright's driver), the server and its kernels."""
    procs = _processes()
    return sum(procs[pid][1] for pid in _descendants(os.getpid(), procs) - {os.getpid()})


@dataclass
class Served:
    """The app as ``make app`` serves it: its printed URL (with the token) and its server
    process (whose descendants are the kernels: jupyter_client starts each in a session of its
    own)."""

    url: str
    pid: int

    def tree(self) -> dict[int, tuple[int, float, bytes]]:
        """The server process and its descendants."""
        procs = _processes()
        keep = _descendants(self.pid, procs)
        return {pid: v for pid, v in procs.items() if pid in keep}

    def cpu(self) -> float:
        """CPU seconds (user + sys) used so far by the server and its live kernels."""
        return sum(cpu for _, cpu, _ in self.tree().values())

    def kernels(self) -> list[int]:
        """The kernel processes alive."""
        return [pid for pid, (_, _, cmd) in self.tree().items() if b"ipykernel" in cmd]

    def kernel_rss(self) -> list[float]:
        """Resident memory (MB) of each live kernel."""
        out = []
        for pid in self.kernels():
            try:
                status = Path(f"/proc/{pid}/status").read_text().splitlines()
            except OSError:
                continue
            out += [int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS")]
        return out

    def settle(self, quiet: float = 0.05, timeout: float = 120.0) -> None:
        """Wait until the server and its kernels are idle (under ``quiet`` CPU seconds in each
        of two seconds in a row), at least ``FILL_DELAY`` + 1 s after the last visit: the pool
        is refilled (a pre-heated kernel has run the notebook), nothing is left to do."""
        time.sleep(FILL_DELAY + 1)
        end = time.monotonic() + timeout
        last, calm = self.cpu(), 0
        while time.monotonic() < end and calm < 2:
            time.sleep(1.0)
            now = self.cpu()
            calm = calm + 1 if now - last < quiet else 0
            last = now


@contextmanager
def _app_server(notebook: Path, workspace: Path, pool: int | None = None):
    """``scripts/serve.sh app`` (what ``make app`` runs) serving ``notebook``, with its default
    pool or ``POOL=pool``; yields the URL it prints."""
    env = {**os.environ, "VENV": str(Path(sys.executable).parents[1]),
           "PORT": str(_free_port()), "APP_NOTEBOOK": str(notebook),
           "EVALTOOLS_WORKSPACE": str(workspace), "PYTHONPATH": os.pathsep.join(
               [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    env.pop("SOURCE_DATE_EPOCH", None)  # each publication gets its own time (and folder)
    env.pop("POOL", None)
    if pool is not None:
        env["POOL"] = str(pool)
    log = Path(tempfile.mkstemp(prefix="evaltools-app-", suffix=".log")[1])
    with log.open("w") as fh:
        proc = subprocess.Popen(["bash", str(ROOT / "scripts" / "serve.sh"), "app"], cwd=ROOT,
                                env=env, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        for _ in range(240):
            if proc.poll() is not None:
                raise RuntimeError(f"make app exited: {log.read_text()[-2000:]}")
            m = re.search(r"http://127\.0\.0\.1:(\d+)/\?token=[0-9a-f]{32}", log.read_text())
            if m:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{m.group(1)}/voila/static/",
                                           timeout=2).close()
                    break
                except urllib.error.HTTPError:
                    break  # the server answers
                except OSError:
                    pass
            time.sleep(0.5)
        else:
            raise RuntimeError(f"the app did not start: {log.read_text()[-2000:]}")
        yield Served(m.group(0), proc.pid)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.unlink(missing_ok=True)


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
    with _server(folder) as base:
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


# The app's first tab usable: the data folder dropdown with its folders, the 打开 button enabled.
APP_CONTROLS = """() => {
  const app = document.querySelector('.evaltools-app');
  if (!app) return false;
  const select = app.querySelector('.widget-dropdown select');
  const open = [...app.querySelectorAll('button')].find(b => b.textContent.trim() === '打开');
  return !!(select && select.options.length > 0 && open && !open.disabled);
}"""


def _app_usable(page, url: str, phases: list | None = None) -> float:
    """Open the app at ``url``; seconds until its first page is usable: controls rendered and
    the kernel answering (a click on the 2 检查 tab shows the 检查 page). ``phases`` receives
    (HTML received, DOMContentLoaded, controls rendered, answered), seconds from navigation."""
    t0 = time.perf_counter()
    page.goto(url, timeout=120_000)
    try:
        page.wait_for_function(APP_CONTROLS, timeout=120_000, polling=20)
        controls = time.perf_counter() - t0
        page.get_by_role("button", name="2 检查").click()
        page.get_by_text("逐个文件、逐行检查").first.wait_for(state="visible", timeout=120_000)
    except Exception:
        page.screenshot(path=str(Path(tempfile.gettempdir()) / "evaltools-browser-bench.png"))
        raise
    total = time.perf_counter() - t0
    if phases is not None:
        nav = page.evaluate("() => { const n = performance.getEntriesByType('navigation')[0];"
                            " return [n.responseEnd, n.domContentLoadedEventEnd]; }")
        phases.append([round(nav[0] / 1000, 3), round(nav[1] / 1000, 3), round(controls, 3),
                       round(total, 3)])
    return total


def _close(context, page) -> None:
    """Close the tab as a person does (the page's beforeunload handlers run), then its context."""
    page.close(run_before_unload=True)
    time.sleep(0.2)  # the shutdown request Voila sends on unload
    context.close()


def _fresh(browser, guard):
    """A new browser context (empty cache and cookies: a first visit) and its page."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.route("**/*", guard)
    return context, context.new_page()


def _app_cases(browser, guard, folder: Path, visits: int, res: dict[str, Any]) -> None:
    """The app (notebook 00) as `make app` serves it: first page with and without the pool,
    a second tab, publishing from the app."""
    notebook = folder / APP
    workspace = folder.parent / "工作区"
    for pool in (None, 0):
        name = "app_first_page" if pool is None else "app_first_page[no pool]"
        with _app_server(notebook, workspace, pool) as app:
            times, kernels, phases, cpu = [], [], [], []
            app.settle()
            if pool is None:
                res["pool_kernel_rss_mb"] = app.kernel_rss()  # the kernels waiting for a visit
            for _ in range(visits):
                app.settle()
                context, page = _fresh(browser, guard)
                cpu0 = _our_cpu()
                times.append(_app_usable(page, app.url, phases))
                cpu.append(round(_our_cpu() - cpu0, 2))
                if pool is None:
                    # a second tab at once: the pool is refilling
                    context2, page2 = _fresh(browser, guard)
                    res["cases"].setdefault("app_second_tab", {
                        "unit": "s", "values": []})["values"].append(_app_usable(page2, app.url))
                    _close(context2, page2)
                _close(context, page)
                time.sleep(2)
                kernels.append(len(app.kernels()))
            res["cases"][name] = {
                "unit": "s", "values": times, "kernels_after_visits": kernels,
                "cpu_s_browser_server_kernels": cpu,
                "phases_html_dcl_controls_answered": phases}
    # publishing from the app: open the sample, click 发布榜单 → the download links
    published = folder.parent / "data" / "sample" / "发布"
    with _app_server(notebook, workspace) as app:
        times, every = [], []
        for _ in range(visits):
            shutil.rmtree(published, ignore_errors=True)
            app.settle()
            context, page = _fresh(browser, guard)
            _app_usable(page, app.url)
            page.get_by_role("button", name="1 选择数据").click()
            page.get_by_role("button", name="打开").click()
            page.get_by_text("没有发现问题").first.wait_for(state="visible", timeout=120_000)
            page.get_by_role("button", name="6 发布").click()
            page.get_by_text("发布为正式公示").first.wait_for(state="visible", timeout=60_000)
            page.wait_for_timeout(500)
            t0 = time.perf_counter()
            page.get_by_role("button", name="发布榜单").click()
            page.get_by_text("点击下载").first.wait_for(state="visible", timeout=300_000)
            page.locator("a.evaltools-download", has_text="海报.png").wait_for(state="attached")
            times.append(time.perf_counter() - t0)
            for name in ("榜单公示.pdf", "榜单公示.docx"):
                page.locator("a.evaltools-download", has_text=name).wait_for(
                    state="attached", timeout=300_000)
            every.append(time.perf_counter() - t0)
            _close(context, page)
        res["cases"]["app_publish"] = {"unit": "s", "values": times}
        res["cases"]["app_publish_all"] = {"unit": "s", "values": every}
    shutil.rmtree(published, ignore_errors=True)


def run(interactions: int, voila: bool, lab: bool = True, visits: int = 3,
        modes: tuple[str, ...] = ("browser", "svg")) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    res: dict[str, Any] = {"load_start": _loadavg(), "cases": {}}
    external: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="evaltools-browser-bench-"))
    folder = tmp / "notebooks"
    shutil.copytree(ROOT / "notebooks", folder)
    shutil.copytree(ROOT / "data" / "sample", tmp / "data" / "sample")
    for mode in ("browser", "svg"):
        (folder / f"bench_1k_{mode}.ipynb").write_text(json.dumps(_explorer_1k(mode)))
    compileall.compile_dir(str(ROOT / "evaltools"), quiet=1)  # as an installed package has
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)

            def guard(route):
                if route.request.url.startswith(LOCAL):
                    route.continue_()
                else:
                    external.append(route.request.url)
                    route.abort()

            if lab:
                context, page = _fresh(browser, guard)
                _lab_cases(page, folder, interactions, res, modes)
                context.close()
            if voila:
                _app_cases(browser, guard, folder, visits, res)
                with _app_server(folder / "04_权重调整与排名.ipynb", tmp / "工作区") as app:
                    times = []
                    for _ in range(visits):
                        app.settle()
                        context, page = _fresh(browser, guard)
                        t0 = time.perf_counter()
                        page.goto(app.url)
                        _usable(page)
                        times.append(time.perf_counter() - t0)
                        _close(context, page)
                    res["cases"]["voila_first_page"] = {"unit": "s", "values": times}
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
             f"off-machine requests: {len(res['external_requests'])}; "
             f"pre-heated kernel RSS MB: {res.get('pool_kernel_rss_mb')}",
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
    ap.add_argument("--visits", type=int, default=3, help="fresh visits per app case")
    ap.add_argument("--out", type=Path, default=RESULTS / "browser.json")
    args = ap.parse_args(argv)
    res = run(args.interactions, voila=not args.skip_voila, lab=not args.skip_lab,
              visits=args.visits, modes=tuple(m for m in args.modes.split(",") if m))
    print(format_result(res))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"results: {args.out}")
    return 1 if res["external_requests"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
