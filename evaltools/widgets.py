"""Notebook widgets (ipywidgets): the weight explorer (权重调整) and the unit inspector (楼栋明细).
One job: the notebook widgets (~730 lines: the weight explorer and the unit inspector, which
shares its leaderboard).

Widgets only wire controls to library functions: the leaderboard comes from
:meth:`evaltools.leaderboard.Leaderboard.with_weights` (which re-uses the aggregated criterion
values cached for the dataset, so a slider change does not re-read or re-aggregate anything) —
after a change of weights only, the rows shown come from
:class:`evaltools.leaderboard.Reweighting`, which gives the same rows for the top ranks without
building the others — tables from ``Leaderboard.top`` / ``explain``, charts from
:mod:`evaltools.charts`. Nothing else
in evaltools imports this module, so the core works without ipywidgets.

Outputs are filled with display data (``Output.outputs``) or widgets, never with ``print``, so
notebooks stay stable under nbval and the frames behind them are attributes a test can read:
``explorer.table``, ``explorer.board``, ``explorer.weights``, ``inspector.table``. On a slider
move the explorer changes only values: the table's HTML (``explorer.table_view``) and, in the
browser, the chart's rows (``explorer.chart_view.data``).

Examples
--------
>>> from evaltools.examples import two_buildings
>>> ex = WeightExplorer(two_buildings(), charts=False)
>>> ex.weights
{'clean': 60.0, 'tidy': 40.0}
>>> ex.sliders["clean"].value = 80      # the other criterion takes the rest
>>> ex.weights
{'clean': 80.0, 'tidy': 20.0}
>>> ex.table.select("排名", "单位编号", "总分", "较细则默认")
shape: (2, 4)
┌───────┬──────────┬──────┬────────────┐
│ 排名  ┆ 单位编号 ┆ 总分 ┆ 较细则默认 │
│ ---   ┆ ---      ┆ ---  ┆ ---        │
│ str   ┆ str      ┆ f64  ┆ str        │
╞═══════╪══════════╪══════╪════════════╡
│ 第1名 ┆ A        ┆ 92.0 ┆ —          │
│ 第2名 ┆ B        ┆ 80.0 ┆ —          │
└───────┴──────────┴──────┴────────────┘
"""

from __future__ import annotations

import asyncio
import dataclasses
import html
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal, cast

import ipywidgets as w
import polars as pl

from evaltools import labels, scoring
from evaltools.errors import EvalToolsError
from evaltools.leaderboard import Leaderboard, Reweighting, evaluate
from evaltools.ranking import TIES, movement
from evaltools.rubric import Rubric, write_rubric

__all__ = ["UnitInspector", "WeightExplorer", "unit_inspector", "weight_explorer"]

#: the dropdowns' wording comes from the one Chinese label layer (:mod:`evaltools.labels`)
METHOD_LABELS = labels.METHOD_CHOICES
DEFAULT = labels.DEFAULT_CHOICE  # a Dropdown value of None means "nothing selected": a sentinel
#: normalisations offered for MCDA methods (``target`` needs target values: not offered here)
NORMALIZATION_LABELS = labels.NORMALIZATION_CHOICES
AGGREGATE_LABELS = labels.AGGREGATE_CHOICES
TIE_LABELS = labels.TIES_CHOICES
PLAIN_TEXT = "（交互控件：请在 JupyterLab 或 Voila 中运行本单元查看）"
#: the named datasets of the explorer's chart drawn in the browser: the totals' bars
#: (:func:`evaltools.charts.leaderboard.total_rows`) and the weights' (``weight_rows``)
TOTALS, WEIGHTS = "totals", "weights"


# --------------------------------------------------------------------------------------------
# display data


