"""BlockSheet (evaltools.publish.xlsxrows) writes the bytes xlsxwriter's own write_column does."""

from __future__ import annotations

import io
import math
from datetime import datetime

import polars as pl
import pytest
import xlsxwriter

from evaltools.publish.xlsxrows import BlockSheet


def _frame() -> pl.DataFrame:
    return pl.DataFrame({
        "单位": ["甲", "乙", "", None, "甲", "<a&b>", " 空格 ", "乙"],
        "名次": [1, 2, None, 4, 5, 6, 7, 8],
        "大数": [10**16 + 1, -3, 0, None, 7, 2**40, 1, 2],
        "得分": [94.5, 0.1 + 0.2, None, math.nan, math.inf, -math.inf, -0.0, 1e-7],
        "率": pl.Series([0.1, 0.25, None, 1.0, 0.5, 0.3, 0.7, 0.9], dtype=pl.Float32),
        "时间": [datetime(2024, 3, 1, 8, 30), None, datetime(1900, 1, 1),
                 datetime(2024, 3, 1, 8, 30), datetime(2025, 12, 31, 23, 59, 59, 500),
                 None, None, datetime(1999, 9, 9)],
        "空": pl.Series([None] * 8, dtype=pl.String),
    })


def _book(fast: bool, frame: pl.DataFrame, *, extra: bool = True) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"strings_to_formulas": False, "strings_to_numbers": False,
                                   "strings_to_urls": False, "nan_inf_to_errors": True})
    wb.set_properties({"created": datetime(2024, 1, 1)})
    formats = [wb.add_format({"num_format": f"0.{'0' * (j + 1)}", "valign": "top"})
               for j in range(frame.width)]
    header = wb.add_format({"bold": True})
    fill = wb.add_format({"bg_color": "#FFE699"})
    red = wb.add_format({"font_color": "#C00000", "bold": True})
    first = wb.add_worksheet("前", worksheet_class=BlockSheet if fast else None)
    first.write_string(0, 0, "先写的字符串", header)
    ws = wb.add_worksheet("表", worksheet_class=BlockSheet if fast else None)
    ws.merge_range(0, 0, 0, max(frame.width - 1, 1), "标题", header)
    ws.set_row(2, 30)
    if fast:
        ws.write_block(3, frame, formats, header=(2, header))
    else:
        for j, name in enumerate(frame.columns):
            ws.write_string(2, j, name, header)
            if frame.height:
                ws.write_column(3, j, frame[name].to_list(), formats[j])
    if extra and frame.height > 5:  # cells written over the block, as the 总榜 fills are
        for j in range(frame.width):
            ws.write(3, j, frame[frame.columns[j]][0], fill)
        ws.write_string(5, 1, "新上榜", red)
        ws.write_number(8, 0, 3.5, red)
        ws.set_row(7, 40)
        ws.write_string(6, frame.width + 1, "旁注", red)   # beyond the block's columns
    ws.write_string(frame.height + 5, 0, "表后", header)   # a row after the block
    ws.autofilter(2, 0, 2 + frame.height, max(frame.width - 1, 0))
    wb.close()
    return buf.getvalue()


def test_block_sheet_bytes_equal_write_column() -> None:
    frame = _frame()
    assert _book(True, frame) == _book(False, frame)
    assert _book(True, frame, extra=False) == _book(False, frame, extra=False)


def test_block_sheet_long_frame_and_long_text() -> None:
    n = 2705  # 评委明细's height: many span groups
    frame = pl.DataFrame({"评委": [f"评委{i % 13}" for i in range(n)],
                          "分": [float(i % 97) / 4 for i in range(n)]})
    assert _book(True, frame) == _book(False, frame)
    long = pl.DataFrame({"留言": ["长" * 40000, "短", "短"], "n": [1, 2, 3]})
    assert _book(True, long, extra=False) == _book(False, long, extra=False)


def test_block_sheet_every_row_written_over() -> None:
    """When every cell of a column is written again (总榜 of two units: both rows filled), the
    column's own format gets no style index, as in xlsxwriter."""
    frame = _frame().head(2)
    for extra in (True, False):
        fast, slow = io.BytesIO(), io.BytesIO()
        for target, is_fast in ((fast, True), (slow, False)):
            wb = xlsxwriter.Workbook(target)
            wb.set_properties({"created": datetime(2024, 1, 1)})
            plain = [wb.add_format({"num_format": f"0.{'0' * (j + 1)}"})
                     for j in range(frame.width)]
            fill = wb.add_format({"bg_color": "#FFE699"})
            ws = wb.add_worksheet("总榜", worksheet_class=BlockSheet if is_fast else None)
            if is_fast:
                ws.write_block(3, frame, plain)
            else:
                for j, name in enumerate(frame.columns):
                    ws.write_column(3, j, frame[name].to_list(), plain[j])
            rows = range(2) if extra else range(1)
            for i in rows:
                for j, name in enumerate(frame.columns):
                    ws.write(3 + i, j, frame[name][i], fill)
            other = wb.add_worksheet("分项", worksheet_class=BlockSheet if is_fast else None)
            other.write_column(3, 0, [1, 2], plain[1])  # met first on the next sheet
            wb.close()
        assert fast.getvalue() == slow.getvalue()


def test_block_sheet_empty_frame() -> None:
    empty = _frame().clear()
    assert _book(True, empty) == _book(False, empty)


def test_block_sheet_checks_its_input() -> None:
    wb = xlsxwriter.Workbook(io.BytesIO())
    ws = wb.add_worksheet("x", worksheet_class=BlockSheet)
    with pytest.raises(ValueError, match="format"):
        ws.write_block(1, pl.DataFrame({"a": [1]}), [None])
    ws.write_block(1, pl.DataFrame({"a": [1]}), [wb.add_format()])
    with pytest.raises(ValueError, match="one block"):
        ws.write_block(5, pl.DataFrame({"a": [1]}), [wb.add_format()])
    ws2 = wb.add_worksheet("y", worksheet_class=BlockSheet)
    with pytest.raises(TypeError, match="dtype"):
        ws2.write_block(1, pl.DataFrame({"a": [[1]]}), [wb.add_format()])
    wb.close()
