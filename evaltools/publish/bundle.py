"""Everything at once: :func:`publish` writes the page, workbook, CSV, charts and poster.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from evaltools.errors import EvalToolsError, EvalToolsWarning
from evaltools.publish.audit import generated_at
from evaltools.publish.csv import write_csv
from evaltools.publish.excel import write_excel
from evaltools.publish.html import write_html
from evaltools.publish.pdf import write_pdf
from evaltools.publish.poster import poster, save_chart
from evaltools.publish.tables import default_sections, with_intervals

__all__ = ["publish"]


# =============================================================================================
# Everything at once
# =============================================================================================


def publish(lb: Any, out: str | Path, *, top: int = 10,
            sections: Mapping[str, pl.DataFrame] | None = None,
            intervals: Any = None) -> dict[str, Path]:
    """Write every output into the folder ``out``: 榜单公示.html, 榜单公示.pdf (A4, the same page),
    榜单.xlsx, 榜单.csv, 总分排名.png / .svg (all ranked units), 海报.png (top ``top``). Returns
    kind → path.

    One generation time (``SOURCE_DATE_EPOCH`` or now) is used for all files; ``sections`` and
    ``intervals`` as in :func:`write_html`. Without a PDF renderer (WeasyPrint and the system's
    pango) the PDF is left out with a warning and everything else is written.
    """
    from evaltools.charts.leaderboard import leaderboard_bars

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    when = generated_at()
    lb = with_intervals(lb, intervals)
    sections = default_sections(lb) if sections is None else sections
    bars = leaderboard_bars(lb)
    written = {"html": write_html(lb, out / "榜单公示.html", generated=when, sections=sections)}
    try:
        written["pdf"] = write_pdf(lb, out / "榜单公示.pdf", generated=when, sections=sections)
    except EvalToolsError as exc:  # no PDF renderer on this machine: the rest is still published
        if exc.problems[0].rule != "pdf_renderer_missing":
            raise
        warnings.warn(f"未生成 PDF | PDF not written: {exc.problems[0].message_en()}",
                      EvalToolsWarning, stacklevel=2)
    return written | {
        "xlsx": write_excel(lb, out / "榜单.xlsx", generated=when, sections=sections),
        "csv": write_csv(lb, out / "榜单.csv"),
        "png": save_chart(bars, out / "总分排名.png"),
        "svg": save_chart(bars, out / "总分排名.svg"),
        "poster": poster(lb, out / "海报.png", top=top, generated=when),
    }