def html_table(df: pl.DataFrame, *, columns: int | None = None, digits: int | None = None) -> str:
    """A plain, readable HTML table (no quotes around text, no dtype row, cells not wrapped);
    the first ``columns`` columns only when given. With ``digits``, float columns show exactly
    that many decimals (published scores are already rounded half-up by the leaderboard; this
    only pads, 93.7 → 93.70). Built with polars expressions, not a loop over rows.

    Examples
    --------
    >>> html_table(pl.DataFrame({"排名": ["第1名"], "总分": [93.7]}), digits=2)
    '<table class="evaltools-table"><thead><tr><th>排名</th><th>总分</th></tr></thead><tbody><tr><td>第1名</td><td style="text-align:right">93.70</td></tr></tbody></table>'
    """
    d = df.select(df.columns[:columns]) if columns else df
    numeric = {c for c, t in d.schema.items() if t.is_numeric()}
    if digits is not None:
        d = d.with_columns(pl.col(pl.Float32, pl.Float64).cast(pl.Decimal(38, digits)))
    head = "".join(f"<th>{html.escape(c)}</th>" for c in d.columns)
    cells = [
        pl.concat_str(
            pl.lit('<td style="text-align:right">' if c in numeric else "<td>"),
            pl.col(c).cast(pl.String).fill_null("").str.replace_all("&", "&amp;", literal=True)
            .str.replace_all("<", "&lt;", literal=True), pl.lit("</td>"))
        for c in d.columns]
    rows = d.select(pl.concat_str([pl.lit("<tr>"), *cells, pl.lit("</tr>")]).alias("r"))
    body = "".join(rows["r"].to_list())
    return (f'<table class="evaltools-table"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


def frame_bundle(df: pl.DataFrame, *, columns: int | None = None,
                 digits: int | None = None, caption: str = "") -> dict:
    """A display-data output (HTML and plain text) for an Output widget: the frame as people
    read it (:func:`evaltools.display.show`: Chinese headers, fixed decimals, scrolled when
    wide); the first ``columns`` columns only when given."""
    from evaltools.display import show

    d = df.select(df.columns[:columns]) if columns else df
    table = show(d, digits=2 if digits is None else digits, percent=(), caption=caption,
                 table_id="evaltools-explorer")
    return {"output_type": "display_data", "metadata": {},
            "data": {"text/html": table.html(), "text/plain": str(table)}}


#: small screens (a 390 px phone): controls stacked, sliders full width, tables scrolled
_PHONE_CSS = """<style>@media (max-width:640px){
.evaltools-explorer .widget-hbox{flex-direction:column !important;align-items:stretch}
.evaltools-explorer .widget-hbox.evaltools-weight{flex-direction:row !important;
flex-wrap:wrap !important}
.evaltools-explorer .widget-slider,.evaltools-explorer .widget-dropdown,
.evaltools-explorer .widget-text{width:100% !important;max-width:100% !important}
.evaltools-explorer .widget-slider{flex-wrap:wrap;height:auto !important}
.evaltools-explorer .widget-slider .widget-label{width:100% !important;max-width:100% !important;
text-align:left}
.evaltools-explorer .widget-slider .slider-container{flex:1 1 auto;min-width:0;width:auto}
.evaltools-explorer .widget-output{min-width:0 !important;max-width:100%}
.evaltools-explorer .widget-dropdown,.evaltools-explorer .widget-text{box-sizing:border-box}
.evaltools-explorer .widget-dropdown select,.evaltools-explorer .widget-text input{min-width:0;
flex:1 1 auto;width:auto}
.evaltools-explorer .evaltools-percent{display:none}
.evaltools-explorer svg{max-width:100%;height:auto}}</style>"""


def chart_bundle(chart: Any) -> dict:
    """A display-data output holding the chart as SVG drawn offline by vl-convert.

    The spec is not validated against the Vega-Lite schema (``to_dict(validate=False)``): the
    widgets draw only charts that :mod:`evaltools.charts` built (and tests validate), and the
    validation took about half of ``to_dict`` (~20 of ~40 ms; vl-convert's drawing, 0.2–0.4 s,
    is the bulk of a redraw)."""
    import vl_convert as vlc

    from evaltools.charts import use_theme

    use_theme()
    svg = vlc.vegalite_to_svg(chart.to_dict(validate=False))
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/svg+xml": svg, "text/plain": "<图表 chart>"}}


def browser_charts_available() -> bool:
    """True in a running Jupyter kernel with anywidget installed: the browser can draw charts."""
    import importlib.util
    import sys

    ip = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return (getattr(ip, "kernel", None) is not None
            and importlib.util.find_spec("anywidget") is not None)


def _widget_bundle(widget: w.Widget, text: str = "<图表 chart>") -> dict:
    """A display-data output showing ``widget`` (inside an Output widget)."""
    return {"output_type": "display_data", "metadata": {},
            "data": {"application/vnd.jupyter.widget-view+json": {
                "version_major": 2, "version_minor": 0, "model_id": widget.model_id},
                "text/plain": text}}


def _table_parts(table_html: str) -> tuple[str, str]:
    """A table's HTML (:func:`frame_bundle`) as its ``<style>`` element and the rest: the style
    is the same for every ranking (it depends on the table's id and options only), so the
    explorer sends it once and, on a move, only the rest (the page then re-parses 13 KB instead
    of 22 KB and does not restyle the whole page for a new style element).

    >>> _table_parts('<div><style>#t td{}</style><table></table></div>')
    ('<style>#t td{}</style>', '<div><table></table></div>')
    """
    start = table_html.find("<style>")
    end = table_html.find("</style>", start) + len("</style>") if start >= 0 else -1
    if start < 0 or end < len("</style>"):
        return "", table_html
    return table_html[start:end], table_html[:start] + table_html[end:]


def _html_bundle(text: str) -> dict:
    return {"output_type": "display_data", "metadata": {},
            "data": {"text/html": text, "text/plain": html.unescape(text)}}


def _error_text(exc: EvalToolsError) -> str:
    return "；".join(p.message_zh() for p in exc.problems[:3])


@dataclasses.dataclass(frozen=True)
class TopRows:
    """What the explorer's bar chart reads of a leaderboard (``table``, ``rubric``), holding only
    the rows shown (``Leaderboard.top``): after a fast update the charts need not build the whole
    leaderboard. Names that two units of the whole table share already carry the unit id, as
    the charts label them when they see every row."""

    table: pl.DataFrame
    rubric: Rubric


class _Displayable:
    """Shows ``self.widget`` in a notebook; the plain-text part is fixed (nbval-stable)."""

    widget: w.Widget

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        data["text/plain"] = PLAIN_TEXT
        return data


def _deferred(callback: Callable[[], None], defer: bool) -> asyncio.AbstractEventLoop | None:
    """Run ``callback`` after the current kernel message is handled (so the table reaches the
    browser before the charts), or now when no event loop runs (tests, scripts). Returns the
    loop it was scheduled on (None: it ran now)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is None or not defer:
        callback()
        return None
    loop.call_soon(callback)
    return loop


def rubric_weights(rubric: Rubric) -> dict[str, float]:
    """The rubric's own weights in percent (sum 100): ``max_points`` shares for the points
    method, the MCDA weights (``weight``, else ``max_points``, else equal) otherwise.

    Examples
    --------
    >>> from evaltools.examples import two_buildings
    >>> rubric_weights(two_buildings().rubric)
    {'clean': 60.0, 'tidy': 40.0}
    """
    if rubric.method == "points" and all(c.max_points is not None for c in rubric.criteria):
        # every max_points is set (checked just above)
        raw = {c.id: float(cast(float, c.max_points)) for c in rubric.criteria}
    else:
        raw = scoring.mcda_weights(rubric, [])
    s = sum(raw.values())
    if s <= 0:
        return {k: 100.0 / len(raw) for k in raw}
    return {k: 100.0 * v / s for k, v in raw.items()}


def rebalance(weights: Mapping[str, float], changed: str, value: float,
              locked: frozenset[str] | set[str] = frozenset()) -> dict[str, float]:
    """Set ``changed`` to ``value`` percent and re-divide what is left among the criteria that
    are neither locked nor ``changed``, in proportion to their current weights (equally when
    they are all 0). Locked weights stay. The result sums to 100; ``value`` is capped at what
    the locked ones leave, and when nothing else is free, ``changed`` keeps the rest.

    Examples
    --------
    >>> rebalance({"a": 50, "b": 30, "c": 20}, "a", 60)
    {'a': 60.0, 'b': 24.0, 'c': 16.0}
    >>> rebalance({"a": 50, "b": 30, "c": 20}, "a", 90, locked={"c"})   # c stays at 20
    {'a': 80.0, 'b': 0.0, 'c': 20.0}
    """
    locked = set(locked) - {changed}
    held = sum(float(weights[k]) for k in locked)
    free = [k for k in weights if k not in locked and k != changed]
    value = min(max(float(value), 0.0), max(100.0 - held, 0.0))
    if not free:
        value = max(100.0 - held, 0.0)
    rest = max(100.0 - held - value, 0.0)
    current = sum(float(weights[k]) for k in free)
    out = {}
    for k in weights:  # a loop over criteria, not units
        if k == changed:
            out[k] = value
        elif k in locked:
            out[k] = float(weights[k])
        elif current > 0:
            out[k] = float(weights[k]) / current * rest
        else:
            out[k] = rest / len(free)
    return out


# --------------------------------------------------------------------------------------------
# the weight explorer


class WeightExplorer(_Displayable):
    """Sliders for the criterion weights, locks, method / normalisation / judge aggregation / ties
    choices, a live leaderboard and charts; save the weights as a rubric; publish.

    Parameters
    ----------
    leaderboard : the leaderboard evaluated with the rubric as written: its ranks are what
        ``较细则默认`` (▲▼) compares against, and Reset returns to its settings.
    top : how many ranks to show (ties at the boundary kept).
    charts : draw the charts on every change. ``True`` (default): in a running Jupyter kernel
        with anywidget installed, drawn by the browser (``"browser"``), else as SVG (``"svg"``).
        ``"browser"``: :class:`evaltools.charts.browser.VegaChart`, the kernel sends the
        Vega-Lite spec once and then, on a move, only the chart's rows (:meth:`chart_data`,
        built with polars); the browser draws them with the vendored Vega, offline.
        ``"svg"``: drawn in the kernel by vl-convert (0.2–1 s per redraw). ``False``: no charts.
    out_dir : where "保存为评分细则" and "发布榜单" write their files.

    Attributes
    ----------
    board : the current :class:`~evaltools.leaderboard.Leaderboard` (built on first use after a
        slider change: see below).
    rubric : the current rubric (weights and options).
    table : the leaderboard frame shown (排名, 单位, 总分, 等级, 星级, 较细则默认 …).
    table_view : the HTML widget showing it (:func:`frame_bundle`'s HTML but its ``<style>``,
        which ``table_style`` holds; both inside ``table_out``).
    weights : the current weights in percent (sum 100), by criterion id.
    path : how the last update was computed: ``"fast"`` or ``"full"``.
    sliders, locks : per criterion id. method, normalization, aggregate, ties, top_n : dropdowns.

    The update path is :meth:`update` (or :meth:`recompute` with new weights): benchmarks time
    it directly. When only the weights (or ``top_n``) changed since the last update, it takes
    the fast path (:class:`~evaltools.leaderboard.Reweighting`): every unit's total and rank
    from arrays, table rows for the shown ranks only — the same rows ``with_weights(...).top(n)``
    gives. ``board`` (the whole leaderboard, for the unit inspector, charts and publishing) is
    then computed with ``with_weights`` when first read. A change of method, normalisation,
    judge aggregate or ties takes the full path (``evaluate``), as does a leaderboard of all
    rounds.
    """

    _board: Leaderboard | None  # None after a fast update, until ``board`` is read
    _round: int | str | None
    _round_text: str

    def __init__(self, leaderboard: Leaderboard, *, top: int = 10,
                 charts: bool | Literal["svg", "browser"] = True,
                 out_dir: str | Path = ".", buttons: bool = True) -> None:
        self.show_buttons = buttons
        self.default = leaderboard
        self.rubric0 = leaderboard.rubric
        self.out_dir = Path(out_dir)
        self.draw = bool(charts)
        self.chart_view: Any = None  # the VegaChart when the browser draws the charts
        if charts == "browser" or (charts is True and browser_charts_available()):
            from evaltools.charts.browser import VegaChart

            self.chart_view = VegaChart()
        self.defer_charts = True
        self.default_weights = rubric_weights(self.rubric0)
        self._weights = dict(self.default_weights)
        self._configured: dict[tuple, Leaderboard] = {}
        self._listeners: list[Callable[[Leaderboard], None]] = []
        self._quiet = False
        self._fast: dict[tuple, Reweighting | None] = {}
        self._shared_names: dict[tuple, pl.Series] = {}  # per options: ids of units sharing a name
        self._top_rows: TopRows | None = None
        self._key: tuple | None = None  # the options of the last successful update
        self._pending: tuple[Leaderboard, dict[str, float]] | None = None
        self.board = leaderboard
        self.path = "full"
        self._default_ranks = leaderboard.table.select(
            "unit_id", pl.col("rank").cast(pl.Int64).alias("_default"))
        self.table = pl.DataFrame()
        self._chart: Any = None  # the altair chart of what is drawn (built when read: ``chart``)
        self._drawn: tuple[Leaderboard | TopRows, dict[str, float], int] | None = None
        self._spec_key: tuple | None = None  # what the spec in the browser was built for
        # the loop a drawing is scheduled on (moves handled before it runs are drawn once)
        self._charts_due: asyncio.AbstractEventLoop | None = None
        self.error: str | None = None
        self._build_controls(top)
        self._update()

    # ---- controls ---------------------------------------------------------------------------
    def _build_controls(self, top: int) -> None:
        r = self.rubric0
        style = {"description_width": "7em"}
        self.sliders: dict[str, w.FloatSlider] = {}
        self.locks: dict[str, w.Checkbox] = {}
        rows = []
        for c in r.criteria:  # loops over criteria
            s = w.FloatSlider(value=round(self._weights[c.id], 1), min=0.0, max=100.0, step=0.5,
                              description=c.name, readout_format=".1f", continuous_update=False,
                              style=style, layout=w.Layout(width="26em"))
            s.observe(lambda ch, cid=c.id: self._on_slider(cid, ch["new"]), names="value")
            lock = w.Checkbox(value=False, description="锁定", indent=False,
                              layout=w.Layout(width="5em"))
            lock.observe(lambda ch, cid=c.id: self._on_lock(cid, ch["new"]), names="value")
            self.sliders[c.id], self.locks[c.id] = s, lock
            rows.append(w.HBox([s, w.Label("%").add_class("evaltools-percent"), lock],
                               layout=w.Layout(flex_flow="row wrap"))
                        .add_class("evaltools-weight"))
        # wide enough for the longest choice, 去掉一个最高分和一个最低分后平均, at 1280 px
        dd = {"description_width": "6em"}
        lay = w.Layout(width="27em")
        self.method = w.Dropdown(options=[(v, k) for k, v in METHOD_LABELS.items()],
                                 value=r.method, description="计分方法", style=dd, layout=lay)
        norms = list(NORMALIZATION_LABELS.items())
        if r.normalization is not None and r.normalization not in NORMALIZATION_LABELS:
            norms.append((r.normalization, r.normalization))
        self.normalization = w.Dropdown(options=[(v, k) for k, v in norms],
                                        value=r.normalization or DEFAULT, description="标准化",
                                        style=dd, layout=lay)
        self.aggregate = w.Dropdown(options=[(v, k) for k, v in AGGREGATE_LABELS.items()],
                                    value=r.judge_aggregate, description="评委汇总",
                                    style=dd, layout=lay)
        self.ties = w.Dropdown(options=[(TIE_LABELS[t], t) for t in TIES], value=r.ties,
                               description="并列规则", style=dd, layout=lay)
        self.top_n = w.BoundedIntText(value=top, min=1, max=100_000, description="显示前 N 名",
                                      style=dd, layout=w.Layout(width="14em"))
        for control in (self.method, self.normalization, self.aggregate, self.ties, self.top_n):
            control.observe(lambda ch: self._on_option(), names="value")
        self.reset_button = w.Button(description="恢复评分细则", icon="undo")
        self.reset_button.on_click(lambda _b: self.reset())
        self.save_path = w.Text(value="rubric_调整后.toml", description="文件名",
                                style={"description_width": "4em"}, layout=w.Layout(width="20em"))
        self.save_button = w.Button(description="保存为评分细则", icon="save")
        self.save_button.on_click(lambda _b: self.save())
        self.publish_button = w.Button(description="发布榜单", icon="upload")
        self.publish_button.on_click(lambda _b: self.publish())
        if not hasattr(self.default, "write_html"):
            self.publish_button.disabled = True
            self.publish_button.tooltip = "发布模块尚未安装 | publishing is not available"
        self.status = w.HTML()
        self.table_out = w.Output(layout=w.Layout(min_width="30em"))
        # the table is an HTML widget shown once in table_out: a move sets its value, which the
        # page puts in place as it is (an Output widget would clear and re-render an output
        # area, sanitizer included: 50–100 ms more per move in JupyterLab at load 10)
        self.table_view = w.HTML()
        self.table_style = w.HTML(layout=w.Layout(display="none"))  # its <style>, sent once
        self.table_out.outputs = (_widget_bundle(self.table_style, ""),
                                  _widget_bundle(self.table_view, "<榜单 table>"))
        self.chart_out = w.Output()
        if self.chart_view is not None:
            self.chart_out.outputs = (_widget_bundle(self.chart_view),)
        title = w.HTML(_PHONE_CSS + f"<h3>权重调整：{html.escape(r.name)}</h3><p>拖动滑块调整指标权重"
                       "（百分比，其余未锁定的指标按比例自动调整，合计 100%）；"
                       "“较细则默认”列是与评分细则原权重下名次的比较。</p>")
        options = w.VBox([self.method, self.normalization, self.aggregate, self.ties, self.top_n])
        buttons = w.HBox([self.reset_button, self.save_path, self.save_button,
                          self.publish_button] if self.show_buttons else [self.reset_button],
                         layout=w.Layout(flex_flow="row wrap"))
        self.controls = w.HBox([w.VBox(rows), options], layout=w.Layout(flex_flow="row wrap"))
        self.widget = w.VBox([
            title, self.controls, buttons, self.status,
            self.table_out, self.chart_out,
        ])
        self.widget.add_class("evaltools-explorer")
        self._sync_normalization()

    def _sync_normalization(self) -> None:
        self.normalization.disabled = self.method.value == "points"

    def _set_sliders(self) -> None:
        self._quiet = True
        try:
            for cid, s in self.sliders.items():
                s.value = round(self._weights[cid], 1)
                s.disabled = self.locks[cid].value
        finally:
            self._quiet = False

    def _on_slider(self, cid: str, value: float) -> None:
        if self._quiet:
            return
        locked = {k for k, b in self.locks.items() if b.value}
        self._weights = rebalance(self._weights, cid, value, locked)
        self._set_sliders()
        self._update()

    def _on_lock(self, cid: str, value: bool) -> None:
        self.sliders[cid].disabled = value

    def _on_option(self) -> None:
        if self._quiet:
            return
        self._sync_normalization()
        controls = (self.method, self.normalization, self.aggregate, self.ties, self.top_n)
        before = [c.disabled for c in controls]
        self.status.value = "<span class='evaltools-busy'>⏳ 正在重新计算榜单…</span>"
        for c in controls:
            c.disabled = True
        try:
            self._update()
        finally:
            for c, was in zip(controls, before, strict=True):
                c.disabled = was
            self._sync_normalization()

    # ---- state ------------------------------------------------------------------------------
    @property
    def board(self) -> Leaderboard:
        """The current leaderboard (computed with ``with_weights`` on first use after a fast
        update)."""
        if self._board is None:
            assert self._pending is not None  # a fast update leaves its base and weights
            base, weights = self._pending
            self._board = base.with_weights(weights)
            self._pending = None
        return self._board

    @board.setter
    def board(self, value: Leaderboard) -> None:
        self._board = value
        self._pending = None
        self.rubric = value.rubric
        self._round = value.round
        self._round_text = value.round_text()

    @property
    def weights(self) -> dict[str, float]:
        """Current weights in percent (sum 100), by criterion id, rounded to 0.01."""
        return {k: round(v, 2) for k, v in self._weights.items()}

    def config_rubric(self) -> Rubric:
        """The rubric as written with the chosen method, normalisation, judge aggregate and ties
        (weights not yet applied). A judge aggregate chosen here applies to every judges
        criterion (it replaces criterion-level aggregates)."""
        r = self.rubric0
        method = self.method.value
        norm = self.normalization.value
        changes: dict[str, Any] = {"method": method, "ties": self.ties.value,
                                   "normalization": None if method == "points" or norm == DEFAULT
                                   else norm}
        if self.aggregate.value != r.judge_aggregate:
            changes["judge_aggregate"] = self.aggregate.value
            changes["criteria"] = tuple(
                dataclasses.replace(c, aggregate=None) if c.source == "judges" else c
                for c in r.criteria)
        return dataclasses.replace(r, **changes)

    def _options(self) -> tuple:
        return (self.method.value, self.normalization.value, self.aggregate.value,
                self.ties.value)

    def _base_board(self) -> Leaderboard:
        key = self._options()
        if key == (self.rubric0.method, self.rubric0.normalization or DEFAULT,
                   self.rubric0.judge_aggregate, self.rubric0.ties):
            return self.default
        if key not in self._configured:
            self._configured[key] = evaluate(self.default.dataset, self.config_rubric(),
                                             round=self.default.round, cache=self.default._cache)
        return self._configured[key]

    def on_change(self, callback: Callable[[Leaderboard], None]) -> None:
        """Call ``callback(board)`` after every successful update (the unit inspector uses it)."""
        self._listeners.append(callback)

    # ---- the update path --------------------------------------------------------------------
    def recompute(self, weights: Mapping[str, float] | None = None) -> Leaderboard:
        """Re-evaluate with ``weights`` (percent or any relative numbers; None = the current
        ones) and the chosen options; sets ``board`` and ``table``. No drawing."""
        self._recompute(weights)
        return self.board

    def _recompute(self, weights: Mapping[str, float] | None = None) -> None:
        if weights is not None:
            unknown = sorted(set(weights) - set(self._weights))
            if unknown:
                from evaltools.errors import UsageError
                raise UsageError.choice("weights", ", ".join(unknown), list(self._weights))
            merged = {k: float(weights.get(k, v)) for k, v in self._weights.items()}
            s = sum(merged.values())
            if s <= 0:
                from evaltools.errors import UsageError
                raise UsageError("所有权重都是 0", "all weights are zero")
            self._weights = {k: 100.0 * v / s for k, v in merged.items()}
            self._set_sliders()
        key = self._options()
        base = self._base_board()
        fast = self._fast.get(key) if key == self._key else None
        if fast is not None:  # only weights or top_n changed: the fast path
            weights_now = dict(self._weights)
            rubric = fast.rubric(weights_now)
            top = fast.top(weights_now, self.top_n.value)
            self._board, self._pending = None, (base, weights_now)
            self.rubric, self._round = rubric, base.round
            self._round_text = base.round_text()
            self.table = self._shown(top, rubric, self._default_ranks)
            shared = self._shared_names[key]
            name = pl.coalesce("name", "unit_id")
            self._top_rows = TopRows(top.with_columns(
                name=pl.when(pl.col("unit_id").is_in(shared.implode()))
                .then(pl.format("{}（{}）", name, "unit_id")).otherwise(pl.col("name"))), rubric)
            self.path = "fast"
            return
        board = base.with_weights(self._weights)
        self.board = board
        self.table = self.display_table(board, self.default, top=self.top_n.value)
        self.path = "full"
        if key != self._key:  # ready the fast path for the next slider change
            self._key = key
            if key not in self._fast:
                self._fast[key] = Reweighting(base) if Reweighting.supports(base) else None
                self._shared_names[key] = base.table.filter(
                    pl.coalesce("name", "unit_id").is_duplicated())["unit_id"]

    def update(self, *, charts: bool | None = None) -> Leaderboard:
        """Recompute and redraw: leaderboard table now, charts right after (deferred in a running
        kernel so the table shows first). Errors (e.g. a normalisation the data does not allow)
        are shown in the status line and keep the last good leaderboard."""
        self._update(charts=charts)
        return self.board

    def _update(self, *, charts: bool | None = None) -> None:
        """:meth:`update` without building the whole leaderboard after a fast recompute (the
        controls call this; ``board`` is built when read — by listeners and charts)."""
        try:
            self._recompute()
        except EvalToolsError as exc:
            self.error = _error_text(exc)
            kept = self.method_text(self.rubric) if self.table.height else ""
            self.status.value = (
                f"<span style='color:#c0392b'>无法计算：{html.escape(self._user_error(exc))}"
                "</span>"
                + (f"<br><b>下表仍是上一次的结果：{html.escape(kept)}</b>" if kept else ""))
            return
        self.error = None
        self.status.value = self._status_text()
        style, table = _table_parts(frame_bundle(
            self.table, columns=8, digits=self.rubric.digits,
            caption="榜单：" + self.method_text(self.rubric))["data"]["text/html"])
        self.table_style.value = style  # sent when it changes: hardly ever
        self.table_view.value = table
        due = self._charts_due
        if (self.draw if charts is None else charts) and (
                due is None or due.is_closed() or not due.is_running()):
            self._charts_due = _deferred(self._draw_due, self.defer_charts)
        for listener in self._listeners:
            listener(self.board)

    def _user_error(self, exc: EvalToolsError) -> str:
        """Why the chosen options cannot be computed, in the dropdowns' words (no codes)."""
        import re

        text = _error_text(exc)
        method = METHOD_LABELS.get(self.method.value, self.method.value)
        norm = self.normalization.value
        if norm != DEFAULT and re.search(r"\bnormali[sz]ation\b", text):
            allowed = [label for code, label in NORMALIZATION_LABELS.items()
                       if code != DEFAULT and re.search(rf"\b{code}\b", text.split(norm, 1)[-1])]
            return (f"“{method}”不能与标准化“{NORMALIZATION_LABELS.get(norm, norm)}”一起使用"
                    + (f"；可选：{'、'.join(allowed)}" if allowed else ""))
        for choices in (METHOD_LABELS, NORMALIZATION_LABELS, AGGREGATE_LABELS, TIE_LABELS):
            for code, label in choices.items():
                text = re.sub(rf"\b{re.escape(code)}\b", label, text)
        return text

    @staticmethod
    def method_text(r: Rubric) -> str:
        """Which method a leaderboard reflects, in the dropdowns' words."""
        norm = r.normalization or scoring.DEFAULT_NORMALIZATION.get(r.method)
        text = METHOD_LABELS.get(r.method, r.method)
        if r.method != "points":
            text += " · " + (NORMALIZATION_LABELS.get(norm, norm) if norm else "")
        return text + " · " + AGGREGATE_LABELS.get(r.judge_aggregate, r.judge_aggregate)

    def _status_text(self) -> str:
        r = self.rubric
        norm = r.normalization or scoring.DEFAULT_NORMALIZATION.get(r.method)
        parts = [f"计分方法：{METHOD_LABELS.get(r.method, r.method)}"]
        if r.method != "points":
            label = NORMALIZATION_LABELS.get(norm, norm) if norm is not None else None
            parts.append(f"标准化：{label}")
        parts += [f"评委汇总：{AGGREGATE_LABELS.get(r.judge_aggregate, r.judge_aggregate)}",
                  f"并列：{TIE_LABELS.get(r.ties, r.ties)}"]
        if self._round_text:  # 第6轮 / 各轮平均; a one-off competition: its period, no 第1轮
            parts.append(self._round_text)
        return "<small>" + html.escape("　".join(parts)) + "</small>"

    @staticmethod
    def display_table(board: Leaderboard, default: Leaderboard, *, top: int = 10,
                      ) -> pl.DataFrame:
        """The rows shown: ranks ``top`` or better, with 较细则默认 (▲▼ against ``default``)."""
        prev = default.table.select("unit_id", pl.col("rank").cast(pl.Int64).alias("_default"))
        return WeightExplorer._shown(board.top(top), board.rubric, prev)

    @staticmethod
    def _shown(top: pl.DataFrame, rubric: Rubric, prev: pl.DataFrame) -> pl.DataFrame:
        """:meth:`display_table` of the rows ``top`` (``Leaderboard.top``), ``prev`` the
        default ranks (``unit_id``, ``_default``)."""
        crit = {c.id: c.name for c in rubric.criteria}
        t = top.join(prev, on="unit_id", how="left", maintain_order="left")
        return t.select(
            pl.col("rank").alias("名次"),
            pl.col("rank_label").alias("排名"),
            pl.col("unit_id").alias("单位编号"),
            pl.coalesce("name", "unit_id").alias("名称"),
            pl.col("total").alias("总分"),
            pl.col("grade").alias("等级"),
            pl.lit("★").repeat_by(pl.col("stars")).list.join("").alias("星级"),
            movement("rank", "_default").alias("较细则默认"),
            *(pl.col(k).alias(v) for k, v in crit.items() if v not in
              ("名次", "排名", "单位编号", "名称", "总分", "等级", "星级", "较细则默认")),
        )

    def charts_for(self, board: Leaderboard | TopRows, *,
                   weights: Mapping[str, float] | None = None, top: int | None = None) -> Any:
        """Totals of the top ranks beside the weights (with the rubric's as ticks), as an altair
        chart (the current weights and ``top_n`` unless given)."""
        top = self.top_n.value if top is None else top
        try:
            from evaltools.charts.leaderboard import leaderboard_bars

            bars = leaderboard_bars(board, top=top)
        except ImportError:  # publishing charts not installed: the simple bars
            from evaltools.charts.units import total_bars

            bars = total_bars(board, top=top)
        from evaltools.charts.units import weight_bars

        names = {c.id: c.name for c in board.rubric.criteria}
        return bars | weight_bars(self._weights if weights is None else weights, names=names,
                                  defaults=self.default_weights)

    def chart_data(self, board: Leaderboard | TopRows) -> tuple[tuple, dict[str, list[dict]]]:
        """The rows of the charts drawn in the browser, by dataset name (:data:`TOTALS`,
        :data:`WEIGHTS`), built with polars (no altair), and the key of the spec they fit:
        while the key stays, a move sends only these rows (:meth:`chart_spec` is built again
        when it changes: other options, ``top_n``, the title, the columns)."""
        from evaltools.charts.leaderboard import total_rows, total_rows_title
        from evaltools.charts.units import weight_rows

        top = self.top_n.value
        totals = total_rows(board, top=top, order=True)
        names = {c.id: c.name for c in board.rubric.criteria}
        weights = weight_rows(self._weights, names=names, defaults=self.default_weights,
                              order=True)
        key = (self._options(), top, total_rows_title(board, totals, top=top),
               tuple(totals.columns), tuple(weights.columns))
        return key, {TOTALS: totals.to_dicts(), WEIGHTS: weights.to_dicts()}

    def chart_spec(self, board: Leaderboard | TopRows) -> dict[str, Any]:
        """The Vega-Lite spec of the charts drawn in the browser: :meth:`charts_for`'s charts
        reading the named datasets of :meth:`chart_data` (sorted by their rows' order), themed,
        without rows."""
        from evaltools.charts import use_theme
        from evaltools.charts.leaderboard import leaderboard_bars
        from evaltools.charts.units import weight_bars

        names = {c.id: c.name for c in board.rubric.criteria}
        chart = (leaderboard_bars(board, top=self.top_n.value, data_name=TOTALS)
                 | weight_bars(self._weights, names=names, defaults=self.default_weights,
                               data_name=WEIGHTS))
        use_theme()
        return chart.to_dict(validate=False)

    @property
    def chart(self) -> Any:
        """The altair chart of what the charts show (None before the first drawing). In the
        browser a move sends only rows; this chart is built when read."""
        if self._chart is None and self._drawn is not None:
            board, weights, top = self._drawn
            self._chart = self.charts_for(board, weights=weights, top=top)
        return self._chart

    def _draw_due(self) -> None:
        self._charts_due = None
        self.draw_charts()

    def draw_charts(self) -> None:
        """Draw the charts of the current leaderboard (after a fast update: of its rows shown,
        :class:`TopRows`, the same chart without building the whole leaderboard). In the
        browser: the rows of :meth:`chart_data` only, while the spec fits them; else
        :meth:`chart_spec` and the rows. As SVG: :meth:`charts_for` drawn by vl-convert."""
        rows = self._top_rows if self._board is None else None  # after a fast update
        board = rows if rows is not None else self.board
        self._drawn, self._chart = (board, dict(self._weights), self.top_n.value), None
        if self.chart_view is None:
            self.chart_out.outputs = (chart_bundle(self.chart),)
            return
        key, data = self.chart_data(board)
        if key == self._spec_key:
            self.chart_view.update(data)
        else:
            self.chart_view.draw(self.chart_spec(board), data)
            self._spec_key = key

    # ---- buttons ----------------------------------------------------------------------------
    def reset(self) -> Leaderboard:
        """Back to the rubric as written: its weights, method, normalisation, aggregate, ties;
        no locks."""
        self._quiet = True
        try:
            for lock in self.locks.values():
                lock.value = False
            self.method.value = self.rubric0.method
            self.normalization.value = self.rubric0.normalization or DEFAULT
            self.aggregate.value = self.rubric0.judge_aggregate
            self.ties.value = self.rubric0.ties
        finally:
            self._quiet = False
        self._sync_normalization()
        self._weights = dict(self.default_weights)
        self._set_sliders()
        return self.update()

    def save(self, path: str | Path | None = None) -> Path:
        """Write the current rubric (weights, method, options) as TOML; relative paths are taken
        in ``out_dir``. ``read_rubric`` on it and ``evaluate`` give the same leaderboard."""
        p = Path(path if path is not None else self.save_path.value)
        if not p.is_absolute():
            p = self.out_dir / p
        p.parent.mkdir(parents=True, exist_ok=True)
        rubric = dataclasses.replace(self.rubric, source_path=None, sha256=None)
        written = write_rubric(rubric, p)
        self.status.value = f"已保存评分细则：{html.escape(str(written))}"
        return written

    def publish(self, folder: str | Path | None = None) -> list[Path]:
        """Write the current leaderboard with ``Leaderboard.write_html`` / ``write_excel`` (when
        the publishing module provides them) into ``folder`` (default ``out_dir``)."""
        out = Path(folder) if folder is not None else self.out_dir
        out.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        board = self.board
        for method, name in (("write_html", "榜单.html"), ("write_excel", "榜单.xlsx")):
            if hasattr(board, method):
                result = getattr(board, method)(out / name)
                written.append(Path(result) if isinstance(result, str | Path) else out / name)
        self.status.value = ("已发布：" + "、".join(html.escape(str(p)) for p in written)
                             if written else "发布模块尚未安装，未写出文件")
        return written


