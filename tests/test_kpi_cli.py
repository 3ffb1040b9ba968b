"""``evaltools kpi``: output, options, files written, exit codes."""

from __future__ import annotations

import io

import polars as pl

from evaltools.cli import main
from evaltools.cli.kpi import run_kpi


def _run(argv: list[str]) -> tuple[int, str]:
    from evaltools.cli import build_parser

    args = build_parser().parse_args(argv)
    buf = io.StringIO()
    return run_kpi(args, buf), buf.getvalue()


def test_kpi_prints_the_newsletter_figures_with_definitions():
    code, text = _run(["kpi", "data/sample", "--by", "street"])
    assert code == 0
    assert "新安路街道" in text and "5231" in text and "100.0%" in text and "91.6%" in text
    assert "反馈率" in text and "收集当天不计" in text and "没有排除任何工单" in text


def test_kpi_by_and_month_and_out(tmp_path):
    out = tmp_path / "kpi.xlsx"
    code, _ = _run(["kpi", "data/sample", "--by", "street,category", "--month", "2020-10",
                       "--out", str(out)])
    assert code == 0 and out.is_file()
    sheet = pl.read_excel(out, sheet_name="指标")
    assert {"街道", "类别", "反馈率"} <= set(sheet.columns)
    csv = tmp_path / "kpi.csv"
    assert _run(["kpi", "data/sample", "--by", "none", "--out", str(csv)])[0] == 0
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")
    assert pl.read_csv(csv)["收集件数"].item() == 6731


def test_kpi_exit_codes(tmp_path, capsys):
    assert main(["kpi", str(tmp_path / "nope")]) == 2
    assert main(["kpi", "data/sample", "--by", "building"]) == 2
    assert "courtyard" in capsys.readouterr().err
    assert main(["kpi", "data/sample", "--out", str(tmp_path / "x.txt")]) == 2
    # excluded tickets: exit 1, listed with their rows
    (tmp_path / "units.csv").write_text(
        "单位编号,名称,街道,社区,楼院\nA,一号院,新安路街道,汇通社区,一号院\n", encoding="utf-8")
    (tmp_path / "tickets.csv").write_text(
        "工单编号,楼院编号,类别,渠道,居民点单时间,反馈时间,办结时间,办理状态\n"
        "T1,A,停车,意见箱,2024-06-03 09:00,2024-06-03 10:00,2024-06-04 09:00,已办结\n"
        "T2,A,停车,意见箱,2024-06-03 09:00,2024-06-03 10:00,,已办结\n", encoding="utf-8")
    code, text = _run(["kpi", str(tmp_path), "--excluded"])
    assert code == 1
    assert "排除的工单" in text and "状态为已办结但没有办结时间" in text and "3" in text
