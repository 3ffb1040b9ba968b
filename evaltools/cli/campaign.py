"""``evaltools campaign DATA [--round N] [--rubric R]``: a 晒最美 campaign at a glance.

Reads a dataset folder (:func:`evaltools.dataset.read_dataset`; it needs ``entries`` and
``votes``), runs :func:`evaltools.campaign.analyze_campaign` and prints the per-round statistics,
the round's results per category (raw count and recount side by side) and the integrity flags of
that round with their Excel rows. Ties follow the rubric when the folder has one. Exit status:
0 done, 1 problems in the data, 2 usage error.

Wiring: ``cli.COMMANDS["campaign"] = COMMAND`` (help, add_arguments, run), or
:func:`evaltools.cli.common.add_command` on an argparse subparsers object.

Examples
--------
>>> import argparse
>>> from evaltools.cli.common import add_command
>>> parser = argparse.ArgumentParser(prog="evaltools")
>>> sub = parser.add_subparsers(dest="command")
>>> _ = add_command(sub, "campaign", COMMAND)
>>> args = parser.parse_args(["campaign", "data/sample", "--round", "2"])
>>> args.data, args.round
('data/sample', 2)
"""

from __future__ import annotations

import argparse
from typing import Any

import polars as pl

from evaltools.cli import COMMANDS
from evaltools.cli.common import (
    EXIT_OK,
    load_dataset,
    print_frame,
    reporting_errors,
    usage_error,
)

__all__ = ["COMMAND", "HELP", "add_campaign_arguments", "run_campaign"]

HELP = COMMANDS["campaign"]


def add_campaign_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``campaign`` arguments to an (already created) parser."""
    p.add_argument("data", metavar="DATA", help="数据文件夹（含 entries 与 votes）| dataset folder")
    p.add_argument("--round", metavar="N", type=int, default=None,
                   help="显示第 N 轮的结果与存疑投票（默认最近一轮）| round to detail "
                   "(default: the latest)")
    p.add_argument("--rubric", metavar="R",
                   help="评分细则 rubric.toml（用于并列规则；默认文件夹中的）| rubric.toml "
                   "(for the ties rule; default: the folder's)")


@reporting_errors
def run_campaign(args: argparse.Namespace, out: Any = None) -> int:
    """Run ``campaign``; returns the exit status. User mistakes are printed, never raised."""
    from evaltools.campaign import ENTRY_LABELS, FLAG_ZH, ROUND_LABELS, analyze_campaign

    a = analyze_campaign(load_dataset(args, need=("votes",)))
    rounds = a.rounds["round"].to_list()
    rnd = rounds[-1] if args.round is None else args.round
    if rnd not in rounds:
        raise usage_error(f"没有第 {rnd} 轮（现有：{rounds}）", f"no round {rnd} (rounds: {rounds})",
                          value=rnd, rule="unknown_round")

    print(f"晒最美 · {len(rounds)} 轮 · 共 {int(a.rounds['votes'].sum())} 人次 | "
          f"campaign: {len(rounds)} rounds, {int(a.rounds['votes'].sum())} votes", file=out)
    summary = a.rounds.with_columns(
        pl.col("votes_per_voter", "hhi").round(2),
        *(pl.col(c).mul(100).round(1).cast(pl.String).add("%").fill_null("—")
          for c in ("growth", "voters_growth", "top3_share"))).drop("voters_growth")
    print_frame(summary.rename({k: v for k, v in ROUND_LABELS.items() if k in summary.columns}), out)

    print(f"\n第{rnd}轮结果（原始计票与复核计票并列）| round {rnd}: raw count and recount", file=out)
    cols = ["category", "rank_label", "entry_id", "title", "votes", "share", "flagged_votes",
            "votes_recount", "share_recount", "rank_recount"]
    view = a.round(rnd).select(cols).with_columns(
        pl.col("share", "share_recount").mul(100).round(1).cast(pl.String).add("%"))
    print_frame(view.rename({k: ENTRY_LABELS[k] for k in cols}), out)

    flags = a.flags.filter(pl.col("round") == rnd)
    excluded = int(a.votes.filter(pl.col("round") == rnd)["excluded"].sum())
    print(f"\n第{rnd}轮存疑投票 {flags.height} 组，复核计票剔除 {excluded} 票（"
          f"{'、'.join(FLAG_ZH[f] for f in a.exclude)}）| round {rnd}: {flags.height} flag(s), "
          f"{excluded} vote(s) left out of the recount", file=out)
    if flags.height:
        rows = flags.select(
            pl.col("flag_zh").alias("问题"), pl.col("entry_id").alias("作品编号"),
            pl.col("n_votes").alias("票数"), pl.col("detail_zh").alias("说明"),
            pl.col("rows").list.head(8).cast(pl.List(pl.String)).list.join(",")
            .add(pl.when(pl.col("rows").list.len() > 8).then(pl.lit(" …")).otherwise(pl.lit("")))
            .alias("votes.csv 行号"))
        print_frame(rows, out)
    print("存疑投票只是供人工核查的线索，不会自动删除 | flags are evidence for review, never "
          "deletions", file=out)
    return EXIT_OK


#: what ``evaltools.cli.command`` returns: (help, add_arguments, run)
COMMAND = (HELP, add_campaign_arguments, run_campaign)
