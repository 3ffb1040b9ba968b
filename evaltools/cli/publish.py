"""``evaltools publish DATA [--rubric R] --out DIR [--round N|all] [--top N] [--intervals B]
[--supersedes PREVIOUS_OUT] [--formats html,xlsx,...]``.

Reads a dataset folder, evaluates it and writes into ``DIR`` everything a street office posts
(:func:`evaltools.publish.publish`): 榜单公示.html (offline, prints on A4), 榜单公示.docx (the
editable Word notice), 榜单.xlsx, 榜单.csv (UTF-8 with BOM), 总分排名.png / .svg, 海报.png (top N,
portrait) and SHA256SUMS; ``--formats`` writes only some of them (``html,pdf,docx,xlsx,csv,png,svg,
poster``, comma-separated). ``SOURCE_DATE_EPOCH`` fixes the generation time, so two runs give
identical files. ``--intervals B`` adds bootstrap rank intervals (名次区间) from B replicates with a
fixed seed. ``--supersedes PREVIOUS_OUT`` corrects an earlier publication after objections: a
更正说明 lists every changed score and rank with the reason from the dataset's corrections table,
and the audit records the earlier publication's hashes. Exit status: 0 done, 1 problems in the
data or rubric (including a change with no recorded reason), 2 usage error.

Examples
--------
>>> import argparse
>>> from evaltools.cli.common import add_command
>>> parser = argparse.ArgumentParser(prog="evaltools")
>>> sub = parser.add_subparsers(dest="command")
>>> _ = add_command(sub, "publish", COMMAND)
>>> args = parser.parse_args(["publish", "data/sample", "--out", "build", "--top", "5"])
>>> args.data, args.out, args.top, args.round, args.formats
('data/sample', 'build', 5, None, None)
>>> parser.parse_args(["publish", "d", "--out", "b", "--formats", "html,csv"]).formats
('html', 'csv')
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from evaltools.cli import COMMANDS
from evaltools.cli.common import (
    EXIT_OK,
    add_data_arguments,
    board_frame,
    board_heading,
    count_arg,
    load_dataset,
    print_frame,
    refuse_inside_data,
    reporting_errors,
    usage_error,
)

__all__ = ["COMMAND", "HELP", "add_publish_arguments", "run_publish"]

HELP = COMMANDS["publish"]
#: ``evaltools.publish.FORMATS`` for the help text (spelled out: importing evaltools.publish to
#: build the parser would load polars for every command; a test keeps the two equal)
FORMAT_NAMES = "html,pdf,docx,xlsx,csv,png,svg,poster"
#: seed of the bootstrap behind --intervals (fixed, so publishing is reproducible)
INTERVAL_SEED = 20200501


def formats_arg(text: str) -> tuple[str, ...]:
    """argparse type of ``--formats``: a comma-separated list of ``evaltools.publish.FORMATS``
    (a bilingual usage error, exit status 2, for an unknown one)."""
    from evaltools.errors import EvalToolsError
    from evaltools.publish.bundle import publish_formats

    try:
        return publish_formats(text)
    except EvalToolsError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_publish_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``publish`` arguments to an (already created) parser."""
    add_data_arguments(p)
    p.add_argument("--out", metavar="DIR", required=True,
                   help="输出文件夹（不存在时创建）| output folder (created if missing)")
    p.add_argument("--top", metavar="N", type=count_arg(1), default=10,
                   help="海报显示前 N 名，默认 10 | the poster shows ranks 1..N (default 10)")
    p.add_argument("--intervals", metavar="B", type=count_arg(0), default=0,
                   help="用 B 次自助抽样计算名次区间（0 = 不计算）| add bootstrap rank intervals "
                   "from B replicates (0 = none)")
    p.add_argument("--formats", metavar="LIST", type=formats_arg, default=None,
                   help="只生成这些格式，用逗号分隔（默认全部）：" + FORMAT_NAMES + " | write "
                   "only these formats, comma-separated (default: all)")
    p.add_argument("--supersedes", metavar="PREVIOUS_OUT", default=None,
                   help="更正此前发布的公示（上一次 --out 的文件夹）：列出更正说明并链接两版的校验值 | "
                   "correct an earlier publication (its --out folder): add a 更正说明 and chain "
                   "the two publications' hashes")


@reporting_errors
def run_publish(args: argparse.Namespace, out: Any = None) -> int:
    """Run ``publish``; returns the exit status. User mistakes are printed, never raised."""
    from evaltools.leaderboard import evaluate
    from evaltools.publish import publish

    target = Path(args.out)
    if target.exists() and not target.is_dir():
        raise usage_error("--out 应为文件夹", "--out must be a folder", path=target)
    refuse_inside_data(args, target)
    lb = evaluate(load_dataset(args), round=args.round)
    intervals = None
    if args.intervals:
        from evaltools.robustness import rank_intervals

        intervals = rank_intervals(lb, replicates=args.intervals, seed=INTERVAL_SEED,
                                   progress=False)
    written = publish(lb, target, top=args.top or 10, intervals=intervals,
                      supersedes=args.supersedes, formats=args.formats)
    print(board_heading(lb), file=out)
    print_frame(board_frame(lb, lb.top(3)), out, str_len=40)
    for path in written.values():
        print(f"已保存 | written: {path}", file=out)
    return EXIT_OK


#: what ``evaltools.cli.command`` returns: (help, add_arguments, run)
COMMAND = (HELP, add_publish_arguments, run_publish)
