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

import altair as alt
import vl_convert as vlc

__all__ = ["FONT_STACK", "THEME", "to_png", "to_svg", "use_offline_renderer", "use_theme"]

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


def to_png(chart: alt.TopLevelMixin, *, scale: float = 2.0) -> bytes:
    """The chart as PNG bytes, drawn offline by vl-convert with the CJK font."""
    use_theme()
    return vlc.vegalite_to_png(chart.to_dict(), scale=scale)


def to_svg(chart: alt.TopLevelMixin) -> str:
    """The chart as an SVG string, drawn offline by vl-convert."""
    use_theme()
    return vlc.vegalite_to_svg(chart.to_dict())
