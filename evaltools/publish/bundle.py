"""Everything at once: :func:`publish` writes the page, workbook, CSV, charts and poster.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from evaltools.publish.audit import dataset_inputs, generated_at
from evaltools.publish.csv import write_csv
from evaltools.publish.excel import write_excel
from evaltools.publish.html import write_html
from evaltools.publish.poster import poster, save_chart
from evaltools.publish.privacy import publishable
from evaltools.publish.tables import default_sections, with_intervals
from evaltools.writing import publish_set

if TYPE_CHECKING:
    from evaltools.leaderboard import Leaderboard
    from evaltools.robustness import RankIntervals

__all__ = ["publish"]


# =============================================================================================
# Everything at once
# =============================================================================================


def publish(lb: Leaderboard, out: str | Path, *, top: int = 10,
            sections: Mapping[str, pl.DataFrame] | None = None,
            intervals: RankIntervals | pl.DataFrame | None = None) -> dict[str, Path]:
    """Write every output into the folder ``out``: 榜单公示.html, 榜单.xlsx, 榜单.csv,
    总分排名.png / .svg (all ranked units), 海报.png (top ``top``). Returns kind → path.

    One generation time (``SOURCE_DATE_EPOCH`` or now) is used for all files; ``sections`` and
    ``intervals`` as in :func:`write_html`. The folder is written as one set
    (:func:`evaltools.writing.publish_set`): into a staging folder first, with a
    ``manifest.json`` of every file's SHA-256, then swapped into place under a lock, so a
    concurrent or killed run never leaves a mix; ``out`` may not be or hold an input file, and an
    existing non-empty folder that evaltools did not publish is refused rather than replaced.
    """
    from evaltools.charts.leaderboard import leaderboard_bars

    out = Path(out)
    when = generated_at()
    lb = publishable(with_intervals(lb, intervals))  # phones, ID numbers, bidi: issue 18
    sections = default_sections(lb) if sections is None else sections
    bars = leaderboard_bars(lb)
    names: dict[str, str] = {}

    def write(folder: Path) -> None:
        written = {
            "html": write_html(lb, folder / "榜单公示.html", generated=when, sections=sections),
            "xlsx": write_excel(lb, folder / "榜单.xlsx", generated=when, sections=sections),
            "csv": write_csv(lb, folder / "榜单.csv"),
            "png": save_chart(bars, folder / "总分排名.png"),
            "svg": save_chart(bars, folder / "总分排名.svg"),
            "poster": poster(lb, folder / "海报.png", top=top, generated=when),
        }
        names.update({kind: p.name for kind, p in written.items()})

    publish_set(out, write, inputs=dataset_inputs(lb))
    return {kind: out / name for kind, name in names.items()}
