"""The Excel workbook of a leaderboard: :func:`write_excel`.

One sheet per published table, formats, frozen panes and widths, fixed document properties.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import polars as pl

from evaltools.publish.audit import audit_table, dataset_inputs, generated_at
from evaltools.publish.html import is_rate, round_text
from evaltools.publish.privacy import judge_aliases, mask_personal, publish_judges, publishable
from evaltools.publish.tables import (
    comments_table,
    default_sections,
    judges_table,
    method_lines,
    notes_zh,
    published_table,
    satisfaction_table,
    values_table,
    weights_table,
    with_intervals,
)
from evaltools.writing import atomic_write_bytes, check_output_path

if TYPE_CHECKING:
    from evaltools.leaderboard import Leaderboard
    from evaltools.robustness import RankIntervals

__all__ = ["write_excel"]


# =============================================================================================
# Excel
# =============================================================================================


def _display_width(frame: pl.DataFrame) -> dict[str, float]:
    """Column widths in Excel units: CJK characters count two (UTF-8 bytes − chars)/2 + chars."""
    if frame.width == 0:
        return {}
    widths = {}
    w = lambda s: s.str.len_chars() + (s.str.len_bytes() - s.str.len_chars()) / 2  # noqa: E731
    stats = frame.select(
        w(pl.col(n).cast(pl.String).fill_null("")).max().alias(n) for n in frame.columns
    ).row(0, named=True) if frame.height else dict.fromkeys(frame.columns, 0)
    for n in frame.columns:
        header = len(n) + (len(n.encode("utf-8")) - len(n)) / 2
        widths[n] = min(max(float(stats[n] or 0), header) + 2.5, 60.0)
    return widths


class _Book:
    """An xlsxwriter workbook with the formats every sheet shares (deterministic bytes)."""

    def __init__(self, target: BinaryIO, lb: Leaderboard, generated: datetime):
        import xlsxwriter

        self.wb = xlsxwriter.Workbook(target, {
            "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False,
            "nan_inf_to_errors": True,
        })
        r = lb.rubric
        self.wb.set_properties({
            "title": f"{r.name}{round_text(lb)}评比结果",
            "subject": "榜单公示",
            "author": r.organiser or "evaltools",
            "company": r.organiser or "",
            "comments": "由 evaltools 生成",
            "created": generated.astimezone(UTC).replace(tzinfo=None),  # xlsxwriter writes UTC
        })
        self.digits = r.digits
        self.header = self.wb.add_format({"bold": True, "bg_color": "#F6F1EA", "border": 1,
                                          "align": "center", "valign": "vcenter"})
        # quote_prefix: a text cell stays text even when edited (=, +, -, @ never become formulas)
        self.text = self.wb.add_format({"quote_prefix": True})
        self.score = self.wb.add_format({"num_format": "0." + "0" * r.digits if r.digits
                                         else "0"})
        self.rate = self.wb.add_format({"num_format": "0.0%"})
        self.integer = self.wb.add_format({"num_format": "0"})
        self.when = self.wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        self.bold = self.wb.add_format({"bold": True})

    def sheet(self, name: str, frame: pl.DataFrame, *, freeze_cols: int = 0,
              round_floats: bool = True) -> None:
        """One table per sheet: header row, frozen, widths fitted to Chinese text; rates
        (满意率, 得分率 …) as percentages."""
        from evaltools.rounding import round_half_up

        ws = self.wb.add_worksheet(name)
        rates = tuple(n for n, t in frame.schema.items() if t.is_float() and is_rate(n))
        floats = [n for n, t in frame.schema.items() if t.is_float() and n not in rates]
        if round_floats and floats:
            frame = frame.with_columns(round_half_up(n, self.digits) for n in floats)
        widths = _display_width(frame)
        for j, (col, dtype) in enumerate(frame.schema.items()):
            ws.write_string(0, j, col, self.header)
            values = frame[col]
            if col in rates:
                fmt, width = self.rate, max(widths[col], 9)
            elif dtype.is_float():
                fmt, width = self.score, max(widths[col], 8)
            elif dtype.is_integer():
                fmt, width = self.integer, widths[col]
            elif dtype.is_temporal():
                fmt, width = self.when, max(widths[col], 17)
                values = values.cast(pl.Datetime("us"))
            elif dtype == pl.Boolean:
                fmt, width = None, widths[col]
            else:
                fmt, width = self.text, widths[col]
                values = values.cast(pl.String)
            if frame.height:
                ws.write_column(1, j, values.to_list(), fmt)
            ws.set_column(j, j, width)
        ws.freeze_panes(1, freeze_cols)
        if frame.height and frame.width:
            ws.autofilter(0, 0, frame.height, frame.width - 1)

    def key_values(self, name: str, blocks: list[tuple[str, pl.DataFrame]]) -> None:
        """Several small tables on one sheet, each under a bold title."""
        ws = self.wb.add_worksheet(name)
        row = 0
        widths: dict[int, float] = {}
        for title, frame in blocks:
            ws.write_string(row, 0, title, self.bold)
            row += 1
            for j, col in enumerate(frame.columns):
                ws.write_string(row, j, col, self.header)
            for j, (col, w) in enumerate(_display_width(frame).items()):
                widths[j] = max(widths.get(j, 0.0), w)
                values = frame[col]
                fmt = self.text if values.dtype == pl.String else None
                ws.write_column(row + 1, j, values.to_list(), fmt)
            row += frame.height + 2
        for j, w in widths.items():
            ws.set_column(j, j, w)

    def close(self) -> None:
        self.wb.close()


def write_excel(lb: Leaderboard, path: str | Path, *, generated: datetime | None = None,
                sections: Mapping[str, pl.DataFrame] | None = None,
                intervals: RankIntervals | pl.DataFrame | None = None) -> Path:
    """Write the leaderboard workbook.

    Sheets: 总榜 (the leaderboard, Chinese headers), 分项得分 (unit × criterion: value, max points
    or weight, deductions, points), 评委明细 (the round's raw scores, judges by id and role),
    评委宽严度 (:func:`evaltools.judging.judge_report`), 满意度 (per unit, when there are review
    cards), 群众留言 (only when the rubric allows comments), 方法与权重, 审计; then ``sections``
    (None = :func:`default_sections`: 民情速递站 and 晒最美 when present), personal columns
    masked. ``intervals`` adds 名次区间 columns (rank_lower / rank_upper) to 总榜. Headers are frozen, widths fit Chinese
    text, numbers are rounded 四舍五入 to the rubric's decimals and formatted, text cells are
    written as text (never formulas). Fixed document properties (created = generation time) make
    the bytes reproducible.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from evaltools.examples import two_buildings
    >>> out = write_excel(two_buildings(), pathlib.Path(tempfile.mkdtemp()) / "榜单.xlsx")
    >>> pl.read_excel(out, sheet_name="总榜", schema_overrides={"总分": pl.Float64}).select(
    ...     "排名", "单位编号", "总分")
    shape: (2, 3)
    ┌───────┬──────────┬──────┐
    │ 排名  ┆ 单位编号 ┆ 总分 │
    │ ---   ┆ ---      ┆ ---  │
    │ str   ┆ str      ┆ f64  │
    ╞═══════╪══════════╪══════╡
    │ 第1名 ┆ A        ┆ 94.0 │
    │ 第2名 ┆ B        ┆ 80.0 │
    └───────┴──────────┴──────┘
    """
    from evaltools.judging import judge_report

    generated = generated or generated_at()
    lb = publishable(with_intervals(lb, intervals))  # phones, ID numbers, bidi: issue 18
    sections = default_sections(lb) if sections is None else sections
    path = check_output_path(path, inputs=dataset_inputs(lb))
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()  # the workbook is written whole, then replaces the file in one rename
    book = _Book(buffer, lb, generated)
    try:
        book.sheet("总榜", published_table(lb), freeze_cols=4)
        values = values_table(lb)
        book.sheet("分项得分", values, freeze_cols=2)
        judges = judges_table(lb)
        if judges is not None and judges.height:
            book.sheet("评委明细", judges, round_floats=False, freeze_cols=2)
            scores = lb.dataset.scores
            assert scores is not None  # judges_table found the judges' scores
            raw = scores.filter(pl.col("criterion").is_in(
                [c.id for c in lb.rubric.criteria if c.source == "judges"]))
            if isinstance(lb.round, int):
                raw = raw.filter(pl.col("round") == lb.round)
            rep = judge_report(raw.with_columns(pl.col("judge_id").cast(pl.String)))
            rep = publish_judges(rep, judge_aliases(lb))
            book.sheet("评委宽严度", rep.select(
                pl.col("judge_id").alias("评委编号"), pl.col("n").cast(pl.Int64).alias("打分数"),
                pl.col("mean").alias("平均分"), pl.col("sd").alias("标准差"),
                pl.col("leniency").alias("宽严度"), pl.col("loo_corr").alias("与其他评委相关"),
                pl.col("robust_z").alias("稳健z值"), pl.col("outlier").alias("需复核")))
        sat = satisfaction_table(lb)
        if sat is not None:
            book.sheet("满意度", sat)
        comments = comments_table(lb)
        if comments is not None:
            book.sheet("群众留言", comments)
        for name, frame in sections.items():
            book.sheet(name[:31], mask_personal(frame))
        method = pl.DataFrame(method_lines(lb), schema={"项目": pl.String, "说明": pl.String},
                              orient="row")
        book.key_values("方法与权重", [("计算方法", method), ("指标与权重", weights_table(lb)),
                                        ("说明", notes_zh(lb))])
        book.key_values("审计", [("审计信息", audit_table(lb, generated=generated))])
    finally:
        book.close()
    atomic_write_bytes(path, buffer.getvalue())
    return path
