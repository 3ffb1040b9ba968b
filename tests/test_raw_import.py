"""The raw-import corpus (tests/raw/, written by make_raw.py): judges' workbooks as people make them.

Each good raw input, through ``evaltools init`` + ``evaluate``, gives the leaderboard of the
hand-made canonical dataset (unit ids, totals, ranks); each broken one gives its precise message
(file, sheet, row, column, value); no command gives a traceback; the raw files are never changed.
"""

from __future__ import annotations

import hashlib
import io
import shutil
from contextlib import redirect_stdout
from pathlib import Path

import polars as pl
import pytest

from evaltools import evaluate, read_dataset
from evaltools.cli import main
from evaltools.errors import UsageError, group_problems
from evaltools.importer import init_dataset
from evaltools.workbook import read_score_workbooks

RAW = Path(__file__).parent / "raw"
GOOD = sorted((RAW / "good").iterdir())
BROKEN = sorted((RAW / "broken").iterdir())


def _digests(path: Path) -> dict[str, str]:
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def _board(folder: Path) -> pl.DataFrame:
    return evaluate(read_dataset(folder)).table.select("unit_id", "total", "rank")


@pytest.fixture(scope="module")
def canonical() -> pl.DataFrame:
    return _board(RAW / "canonical")


def test_corpus_size():
    # at least 15 raw workbooks / exports, in good and broken shapes
    files = [p for p in (RAW / "good").rglob("*") if p.is_file()]
    files += [p for p in (RAW / "broken").rglob("*") if p.is_file()]
    assert len(files) >= 15
    assert len(GOOD) >= 8 and len(BROKEN) >= 10


def test_canonical_known_answer(canonical):
    # HQ001: per criterion, the trimmed mean of 5 judges (drop one max and one min); ranks 1..6
    assert canonical["unit_id"].to_list() == ["HQ001", "HQ003", "HQ002", "HQ004", "HQ006",
                                              "HQ005"]
    assert canonical["rank"].to_list() == [1, 2, 3, 4, 5, 6]
    scores = pl.read_csv(RAW / "canonical" / "scores.csv")
    hq1 = (scores.filter(pl.col("楼栋编号") == "HQ001").group_by("指标")
           .agg((pl.col("得分").sum() - pl.col("得分").max() - pl.col("得分").min()) / 3))
    assert canonical["total"][0] == pytest.approx(round(hq1["得分"].sum(), 2), abs=0.006)


def _init_and_validate(raw, out) -> str:
    """``evaltools init RAW --out OUT`` then ``validate OUT``, both clean; what they printed."""
    buf = io.StringIO()
    with redirect_stdout(buf):
        assert main(["init", str(raw), "--out", str(out)]) == 0, buf.getvalue()
        assert main(["validate", str(out)]) == 0, buf.getvalue()
    return buf.getvalue()


@pytest.mark.parametrize("raw", GOOD, ids=[p.name for p in GOOD])
def test_good_shape_gives_canonical_board(raw, canonical, tmp_path):
    before = _digests(raw)
    out = tmp_path / "ds"
    printed = _init_and_validate(raw, out)
    assert "待确认" in printed  # the open decisions are listed
    assert _board(out).equals(canonical)
    assert _digests(raw) == before  # the raw files are untouched …
    copied = _digests(out)
    assert all(copied[name] == digest for name, digest in before.items())  # … and copied as is


def test_good_shape_publishes(tmp_path):
    out = tmp_path / "ds"
    init_dataset([RAW / "good" / "按评委分表"], out)
    buf = io.StringIO()
    with redirect_stdout(buf):
        code = main(["publish", str(out), "--out", str(tmp_path / "pub")])
    assert code == 0, buf.getvalue()
    assert (tmp_path / "pub" / "榜单.csv").is_file()


