"""QR codes to the published page (``[publish] url``): :func:`qr_svg` for the print area of the
HTML page and the Word notice, :func:`qr_png` for the poster and the .docx, :func:`unit_url` for a
building's anchor (``#HQ002``).

Drawn offline by segno (pure Python, no dependencies): the same URL gives the same bytes.
"""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import quote, urlsplit

from evaltools.errors import Problem, UsageError

__all__ = ["page_url", "qr_png", "qr_svg", "unit_url"]

#: characters kept as they are in a URL; everything else (Chinese file names …) is percent-encoded
_URL_SAFE = ":/?#[]@!$&'()*+,;=%-._~"


def page_url(url: str) -> str:
    """The page URL as it goes into a QR code: trimmed, ``http(s)://`` checked, non-ASCII
    characters percent-encoded (a smaller code that every phone reads).

    Raises
    ------
    UsageError
        When the URL is not an ``http://`` or ``https://`` address.

    Examples
    --------
    >>> page_url(" https://jd.example.gov.cn/公示/榜单公示.html ")
    'https://jd.example.gov.cn/%E5%85%AC%E7%A4%BA/%E6%A6%9C%E5%8D%95%E5%85%AC%E7%A4%BA.html'
    """
    text = str(url).strip()
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise UsageError(Problem(
            None, None, "[publish] url", text, "bad_url",
            "公示网址应以 http:// 或 https:// 开头", "the page URL must start with http:// or "
            "https://", "请在评分细则 [publish] url 中填写完整网址，如 https://jd.example.gov.cn/榜单公示.html",
            "write the full address in the rubric's [publish] url, e.g. "
            "https://jd.example.gov.cn/榜单公示.html"))
    return quote(text, safe=_URL_SAFE)


def unit_url(url: str, unit_id: str) -> str:
    """The URL of one building's row on the page: the page URL with ``#<unit_id>`` (any
    fragment already there is replaced).

    Examples
    --------
    >>> unit_url("https://example.gov.cn/榜单公示.html#top", "HQ002")
    'https://example.gov.cn/%E6%A6%9C%E5%8D%95%E5%85%AC%E7%A4%BA.html#HQ002'
    """
    base = page_url(url).split("#", 1)[0]
    return f"{base}#{quote(str(unit_id), safe='-._~')}"


def _code(url: str) -> Any:
    """The segno QR code of the page URL."""
    import segno

    # error correction M (15 %): survives a crease or a stamp's edge on a printed notice
    return segno.make_qr(page_url(url), error="m", boost_error=False)


_SVG_OPEN = re.compile(r'^<svg width="(\d+)" height="(\d+)"')


def qr_svg(url: str, *, size_mm: float = 25.0, title: str = "扫码查看公示网页") -> str:
    """A QR code to ``url`` as an inline SVG element (no XML declaration, no external
    reference), ``size_mm`` wide when printed, with a ``<title>`` for screen readers. Dark modules
    are black on white with the 4-module quiet zone the standard asks for.

    Examples
    --------
    >>> svg = qr_svg("https://example.gov.cn/榜单公示.html#HQ002")
    >>> svg.startswith("<svg ") and 'width="25mm"' in svg and "<title>扫码查看公示网页</title>" in svg
    True
    >>> svg == qr_svg("https://example.gov.cn/榜单公示.html#HQ002")
    True
    """
    from html import escape

    code = _code(url)
    svg = code.svg_inline(scale=1, border=4, dark="#000", light="#fff", title=None,
                          svgclass="qr", lineclass=None)
    w, h = code.symbol_size(scale=1, border=4)
    svg = _SVG_OPEN.sub(f'<svg width="{size_mm:g}mm" height="{size_mm:g}mm" '
                        f'viewBox="0 0 {w} {h}" role="img"', svg, count=1)
    head, rest = svg.split(">", 1)
    return f"{head}><title>{escape(title)}</title>{rest}"


def qr_png(url: str, *, scale: int = 10) -> bytes:
    """A QR code to ``url`` as PNG bytes (``scale`` pixels per module, 4-module quiet zone), for
    the poster and the Word notice.

    Examples
    --------
    >>> qr_png("https://example.gov.cn/")[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    buf = io.BytesIO()
    _code(url).save(buf, kind="png", scale=scale, border=4, dark="#000", light="#fff")
    return buf.getvalue()
