"""A 问卷星 export for the app's tests, made from the canonical units of ``tests/raw`` (the
buildings named by name, as residents answer): 序号 … 来自IP, the building question, three
4-level satisfaction questions (with -2 skips) and a free-text question; GBK-free UTF-8 with BOM.
Deterministic: the same file every time."""

from __future__ import annotations

from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
UNITS = ROOT / "tests" / "raw" / "canonical" / "units.csv"
LEVELS = ["满意", "基本满意", "不太满意", "不满意"]


def write_survey(path: Path, *, per_unit: int = 6) -> Path:
    """Write the export to ``path`` (``问卷星导出_….csv``) and return it."""
    units = pl.read_csv(UNITS)
    names = units["名称"].to_list()
    rows = []
    k = 0
    for u, name in enumerate(names):  # test data, a handful of rows
        for i in range(per_unit):
            k += 1
            a = LEVELS[(u + i) % 3 if u % 2 else (i % 2)]
            b = LEVELS[(u * 2 + i) % 4]
            c = "-2" if i == 3 else LEVELS[(i + 1) % 2]
            rows.append({"序号": k, "提交答卷时间": f"2021/09/{1 + k % 28:02d} 10:{k % 60:02d}:07",
                         "所用时间": f"{60 + k}秒", "来源": "微信", "来源详情": "N/A",
                         "来自IP": f"171.8.{k}.1(河南-郑州)", "1、您居住的楼栋": name,
                         "2、您对楼道卫生是否满意": a, "3、您对环境卫生是否满意": b,
                         "4、您对绿化美化是否满意": c, "5、您的其他意见建议": "(空)"})
    path.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(rows).write_csv(path, include_bom=True)
    return path
