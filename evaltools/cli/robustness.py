"""``evaltools robustness DATA [--rubric R] [--samples N] [--seed S] [--round N|all] [--top N]``.

Reads a dataset folder, evaluates it and prints how sure the leaderboard is: bootstrap rank
intervals of the top units (第3名（95%区间 2–5）, P(第1名)), SMAA-2 first-rank acceptability with
weights drawn uniformly, the weight intervals that keep rank 1, the adjacent pairs that swap with
a weight change of 0.05 or less, and the judges' agreement (ICC, Kendall's W) with any lenient or
harsh judge named. ``--samples`` is the number of bootstrap replicates (SMAA draws ten times as
many weight vectors). Progress bars show in a terminal; Ctrl-C stops early with partial results.
Exit status: 0 done, 1 problems in the data or rubric, 2 usage error.

Wiring: ``cli.COMMANDS["robustness"] = COMMAND``, or :func:`evaltools.cli.common.add_command` on an argparse
subparsers object.

Examples
--------
>>> import argparse
>>> from evaltools.cli.common import add_command
>>> parser = argparse.ArgumentParser(prog="evaltools")
>>> sub = parser.add_subparsers(dest="command")
>>> _ = add_command(sub, "robustness", COMMAND)
>>> args = parser.parse_args(["robustness", "data/sample", "--samples", "200", "--seed", "7"])
>>> args.data, args.samples, args.seed, args.round
('data/sample', 200, 7, None)
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

import polars as pl

from evaltools.cli import COMMANDS
from evaltools.cli.common import (
    EXIT_OK,
    add_data_arguments,
    count_arg,
    load_dataset,
    print_frame,
    reporting_errors,
    usage_error,
)

if TYPE_CHECKING:
    from evaltools.leaderboard import Leaderboard

__all__ = ["COMMAND", "HELP", "MAX_SAMPLES", "MAX_SAMPLE_BYTES", "add_robustness_arguments",
           "check_samples", "run_robustness"]

HELP = COMMANDS["robustness"]


def add_robustness_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``robustness`` arguments to an (already created) parser."""
    add_data_arguments(p)
    p.add_argument("--samples", metavar="N", type=count_arg(1), default=1000,
                   help="重抽样次数（SMAA 权重样本为其 10 倍），默认 1000 | bootstrap replicates "
                   "(SMAA draws 10× as many weights), default 1000")
    p.add_argument("--seed", metavar="S", type=int, default=20240501,
                   help="随机种子（相同种子结果相同）| random seed (same seed, same result)")
    p.add_argument("--top", metavar="N", type=count_arg(1), default=10,
                   help="显示前 N 名，默认 10 | show the top N units, default 10")


def report(lb: Leaderboard, *, samples: int = 1000, seed: int | None = None, top: int = 10,
           progress: bool | None = None, out: Any = None) -> None:
    """Print the robustness report of a leaderboard (what the command shows)."""
    from evaltools import robustness

    out = sys.stdout if out is None else out
    names = {c.id: c.name for c in lb.rubric.criteria}
    ri = robustness.rank_intervals(lb, replicates=samples, seed=seed, progress=progress)
    print(f"== 名次区间（自助法重抽样 {ri.replicates} 次）| bootstrap rank intervals ==", file=out)
    t = ri.table.filter(pl.col("rank") <= top)
    print_frame(t.select(
        pl.col("rank_interval").alias("名次（区间）"), pl.col("unit_id").alias("单位编号"),
        pl.col("name").alias("名称"), pl.col("median_rank").alias("名次中位数"),
        (pl.col("p_first") * 100).round(1).alias("第一名概率%"),
        (pl.col("p_top_k") * 100).round(1).alias(f"前{ri.top_k}名概率%"),
        pl.col("n_cards").alias("点评卡数"), pl.col("n_judges").alias("评委人数")), out)
    acc = robustness.smaa(lb, samples=10 * samples, seed=seed, progress=progress)
    print(f"\n== SMAA-2（{acc.samples} 组随机权重）| first-rank acceptability ==", file=out)
    print_frame(acc.table.filter(pl.col("b1") > 0).sort("b1", descending=True).head(top).select(
        pl.col("unit_id").alias("单位编号"), pl.col("name").alias("名称"),
        pl.col("rank").alias("名次"), (pl.col("b1") * 100).round(1).alias("任意权重下第一名%"),
        pl.col("confidence").alias("置信因子")), out)
    ws = robustness.weight_stability(lb, top_n=min(3, top))
    print("\n== 权重稳定区间（其他权重按比例调整）| weight intervals keeping rank 1 / top "
          f"{ws.top_n} ==", file=out)
    print_frame(ws.criteria.select(
        pl.col("name").alias("指标"), pl.col("weight").round(3).alias("现权重"),
        pl.format("{}–{}", pl.col("first_low").round(3), pl.col("first_high").round(3))
        .alias("第一名不变"),
        pl.format("{}–{}", pl.col("top_low").round(3), pl.col("top_high").round(3))
        .alias(f"前{ws.top_n}名顺序不变")), out)
    fragile = ws.pairs.filter(pl.col("fragile").fill_null(False) & (pl.col("position") <= top))
    print(f"\n== 不稳的相邻名次（单一权重变化 ≤ 0.05 即交换）| fragile pairs: {fragile.height} ==",
          file=out)
    if fragile.height:
        print_frame(fragile.select(
            pl.col("position").alias("名次"), pl.col("upper").alias("上"),
            pl.col("lower").alias("下"), pl.col("gap").round(3).alias("分差"),
            pl.col("criterion").replace_strict(names, default=None).alias("指标"),
            pl.col("change").round(3).alias("权重变化")), out)
    pr = robustness.panel_reliability(lb)
    if pr.table.height:
        print("\n== 评委一致性 | judge agreement ==", file=out)
        print_frame(pr.table.select(
            pl.col("round").alias("轮次"), pl.col("name").alias("指标"),
            pl.col("n_units").alias("单位数"), pl.col("n_judges").alias("评委数"),
            pl.col("icc2k").round(3).alias("ICC(2,k)"), pl.col("icc_band").alias("ICC 等级"),
            pl.col("kendall_w").round(3).alias("Kendall W"), pl.col("w_band").alias("W 等级"),
            pl.col("note").alias("说明")), out)
        for line in pr.judges["evidence"].to_list():
            print(f"- {line}", file=out)
    for note in dict.fromkeys([*ri.notes, *acc.notes, *ws.notes, *pr.notes]):
        print(f"- {note}", file=out)


