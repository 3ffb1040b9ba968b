"""Weight explorer: one slider change → recomputed leaderboard and redrawn table (issue 9).

The input is the ``evaluate`` case's in-memory dataset (n units × 5 judges × 10 criteria, cards,
deductions) evaluated once, and a :class:`evaltools.widgets.WeightExplorer` on it. Timed: setting
one slider's ``.value`` exactly as a user's drag does (the widget's own observer rebalances the
other weights, re-evaluates and refills the leaderboard Output with the top N). Each call moves a
different slider to a different value, so no call repeats the previous state.

``explorer`` draws no charts (the explorer draws them after the table, deferred, in a running
kernel); ``explorer+charts`` also redraws the two charts synchronously (SVG via vl-convert), for
information; ``explorer+browser`` redraws them as in a running kernel with anywidget (the
default there, issue 17): what the kernel does for the browser to draw (the chart's rows, or
its spec when that changes), with the table's and the chart's widget messages encoded as JSON
as the kernel's session would (``json.dumps`` in place of the comm; nothing is sent).

A slider change takes the explorer's fast path (``evaltools.leaderboard.Reweighting``: totals
and ranks of every unit from arrays built once, table rows for the top N only); the whole
Leaderboard is not built unless something reads ``explorer.board``. The first move after setup
is the harness's untimed warm-up.
"""

from __future__ import annotations

import itertools
import json

from benchmarks.cases.evaluate import make_dataset
from benchmarks.harness import Case, Impl, Target, register


def _encode(msg: dict, buffers: object = None) -> None:
    """What a kernel's session does with a widget's message: encode it as JSON."""
    json.dumps(msg, ensure_ascii=False, default=str)


class _Drag:
    """A widget explorer plus an endless sequence of (slider, value) moves."""

    def __init__(self, n_units: int, charts: bool | str) -> None:
        from evaltools import evaluate
        from evaltools.widgets import WeightExplorer

        self.explorer = WeightExplorer(evaluate(make_dataset(n_units)), top=10, charts=charts)
        self.explorer.defer_charts = False
        if charts == "browser":
            for widget in (self.explorer.table_out, self.explorer.chart_view):
                widget._send = _encode
        ids = list(self.explorer.sliders)
        self.moves = itertools.cycle(
            [(cid, v) for v in (12.0, 6.0, 15.0, 9.0) for cid in ids])

    def move(self):
        cid, value = next(self.moves)
        self.explorer.sliders[cid].value = value
        return self.explorer.table


def setup(n_units: int) -> dict[str, _Drag]:
    return {"explorer": _Drag(n_units, charts=False), "charts": _Drag(n_units, charts=True),
            "browser": _Drag(n_units, charts="browser")}


register(Case(
    name="widget_update",
    title="weight explorer: one slider change → re-evaluated, top-10 table redrawn",
    sizes=(1_000, 100_000), quick_sizes=(100,), setup=setup,
    impls=(
        Impl("evaltools", lambda d: d["explorer"].move(), role="subject", compare=False),
        Impl("explorer+charts", lambda d: d["charts"].move(), role="baseline", compare=False),
        Impl("explorer+browser", lambda d: d["browser"].move(), role="baseline", compare=False),
    ),
    targets=(
        Target("under 50 ms at 1,000 units", "seconds", limit=0.05, size=1_000),
        Target("under 300 ms at 100,000 units", "seconds", limit=0.3, size=100_000),
    ),
    size_label="units",
))