# raw input -> (rule, file, sheet, row, column, value, words that must appear in the message)
EXPECTED = {
    "表头不一致.xlsx": ("sheet_header_differs", "表头不一致.xlsx", "李娜", None, None, None,
                     ["缺少 安全管理", "多出 公共设施"]),
    "合计不符.xlsx": ("total_mismatch", "合计不符.xlsx", "王芳", 5, "合计", "91",
                   ["各指标之和为 89"]),
    "名称对不上": ("unknown_unit_name", "评分汇总.xlsx", "汇总", 5, "楼栋名称", "九治院2号楼",
              ["最接近的是 HQ004 九冶院2号楼", "共 5 处", "第5、11、17、23、29行"]),
    "同一评委两张表.xlsx": ("duplicate_judge_sheet", "同一评委两张表.xlsx", "张伟 (2)", None, None,
                      "张伟", ["另一张：同一评委两张表.xlsx（工作表 张伟）"]),
    "旧版格式.xls": ("legacy_xls", "旧版格式.xls", None, None, None, "旧版格式.xls",
                 ["另存为", "xlsx"]),
    "公式无结果.xlsx": ("formula_without_value", "公式无结果.xlsx", "刘洋", 6, "安全管理（25分）",
                   None, ["单元格 G6"]),
    "错误值.xlsx": ("error_cell", "错误值.xlsx", "陈静", 5, "环境卫生（30分）", "#DIV/0!",
                 ["单元格 D5"]),
    "超出满分.xlsx": ("out_of_scale", "超出满分.xlsx", "王芳", 8, "环境卫生（30分）", "32",
                  ["0～30"]),
    "楼栋评比汇总.xlsx": ("no_judge", "楼栋评比汇总.xlsx", "Sheet1", None, None, "Sheet1",
                     ["没有评委列"]),
    "超大区域.xlsx": ("sheet_too_large", "超大区域.xlsx", "张伟", None, None, "XFD1048576",
                  ["已用区域过大"]),
}


@pytest.mark.parametrize("raw", BROKEN, ids=[p.name for p in BROKEN])
def test_broken_shape_gives_precise_message(raw, tmp_path):
    rule, file, sheet, row, column, value, words = EXPECTED[raw.name]
    before = _digests(raw)
    out = tmp_path / "ds"
    buf = io.StringIO()
    with redirect_stdout(buf):
        assert main(["init", str(raw), "--out", str(out)]) == 1
        assert main(["validate", str(out)]) == 1
    text = buf.getvalue()
    assert "Traceback" not in text
    ds = read_dataset(out, lenient=True)
    found = [p for p in ds.report.problems if p.rule == rule]
    assert found, str(ds.report)
    p = found[0]
    assert (p.file, p.sheet, p.row, p.column, p.value) == (file, sheet, row, column, value)
    shown = "\n".join(str(g) for g in group_problems(found))
    for w in words:
        assert w in shown, shown
    assert shown.split(" | ")[0] in text  # the CLI printed the same (grouped) message
    assert _digests(raw) == before


@pytest.mark.parametrize("raw", [*GOOD, *BROKEN], ids=[p.name for p in [*GOOD, *BROKEN]])
def test_no_traceback_and_validate_agrees_with_evaluate(raw, tmp_path, capsys):
    out = tmp_path / "ds"
    init_code = main(["init", str(raw), "--out", str(out)])
    validate = main(["validate", str(out)])
    evaluate_code = main(["evaluate", str(out)])
    publish = main(["publish", str(out), "--out", str(tmp_path / "pub")])
    captured = capsys.readouterr()
    assert init_code in (0, 1) and validate in (0, 1)
    assert evaluate_code in (0, 1, 2) and publish in (0, 1, 2)
    assert "Traceback" not in captured.out + captured.err
    if validate == 0:  # validate is never clean on a dataset that evaluate rejects
        assert evaluate_code == 0 and publish == 0, captured.err[-2000:]


def test_malformed_corpus_no_traceback(tmp_path, capsys):
    malformed = Path(__file__).parent / "malformed"
    for f in sorted(malformed.iterdir()):
        if f.suffix == ".py":
            continue
        folder = tmp_path / f.name
        if f.is_dir():
            shutil.copytree(f, folder)
        else:
            folder.mkdir()
            shutil.copyfile(f, folder / f.name)
        for with_rubric in (False, True):
            if with_rubric:
                shutil.copyfile(RAW / "canonical" / "rubric.toml", folder / "rubric.toml")
            codes = [main(["validate", str(folder)]), main(["evaluate", str(folder)])]
            assert all(c in (0, 1, 2) for c in codes), f.name
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err


def test_init_refuses_non_empty_folder(tmp_path):
    (tmp_path / "x.txt").write_text("keep")
    with pytest.raises(UsageError):
        init_dataset([RAW / "good" / "按评委分表"], tmp_path)
    buf = io.StringIO()
    with redirect_stdout(buf):
        assert main(["init", str(RAW / "good" / "按评委分表"), "--out", str(tmp_path)]) == 2
        assert main(["init", str(RAW / "good" / "按评委分表"), "--out", str(tmp_path),
                     "--force"]) == 0
    assert (tmp_path / "x.txt").read_text() == "keep"


