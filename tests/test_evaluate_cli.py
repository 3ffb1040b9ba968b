"""The `evaltools evaluate` command (evaltools/cli/evaluate.py)."""

from __future__ import annotations

import argparse
import io
import shutil
from pathlib import Path

import polars as pl
import pytest

from evaltools.cli.common import add_command
from evaltools.cli.evaluate import COMMAND

pytestmark = pytest.mark.filterwarnings("ignore")
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def run(*argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="evaltools")
    add_command(parser.add_subparsers(dest="command"), "evaluate", COMMAND)
    args = parser.parse_args(["evaluate", *argv])
    out = io.StringIO()
    return args._run(args, out), out.getvalue()


def test_prints_top_and_notes():
    code, text = run(str(SAMPLE), "--top", "3")
    assert code == 0
    assert "第1名" in text and "第3名" in text and "第4名" not in text
    assert "满意率" in text and "并列规则" in text
    assert "第6轮" in text


def test_round_all_and_method(tmp_path):
    code, text = run(str(SAMPLE), "--round", "all", "--method", "weighted_sum", "--top", "2")
    assert code == 0 and "各轮平均" in text and "weighted_sum" in text


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_out_formats(tmp_path, suffix):
    target = tmp_path / f"榜单{suffix}"
    code, _ = run(str(SAMPLE), "--out", str(target))
    assert code == 0 and target.exists()
    if suffix == ".csv":
        raw = target.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # BOM for Excel
        frame = pl.read_csv(target)
        assert frame.columns[:4] == ["名次", "排名", "单位编号", "名称"]
        assert "环境卫生" in frame.columns
    elif suffix == ".xlsx":
        # the published workbook: two title rows, headers on row 3
        frame = pl.read_excel(target, read_options={"header_row": 2})
        assert "总分" in frame.columns
    else:
        frame = pl.read_parquet(target)
        assert "total" in frame.columns and "rank_label" in frame.columns
    assert frame.height == 60


def test_usage_errors(tmp_path):
    assert run(str(tmp_path / "nope"))[0] == 2
    assert run(str(SAMPLE), "--out", str(tmp_path / "x.txt"))[0] == 2
    assert run(str(SAMPLE), "--round", "99")[0] == 2
    assert run(str(SAMPLE), "--method", "borda")[0] == 2
    assert run(str(SAMPLE), "--rubric", str(tmp_path / "none.toml"))[0] == 2
    with pytest.raises(SystemExit):
        run(str(SAMPLE), "--round", "last")


def test_data_problem_exit_1(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    # drop one judge criterion row block for a unit in round 6 → missing value under policy error
    scores = pl.read_csv(data / "scores.csv")
    cols = scores.columns
    keep = ~((scores[cols[0]] == 6) & (scores[cols[1]] == scores[cols[1]][0])
             & (scores[cols[3]] == scores[cols[3]][0]))
    scores.filter(keep).write_csv(data / "scores.csv")
    code, text = run(str(data))
    assert code == 1
    assert "missing_value" in text or "缺少" in text
