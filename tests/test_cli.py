"""The evaltools command line: exit codes 0/1/2, a summary per file, every problem, no traceback."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from evaltools.cli import COMMANDS, build_parser, command, main

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "malformed"


@pytest.fixture
def clean(tmp_path: Path) -> Path:
    (tmp_path / "units.csv").write_text(
        "单位编号,名称,街道,社区,楼院\nB01,三湾街18号楼,济源路街道,三湾社区,三湾街18号院\n"
        "B02,九冶院,济源路街道,九冶社区,九冶院\n", encoding="utf-8-sig")
    (tmp_path / "scores.csv").write_bytes(
        "轮次,楼栋编号,评委,指标,得分\n1,B01,J1,sanitation,9\n1,B02,J1,sanitation,8\n"
        .encode("gbk"))
    return tmp_path


def test_clean_folder_exits_0_with_summary(clean, capsys):
    assert main(["validate", str(clean)]) == 0
    out = capsys.readouterr().out
    assert "units.csv: 读取 2 行，接受 2，拒绝 0 | read 2, accepted 2, rejected 0" in out
    assert "scores.csv: 读取 2 行" in out
    assert "没有发现问题 | no problems found" in out


def test_problems_exit_1_and_are_all_printed(capsys):
    assert main(["validate", str(CORPUS / "ds_unknown_ids")]) == 1
    out = capsys.readouterr().out
    assert "发现 5 个问题 | 5 problem(s) found" in out
    for text in ("scores.csv 第3行 “楼栋编号”列：值 “B09”", "row 4, column '评委': value 'J7'",
                 "votes.csv, row 4, column '作品编号': value '1 / E3'",
                 "scores.csv: 读取 3 行，接受 1，拒绝 2"):
        assert text in out


def test_lenient_lists_rejected_rows(capsys):
    assert main(["validate", str(CORPUS / "ds_unknown_ids"), "--lenient"]) == 1
    out = capsys.readouterr().out
    assert "被拒绝的行 | rejected rows — votes: 2" in out


def test_single_file_uses_its_name_or_table(capsys):
    assert main(["validate", str(CORPUS / "gbk_scores.csv"), "--table", "scores"]) == 1
    assert "值 “九” 不是数字" in capsys.readouterr().out
    assert main(["validate", str(CORPUS / "gbk_scores.csv")]) == 2  # name says no table
    assert "--table" in capsys.readouterr().err
    assert main(["validate", str(CORPUS / "ds_unknown_ids" / "units.csv")]) == 0


@pytest.mark.parametrize("argv", [
    ["validate", "/no/such/folder"],
    ["validate"],
    ["validate", str(CORPUS / "ds_unknown_ids"), "--rubric", "/no/rubric.toml"],
    ["validate", str(CORPUS / "gbk_scores.csv"), "--table", "nonsense"],
    ["nonsense"],
    [],
])
def test_usage_errors_exit_2(argv, capsys):
    assert main(argv) == 2


def test_wjx_file_without_rubric_is_a_usage_error(capsys):
    assert main(["validate", str(CORPUS / "wjx_codes.csv")]) == 2
    assert "[wjx]" in capsys.readouterr().err


def test_broken_rubric_is_reported_not_raised(clean, capsys):
    (clean / "rubric.toml").write_text("name = \n", encoding="utf-8")
    code = main(["validate", str(clean)])
    assert code == 1
    assert "Traceback" not in capsys.readouterr().out


def test_help_is_bilingual(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "validate" in out and "评估工具" in out and "evaluation toolkit" in out
    assert main(["validate", "--help"]) == 0
    assert "宽松模式" in capsys.readouterr().out


def test_never_a_traceback_and_inputs_untouched():
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file())
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    for path in [CORPUS / "broken.xlsx", CORPUS / "latin1_units.csv", CORPUS / "empty.csv",
                 CORPUS / "ds_unknown_ids"]:
        proc = subprocess.run([sys.executable, "-m", "evaltools.cli", "validate", str(path),
                               "--table", "scores"], capture_output=True, text=True, cwd=ROOT)
        assert proc.returncode in (1, 2), proc
        assert "Traceback" not in proc.stdout + proc.stderr
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in files} == before


def test_run_exits_with_mains_status_after_freezing_the_collector(monkeypatch):
    """The process entry (console script, ``python -m``) runs main on sys.argv, spares the
    shutdown its full garbage collection (gc.freeze, also before main: the command's collections
    skip what the imports made), and exits with main's status; main alone
    leaves the collector as it was."""
    import gc

    import evaltools.cli as cli

    calls: list[str] = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    monkeypatch.setattr(sys, "argv", ["evaltools", "validate", "/no/such/folder"])
    with pytest.raises(SystemExit) as exc:
        cli.run()
    assert exc.value.code == 2 and calls == ["freeze", "freeze"]  # after the imports, at exit
    calls.clear()
    assert main(["validate", "/no/such/folder"]) == 2
    assert calls == []


def test_python_m_exit_status_and_output(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "evaltools.cli", "validate",
                           str(CORPUS / "ds_unknown_ids")], capture_output=True, text=True,
                          cwd=ROOT)
    assert proc.returncode == 1
    assert "发现 5 个问题 | 5 problem(s) found" in proc.stdout


def _subcommand_help(parser, name: str) -> str:
    (sub,) = [a for a in parser._actions if a.dest == "command"]
    return sub.choices[name].format_help()


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_command_alone_has_the_same_help_as_with_all_commands(name):
    assert build_parser([name]).format_help() == build_parser().format_help()
    assert build_parser([]).format_help() == build_parser().format_help()
    assert _subcommand_help(build_parser([name]), name) == _subcommand_help(build_parser(), name)
    assert command(name)[0] == COMMANDS[name]


def test_only_the_command_run_is_imported():
    code = ("import sys\nfrom evaltools.cli import main\nmain(['validate', '/no/such/folder'])\n"
            "print(sorted(m for m in sys.modules if m.startswith('evaltools.cli.')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          encoding="utf-8", cwd=ROOT, check=True)
    assert proc.stdout.splitlines()[-1] == "['evaltools.cli.common', 'evaltools.cli.validate']"