def test_init_result_is_structured(tmp_path):
    res = init_dataset([RAW / "good" / "按评委分表"], tmp_path / "ds")
    assert [c.maximum for c in res.criteria] == [30, 25, 20, 25]
    assert res.judges == ("张伟", "王芳", "李娜", "刘洋", "陈静")
    assert res.units_written == 6
    agg = next(d for d in res.decisions if d.key == "judges.aggregate")
    assert agg.default == "trimmed_mean" and "mean" in agg.options
    assert "# 从表头“环境卫生（30分）”读出满分 30" in res.rubric_text
    assert 'period = "2021年第三季度"' in res.rubric_text
    assert [s.sheet for s in res.sheets if s.read] == ["张伟", "王芳", "李娜", "刘洋", "陈静"]


def test_hidden_sheet_is_reported_not_read(tmp_path):
    imp = read_score_workbooks(sorted((RAW / "good" / "有隐藏旧表").iterdir()))
    skipped = [s for s in imp.sheets if not s.read]
    assert [(s.sheet, s.reason_zh) for s in skipped] == [("张伟（旧）", "隐藏的工作表，未读取")]
    assert any("张伟（旧）" in n and "隐藏" in n for n in imp.report.notes)
    assert imp.scores["judge_id"].n_unique() == 5


def test_provenance_records_raw_files_and_steps(tmp_path):
    out = tmp_path / "ds"
    init_dataset([RAW / "good" / "按评委分表"], out)
    ds = read_dataset(out)
    name = "2021年第三季度楼栋评比评分表.xlsx"
    raw = RAW / "good" / "按评委分表" / name
    assert ds.provenance["raw_files"][name] == hashlib.sha256(raw.read_bytes()).hexdigest()
    assert ds.provenance["round_given"] is False
    assert ds.provenance["judges_private"] is True
    assert any("表头在第3行" in s and "张伟" in s for s in ds.provenance["steps"])
    # every score row points at the user's cell
    row = ds.scores.filter((pl.col("judge_id") == "王芳") & (pl.col("unit_id") == "HQ002")
                           & (pl.col("criterion") == "sanitation"))
    assert row.select("source_file", "source_sheet", "source_row").row(0) == (name, "王芳", 5)


def test_folder_files_listed_when_ignored(tmp_path):
    out = tmp_path / "ds"
    init_dataset([RAW / "good" / "按评委分表"], out)
    (out / "说明.txt").write_text("评比说明")
    (out / "照片.jpg").write_bytes(b"\xff\xd8")
    ds = read_dataset(out)
    assert any(n.startswith("说明.txt：看不出是哪张表") and "未读取" in n for n in ds.report.notes)
    assert any(n.startswith("照片.jpg：不是数据文件（扩展名 .jpg）") for n in ds.report.notes)


def test_browser_copy_name_is_recognised():
    from evaltools.dataset import table_of_file

    assert table_of_file(Path("评委评分(1).xlsx")) == "scores"
    assert table_of_file(Path("units (2).csv")) == "units"


def test_grouped_message_lists_count_values_and_rows():
    from evaltools.errors import Problem, ValidationReport

    ps = tuple(Problem("s.csv", r, "楼栋编号", f"B{r % 2}", "unknown_unit", "单位编号不在参评单位表中",
                       "unit id is not in the units table", "请检查编号", "check the id")
               for r in range(2, 432))
    text = str(ValidationReport(ps))
    assert text.count("\n- ") == 1  # one line, not 430
    assert "共 430 处（第2、3、4、5、6…行），值：“B0”、“B1”" in text


def test_zero_weight_criterion_awards_no_star():
    # issue 14.9: share = points / max_points is 0/0 = NaN for a criterion weighted 0, and NaN
    # compares above every number in polars, so every unit used to get that star
    text = (RAW / "canonical" / "rubric.toml").read_text(encoding="utf-8")
    text = text.replace("total_points = 100", "total_points = 75")
    text = text.replace('id = "safety"\nname = "安全管理"\nmax_points = 25',
                        'id = "safety"\nname = "安全管理"\nmax_points = 0')
    text += ('\n[[stars]]\nname = "安全星"\ncriterion = "safety"\nmin_share = 0.5\n'
             '\n[[stars]]\nname = "卫生星"\ncriterion = "sanitation"\nmin_share = 0.8\n')
    from evaltools.rubric import parse_rubric

    rubric = parse_rubric(text)
    ds = read_dataset(RAW / "canonical")
    board = evaluate(ds, rubric)
    stars = board.table.select("unit_id", "stars")
    # only the sanitation star can be earned: units whose sanitation share reaches 0.8
    san = board.values.filter(pl.col("criterion") == "sanitation").select("unit_id", "share")
    expected = stars.join(san, on="unit_id").select(
        "unit_id", (pl.col("share") >= 0.8).cast(pl.Int64).alias("want"))
    got = stars.join(expected, on="unit_id")
    assert got["stars"].to_list() == got["want"].to_list()
    assert 0 < got["stars"].sum() < got.height  # the control star is earned by some, not all


