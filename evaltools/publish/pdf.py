"""The 公示 as a PDF: the same page as the HTML, laid out on A4 by WeasyPrint.

:func:`write_pdf` renders :func:`evaltools.publish.html.render_html` with the page's print
stylesheet: page numbers ("第 x 页 共 y 页"), the table header repeated on every page, no heading
left alone at the foot of a page, the 落款 with its stamp area; the Noto Sans CJK SC font (Debian's
``fonts-noto-cjk``) draws the Chinese. Nothing is fetched: the page references nothing outside
itself, and the URL fetcher refuses every request. The PDF's dates are the generation time
(``SOURCE_DATE_EPOCH``), so publishing twice gives the same bytes.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from evaltools.errors import EvalToolsError, Problem
from evaltools.publish.audit import generated_at
from evaltools.publish.html import render_html

__all__ = ["pdf_available", "pdf_of_page", "render_pdf", "write_pdf"]


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> dict:
    raise ValueError(f"evaltools PDF: no request allowed ({url[:40]})")


def _import_weasyprint() -> None:
    """Import WeasyPrint without ``ctypes.util.find_library``'s subprocesses on Linux.

    WeasyPrint opens pango, harfbuzz, fontconfig … trying Windows and macOS names first
    (``libgobject-2.0-0``); cffi hands each name that does not open to ``find_library``, which
    on Linux runs ``ldconfig``, ``gcc`` and ``ld`` — 54 processes, 0.1–0.2 s CPU of every PDF,
    to find nothing: the Linux names further down the list (``libgobject-2.0.so.0``) open
    directly. During the import, ``find_library`` answers None at once; if the import fails
    that way, it is retried as usual (a system where only ``find_library`` finds the libraries).
    """
    if sys.platform.startswith("linux") and "weasyprint" not in sys.modules:
        import ctypes.util

        real = ctypes.util.find_library
        ctypes.util.find_library = lambda name: None
        try:
            importlib.import_module("weasyprint")
        except OSError:  # forget the half-imported package; the import below tries again
            for name in [m for m in sys.modules if m.split(".")[0] == "weasyprint"]:
                del sys.modules[name]
        finally:
            ctypes.util.find_library = real
    importlib.import_module("weasyprint")


def pdf_available() -> bool:
    """Whether this machine can write the PDF (WeasyPrint importable, with the system's pango)."""
    try:
        _import_weasyprint()
    except (ImportError, OSError):
        return False
    return True


def render_pdf(lb: Any, *, charts: bool = True, top: int | None = None,
               generated: datetime | None = None, notice_start: date | None = None,
               sections: Mapping[str, pl.DataFrame] | None = None,
               intervals: Any = None, title: str | None = None,
               supersedes: Any = None) -> bytes:
    """The 公示 PDF as bytes (see :func:`write_pdf`)."""
    _require_weasyprint()
    generated = generated or generated_at()
    text = render_html(lb, title=title, charts=charts, top=top, generated=generated,
                       notice_start=notice_start, sections=sections, intervals=intervals,
                       supersedes=supersedes, media="print")
    return pdf_of_page(text, generated)


def _require_weasyprint() -> None:
    try:
        _import_weasyprint()
    except (ImportError, OSError) as exc:  # OSError: pango missing from the system
        raise EvalToolsError(Problem(
            None, None, None, None, "pdf_renderer_missing",
            "无法生成 PDF：缺少 WeasyPrint 或系统的 pango 库",
            f"cannot write the PDF: WeasyPrint or the system's pango library is missing ({exc})",
            "安装 weasyprint（pip）和 pango（Debian：apt-get install libpango-1.0-0 "
            "libpangoft2-1.0-0 fonts-noto-cjk）",
            "pip install weasyprint; apt-get install libpango-1.0-0 libpangoft2-1.0-0 "
            "fonts-noto-cjk")) from None


def pdf_of_page(text: str, generated: datetime) -> bytes:
    """An HTML page (:func:`~evaltools.publish.html.render_html`) laid out on A4 as PDF bytes,
    dated ``generated``. :func:`render_pdf` passes the page rendered with ``media="print"``
    (what print hides left out); the whole page gives the same bytes, more slowly."""
    _require_weasyprint()
    from weasyprint import HTML

    doc = HTML(string=text, url_fetcher=_no_fetch).render()
    stamp = generated.isoformat()
    doc.metadata.created = stamp
    doc.metadata.modified = stamp
    doc.metadata.generator = "evaltools"
    return doc.write_pdf(pdf_identifier=b"evaltools-" + stamp.encode("ascii"))


def write_pdf(lb: Any, path: str | Path, *, charts: bool = True, top: int | None = None,
              generated: datetime | None = None, notice_start: date | None = None,
              sections: Mapping[str, pl.DataFrame] | None = None,
              intervals: Any = None, title: str | None = None,
              supersedes: Any = None) -> Path:
    """Write the 公示 as an A4 PDF (the HTML page's print layout, by WeasyPrint).

    Parameters as :func:`evaltools.publish.write_html`. The per-building detail blocks and the
    index are screen-only; the PDF carries the table, the 晒最美 recount, the method, the 公示期,
    the 落款 with a stamp area, the charts, the top-N summary when ``[publish] summary_top`` is
    set, and the audit.

    Returns
    -------
    Path of the file written.
    """
    data = render_pdf(lb, charts=charts, top=top, generated=generated,
                      notice_start=notice_start, sections=sections, intervals=intervals,
                      title=title, supersedes=supersedes)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