# --------------------------------------------------------------------------------------------
# the unit inspector


class UnitInspector(_Displayable):
    """Pick a building; see how its total was built (``explain``) and its profile chart.

    ``source`` is a Leaderboard, or a :class:`WeightExplorer` whose current leaderboard the
    inspector follows. ``charts`` as in :class:`WeightExplorer` (drawn by the browser in a
    running kernel, else SVG by vl-convert; ``False``: none).

    Examples
    --------
    >>> from evaltools.examples import two_buildings
    >>> ins = UnitInspector(two_buildings(), charts=False)
    >>> ins.unit.value = "B"
    >>> ins.table["得分"].to_list()
    [48.0, 32.0, 80.0]
    """

    def __init__(self, source: Leaderboard | WeightExplorer, *, unit_id: str | None = None,
                 charts: bool | Literal["svg", "browser"] = True) -> None:
        self.explorer = source if isinstance(source, WeightExplorer) else None
        self.board = source.board if isinstance(source, WeightExplorer) else source
        self.draw = bool(charts)
        self.chart_view: Any = None  # as in WeightExplorer: the browser draws the chart
        if charts == "browser" or (charts is True and browser_charts_available()):
            from evaltools.charts.browser import VegaChart

            self.chart_view = VegaChart()
        self.defer_charts = True
        self.table = pl.DataFrame()
        self.chart: Any = None
        self.unit = w.Dropdown(description="选择楼栋", style={"description_width": "5em"},
                               layout=w.Layout(width="30em"))
        self._set_options(unit_id)
        self.unit.observe(lambda _ch: self.update(), names="value")
        self.table_out = w.Output()
        self.chart_out = w.Output()
        if self.chart_view is not None:
            self.chart_out.outputs = (_widget_bundle(self.chart_view),)
        self.widget = w.VBox([w.HTML("<h3>楼栋得分明细</h3>"), self.unit, self.table_out,
                              self.chart_out])
        if self.explorer is not None:
            self.explorer.on_change(self.follow)
        self.update()

    def _set_options(self, keep: str | None) -> None:
        t = self.board.table
        labels = t.select("unit_id", pl.format(
            "{} {}（{}）", pl.col("rank_label").fill_null(""),
            pl.coalesce("name", "unit_id"), "unit_id").alias("label"))
        options = list(zip(labels["label"].to_list(), labels["unit_id"].to_list(), strict=True))
        ids = labels["unit_id"].to_list()
        value = keep if keep in ids else (ids[0] if ids else None)
        self.unit.options = options
        self.unit.value = value

    def follow(self, board: Leaderboard) -> None:
        """Show the same unit on a new leaderboard (called by the explorer)."""
        self.board = board
        keep = self.unit.value
        self.unit.unobserve_all("value")
        self._set_options(keep)
        self.unit.observe(lambda _ch: self.update(), names="value")
        self.update()

    def update(self) -> None:
        if self.unit.value is None:
            return
        self.table = self.board.explain(self.unit.value)
        # display only: 4 decimals hide float noise (0.99499999… → 0.995); explain() keeps all
        shown = self.table.with_columns(pl.col(pl.Float32, pl.Float64).round(4))
        self.table_out.outputs = (frame_bundle(shown),)
        if self.draw:
            _deferred(self.draw_charts, self.defer_charts)

    def draw_charts(self) -> None:
        from evaltools.charts.units import unit_profile

        self.chart = unit_profile(self.board, [self.unit.value])
        if self.chart_view is not None:
            self.chart_view.show(self.chart)
        else:
            self.chart_out.outputs = (chart_bundle(self.chart),)


def weight_explorer(data: Any, *, top: int = 10, charts: bool | Literal["svg", "browser"] = True,
                    out_dir: str | Path = ".") -> WeightExplorer:
    """A :class:`WeightExplorer` for a Leaderboard, or for a dataset (evaluated with its rubric)."""
    board = data if isinstance(data, Leaderboard) else evaluate(data)
    return WeightExplorer(board, top=top, charts=charts, out_dir=out_dir)


def unit_inspector(source: Any, *, unit_id: str | None = None,
                   charts: bool | Literal["svg", "browser"] = True) -> UnitInspector:
    """A :class:`UnitInspector` for a Leaderboard, an explorer, or a dataset."""
    if not isinstance(source, Leaderboard | WeightExplorer):
        source = evaluate(source)
    return UnitInspector(source, unit_id=unit_id, charts=charts)
