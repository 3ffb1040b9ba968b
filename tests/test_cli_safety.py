"""Commands never write onto their input and never write a live formula (issue 18, items 1, 10)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from evaltools.cli import main

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def dataset(tmp_path):
    folder = tmp_path / "in"
    shutil.copytree(SAMPLE, folder)
    return folder


@pytest.mark.parametrize(("command", "target"), [
    ("evaluate", "scores.csv"), ("kpi", "tickets.csv"), ("evaluate", "units.xlsx"),
])
def test_out_onto_an_input_file_is_refused(dataset, capsys, command, target):
    before = _digest(dataset)
    assert main([command, str(dataset), "--out", str(dataset / target)]) == 2
    err = capsys.readouterr().err
    assert target in err and "输入" in err and "input" in err
    assert _digest(dataset) == before


def test_out_through_a_symlink_is_refused(dataset, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "榜单.csv").symlink_to(dataset / "units.csv")  # resolves into the data folder
    before = _digest(dataset)
    assert main(["evaluate", str(dataset), "--out", str(out / "榜单.csv")]) == 2
    assert "数据文件夹" in capsys.readouterr().err
    assert _digest(dataset) == before
    elsewhere = tmp_path / "keep.csv"  # a symlink to any other file is not followed either
    elsewhere.write_text("keep", encoding="utf-8")
    (out / "榜单2.csv").symlink_to(elsewhere)
    assert main(["evaluate", str(dataset), "--out", str(out / "榜单2.csv")]) == 2
    assert "链接" in capsys.readouterr().err
    assert elsewhere.read_text(encoding="utf-8") == "keep"


def test_out_in_a_folder_reached_through_a_symlink_is_refused(dataset, tmp_path):
    link = tmp_path / "link"
    link.symlink_to(dataset, target_is_directory=True)
    before = _digest(dataset)
    assert main(["evaluate", str(dataset), "--out", str(link / "scores.csv")]) == 2
    assert _digest(dataset) == before


def test_kpi_excel_and_csv_hold_no_live_formula(dataset, tmp_path):
    tickets = pl.read_csv(dataset / "tickets.csv", infer_schema=False)
    text_col = next(c for c in tickets.columns if c in ("content", "诉求内容", "category", "类别"))
    tickets = tickets.with_columns(pl.when(pl.int_range(pl.len()) < 3)
                                   .then(pl.lit("=cmd|' /C calc'!A0"))
                                   .otherwise(pl.col(text_col)).alias(text_col))
    tickets.write_csv(dataset / "tickets.csv")
    xlsx = tmp_path / "kpi.xlsx"
    csv = tmp_path / "kpi.csv"
    for out in (xlsx, csv):
        assert main(["kpi", str(dataset), "--by", "category", "--out", str(out)]) in (0, 1)
    wb = openpyxl.load_workbook(xlsx)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    for line in csv.read_text(encoding="utf-8-sig").splitlines():
        assert not any(field.startswith(("=", "+", "@")) for field in line.split(","))