def test_a_single_workbook_with_several_sheets_is_never_read_as_its_first_sheet(tmp_path, capsys):
    """``validate FILE.xlsx`` (no folder, no --sheet) on a sheet-per-judge workbook: a precise
    problem naming the sheets, not the first judge's scores alone (issue 14)."""
    import xlsxwriter

    from evaltools.cli import main

    path = tmp_path / "scores.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    for judge in ("张伟", "李娜"):
        ws = wb.add_worksheet(judge)
        ws.write_row(0, 0, ["楼栋编号", "环境卫生（30分）"])
        ws.write_row(1, 0, ["A", 25])
    wb.close()
    before = path.read_bytes()
    assert main(["validate", str(path), "--table", "scores"]) == 1
    out = capsys.readouterr().out
    assert "several_sheets" not in out and "张伟、李娜" in out and "--sheet" in out
    assert "读取 0 行" in out
    assert main(["validate", str(path), "--table", "scores", "--sheet", "李娜"]) in (0, 1)
    assert "读取 1 行" in capsys.readouterr().out
    assert path.read_bytes() == before


def test_init_drafts_the_survey_mapping_and_residents_count_once_uncommented(tmp_path):
    """`evaltools init` with a 问卷星 export: [ratings] and [wjx] are drafted (the folder validates;
    without [wjx] a folder holding an export does not) and the 群众满意度 criterion is drafted
    commented (counting residents is the person's decision); uncommented, with the judges'
    maxima lowered as the note says, residents count."""
    import re

    from tests.survey_export import write_survey

    raw = tmp_path / "raw"
    write_survey(raw / "问卷星导出_楼栋满意度.csv")
    shutil.copy(RAW / "good" / "按评委分表" / "2021年第三季度楼栋评比评分表.xlsx", raw)
    before = _digests(raw)
    out = tmp_path / "ds"
    assert "楼栋题“1、您居住的楼栋”" in _init_and_validate(raw, out)
    assert _digests(raw) == before
    text = (out / "rubric.toml").read_text(encoding="utf-8")
    assert "\n[wjx]\n" in text and "\n# [[criteria]]\n" in text
    ds = read_dataset(out)
    assert ds.report.ok and ds.ratings is not None and ds.ratings.height == 6 * 6 * 3 - 6  # one -2 skip per unit
    assert "satisfaction" not in evaluate(ds).table.columns

    head, commented = text.split("# [[criteria]]\n", 1)
    body = "[[criteria]]\n" + "\n".join(ln[2:] for ln in commented.splitlines())
    head = re.sub(r"max_points = (\d+)", lambda m: f"max_points = {int(m.group(1)) * 0.8:g}", head)
    (out / "rubric.toml").write_text(head + body + "\n", encoding="utf-8")
    ds = read_dataset(out)
    assert ds.report.ok, ds.report
    table = evaluate(ds).table
    assert table.height == 6 and table["satisfaction"].is_not_null().all()
    assert 0 < float(table["satisfaction"].max()) <= 20


def test_one_off_competition_on_the_command_line_has_no_invented_round(tmp_path):
    """A folder whose sheets give no round: `evaluate` names it by its period (here already in
    the name), not 第1轮, and shows no 名次变化 column of nulls."""
    out = tmp_path / "ds"
    init_dataset([RAW / "good" / "按评委分表"], out)
    buf = io.StringIO()
    with redirect_stdout(buf):
        assert main(["evaluate", str(out)]) == 0
    text = buf.getvalue()
    assert text.splitlines()[0].startswith("2021年第三季度楼栋评比 · 百分制计分 · ")
    assert "第1轮" not in text and "名次变化" not in text and "null" not in text


def test_a_survey_of_other_buildings_is_named_not_guessed(tmp_path):
    """A 问卷星 export (GBK) whose building answers mostly name buildings outside the workbook's
    units: the message names the building question, the share that matched and the answers that
    did not, instead of 'cannot tell which question is the building'."""
    from evaltools.decisions import draft_folder_survey
    from evaltools.errors import EvalToolsError

    out = tmp_path / "ds"
    init_dataset([RAW / "good" / "按评委分表"], out)
    with pytest.raises(EvalToolsError) as e:
        draft_folder_survey(RAW / "wjx" / "wjx_text_gbk_names.csv", out / "units.csv")
    (p,) = e.value.problems
    assert p.rule == "survey_units_unmatched" and p.column == "1、您居住的楼栋"
    assert "建行家属院" in p.zh and "33%" in p.zh and "[wjx.unit_labels]" in p.fix_zh
