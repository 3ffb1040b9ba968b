"""Charts as files and the poster: :func:`save_chart`, :func:`poster`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from evaltools.errors import UsageError
from evaltools.publish.audit import generated_at
from evaltools.publish.html import round_text, stable_svg_ids
from evaltools.publish.privacy import publishable
from evaltools.writing import atomic_write_bytes

if TYPE_CHECKING:
    from evaltools.leaderboard import Leaderboard

__all__ = ["poster", "save_chart"]

ChartFormat = Literal[".png", ".svg"]


# =============================================================================================
# Charts and poster
# =============================================================================================


def save_chart(chart: Any, path: str | Path, *, scale: float = 2.0) -> Path:
    """Save an altair chart as PNG or SVG (from the suffix), drawn offline by vl-convert with the
    CJK font (Chinese glyphs, not boxes). The chart may be unconfigured: the evaltools theme is
    applied at export.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from evaltools.examples import two_buildings
    >>> from evaltools.charts.leaderboard import leaderboard_bars
    >>> out = save_chart(leaderboard_bars(two_buildings()), pathlib.Path(tempfile.mkdtemp()) / "a.svg")
    >>> out.read_text(encoding="utf-8").lstrip().startswith(("<svg", "<?xml"))
    True
    """
    from evaltools.charts import to_png, to_svg

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise UsageError.choice("path suffix", suffix or path.name, [".png", ".svg"])
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".png":
        atomic_write_bytes(path, to_png(chart, scale=scale))
    else:
        atomic_write_bytes(path, stable_svg_ids(to_svg(chart)).encode("utf-8"))
    return path


def poster(lb: Leaderboard, path: str | Path, *, top: int = 10, title: str | None = None,
           generated: datetime | None = None, scale: float = 2.0) -> Path:
    """A poster (PNG or SVG) of the top ``top`` units — rank, name, street, total, stars — for a
    WeChat group or a notice board; organiser, round and date in the subtitle.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from evaltools.examples import two_buildings
    >>> out = poster(two_buildings(), pathlib.Path(tempfile.mkdtemp()) / "海报.png", top=3)
    >>> out.read_bytes()[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    from evaltools.charts.leaderboard import poster_chart

    generated = generated or generated_at()
    lb = publishable(lb)  # phones, ID numbers, bidi controls in names (issue 18)
    r = lb.rubric
    sub = [s for s in (r.organiser, round_text(lb), f"{generated:%Y年%m月%d日}") if s]
    chart = poster_chart(lb, top=top, title=title or f"{r.name} 光荣榜",
                         subtitle="　".join(sub))
    return save_chart(chart, path, scale=scale)
