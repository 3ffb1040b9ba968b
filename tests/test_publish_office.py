"""Publishing for offices (issue 16 items 7–9): the workbook's print setup and formats, the Word
公示, QR codes, the portrait poster, and corrections after objections (--supersedes).

Workbooks are read back with openpyxl (formats, fills, print setup) and polars (values)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from evaltools import evaluate, publish, read_dataset
from evaltools.publish.excel import HEADER_ROW, MOVEMENT_FORMAT, TOP_FILLS

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
FIXED = datetime(2024, 5, 1, 9, 30, tzinfo=publish.CHINA_TZ)


@pytest.fixture(scope="module")
def sample_board():
    return evaluate(read_dataset(SAMPLE))


@pytest.fixture(scope="module")
def workbook(sample_board, tmp_path_factory):
    out = publish.write_excel(sample_board, tmp_path_factory.mktemp("x") / "榜单.xlsx",
                              generated=FIXED)
    return out, openpyxl.load_workbook(out)


def _col(ws, header: str) -> int:
    """1-based column of a header on row 3."""
    heads = [c.value for c in ws[HEADER_ROW + 1]]
    return heads.index(header) + 1


# ---------------------------------------------------------------------------------------------
# Excel

def test_every_sheet_has_title_rows_and_a4_landscape_print_setup(workbook, sample_board):
    _, wb = workbook
    r = sample_board.rubric
    assert len(wb.sheetnames) >= 8
    for ws in wb:
        assert ws["A1"].value == f"{r.name}第6轮评比结果", ws.title
        assert r.organiser in ws["A2"].value and r.period in ws["A2"].value
        assert "第6轮" in ws["A2"].value
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.page_setup.paperSize == 9, ws.title                     # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
        widths = [d.width for d in ws.column_dimensions.values() if d.width]
        assert widths and max(widths) <= 41, (ws.title, max(widths))
        if ws.title not in ("方法与权重", "审计"):
            assert ws.print_title_rows == "$3:$3", ws.title               # header on every page
            assert ws.freeze_panes is not None and ws.freeze_panes[1:] == "4", ws.title


def test_board_sheet_values_and_formats(workbook, sample_board):
    _, wb = workbook
    ws = wb["总榜"]
    t = sample_board.table
    first = HEADER_ROW + 2                                   # 1-based row of the first unit
    heads = [c.value for c in ws[HEADER_ROW + 1]]
    assert heads[:4] == ["名次", "排名", "单位编号", "名称"]
    # 名次变化: numbers (previous − current) with the ▲/▼ number format
    mv = _col(ws, "名次变化")
    nums = [ws.cell(first + i, mv).value for i in range(t.height)]
    expected = (t["previous_rank"] - t["rank"]).to_list()
    assert nums == expected and all(isinstance(n, int) for n in nums)
    assert {ws.cell(first + i, mv).number_format for i in range(t.height)} == {MOVEMENT_FORMAT}
    # 星级 as ★ text, 取消资格 as 是/否, numbers stay numbers
    stars = [ws.cell(first + i, _col(ws, "星级")).value for i in range(t.height)]
    assert stars == ["★" * s if s else "—" for s in t["stars"].to_list()]
    assert {ws.cell(first + i, _col(ws, "取消资格")).value for i in range(t.height)} <= {"是", "否"}
    assert isinstance(ws.cell(first, _col(ws, "总分")).value, float)
    assert ws.cell(first, _col(ws, "总分")).number_format == "0.00"
    # no TRUE/FALSE anywhere in the workbook
    for sheet in wb:
        for row in sheet.iter_rows(values_only=True):
            assert not any(isinstance(v, bool) for v in row), sheet.title


def test_top_three_highlighted_and_failures_red(workbook, sample_board):
    _, wb = workbook
    ws = wb["总榜"]
    t = sample_board.table
    first = HEADER_ROW + 2
    for i, rank in enumerate(t["rank"].to_list()):
        fill = ws.cell(first + i, 4).fill.fgColor.rgb
        if rank in TOP_FILLS:
            assert fill == "FF" + TOP_FILLS[rank][1:].upper(), (i, rank)
        else:
            assert fill in (None, "00000000"), (i, rank, fill)
    grade = _col(ws, "等级")
    failing = t.with_row_index("i").filter(pl.col("grade") == "不合格")["i"].to_list()
    assert failing                                        # the sample has two
    for i in range(t.height):
        c = ws.cell(first + i, grade)
        red = c.font.color is not None and c.font.color.rgb == "FFC00000"
        assert red == (i in failing), (i, c.value)


def test_round_is_a_number_and_method_sheet_wraps(workbook):
    _, wb = workbook
    audit = wb["审计"]
    rows = {r[0]: r[1] for r in audit.iter_rows(min_row=HEADER_ROW + 2, values_only=True) if r[0]}
    assert rows["轮次"] == 6
    method = wb["方法与权重"]
    assert method.column_dimensions["A"].width <= 20      # 项目 / 一级指标 / 序号: short
    long_cells = [c for row in method.iter_rows() for c in row
                  if isinstance(c.value, str) and len(c.value) > 30 and c.row > 2]
    assert long_cells and all(c.alignment.wrap_text for c in long_cells)


def test_new_units_show_as_text_in_movement(sample_board, tmp_path):
    lb = evaluate(sample_board.dataset, round=4)
    new = lb.table.with_row_index("i").filter(pl.col("movement") == "新上榜")["i"].to_list()
    assert new
    out = publish.write_excel(lb, tmp_path / "r4.xlsx", generated=FIXED, sections={})
    ws = openpyxl.load_workbook(out)["总榜"]
    mv = _col(ws, "名次变化")
    for i in new:
        assert ws.cell(HEADER_ROW + 2 + i, mv).value == "新上榜"
