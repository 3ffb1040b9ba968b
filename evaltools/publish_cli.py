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
>>> parser = argparse.ArgumentParser(prog="evaltools")
>>> sub = parser.add_subparsers(dest="command")
>>> _ = add_publish_parser(sub)
>>> args = parser.parse_args(["publish", "data/sample", "--out", "build", "--top", "5"])
>>> args.data, args.out, args.top, args.round
('data/sample', 'build', 5, None)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["COMMAND", "HELP", "add_publish_arguments", "add_publish_parser", "run_publish"]

HELP = ("发布榜单：离线网页公示、Excel、CSV、图表和海报 | publish the leaderboard: offline HTML "
        "notice, Excel, CSV, charts and a poster")
EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
#: seed of the bootstrap behind --intervals (fixed, so publishing is reproducible)
INTERVAL_SEED = 20200501


def _round_arg(text: str) -> int | str:
    if text == "all":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"轮次应为整数或 all，收到 {text!r} | round must be an integer or 'all'") from None


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(
            f"应为非负整数，收到 {text!r} | expected a non-negative integer")
    return n


def add_publish_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``publish`` arguments to an (already created) parser."""
    p.add_argument("data", metavar="DATA", help="数据文件夹 | dataset folder")
    p.add_argument("--rubric", metavar="R",
                   help="评分细则 rubric.toml（默认：文件夹中的 rubric.toml）| rubric.toml "
                   "(default: the folder's)")
    p.add_argument("--out", metavar="DIR", required=True,
                   help="输出文件夹（不存在时创建）| output folder (created if missing)")
    p.add_argument("--round", metavar="N", type=_round_arg, default=None,
                   help="轮次：整数或 all（各轮平均）；默认最近一轮 | round: an integer or 'all'; "
                   "default the latest")
    p.add_argument("--top", metavar="N", type=_positive, default=10,
                   help="海报显示前 N 名，默认 10 | the poster shows ranks 1..N (default 10)")
    p.add_argument("--intervals", metavar="B", type=_positive, default=0,
                   help="用 B 次自助抽样计算名次区间（0 = 不计算）| add bootstrap rank intervals "
                   "from B replicates (0 = none)")


def add_publish_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``publish`` on an argparse subparsers object; returns its parser."""
    p = subparsers.add_parser("publish", help=HELP, description=HELP)
    add_publish_arguments(p)
    p.set_defaults(_run=run_publish)
    return p


def run_publish(args: argparse.Namespace, out: Any = None) -> int:
    """Run ``publish``; returns the exit status. User mistakes are printed, never raised."""
    from evaltools.dataset import read_dataset
    from evaltools.errors import EvalToolsError, ValidationError
    from evaltools.leaderboard import evaluate
    from evaltools.publish import publish

    out = sys.stdout if out is None else out
    data = Path(args.data)
    if not data.is_dir():
        print(f"找不到数据文件夹 | dataset folder not found: {data}", file=sys.stderr)
        return EXIT_USAGE
    if args.rubric is not None and not Path(args.rubric).is_file():
        print(f"找不到评分细则 | rubric not found: {args.rubric}", file=sys.stderr)
        return EXIT_USAGE
    target = Path(args.out)
    if target.exists() and not target.is_dir():
        print(f"--out 应为文件夹 | --out must be a folder: {target}", file=sys.stderr)
        return EXIT_USAGE
    try:
        ds = read_dataset(data, rubric=args.rubric)
        if ds.rubric is None:
            print("没有评分细则：请在文件夹中放 rubric.toml 或使用 --rubric | no rubric: put "
                  "rubric.toml in the folder or pass --rubric", file=sys.stderr)
            return EXIT_USAGE
        lb = evaluate(ds, round=args.round)
        intervals = None
        if args.intervals:
            from evaltools.robustness import rank_intervals

            intervals = rank_intervals(lb, replicates=args.intervals, seed=INTERVAL_SEED,
                                       progress=False)
        written = publish(lb, target, top=args.top or 10, intervals=intervals)
    except ValidationError as exc:
        print(str(exc.report), file=out)
        return EXIT_PROBLEMS
    except EvalToolsError as exc:
        for p in exc.problems:
            print(f"- {p}", file=out)
        usage = exc.problems and exc.problems[0].rule == "bad_choice"
        return EXIT_USAGE if usage else EXIT_PROBLEMS
    print(f"{lb!r}", file=out)
    for path in written.values():
        print(f"已保存 | written: {path}", file=out)
    return EXIT_OK


#: entry for ``evaltools.cli.COMMANDS``: (help, add_arguments, run)
COMMAND = (HELP, add_publish_arguments, run_publish)
