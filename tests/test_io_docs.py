"""docs/data-format.md stays in sync with schema.TABLES and validate.RULES.

The section between the GENERATED markers is produced by :func:`tables_markdown`; run
``UPDATE_DOCS=1 pytest tests/test_io_docs.py`` to rewrite it after changing the schema.
"""

from __future__ import annotations

import os
from pathlib import Path

from evaltools.schema import TABLES
from evaltools.validate import RULES

DOC = Path(__file__).resolve().parents[1] / "docs" / "data-format.md"
BEGIN, END = "<!-- BEGIN GENERATED: tables -->", "<!-- END GENERATED: tables -->"
KIND = {"str": "文本 text", "int": "整数 integer", "float": "数字 number",
        "datetime": "日期时间 date/time", "bool": "是/否 yes/no"}


def tables_markdown() -> str:
    out = []
    for spec in TABLES.values():
        out.append(f"### `{spec.name}` — {spec.label}\n")
        out.append(f"{spec.description}.")
        if spec.key:
            out.append(f" Each row unique on: {', '.join(f'`{k}`' for k in spec.key)}.")
        out.append("\n\n| column | 表头 | type | required | also accepted (aliases) | notes |\n")
        out.append("|---|---|---|---|---|---|\n")
        for c in spec.columns:
            aliases = "、".join(a for a in c.aliases if a != c.label) or "—"
            notes = "; ".join(x for x in (("personal 个人信息" if c.personal else ""),
                                           c.description) if x)
            out.append(f"| `{c.name}` | {c.label} | {KIND[c.kind]} | "
                       f"{'yes 必填' if c.required else 'no'} | {aliases} | {notes} |\n")
        out.append("\n")
    out.append("### Rule codes 规则代码\n\n| rule | 问题 | problem | 怎么改 / fix |\n|---|---|---|---|\n")
    for code, (zh, en, fix_zh, fix_en) in RULES.items():
        out.append(f"| `{code}` | {zh} | {en} | {fix_zh} / {fix_en} |\n")
    return "".join(out)


def test_generated_section_is_in_sync():
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN)
    _, tail = rest.split(END)
    fresh = f"{head}{BEGIN}\n{tables_markdown()}{END}{tail}"
    if os.environ.get("UPDATE_DOCS"):
        DOC.write_text(fresh, encoding="utf-8")
    assert text == fresh, "docs/data-format.md is stale: run UPDATE_DOCS=1 pytest tests/test_io_docs.py"


def test_every_alias_is_documented():
    text = DOC.read_text(encoding="utf-8")
    for spec in TABLES.values():
        for c in spec.columns:
            for alias in (c.name, *c.aliases):
                assert alias in text, alias
