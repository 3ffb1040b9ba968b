"""Write and execute the notebooks in notebooks/ from the cell lists below.

The notebooks are thin: imports and short calls into evaltools. Their committed outputs are what
strict nbval compares in `make test`, so rebuild them after changing what they show:

    .venv/bin/python scripts/build_notebooks.py            # all
    .venv/bin/python scripts/build_notebooks.py 01         # those whose name starts with 01
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"

SETUP = """import polars as pl
import evaltools as et
from evaltools import charts
from evaltools.datasets import load_sample

pl.Config.set_tbl_rows(12)
charts.use_offline_renderer()  # 离线渲染：图表由 vl-convert 生成 SVG，不访问外网"""

NOTEBOOKS: dict[str, list[tuple[str, str]]] = {
    "01_快速开始": [
        ("md", "# 01 快速开始\n\n"
               "读入示例数据，检查文件，按评分细则计分排名，查看一个楼栋的得分是怎么来的。\n\n"
               "*Quick start: load the sample data, validate it, evaluate it with its rubric, and "
               "see how one building's score was built.*"),
        ("code", SETUP),
        ("md", "## 1. 读入并检查数据 / Read and validate\n\n"
               "`load_sample()` 读入 `data/sample/` 里的全部文件和 `rubric.toml`，逐行检查；"
               "有问题时会列出文件、Excel 行号、列、值和规则。"),
        ("code", "ds = load_sample()\nprint(ds.report.summary())"),
        ("md", "## 2. 评分细则 / The rubric"),
        ("code", "rubric = ds.rubric\nprint(rubric.name)\n"
                 "pl.DataFrame([{\"指标\": c.name, \"一级指标\": c.group, \"来源\": c.source, "
                 "\"满分\": c.max_points} for c in rubric.criteria])"),
        ("md", "## 3. 计分与排名 / Evaluate and rank\n\n"
               "并列名次按“1224”规则（并列第2名之后是第4名）；公布的分数四舍五入。"),
        ("code", "board = et.evaluate(ds)\nboard.labelled_table().head(10)"),
        ("md", "## 4. 一个楼栋的得分明细 / How one score was built"),
        ("code", "first = board.table[\"unit_id\"][0]\nboard.explain(first)"),
    ],
}


def build(name: str, cells: list[tuple[str, str]]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, (kind, source) in enumerate(cells):
        make = nbformat.v4.new_markdown_cell if kind == "md" else nbformat.v4.new_code_cell
        cell = make(source)
        cell["id"] = f"cell-{i:02d}"  # stable ids keep diffs small
        nb.cells.append(cell)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(NB_DIR)}}).execute()
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)
    path = NB_DIR / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def main(argv: list[str]) -> None:
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1604448000")  # 2020-11-04, the seed's date
    wanted = [n for n in NOTEBOOKS if not argv or any(n.startswith(a) for a in argv)]
    for name in wanted:
        print("built", build(name, NOTEBOOKS[name]).relative_to(ROOT))


if __name__ == "__main__":
    main(sys.argv[1:])
