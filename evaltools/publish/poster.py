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
    """Save a chart as PNG or SVG (from the suffix), offline, with the CJK font (Chinese glyphs,
    not boxes): a :class:`~evaltools.publish.drawing.Figure` (the published figures of
    :mod:`evaltools.publish.figures`, drawn without Vega), or an altair chart, drawn by
    vl-convert (it may be unconfigured: the evaltools theme is applied at export).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from evaltools.examples import two_buildings
    >>> from evaltools.publish.figures import leaderboard_figure
    >>> out = save_chart(leaderboard_figure(two_buildings()), pathlib.Path(tempfile.mkdtemp()) / "a.svg")
    >>> out.read_text(encoding="utf-8").startswith("<svg")
    True
    """
    from evaltools.publish.drawing import Figure

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise UsageError.choice("path suffix", suffix or path.name, [".png", ".svg"])
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(chart, Figure):
        if suffix == ".png":
            atomic_write_bytes(path, chart.png(scale=scale))
        else:
            atomic_write_bytes(path, stable_svg_ids(chart.svg()).encode("utf-8"))
        return path
    from evaltools.charts import to_png, to_svg

    if suffix == ".png":
        atomic_write_bytes(path, to_png(chart, scale=scale))
    else:
        atomic_write_bytes(path, stable_svg_ids(to_svg(chart)).encode("utf-8"))
    return path


def poster(lb: Leaderboard, path: str | Path, *, top: int = 10, title: str | None = None,
           generated: datetime | None = None, scale: float = 2.0,
           url: str | None = None) -> Path:
    """A portrait poster (PNG or SVG) of the top ``top`` units for a WeChat group or a notice
    board, drawn by :func:`evaltools.publish.figures.poster_figure` (no Vega): 1080 px wide at
    the default ``scale``; rank, name, street, a bar of the total that
    shows the differences (it starts at a round number below the lowest total, said on the
    poster), the gap to the first, stars; organiser, round and date; and a QR code to the page
    when ``url`` (default the rubric's ``[publish] url``) is set.

    Examples
    --------
    >>> import struct, tempfile, pathlib
    >>> from evaltools.examples import two_buildings
    >>> out = poster(two_buildings(), pathlib.Path(tempfile.mkdtemp()) / "海报.png", top=3)
    >>> data = out.read_bytes()
    >>> data[:8] == b"\\x89PNG\\r\\n\\x1a\\n", struct.unpack(">I", data[16:20])[0]
    (True, 1080)
    """
    import base64

    from evaltools.publish.figures import poster_figure

    generated = generated or generated_at()
    lb = publishable(lb)  # phones, ID numbers, bidi controls in names (issue 18)
    r = lb.rubric
    url = url if url is not None else getattr(getattr(r, "notice", None), "url", None)
    qr = None
    if url:
        from evaltools.publish.qr import qr_png

        qr = "data:image/png;base64," + base64.b64encode(qr_png(url, scale=6)).decode("ascii")
    issuer = getattr(getattr(r, "notice", None), "issuer", None) or r.organiser
    sub = [s for s in (round_text(lb), r.period if not round_text(lb) else "") if s]
    foot = "　".join(s for s in (issuer, f"{generated.year}年{generated.month}月"
                                        f"{generated.day}日") if s)
    figure = poster_figure(lb, top=top, title=title or f"{r.name} 光荣榜",
                           subtitle="　".join(sub), footer=foot, qr=qr)
    return save_chart(figure, path, scale=scale)
