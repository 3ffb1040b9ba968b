"""A faster xlsxwriter worksheet for the big data blocks of the workbook (issue 17).

xlsxwriter keeps one Python tuple per cell and writes each cell's XML in a Python loop at close;
on 评委明细 (thousands of rows × 7 columns) that per-cell work was most of
:func:`evaltools.publish.excel.write_excel`. :class:`BlockSheet` takes a sheet's data columns
as polars Series (:meth:`BlockSheet.write_block_column`) and builds their ``<row>``/``<c>`` XML
with vectorised string expressions at close. The XML is the one xlsxwriter writes for the same
calls to ``write_column`` (same shared-string indexes and counts, style indexes, spans, number
text ``%.16G``): the workbook's bytes do not change. Cells written afterwards through the usual
API (a fill on the top three rows, 新上榜 as text) replace the block's cell, as they would in
xlsxwriter's own table.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

__all__ = ["BlockSheet"]

#: xlsxwriter checks strings longer than this (characters) against Excel's 32,767 UTF-16 limit
#: and truncates them; such a column is written through xlsxwriter's own write_column
_LONG = 32767 // 2


@dataclass
class _Column:
    fmt: Any
    tail: str  # column of BlockSheet._tails: the cell XML after the style attribute


def _texts(keys: list[Any], convert: Any = None) -> list[str]:
    """Numbers as xlsxwriter writes them (``f"{n:.16G}"``); datetimes through ``convert`` (the
    sheet's Excel serial date) first. Called once per distinct value, not per cell."""
    return [f"{(convert(v) if convert else v):.16G}" for v in keys]


class BlockSheet(Worksheet):
    """A worksheet with one block of data columns (same first row and height), written as
    vectorised XML; everything else behaves as xlsxwriter's Worksheet."""

    fh: Any  # the XML being written (xlsxwriter's XMLwriter)

    def __init__(self) -> None:
        super().__init__()
        self._block: dict[int, _Column] = {}
        self._block_rows: tuple[int, int] | None = None  # first row, height
        self._tails = pl.DataFrame()

    def write_block(self, row: int, frame: pl.DataFrame, formats: Sequence[Any], *,
                    header: tuple[int, Any] | None = None) -> None:
        """For each column ``j`` of ``frame`` (String, integer, float or Datetime): its name
        in row ``header[0]`` with format ``header[1]`` (when given), then ``write_column(row, j,
        frame[j].to_list(), formats[j])``. Strings enter the shared-string table now, in the
        same order and count as those calls; the cells' XML is built at close. One block per
        sheet."""
        if self._block_rows is not None:
            raise ValueError("one block per sheet")
        if any(f is None for f in formats):
            raise ValueError("block columns need a cell format")
        n = frame.height
        self._block_rows = (row, n)
        stats: list[pl.Expr] = []
        for j, (name, dtype) in enumerate(frame.schema.items()):
            c = pl.col(name)
            if dtype == pl.String:
                c = c.replace("", None)  # xlsxwriter writes "" as a blank cell
                stats += [c.str.len_chars().max().alias(f"long{j}"), c.count().alias(f"n{j}")]
            elif dtype.is_float():
                bad = c.is_nan() | c.is_infinite()
                stats.append(bad.any().alias(f"bad{j}"))
                c = c.filter(~bad)
            elif dtype.is_integer():
                stats.append(c.abs().max().cast(pl.Int64, strict=False).alias(f"big{j}"))
            elif not dtype.is_temporal():
                raise TypeError(f"unsupported block column dtype: {dtype}")
            stats.append(c.drop_nulls().unique(maintain_order=True).implode().alias(f"u{j}"))
        got = frame.select(stats).row(0, named=True) if n and frame.width else {}
        tails: list[pl.Expr] = []
        for j, (name, dtype) in enumerate(frame.schema.items()):
            if header is not None:
                self.write_string(header[0], j, name, header[1])
            if not n:
                continue
            fmt, c, keys = formats[j], pl.col(name), got[f"u{j}"]
            old = pl.Series(keys, dtype=dtype)
            if dtype == pl.String:
                if (got[f"long{j}"] or 0) > _LONG or self.constant_memory:
                    self.write_column(row, j, frame[name].to_list(), fmt)  # xlsxwriter's path
                    continue
                table = self.str_table
                index = [table._get_shared_string_index(s) for s in keys]
                table.count += got[f"n{j}"] - len(keys)
                text = c.replace_strict(old, [str(i) for i in index], default=None,
                                        return_dtype=pl.String)
                tail = pl.concat_str(pl.lit(' t="s"><v>'), text, pl.lit("</v></c>"))
            else:
                if dtype.is_float() and got[f"bad{j}"]:  # NaN, ±inf: xlsxwriter's formulas
                    col = frame[name]
                    nan = col.is_nan() | col.is_infinite()
                    for k, v in zip(nan.arg_true().to_list(), col.filter(nan).to_list(),
                                    strict=True):
                        self.write_number(row + k, j, v, fmt)
                if dtype.is_integer() and (got[f"big{j}"] or 0) < 10**15:
                    text = c.cast(pl.String)
                else:
                    convert = self._convert_date_time if dtype.is_temporal() else None
                    text = c.replace_strict(old, _texts(keys, convert), default=None,
                                            return_dtype=pl.String)
                tail = pl.concat_str(pl.lit("><v>"), text, pl.lit("</v></c>"))
            tails.append(tail.fill_null("/>").alias(f"t{j}"))
            self._block[j] = _Column(fmt, f"t{j}")
        if tails:
            self._tails = frame.select(tails)
            self._check_dimensions(row, min(self._block))
            self._check_dimensions(row + n - 1, max(self._block))

    # -- close ---------------------------------------------------------------------------------

    def _capture(self, write: Any, *args: Any) -> str:
        buf = io.StringIO()
        fh, self.fh = self.fh, buf
        try:
            write(*args)
        finally:
            self.fh = fh
        return buf.getvalue()

    def _row_xml(self, row_num: int, span: str | None) -> str:
        """One row through xlsxwriter's own code (rows outside the block)."""
        buf = io.StringIO()
        fh, self.fh = self.fh, buf
        try:
            if self.table[row_num]:
                self._write_row(row_num, span, self.row_info.get(row_num))
                for col_num in range(self.dim_colmin, self.dim_colmax + 1):
                    if col_num in self.table[row_num]:
                        self._write_cell(row_num, col_num, self.table[row_num][col_num])
                self._xml_end_tag("row")
            elif row_num in self.row_info or row_num in self.comments:
                self._write_empty_row(row_num, span, self.row_info.get(row_num))
        finally:
            self.fh = fh
        return buf.getvalue()

    def _write_rows(self) -> None:
        if not self._block or self._block_rows is None:
            super()._write_rows()
            return
        first, height = self._block_rows
        last = first + height - 1
        cols = sorted(self._block)
        self._calculate_spans()  # of xlsxwriter's table; the block fills cols[0]..cols[-1]
        spans = self.row_spans
        for g in range(first // 16, last // 16 + 1):
            lo, hi = cols[0] + 1, cols[-1] + 1
            if g in spans:
                a, b = map(int, spans[g].split(":"))
                lo, hi = min(lo, a), max(hi, b)
            spans[g] = f"{lo}:{hi}"
        out = self.fh
        for row_num in range(self.dim_rowmin, first):
            out.write(self._row_xml(row_num, spans.get(row_num // 16)))
        out.write(self._block_xml(first, height, cols))
        for row_num in range(last + 1, self.dim_rowmax + 1):
            out.write(self._row_xml(row_num, spans.get(row_num // 16)))

    def _block_xml(self, first: int, height: int, cols: list[int]) -> str:
        spans = self.row_spans
        # rows of the block that xlsxwriter's table also holds cells for (written afterwards:
        # fills, 新上榜, NaN) or that have row settings: their cells replace the block's
        special = sorted(r for r in {*self.table, *self.row_info, *self.comments}
                         if first <= r < first + height
                         and (self.table.get(r) or r in self.row_info or r in self.comments))
        # style indexes are numbered in the order xlsxwriter first meets them, row by row
        pending = set(cols)
        replaced: dict[int, tuple[list[int], list[str]]] = {}
        starts: tuple[list[int], list[str]] = ([], [])
        todo = iter(special)
        nxt = next(todo, None)
        r = first
        while r < first + height and (pending or nxt is not None):
            if nxt is not None and r == nxt:
                cells = self.table.get(r, {})
                for c in range(self.dim_colmin, self.dim_colmax + 1):
                    if c in cells:
                        xml = self._capture(self._write_cell, r, c, cells[c])
                        rows, texts = replaced.setdefault(c, ([], []))
                        rows.append(r - first)
                        texts.append(xml)
                    elif c in pending:
                        self._block[c].fmt._get_xf_index()
                        pending.discard(c)
                if r in self.row_info:
                    starts[0].append(r - first)
                    starts[1].append(self._capture(self._write_row, r, spans.get(r // 16),
                                                   self.row_info[r]))
                nxt = next(todo, None)
                r += 1
            elif pending:
                for c in cols:
                    if c in pending:
                        self._block[c].fmt._get_xf_index()
                pending.clear()
                r = nxt if nxt is not None else first + height
            else:
                r = nxt  # type: ignore[assignment]  # not None: the loop's condition
        i = pl.int_range(0, pl.len())  # 0-based row of the block

        def over(cell: pl.Expr, done: tuple[list[int], list[str]] | None) -> pl.Expr:
            if not done or not done[0]:
                return cell
            return pl.coalesce(i.replace_strict(done[0], done[1], default=None,
                                                return_dtype=pl.String), cell)

        number = (i + first + 1).cast(pl.String)
        span = ((i + first) // 16).replace_strict(list(spans), list(spans.values()),
                                                  default=None, return_dtype=pl.String)
        parts = [over(pl.concat_str(pl.lit('<row r="'), number, pl.lit('" spans="'), span,
                                    pl.lit('">')), starts)]
        for c in sorted({*cols, *replaced}):
            done = replaced.get(c)
            if c in self._block and (done is None or len(done[0]) < height):
                column = self._block[c]  # (a style index only when some cell uses it)
                xf = column.fmt._get_xf_index()
                cell = pl.concat_str(pl.lit(f'<c r="{xl_col_to_name(c)}'), number,
                                     pl.lit(f'" s="{xf}"'), pl.col(column.tail))
            else:
                cell = pl.lit(None, pl.String)
            parts.append(over(cell, done).fill_null(""))
        rows_xml = pl.concat_str([*parts, pl.lit("</row>")]).str.join("")
        return str(self._tails.select(rows_xml).item())
