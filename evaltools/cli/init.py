"""``evaltools init RAW_FILE_OR_FOLDER… --out DIR [--force]``.

Looks at the raw files (judges' score workbooks, a units list, 问卷星 exports), copies them
untouched into ``DIR`` with a ``units.csv`` (when the score sheets give ids and names) and a draft
``rubric.toml`` (guesses commented, decisions marked 待确认 with defaults), and prints what it found
and what needs a decision (:func:`evaltools.importer.init_dataset`). Exit status: 0 done, 1 done
but the raw files have problems (listed), 2 usage error (e.g. ``DIR`` not empty without
``--force``).

Examples
--------
>>> import argparse
>>> from evaltools.cli.common import add_command
>>> parser = argparse.ArgumentParser(prog="evaltools")
>>> sub = parser.add_subparsers(dest="command")
>>> _ = add_command(sub, "init", COMMAND)
>>> args = parser.parse_args(["init", "a.xlsx", "raw/", "--out", "ds"])
>>> args.raw, args.out, args.force
(['a.xlsx', 'raw/'], 'ds', False)
"""

from __future__ import annotations

import argparse
from typing import Any

from evaltools.cli import COMMANDS
from evaltools.cli.common import EXIT_OK, EXIT_PROBLEMS, reporting_errors

__all__ = ["COMMAND", "HELP", "add_init_arguments", "run_init"]

HELP = COMMANDS["init"]


def add_init_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``init`` arguments to an (already created) parser."""
    p.add_argument("raw", metavar="RAW_FILE_OR_FOLDER", nargs="+",
                   help="原始文件或文件夹（原样复制，不会被修改）| raw files or folders (copied "
                   "untouched)")
    p.add_argument("--out", metavar="DIR", required=True,
                   help="新的数据文件夹（须不存在或为空）| the new dataset folder (new or empty)")
    p.add_argument("--force", action="store_true",
                   help="允许写入非空文件夹 | write into a non-empty folder")


@reporting_errors
def run_init(args: argparse.Namespace, out: Any = None) -> int:
    """Run ``init``; returns the exit status. User mistakes are printed, never raised."""
    from evaltools.importer import init_dataset

    res = init_dataset(args.raw, args.out, overwrite=args.force)
    print(res.summary(), file=out)
    note = _draft_survey_section(res)
    if note:
        print(note, file=out)
    return EXIT_OK if res.ok else EXIT_PROBLEMS


def _draft_survey_section(res: Any) -> str:
    """Append the commented ``[wjx]`` draft of the folder's 问卷星 export to its draft rubric
    (:func:`evaltools.decisions.survey_section`); the line to print about it ('' if none)."""
    from evaltools.decisions import draft_folder_survey, survey_section
    from evaltools.errors import EvalToolsError

    wjx = [f.copied_to for f in res.files if f.kind == "wjx"]
    rubric = res.out / "rubric.toml"
    if not wjx or not rubric.is_file():
        return ""
    units = next((f.copied_to for f in res.files if f.kind == "units"), res.out / "units.csv")
    try:
        survey = draft_folder_survey(wjx[0], units)
    except EvalToolsError as exc:
        return ("问卷星导出无法自动对应，请在 rubric.toml 中手工填写 [wjx]（见 docs/rubric.md）| "
                "the 问卷星 export could not be mapped automatically; fill in [wjx] by hand: "
                + "；".join(p.message_zh() for p in exc.problems))
    with rubric.open("a", encoding="utf-8") as f:
        f.write("\n" + survey_section(survey, wjx[0].name))
    return (f"问卷星导出 | 问卷星 export {wjx[0].name}: 楼栋题“{survey.unit_question}”，满意度题 "
            + "、".join(f"“{q}”" for q in survey.items)
            + "；对应关系已写入 rubric.toml 末尾；群众满意度是否计入总分待确认（见其中说明）| the "
            "mapping is drafted at the end of rubric.toml; whether residents count is yours to decide")


#: what ``evaltools.cli.command`` returns: (help, add_arguments, run)
COMMAND = (HELP, add_init_arguments, run_init)
