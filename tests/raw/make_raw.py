"""Write the raw-import corpus: judges' workbooks in the shapes people make, and broken ones.

Run from the repository root: ``python tests/raw/make_raw.py``. Deterministic (fixed seed, fixed
workbook dates, fixed zip timestamps): running it twice gives byte-identical files.

``canonical/`` is the hand-made dataset every good shape must reproduce (long ``scores.csv``,
``units.csv``, ``rubric.toml``); ``good/`` holds one raw input per shape (a file or a folder, with
a units list beside it when the sheets name buildings by name); ``broken/`` holds the inputs that
must give a precise message. See tests/test_raw_import.py for what each one must give.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import shutil
import zipfile
from pathlib import Path

import xlsxwriter

HERE = Path(__file__).parent
UNITS = [("HQ001", "铝厂生活区13号楼"), ("HQ002", "铝厂生活区14号楼"), ("HQ003", "三湾街18号楼"),
         ("HQ004", "九冶院2号楼"), ("HQ005", "新安路5号院1栋"), ("HQ006", "济源路小区3号楼")]
#: how the sheets of the by-name workbook spell the names (full-width digits, spaces, 栋/号楼)
SPELLED = {"HQ001": "铝厂生活区１３号楼", "HQ002": "铝厂生活区 14号楼", "HQ003": "三湾街18号楼",
           "HQ004": "九冶院2号楼", "HQ005": "新安路5号院1号楼", "HQ006": "济源路小区3号楼"}
JUDGES = ["张伟", "王芳", "李娜", "刘洋", "陈静"]
CRITERIA = [("sanitation", "环境卫生", 30), ("stairwell", "楼道整洁", 25),
            ("greenery", "绿化美化", 20), ("safety", "安全管理", 25)]
TITLE = "2021年第三季度楼栋评比评分表"
DATE = dt.datetime(2021, 9, 30)


def scores(seed: int = 2021) -> dict[tuple[str, str], list[int]]:
    """(judge, unit) -> one score per criterion."""
    rng = random.Random(seed)
    return {(j, u): [rng.randint(int(m * 0.6), m) for _, _, m in CRITERIA]
            for j in JUDGES for u, _ in UNITS}


SCORES = scores()
OTHER_ROUND = scores(seed=7)


def _book(path: Path) -> xlsxwriter.Workbook:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"created": DATE, "author": "街道办"})
    return wb


def headers(form: str) -> list[str]:
    forms = {"full": "{}（{}分）", "half": "{}({}分)", "space": "{} {}分", "newline": "{}\n满分{}",
             "plain": "{}"}
    return [forms[form].format(n, m) if form != "plain" else n for _, n, m in CRITERIA]


def judge_sheet(ws, judge: str, *, form: str = "full", title: bool = True, by: str = "id",
                data: dict | None = None, total_fix: dict | None = None,
                signature: bool = True, crit: list[str] | None = None) -> None:
    """One judge's sheet: title, header, one row per unit, 合计, 备注, signature lines."""
    data = data or SCORES
    row = 0
    cols = crit or headers(form)
    head = ["序号", "楼栋编号", "楼栋名称", *cols, "合计", "备注"] if by == "id" else \
        ["序号", "楼栋名称", *cols, "合计", "备注"]
    if title:
        ws.merge_range(0, 0, 0, len(head) - 1, TITLE)
        row = 2
    ws.write_row(row, 0, head)
    for i, (uid, name) in enumerate(UNITS, start=1):
        s = data[(judge, uid)]
        total = sum(s) + (total_fix or {}).get(uid, 0)
        ident = [uid, name] if by == "id" else [SPELLED[uid]]
        ws.write_row(row + i, 0, [i, *ident, *s, total, "楼道有杂物" if i == 2 else None])
    if signature:
        ws.write(row + len(UNITS) + 2, 0, f"评委签字：{judge}")
        ws.write(row + len(UNITS) + 3, 0, "日期：2021年9月30日")


def wide_sheet(ws, *, form: str = "space", judge_col: bool = True, data: dict | None = None,
               by: str = "id", bad_name: str | None = None) -> None:
    data = data or SCORES
    head = (["评委"] if judge_col else []) + (["楼栋编号"] if by == "id" else ["楼栋名称"]) \
        + headers(form)
    ws.write_row(0, 0, head)
    r = 1
    for j in (JUDGES if judge_col else JUDGES[:1]):
        for uid, name in UNITS:
            unit = uid if by == "id" else (bad_name if bad_name and uid == "HQ004" else name)
            ws.write_row(r, 0, ([j] if judge_col else []) + [unit, *data[(j, uid)]])
            r += 1


def sheet_per_judge(path: Path, **kw) -> None:
    wb = _book(path)
    for j in JUDGES:
        judge_sheet(wb.add_worksheet(j), j, **kw)
    wb.close()


def write_canonical(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["轮次,楼栋编号,评委,指标,得分"]
    for (j, u), s in SCORES.items():
        lines += [f"1,{u},{j},{cid},{v}" for (cid, _, _), v in zip(CRITERIA, s, strict=True)]
    (folder / "scores.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "units.csv").write_text("单位编号,名称\n" + "".join(
        f"{u},{n}\n" for u, n in UNITS), encoding="utf-8")
    crit = "".join(f'\n[[criteria]]\nid = "{c}"\nname = "{n}"\nmax_points = {m}\n'
                   f"scale = [0, {m}]\n" for c, n, m in CRITERIA)
    (folder / "rubric.toml").write_text(f"""# 手工整理的标准数据集（测试用）
[competition]
name = "2021年第三季度楼栋评比"
period = "2021年第三季度"
method = "points"
total_points = 100

[judges]
aggregate = "trimmed_mean"
min_judges = 3

[ranking]
ties = "min"

[rounding]
digits = 2
mode = "half_up"
{crit}""", encoding="utf-8")


