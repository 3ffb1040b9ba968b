"""Everything at once: :func:`publish` writes the page, Word notice, workbook, CSV, charts,
poster and their checksums.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

import polars as pl

from evaltools.errors import EvalToolsError, EvalToolsWarning
from evaltools.publish.audit import CHINA_TZ, dataset_inputs, generated_at
from evaltools.publish.csv import write_csv
from evaltools.publish.excel import write_excel
from evaltools.publish.figures import published_bars
from evaltools.publish.html import write_html
from evaltools.publish.pdf import write_pdf
from evaltools.publish.poster import poster, save_chart
from evaltools.publish.privacy import publishable
from evaltools.publish.tables import default_sections, with_intervals
from evaltools.publish.word import write_docx
from evaltools.writing import MANIFEST, publish_set

if TYPE_CHECKING:
    from evaltools.leaderboard import Leaderboard
    from evaltools.robustness import RankIntervals

__all__ = ["FORMATS", "PublishFormat", "publish", "publish_formats"]

PublishFormat = Literal["html", "pdf", "docx", "xlsx", "csv", "png", "svg", "poster"]
#: what :func:`publish` can write, in the order it writes them: 榜单公示.html, 榜单公示.pdf,
#: 榜单公示.docx, 榜单.xlsx, 榜单.csv, 总分排名.png, 总分排名.svg, 海报.png
FORMATS: tuple[PublishFormat, ...] = get_args(PublishFormat)


def publish_formats(formats: str | Iterable[str] | None) -> tuple[PublishFormat, ...]:
    """The formats to publish, checked and in :data:`FORMATS` order: None = all of them; a
    string is a comma-separated list (``"html,xlsx,csv"``, as ``--formats`` takes it). Names
    are case-insensitive; an unknown or empty one is a :class:`~evaltools.errors.UsageError`
    listing the allowed names.

    Examples
    --------
    >>> publish_formats("poster, HTML,csv")
    ('html', 'csv', 'poster')
    >>> publish_formats(None) == FORMATS
    True
    >>> publish_formats(["html", "jpg"])
    Traceback (most recent call last):
    ...
    evaltools.errors.UsageError: 未知的发布格式：jpg。可选格式（用逗号分隔）：html,pdf,docx,xlsx,csv,png,svg,poster。 | unknown publish format: jpg. Fix: choose from (comma-separated): html,pdf,docx,xlsx,csv,png,svg,poster.
    """
    from evaltools.errors import Problem, UsageError

    if formats is None:
        return FORMATS
    names = formats.split(",") if isinstance(formats, str) else list(formats)
    wanted = {str(n).strip().lower() for n in names} - {""}
    unknown = sorted(wanted - set(FORMATS))
    if unknown or not wanted:
        allowed = ",".join(FORMATS)
        raise UsageError(Problem(
            None, None, None, None, "bad_format",
            f"未知的发布格式：{'、'.join(unknown)}" if unknown else "没有指定发布格式",
            f"unknown publish format: {', '.join(unknown)}" if unknown else "no format given",
            f"可选格式（用逗号分隔）：{allowed}", f"choose from (comma-separated): {allowed}"))
    return tuple(f for f in FORMATS if f in wanted)


# =============================================================================================
# Everything at once
# =============================================================================================


def publish(lb: Leaderboard, out: str | Path, *, top: int = 10,
            sections: Mapping[str, pl.DataFrame] | None = None,
            intervals: RankIntervals | pl.DataFrame | None = None,
            supersedes: str | Path | None = None,
            formats: str | Iterable[PublishFormat] | None = None,
            generated: datetime | None = None) -> dict[str, Path]:
    """Write every output into the folder ``out``: 榜单公示.html, 榜单公示.pdf (A4, the same page),
    榜单公示.docx (the Word notice an office edits and stamps), 榜单.xlsx, 榜单.csv, 总分排名.png /
    .svg (all ranked units), 海报.png (top ``top``), and SHA256SUMS (the SHA-256 of each file,
    for ``sha256sum -c`` and for a later correction to chain to). Returns
    kind → path.

    ``formats`` chooses what to write (:data:`FORMATS`: ``"html"``, ``"pdf"``, ``"docx"``,
    ``"xlsx"``, ``"csv"``, ``"png"``, ``"svg"``, ``"poster"``; a list or a comma-separated
    string; :func:`publish_formats`); None = all. SHA256SUMS lists just the files written. A later correction (``supersedes``) reads this publication's 榜单.csv: keep
    ``"csv"`` in a publication that may be corrected.

    One generation time is used for all files: ``generated`` (shown in Beijing time; a caller
    publishing one set in two steps passes the same time to both, and the files they share are
    byte-identical), else :func:`generated_at` (``SOURCE_DATE_EPOCH`` or now); ``sections`` and
    ``intervals`` as in :func:`write_html`. ``supersedes`` is the output folder of an earlier
    publication this one corrects (公示期异议 → 复核 → 更正): the page, the workbook and the Word
    notice get a 更正说明 listing every changed score and rank with the reason recorded in the
    dataset's corrections table, and the audit records the earlier publication's hashes
    (:func:`evaltools.publish.corrections.supersede`; a change without a recorded reason is a
    :class:`~evaltools.errors.ValidationError` naming the unit, and nothing is written).
    Without a PDF renderer (WeasyPrint and the system's pango) the PDF is left out with a
    warning and everything else is written.
    The folder is written as one set (:func:`evaltools.writing.publish_set`): into a staging
    folder first, with ``SHA256SUMS`` of every file, then swapped into place under
    a lock, so a concurrent or killed run never leaves a mix; ``out`` may not be or hold an input
    file, and an existing non-empty folder that evaltools did not publish is refused rather than
    replaced.
    """
    from evaltools.publish.corrections import supersede

    kinds = publish_formats(formats)  # raises before anything is computed
    out = Path(out)
    chain = None
    if supersedes is not None:
        if Path(supersedes).resolve() == out.resolve():
            from evaltools.errors import Problem, UsageError

            raise UsageError(Problem(
                None, None, "--supersedes", str(supersedes), "bad_supersedes",
                "更正后的公示不能写入被更正的公示文件夹（上一版须原样保留）",
                "the corrected publication cannot be written into the folder it supersedes "
                "(the previous one must be kept as published)",
                "请用新的 --out 文件夹", "use a new --out folder"))
        chain = supersede(lb, supersedes)   # raises before anything is written
    when = generated_at() if generated is None else generated.astimezone(CHINA_TZ)
    lb = publishable(with_intervals(lb, intervals))  # phones, ID numbers, bidi: issue 18
    if sections is None and {"html", "pdf", "xlsx"} & set(kinds):
        sections = default_sections(lb)
    bars = published_bars(lb) if {"png", "svg"} & set(kinds) else None  # no Vega (issue 17)
    names: dict[str, str] = {}

    def write(folder: Path) -> None:
        written: dict[str, Path] = {}
        if "html" in kinds:
            written["html"] = write_html(lb, folder / "榜单公示.html", generated=when,
                                         sections=sections, supersedes=chain)
        if "pdf" in kinds:
            try:
                written["pdf"] = write_pdf(lb, folder / "榜单公示.pdf", generated=when,
                                           sections=sections, supersedes=chain)
            except EvalToolsError as exc:  # no PDF renderer here: the rest is still published
                if exc.problems[0].rule != "pdf_renderer_missing":
                    raise
                warnings.warn(f"未生成 PDF | PDF not written: {exc.problems[0].message_en()}",
                              EvalToolsWarning, stacklevel=3)
        if "docx" in kinds:
            written["docx"] = write_docx(lb, folder / "榜单公示.docx", generated=when,
                                         supersedes=chain)
        if "xlsx" in kinds:
            written["xlsx"] = write_excel(lb, folder / "榜单.xlsx", generated=when,
                                          sections=sections, supersedes=chain)
        if "csv" in kinds:
            written["csv"] = write_csv(lb, folder / "榜单.csv")
        for kind, name in (("png", "总分排名.png"), ("svg", "总分排名.svg")):
            if kind in kinds:
                written[kind] = save_chart(bars, folder / name)
        if "poster" in kinds:
            written["poster"] = poster(lb, folder / "海报.png", top=top, generated=when)
        names.update({kind: p.name for kind, p in written.items()})

    publish_set(out, write, inputs=dataset_inputs(lb))  # adds SHA256SUMS, the set's hashes
    return {kind: out / name for kind, name in names.items()} | {"manifest": out / MANIFEST}
