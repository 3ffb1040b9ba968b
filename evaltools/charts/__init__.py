"""Charts (altair), Chinese-first and offline.

Chart functions return *unconfigured* charts so they compose with ``+``, ``|`` and ``&``; the theme
registered here (``evaltools``) sets the CJK font stack once for everything. Rendering goes through
vl-convert, which bundles Vega and draws with the fonts installed on the machine: nothing is fetched
from a CDN, so charts render without internet.

Examples
--------
>>> import altair as alt
>>> use_theme()
>>> alt.theme.active
'evaltools'
>>> FONT_STACK.split(",")[0]
'Noto Sans CJK SC'
"""

from __future__ import annotations

import importlib.util
import json
import sys
import types
from collections import OrderedDict


def defer_iri_grammars() -> None:
    """Let ``import altair`` skip compiling rfc3987-syntax's 38 Lark grammars (≈ 1 s of CPU).

    altair imports jsonschema, whose format module imports ``rfc3987_syntax`` (when installed, as
    in any Jupyter environment: ``jsonschema[format-nongpl]``), and that package builds an Earley
    parser for each of its 38 rules at import time (python-jsonschema/jsonschema#1428). Nothing
    here checks the ``iri`` formats, so jsonschema's format module is imported against a small
    stand-in whose ``is_valid_syntax`` imports the real package on first use: the checks behave
    exactly as before, they only compile when something asks for them. Does nothing when
    jsonschema's formats are already loaded or rfc3987-syntax is not installed.
    """
    name = "rfc3987_syntax"
    if "jsonschema._format" in sys.modules or name in sys.modules:
        return
    if importlib.util.find_spec(name) is None:
        return

    def is_valid_syntax(term: str, value: str) -> bool:
        if sys.modules.get(name) is stand_in:
            del sys.modules[name]
        import rfc3987_syntax

        return bool(rfc3987_syntax.is_valid_syntax(term, value))

    stand_in = types.ModuleType(name)
    stand_in.is_valid_syntax = is_valid_syntax  # type: ignore[attr-defined]
    sys.modules[name] = stand_in
    try:
        import jsonschema._format  # noqa: F401  (binds the stand-in's is_valid_syntax)
    finally:
        if sys.modules.get(name) is stand_in:
            del sys.modules[name]


defer_iri_grammars()

import altair as alt  # noqa: E402  (after defer_iri_grammars)
import vl_convert as vlc  # noqa: E402

__all__ = ["FONT_STACK", "THEME", "defer_iri_grammars", "to_png", "to_svg",
           "use_offline_renderer", "use_theme"]

#: CSS font stack: Debian's Noto CJK first (used for PNG/SVG export), then Windows and macOS fonts.
FONT_STACK = 'Noto Sans CJK SC, "Microsoft YaHei", "PingFang SC", sans-serif'
#: The first font of the stack, the one vl-convert uses when exporting.
EXPORT_FONT = "Noto Sans CJK SC"
THEME = "evaltools"


@alt.theme.register(THEME, enable=False)
def _evaltools_theme() -> alt.theme.ThemeConfig:
    return {
        "config": {
            "font": EXPORT_FONT,
            "title": {"font": EXPORT_FONT, "fontSize": 16, "anchor": "start"},
            "axis": {"labelFont": EXPORT_FONT, "titleFont": EXPORT_FONT, "labelFontSize": 12},
            "legend": {"labelFont": EXPORT_FONT, "titleFont": EXPORT_FONT},
            "header": {"labelFont": EXPORT_FONT, "titleFont": EXPORT_FONT},
            "mark": {"font": EXPORT_FONT},
            "text": {"font": EXPORT_FONT},
            "view": {"stroke": None},
        }
    }


def use_theme() -> None:
    """Enable the evaltools theme (CJK fonts) for every chart drawn afterwards."""
    alt.theme.enable(THEME)


def use_offline_renderer() -> None:
    """Render charts in notebooks as static SVG made by vl-convert: works offline in JupyterLab,
    Voila and nbconvert, keeps notebooks small, and needs no JavaScript from a CDN."""
    use_theme()
    alt.renderers.enable("svg")


#: The last few SVGs drawn, by spec: publishing draws the bars for the page, the SVG file and the
#: PNG file; vl-convert runs Vega once for them (its drawing is most of publish's time).
_SVG_CACHE: OrderedDict[str, str] = OrderedDict()
SVG_CACHE_SIZE = 8