def _drop_cached(path: Path, formula: str) -> None:
    """Remove the cached value of a formula, as files written by other programs have it."""
    data = path.read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            body = zin.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                body = body.replace(f"<f>{formula}</f><v>0</v>".encode(),
                                    f"<f>{formula}</f>".encode())
            zi = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(zi, body)
    path.write_bytes(out.getvalue())


def units_list(path: Path) -> None:
    wb = _book(path)
    ws = wb.add_worksheet("楼栋名单")
    ws.write_row(0, 0, ["单位编号", "名称"])
    for i, (u, n) in enumerate(UNITS, start=1):
        ws.write_row(i, 0, [u, n])
    wb.close()


def main() -> None:
    for sub in ("canonical", "good", "broken"):
        shutil.rmtree(HERE / sub, ignore_errors=True)
    write_canonical(HERE / "canonical")
    good, broken = HERE / "good", HERE / "broken"

    # ---- good shapes: each must give the canonical leaderboard
    sheet_per_judge(good / "按评委分表" / "2021年第三季度楼栋评比评分表.xlsx")
    for j in JUDGES:  # one workbook per judge, named after the judge
        wb = _book(good / "每位评委一个文件" / f"{j}.xlsx")
        judge_sheet(wb.add_worksheet("Sheet1"), j, form="half", title=False, signature=False)
        wb.close()
    wb = _book(good / "一张宽表" / "楼栋评比汇总.xlsx")
    wide_sheet(wb.add_worksheet("汇总"), form="space")
    wb.close()
    lines = ["楼栋编号,评委,指标,得分"] + [
        f"{u},{j},{n},{v}" for (j, u), s in SCORES.items()
        for (_, n, _), v in zip(CRITERIA, s, strict=True)]
    (good / "评分长表").mkdir(parents=True, exist_ok=True)
    (good / "评分长表" / "评分长表.csv").write_bytes(("\n".join(lines) + "\n").encode("gbk"))
    sheet_per_judge(good / "按名称" / "评分表.xlsx", by="name", form="newline")
    units_list(good / "按名称" / "参评楼栋名单.xlsx")
    wb = _book(good / "按轮次分表" / "楼栋评比.xlsx")
    wide_sheet(wb.add_worksheet("第1轮"), form="full", data=OTHER_ROUND)
    wide_sheet(wb.add_worksheet("第2轮"), form="full")
    wb.close()
    sheet_per_judge(good / "浏览器下载" / "评委评分(1).xlsx", title=False)
    wb = _book(good / "有隐藏旧表" / "评分表.xlsx")
    for j in JUDGES:
        judge_sheet(wb.add_worksheet(j), j)
    old = wb.add_worksheet("张伟（旧）")
    judge_sheet(old, "张伟", data=OTHER_ROUND)
    old.hide()
    wb.close()

    # ---- broken: each must give its precise message
    wb = _book(broken / "表头不一致.xlsx")
    for j in JUDGES:
        crit = None
        if j == "李娜":
            crit = [*headers("full")[:3], "公共设施（25分）"]
        judge_sheet(wb.add_worksheet(j), j, crit=crit)
    wb.close()
    wb = _book(broken / "合计不符.xlsx")
    for j in JUDGES:
        judge_sheet(wb.add_worksheet(j), j, total_fix={"HQ002": 2} if j == "王芳" else None)
    wb.close()
    (broken / "名称对不上").mkdir(parents=True, exist_ok=True)
    wb = _book(broken / "名称对不上" / "评分汇总.xlsx")
    wide_sheet(wb.add_worksheet("汇总"), by="name", bad_name="九治院2号楼")
    wb.close()
    units_list(broken / "名称对不上" / "参评楼栋名单.xlsx")
    wb = _book(broken / "同一评委两张表.xlsx")
    for j in JUDGES:
        judge_sheet(wb.add_worksheet(j), j)
    judge_sheet(wb.add_worksheet("张伟 (2)"), "张伟", data=OTHER_ROUND)
    wb.close()
    # an Excel 97-2003 file: the OLE2 signature is enough for the reader to recognise it
    (broken / "旧版格式.xls").write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504))
    wb = _book(broken / "公式无结果.xlsx")
    for j in JUDGES:
        ws = wb.add_worksheet(j)
        judge_sheet(ws, j)
        if j == "刘洋":
            ws.write_formula(5, 6, "=20+3")  # G6: 安全管理 of HQ003
    wb.close()
    _drop_cached(broken / "公式无结果.xlsx", "20+3")
    wb = _book(broken / "错误值.xlsx")
    for j in JUDGES:
        ws = wb.add_worksheet(j)
        judge_sheet(ws, j)
        if j == "陈静":
            ws.write_formula(4, 3, "=1/0", None, "#DIV/0!")  # D5: 环境卫生 of HQ002
    wb.close()
    over = dict(SCORES)
    over[("王芳", "HQ005")] = [32, *SCORES[("王芳", "HQ005")][1:]]
    wb = _book(broken / "超出满分.xlsx")
    for j in JUDGES:
        judge_sheet(wb.add_worksheet(j), j, data=over)
    wb.close()
    wb = _book(broken / "楼栋评比汇总.xlsx")
    wide_sheet(wb.add_worksheet("Sheet1"), judge_col=False)
    wb.close()
    wb = _book(broken / "超大区域.xlsx")
    ws = wb.add_worksheet("张伟")
    judge_sheet(ws, "张伟")
    ws.write(1048575, 16383, "x")
    wb.close()


if __name__ == "__main__":
    main()
