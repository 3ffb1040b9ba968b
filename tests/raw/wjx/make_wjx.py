"""Write the 问卷星 raw corpus (run from the repo root: python tests/raw/wjx/make_wjx.py).

Deterministic: the committed files are exactly what this script writes (fixed seed, fixed
timestamps, xlsx creation date pinned). Expectations live in tests/test_wjx_raw.py.

Files (all with the metadata columns 问卷星 writes: 序号, 提交答卷时间, 所用时间, 来源, 来源详情,
来自IP):

* ``units.csv`` — the units table the exports name (铝厂生活区13号楼 …).
* ``wjx_text_gbk_names.csv`` — 按选项文本, GBK, the building by name as residents pick or type
  it (１３号楼 in full width, 13栋, a trailing space), 4-level labels, -3 for a hidden question.
* ``wjx_text_names.xlsx`` — the same answers as an .xlsx download.
* ``wjx_codes_bom_ids.csv`` — 按序号, UTF-8 with BOM, the building by unit id, answers as option
  codes 1..5 of 很满意 / 满意 / 一般 / 不满意 / 很不满意, -2 for a skipped question.
* ``wjx_five_level.csv`` — 按选项文本, UTF-8, the 5-level 非常满意 … 非常不满意 wording.
* ``wjx_ten_point.csv`` — a 1–10 量表题 (numbers).
* ``wjx_matrix.csv`` — 矩阵题: ``2、您对以下方面的满意程度—楼道卫生`` … and ``3(设施维护)`` ….
* ``wjx_unknown_building.csv`` — 12 residents name 铝厂生活区31号楼, which is not a unit.
* ``wjx_mixed_encoding.csv`` — UTF-8, but Excel row 5 was pasted from a GBK file.
* ``ds_names/`` — a dataset folder: units.csv, rubric.toml with [wjx], wjx.csv (GBK, names).
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
META = ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP"]
UNIT_Q = "1、您居住的楼栋"
QUESTIONS = ["2、您对楼道卫生是否满意", "3、您对环境卫生是否满意", "4、您对绿化美化是否满意"]
COMMENT_Q = "5、您的其他意见建议"
UNITS = [
    ("LC013", "铝厂生活区13号楼"), ("LC014", "铝厂生活区14号楼"), ("LC015", "铝厂生活区15号楼"),
    ("JY006", "九冶院"), ("JY007", "建行家属院"), ("SF001", "四方小区1号楼"),
]
# how residents write each building in a 按文本 export (a 填空 or an option list edited over time)
SPELLINGS = {
    "LC013": ["铝厂生活区13号楼", "铝厂生活区１３号楼", "铝厂生活区13栋"],
    "LC014": ["铝厂生活区14号楼", "铝厂生活区十四号楼"],
    "LC015": ["铝厂生活区15号楼", "铝厂生活区15幢"],
    "JY006": ["九冶院"],
    "JY007": ["建行家属院", "建行家属院 "],
    "SF001": ["四方小区1号楼", "四方小区1#楼"],
}
FOUR = ["满意", "基本满意", "不太满意", "不满意"]
FIVE_HEN = ["很满意", "满意", "一般", "不满意", "很不满意"]
FIVE_FEICHANG = ["非常满意", "满意", "一般", "不满意", "非常不满意"]
START = dt.datetime(2024, 5, 1, 8, 0, 0)


def _csv(rows: list[list[str]]) -> str:
    def cell(v: str) -> str:
        return f'"{v}"' if ("," in v or '"' in v) else v

    return "".join(",".join(cell(str(v)) for v in r) + "\n" for r in rows)


def _meta(i: int, rng: random.Random) -> list[str]:
    t = START + dt.timedelta(minutes=17 * i + rng.randint(0, 9))
    return [str(i), t.strftime("%Y/%m/%d %H:%M:%S"), f"{rng.randint(30, 400)}秒",
            rng.choice(["手机提交", "微信"]), "N/A",
            f"171.8.{rng.randint(1, 250)}.{rng.randint(1, 250)}(河南-郑州)"]


def _pick(rng: random.Random, levels: list[str], weights: list[int]) -> str:
    return rng.choices(levels, weights=weights)[0]


def text_names_rows(seed: int = 1) -> list[list[str]]:
    """30 residents, the building by name (several spellings), 4-level labels."""
    rng = random.Random(seed)
    rows = [[*META, UNIT_Q, *QUESTIONS, COMMENT_Q]]
    for i in range(1, 31):
        uid = UNITS[(i - 1) % len(UNITS)][0]
        name = SPELLINGS[uid][(i // len(UNITS)) % len(SPELLINGS[uid])]
        answers = [_pick(rng, FOUR, [5, 3, 1, 1]) for _ in QUESTIONS]
        if i % 7 == 0:
            answers[2] = "-3"  # not shown (skip logic)
        rows.append([*_meta(i, rng), name, *answers, rng.choice(["(空)", "车辆乱停", "感谢社区"])])
    return rows


def main() -> None:
    rng = random.Random(20240501)
    (HERE / "units.csv").write_text(
        "单位编号,名称,街道,社区,楼院\n"
        + "".join(f"{u},{n},上街区街道,铝厂社区,{n[:5]}\n" for u, n in UNITS), encoding="utf-8")

    names = text_names_rows()
    (HERE / "wjx_text_gbk_names.csv").write_bytes(_csv(names).encode("gbk"))

    import xlsxwriter

    wb = xlsxwriter.Workbook(str(HERE / "wjx_text_names.xlsx"))
    wb.set_properties({"created": dt.datetime(2024, 5, 1)})
    ws = wb.add_worksheet("Sheet1")
    for r, row in enumerate(names):
        for c, v in enumerate(row):
            ws.write_string(r, c, v)
    wb.close()

    # 按序号: the building by id, answers as option codes (1 = 很满意 … 5 = 很不满意)
    rows = [[*META, UNIT_Q, *QUESTIONS, COMMENT_Q]]
    for i in range(1, 21):
        uid = UNITS[(i - 1) % len(UNITS)][0]
        codes = [str(rng.choices([1, 2, 3, 4, 5], weights=[4, 3, 2, 1, 1])[0]) for _ in QUESTIONS]
        if i % 6 == 0:
            codes[1] = "-2"  # skipped
        rows.append([*_meta(i, rng), uid, *codes, "(空)"])
    (HERE / "wjx_codes_bom_ids.csv").write_bytes(_csv(rows).encode("utf-8-sig"))

    # 5-level 非常满意 wording
    rows = [[*META, UNIT_Q, *QUESTIONS]]
    for i in range(1, 16):
        uid, name = UNITS[(i - 1) % len(UNITS)]
        rows.append([*_meta(i, rng), name,
                     *(_pick(rng, FIVE_FEICHANG, [4, 4, 2, 1, 1]) for _ in QUESTIONS)])
    (HERE / "wjx_five_level.csv").write_text(_csv(rows), encoding="utf-8")

    # 1–10 量表题
    rows = [[*META, UNIT_Q, "2、您对本楼整体环境打几分"]]
    for i in range(1, 16):
        uid, name = UNITS[(i - 1) % len(UNITS)]
        rows.append([*_meta(i, rng), name, str(rng.randint(4, 10))])
    (HERE / "wjx_ten_point.csv").write_text(_csv(rows), encoding="utf-8")

    # 矩阵题: two matrices, one headed "题目—子项", one "序号(子项)"
    subs = ["楼道卫生", "环境卫生", "绿化美化"]
    subs3 = ["设施维护", "安全管理"]
    rows = [[*META, UNIT_Q, *(f"2、您对以下方面的满意程度—{s}" for s in subs),
             *(f"3({s})" for s in subs3)]]
    for i in range(1, 13):
        uid, name = UNITS[(i - 1) % len(UNITS)]
        rows.append([*_meta(i, rng), name, *(_pick(rng, FOUR, [5, 3, 1, 1]) for _ in subs),
                     *(_pick(rng, FOUR, [3, 3, 2, 1]) for _ in subs3)])
    (HERE / "wjx_matrix.csv").write_text(_csv(rows), encoding="utf-8")

    # a building name that is not a unit, chosen by 12 of 40 residents
    rows = [[*META, UNIT_Q, *QUESTIONS]]
    for i in range(1, 41):
        name = "铝厂生活区31号楼" if i % 10 in (2, 5, 8) else UNITS[(i - 1) % len(UNITS)][1]
        rows.append([*_meta(i, rng), name, *(_pick(rng, FOUR, [5, 3, 1, 1]) for _ in QUESTIONS)])
    (HERE / "wjx_unknown_building.csv").write_text(_csv(rows), encoding="utf-8")

    # UTF-8 with one row (Excel row 5) pasted from a GBK file
    rows = [[*META, UNIT_Q, *QUESTIONS]]
    for i in range(1, 9):
        uid, name = UNITS[(i - 1) % len(UNITS)]
        rows.append([*_meta(i, rng), name, *(_pick(rng, FOUR, [5, 3, 1, 1]) for _ in QUESTIONS)])
    lines = [_csv([r]).encode("utf-8") for r in rows]
    lines[4] = _csv([rows[4]]).encode("gbk")
    (HERE / "wjx_mixed_encoding.csv").write_bytes(b"".join(lines))

    # a dataset folder: units + rubric with [wjx] + a GBK export naming the buildings
    ds = HERE / "ds_names"
    ds.mkdir(exist_ok=True)
    (ds / "units.csv").write_bytes((HERE / "units.csv").read_bytes())
    (ds / "wjx.csv").write_bytes(_csv(names).encode("gbk"))
    (ds / "rubric.toml").write_text(
        '[competition]\nname = "铝厂生活区楼栋评比"\nunit = "楼栋"\nmethod = "points"\n'
        "total_points = 100\n\n"
        '[ratings]\nlabels = { "满意" = 4, "基本满意" = 3, "不太满意" = 2, "不满意" = 1 }\n'
        'satisfied = ["满意", "基本满意"]\nscale = [1, 4]\n\n'
        '[[criteria]]\nid = "satisfaction"\nname = "群众满意度"\nsource = "ratings"\n'
        'aggregate = "satisfaction_rate"\nmax_points = 100\n\n'
        '[wjx]\nunit_question = "1、您居住的楼栋"\n\n[wjx.items]\n'
        + "".join(f'"{q}" = "{item}"\n' for q, item in
                  zip(QUESTIONS, ["楼道卫生", "环境卫生", "绿化美化"], strict=True)),
        encoding="utf-8")


if __name__ == "__main__":
    main()
