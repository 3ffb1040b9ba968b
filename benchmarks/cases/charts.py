"""Publishing's charts (issue 17): the figures evaltools draws itself against the same charts drawn
by altair + vl-convert (the path publishing took before, still the notebooks' ``to_svg`` /
``to_png``).

``publish_charts`` — each implementation is a fresh Python process (this checkout first on
``PYTHONPATH``) that evaluates the sample district, masks it as publishing does, then draws what
``evaltools publish`` draws: the 总分排名 bars as SVG and PNG, the 各指标得分率 heatmap as SVG and
the poster as PNG, for the top n units (all 60 at the issue's size). The process reports the CPU
seconds (user + sys, ``resource.getrusage``) of that drawing alone, imports included
(``clock="reported"``): evaluating the board is not timed.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.cases.latency import run_seconds
from benchmarks.harness import Case, Impl, Target, register

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"

DRAW = """
import resource, sys
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
from evaltools import evaluate, read_dataset
from evaltools.publish.privacy import publishable
lb = publishable(evaluate(read_dataset({sample!r})))
n, title = {n}, lb.rubric.name + " 光荣榜"
t = cpu()
if {vega}:
    from evaltools.charts import to_png, to_svg
    from evaltools.charts.leaderboard import criteria_heatmap, leaderboard_bars, poster_chart
    bars = leaderboard_bars(lb, top=n)
    out = [to_svg(bars), to_png(bars), to_svg(criteria_heatmap(lb, top=n)),
           to_png(poster_chart(lb, top=min(n, 10), title=title, subtitle="第6轮", footer="落款"))]
else:
    from evaltools.publish.figures import heatmap_figure, leaderboard_figure, poster_figure
    bars = leaderboard_figure(lb, top=n)
    out = [bars.svg(), bars.png(), heatmap_figure(lb, top=n).svg(),
           poster_figure(lb, top=min(n, 10), title=title, subtitle="第6轮", footer="落款").png()]
assert all(out)
sys.stdout.write(repr(cpu() - t))
"""


def _draw(n: int, vega: bool) -> float:
    return run_seconds(DRAW.format(sample=str(SAMPLE), n=n, vega=vega))


register(Case(
    name="publish_charts",
    title="publishing's charts: drawn by evaltools vs altair + vl-convert, fresh process, CPU",
    sizes=(60,), quick_sizes=(5,), setup=lambda n: n,
    impls=(
        Impl("evaltools", lambda n: _draw(n, False), role="subject", compare=False),
        Impl("vl-convert", lambda n: _draw(n, True), role="baseline", compare=False),
    ),
    targets=(Target("charts ≤ 0.2× altair + vl-convert's CPU", "ratio", impl="evaltools",
                    other="vl-convert", limit=0.2, size=60),),
    size_label="units", clock="reported", budget_s=60.0,
))
