"""Charts drawn in the browser: :class:`VegaChart`, an anywidget holding a Vega-Lite spec.

The explorer's charts used to be drawn in the kernel as SVG by vl-convert (0.2–1 s per redraw).
Here the kernel only builds the spec (``to_dict(validate=False)``, tens of milliseconds) and the
browser draws it with the Vega and Vega-Lite builds vendored under ``evaltools/static/vega`` (see
the README there): the widget's JavaScript is those builds followed by ``static/vega_chart.js``,
so nothing is fetched from a CDN and charts work offline in JupyterLab and Voila.

Examples
--------
>>> import altair as alt
>>> chart = VegaChart()
>>> chart.revision
0
>>> chart.show(alt.Chart(alt.Data(values=[{"a": 1}])).mark_bar().encode(x="a:Q"))
>>> chart.revision, chart.spec["mark"]["type"]
(1, 'bar')
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

import anywidget
import traitlets

from evaltools.charts import use_theme

__all__ = ["VEGA_FILES", "VegaChart", "widget_esm"]

#: The vendored builds, in load order (Vega-Lite needs Vega), under ``evaltools/static/vega``.
VEGA_FILES = ("vega-6.2.0.min.js", "vega-lite-6.4.1.min.js")

_SOURCE_MAP = re.compile(r"^//# sourceMappingURL=.*$", re.MULTILINE)


@cache
def widget_esm() -> str:
    """The widget's ES module: the vendored Vega builds (each run once per page: they set
    ``globalThis.vega`` / ``globalThis.vegaLite``) and then ``vega_chart.js``. Source-map comments
    are dropped (the maps are not shipped)."""
    static = resources.files("evaltools") / "static"
    parts = []
    for name, glob in zip(VEGA_FILES, ("vega", "vegaLite"), strict=True):
        code = _SOURCE_MAP.sub("", (static / "vega" / name).read_text(encoding="utf-8"))
        parts.append(f"if (!globalThis.{glob}) {{\n{code}\n}}")
    parts.append((static / "vega_chart.js").read_text(encoding="utf-8"))
    return "\n".join(parts)


class VegaChart(anywidget.AnyWidget):
    """One chart, drawn by the browser from :attr:`spec` each time :attr:`revision` changes.

    The spec is an altair chart's ``to_dict(validate=False)`` with the evaltools theme (our own
    charts are validated by the tests; the validation took about half of ``to_dict``). After
    drawing, the chart's element carries ``data-revision`` (what tests and the browser benchmark
    wait for).
    """

    _esm = traitlets.Unicode(widget_esm()).tag(sync=True)
    spec = traitlets.Dict().tag(sync=True)
    revision = traitlets.Int(0).tag(sync=True)

    def show(self, chart: Any) -> None:
        """Draw ``chart`` (an altair chart) in place of the current one."""
        use_theme()
        spec = chart.to_dict(validate=False)
        with self.hold_sync():
            self.spec = spec
            self.revision += 1