def _svg_of_spec(spec: dict) -> str:
    key = json.dumps(spec, sort_keys=True, ensure_ascii=False)
    svg = _SVG_CACHE.get(key)
    if svg is None:
        svg = vlc.vegalite_to_svg(spec, allowed_base_urls=[])  # nothing from the web
        _SVG_CACHE[key] = svg
        while len(_SVG_CACHE) > SVG_CACHE_SIZE:
            _SVG_CACHE.popitem(last=False)
    else:
        _SVG_CACHE.move_to_end(key)
    return svg


def to_png(chart: alt.TopLevelMixin, *, scale: float = 2.0) -> bytes:
    """The chart as PNG bytes, drawn offline by vl-convert with the CJK font.

    The spec is not validated against the Vega-Lite schema (``to_dict(validate=False)``; the
    charts of :mod:`evaltools.charts` are validated by the tests). The PNG is rasterised from the
    chart's SVG (``svg_to_png``: the same bytes as ``vegalite_to_png``, which draws the SVG and
    rasterises it the same way), so a chart saved as SVG and PNG is drawn by Vega once.
    """
    use_theme()
    return vlc.svg_to_png(_svg_of_spec(offline_spec(chart.to_dict(validate=False))), scale=scale)


def to_svg(chart: alt.TopLevelMixin) -> str:
    """The chart as an SVG string, drawn offline by vl-convert (spec not validated, see
    :func:`to_png`; the same spec is drawn once per process while it is among the last few)."""
    use_theme()
    return _svg_of_spec(offline_spec(chart.to_dict(validate=False)))


_EXTERNAL = r"^\s*(?:[A-Za-z][A-Za-z0-9+.-]*:|//|/|\\\\)"


def offline_spec(spec: dict) -> dict:
    """A Vega-Lite spec that makes vl-convert read nothing from outside (issue 18, item 13).

    Data given by ``url`` is refused (:class:`~evaltools.errors.UsageError`); the images of
    ``url`` encodings (photos) keep only ``data:`` URIs — a web address, a ``file:`` URL or a
    path becomes null, with one :class:`~evaltools.errors.EvalToolsWarning` saying how many.
    vl-convert would otherwise download ``http://`` images while drawing a PNG. Photos inside the
    dataset folder become ``data:`` URIs with :func:`evaltools.campaign.photo_data_uris`.

    Examples
    --------
    >>> import warnings
    >>> spec = {"datasets": {"d": [{"p": "http://x/a.png"}, {"p": "data:image/png;base64,AA"}]},
    ...         "mark": "image", "encoding": {"url": {"field": "p"}}}
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     [r["p"] for r in offline_spec(spec)["datasets"]["d"]]
    [None, 'data:image/png;base64,AA']
    """
    import warnings

    import polars as pl

    from evaltools.errors import EvalToolsWarning, UsageError

    url_fields: set[str] = set()
    urls: list[str] = []

    def walk(node: object, key: str | None = None) -> None:
        if isinstance(node, dict):
            if key == "data" and isinstance(node.get("url"), str):
                urls.append(node["url"])
            if key == "encoding" and isinstance(node.get("url"), dict):
                field = node["url"].get("field")
                if isinstance(field, str):
                    url_fields.add(field)
            for k, v in node.items():
                if k != "datasets":
                    walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)

    walk(spec)
    if urls:
        raise UsageError(
            f"图表引用了外部数据 {urls[0]!r}：evaltools 不联网读取数据，请把数据直接交给图表",
            f"the chart reads data from {urls[0]!r}: evaltools never fetches data; pass the data "
            "itself to the chart")
    if not url_fields or not isinstance(spec.get("datasets"), dict):
        return spec
    spec = dict(spec, datasets=dict(spec["datasets"]))
    dropped = 0
    for name, rows in spec["datasets"].items():
        if not rows or not isinstance(rows, list):
            continue
        frame = pl.DataFrame(rows, infer_schema_length=None)
        cols = [c for c in url_fields if c in frame.columns and frame[c].dtype == pl.String]
        if not cols:
            continue
        bad = pl.any_horizontal(pl.col(c).str.contains(_EXTERNAL) & ~pl.col(c).str.starts_with(
            "data:") for c in cols)
        dropped += frame.select(bad.sum()).item()
        frame = frame.with_columns(
            pl.when(pl.col(c).str.starts_with("data:")).then(pl.col(c)).alias(c) for c in cols)
        spec["datasets"][name] = frame.to_dicts()
    if dropped:
        warnings.warn(f"图表中 {dropped} 张图片不是内嵌的 data: 图片（网址或路径），未读取 | "
                      f"{dropped} chart image(s) are not embedded data: URIs (a web address or "
                      "a path) and were left out: nothing is fetched", EvalToolsWarning,
                      stacklevel=3)
    return spec
