"""``evaltools publish DATA [--rubric R] --out DIR [--round N|all] [--top N] [--intervals B]``.

Reads a dataset folder, evaluates it and writes into ``DIR`` everything a street office posts
(:func:`evaltools.publish.publish`): 榜单公示.html (offline, prints on A4), 榜单.xlsx, 榜单.csv
(UTF-8 with BOM), 总分排名.png / .svg and 海报.png (top N). ``SOURCE_DATE_EPOCH`` fixes the
generation time, so two runs give identical files. ``--intervals B`` adds bootstrap rank intervals
(名次区间) from B replicates with a fixed seed. Exit status: 0 done, 1 problems in the data or
rubric, 2 usage error.

Examples
--------
>>> import argparse
>>> from evaltools.cli.common import add_command
>>> parser = argparse.ArgumentParser(prog="evaltools")
>>> sub = parser.add_subparsers(dest="command")
>>> _ = add_command(sub, "publish", COMMAND)
>>> args = parser.parse_args(["publish", "data/sample", "--out", "build", "--top", "5"])
>>> args.data, args.out, args.top, args.round
('data/sample', 'build', 5, None)
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from evaltools.cli.common import (
    EXIT_OK,
    add_data_arguments,
    board_frame,
    board_heading,
    count_arg,
    load_dataset,
    print_frame,
    reporting_errors,
    usage_error,
)

__all__ = ["COMMAND", "HELP", "add_publish_arguments", "run_publish"]

HELP = ("发布榜单：离线网页公示、Excel、CSV、图表和海报 | publish the leaderboard: offline HTML "
        "notice, Excel, CSV, charts and a poster")
#: seed of the bootstrap behind --intervals (fixed, so publishing is reproducible)
INTERVAL_SEED = 20200501


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


@reporting_errors
def run_publish(args: argparse.Namespace, out: Any = None) -> int:
    """Run ``publish``; returns the exit status. User mistakes are printed, never raised."""
    from evaltools.leaderboard import evaluate
    from evaltools.publish import publish

    target = Path(args.out)
    if target.exists() and not target.is_dir():
        raise usage_error("--out 应为文件夹", "--out must be a folder", path=target)
    lb = evaluate(load_dataset(args), round=args.round)
    intervals = None
    if args.intervals:
        from evaltools.robustness import rank_intervals

        intervals = rank_intervals(lb, replicates=args.intervals, seed=INTERVAL_SEED,
                                   progress=False)
    written = publish(lb, target, top=args.top or 10, intervals=intervals)
    print(board_heading(lb), file=out)
    print_frame(board_frame(lb, lb.top(3)), out, str_len=40)
    for path in written.values():
        print(f"已保存 | written: {path}", file=out)
    return EXIT_OK


#: entry for ``evaltools.cli.COMMANDS``: (help, add_arguments, run)
COMMAND = (HELP, add_publish_arguments, run_publish)
