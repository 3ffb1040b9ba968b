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

A chart that reads a named dataset: the spec is sent once, then only its rows.

>>> bars = alt.Chart(alt.Data(name="totals")).mark_bar().encode(x="total:Q", y="unit:N")
>>> chart.draw(bars.to_dict(validate=False), {"totals": [{"unit": "A", "total": 94.0}]})
>>> chart.update({"totals": [{"unit": "A", "total": 90.5}]})
>>> chart.revision, chart.data["totals"][0]["total"]
(3, 90.5)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
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
    """One chart, drawn by the browser from :attr:`spec` and :attr:`data` each time
    :attr:`revision` changes.

    The spec is a Vega-Lite spec (an altair chart's ``to_dict(validate=False)`` with the evaltools
    theme: our own charts are validated by the tests; the validation took about half of
    ``to_dict``). :attr:`data` holds the rows of the spec's *named* datasets (``alt.Data(name=…)``)
    by name. When only :attr:`data` changed since the last drawing (:meth:`update`), the browser
    hands the new rows to the Vega view it already has (``view.data(name, rows)``,
    ``runAsync()``): no Vega-Lite compile, no new view; scales, axes and the chart's height follow
    the rows. A new spec (:meth:`show`, :meth:`draw`) is compiled and drawn afresh. Drawings that
    arrive while one is under way are coalesced: the browser draws the latest.

    After drawing, the chart's element carries ``data-revision`` (what tests and the browser
    benchmark wait for), ``data-draw-kind`` (``spec`` or ``data``) and ``data-draw-ms``.
    """

    _esm = traitlets.Unicode(widget_esm()).tag(sync=True)
    spec = traitlets.Dict().tag(sync=True)
    data = traitlets.Dict().tag(sync=True)
    revision = traitlets.Int(0).tag(sync=True)

    def show(self, chart: Any) -> None:
        """Draw ``chart`` (an altair chart) in place of the current one; nothing is sent when it
        is the chart already drawn."""
        use_theme()
        self.draw(chart.to_dict(validate=False))

    def draw(self, spec: dict[str, Any], data: Mapping[str, list[dict[str, Any]]] | None = None,
             ) -> None:
        """Draw the Vega-Lite ``spec`` with the rows ``data`` of its named datasets. Only what
        changed is sent (traitlets compares); nothing at all when both are what is drawn."""
        rows = dict(data or {})
        if self.revision and spec == self.spec and rows == self.data:
            return
        with self.hold_sync():
            self.spec = spec
            self.data = rows
            self.revision += 1

    def update(self, data: Mapping[str, list[dict[str, Any]]]) -> None:
        """New rows for the spec drawn (by dataset name): the browser updates its view in place.
        Nothing is sent when the rows are those drawn."""
        rows = dict(data)
        if rows == self.data:
            return
        with self.hold_sync():
            self.data = rows
            self.revision += 1
