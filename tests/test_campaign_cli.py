"""``evaltools campaign DATA [--round N]``: output, exit codes, no tracebacks."""

from __future__ import annotations

import shutil

from evaltools.cli import main
from evaltools.datasets import SAMPLE_DIR


def test_campaign_on_the_sample(capsys):
    assert main(["campaign", str(SAMPLE_DIR), "--round", "4"]) == 0
    out = capsys.readouterr().out
    assert "共 1968 人次" in out and "第4轮结果" in out
    assert "短时集中投票" in out and "R4-07" in out and "非正常时段投票" in out
    assert "复核票数" in out and "不会自动删除" in out


def test_campaign_defaults_to_the_latest_round(capsys):
    assert main(["campaign", str(SAMPLE_DIR)]) == 0
    assert "第6轮结果" in capsys.readouterr().out


def test_campaign_usage_errors(tmp_path, capsys):
    assert main(["campaign", str(tmp_path / "nope")]) == 2
    assert main(["campaign", str(SAMPLE_DIR), "--round", "9"]) == 2
    assert "没有第 9 轮" in capsys.readouterr().err
    folder = tmp_path / "novotes"
    folder.mkdir()
    shutil.copy(SAMPLE_DIR / "units.csv", folder / "units.csv")
    assert main(["campaign", str(folder)]) == 2


def test_campaign_bad_data_is_reported(tmp_path, capsys):
    folder = tmp_path / "bad"
    folder.mkdir()
    for name in ("units.csv", "entries.csv"):
        shutil.copy(SAMPLE_DIR / name, folder / name)
    (folder / "votes.csv").write_text("轮次,作品编号,投票人,投票时间\n1,R1-01,wx_1,昨天\n",
                                      encoding="utf-8")
    assert main(["campaign", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "votes.csv" in out and "Traceback" not in out