#: the most bootstrap replicates ``--samples`` may ask for (SMAA then draws ten times as many)
MAX_SAMPLES = 100_000
#: the most memory the analyses' per-sample arrays may take: units × 10·samples × 8 bytes
#: (SMAA's rank counts are the largest), checked before anything is drawn
MAX_SAMPLE_BYTES = 2 * 1024 ** 3


def check_samples(samples: int, n_units: int) -> None:
    """Refuse ``--samples`` beyond :data:`MAX_SAMPLES`, or whose arrays (``n_units`` × 10 ×
    ``samples`` × 8 bytes) would pass :data:`MAX_SAMPLE_BYTES`, before allocating anything.

    >>> check_samples(1000, 60)
    >>> check_samples(10 ** 8, 60)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    evaltools.errors.UsageError: --samples：值 “100000000” 重抽样次数超过上限 100000...
    >>> check_samples(50_000, 6_000)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    evaltools.errors.UsageError: --samples：值 “50000” 6000 个单位 × 500000 组权重 × 8 字节 = 22.4 GiB...
    """
    if samples > MAX_SAMPLES:
        raise usage_error(f"重抽样次数超过上限 {MAX_SAMPLES}（MAX_SAMPLES），请减少 --samples",
                          f"more than the limit of {MAX_SAMPLES} replicates (MAX_SAMPLES); use "
                          "fewer --samples", value=samples, path="--samples",
                          rule="too_many_samples")
    need = n_units * 10 * samples * 8
    if need > MAX_SAMPLE_BYTES:
        raise usage_error(
            f"{n_units} 个单位 × {10 * samples} 组权重 × 8 字节 = {need / 1024 ** 3:.1f} GiB，"
            f"超过内存上限 {MAX_SAMPLE_BYTES / 1024 ** 3:.0f} GiB（MAX_SAMPLE_BYTES）；请减少 --samples",
            f"{n_units} units × {10 * samples} weight draws × 8 bytes = {need / 1024 ** 3:.1f} "
            f"GiB, over the {MAX_SAMPLE_BYTES / 1024 ** 3:.0f} GiB memory limit "
            "(MAX_SAMPLE_BYTES); use fewer --samples",
            value=samples, path="--samples", rule="too_many_samples")


@reporting_errors
def run_robustness(args: argparse.Namespace, out: Any = None) -> int:
    """Run ``robustness``; returns the exit status. User mistakes are printed, never raised."""
    from evaltools.leaderboard import evaluate

    if args.samples > MAX_SAMPLES:  # before reading anything
        check_samples(args.samples, 1)
    lb = evaluate(load_dataset(args), round=args.round)
    check_samples(args.samples, lb.table.height)
    print(f"{lb.rubric.name} · {lb.rubric.method} · {lb.table.height} 个单位 | units", file=out)
    report(lb, samples=args.samples, seed=args.seed, top=args.top, out=out)
    return EXIT_OK


#: what ``evaltools.cli.command`` returns: (help, add_arguments, run)
COMMAND = (HELP, add_robustness_arguments, run_robustness)
