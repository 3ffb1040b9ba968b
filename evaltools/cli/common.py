"""What every ``evaltools`` command shares: exit codes, argument checks that name the path, loading
a dataset, printing tables, and turning a user's mistake into a message and an exit status.

A command's ``run(args, out)`` raises :class:`~evaltools.errors.EvalToolsError` (or a subclass)
for anything the user can fix; :func:`run_reporting_errors` prints it — never a traceback — and
returns the exit status: 0 done, 1 problems in the data or rubric, 2 usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import polars as pl

from evaltools.errors import EvalToolsError, Problem, UsageError, ValidationError

__all__ = [
    "EXIT_OK",
    "EXIT_PROBLEMS",
    "EXIT_USAGE",
    "add_command",
    "add_data_arguments",
    "count_arg",
    "load_dataset",
    "print_frame",
    "reporting_errors",
    "require_dir",
    "require_file",
    "require_suffix",
    "round_arg",
    "run_reporting_errors",
    "usage_error",
]

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2

Run = Callable[[argparse.Namespace, Any], int]


def round_arg(text: str) -> int | str:
    """argparse type of ``--round``: an integer, or ``all`` (mean over rounds).

    >>> round_arg("3"), round_arg("all")
    (3, 'all')
    """
    if text == "all":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"轮次应为整数或 all，收到 {text!r} | round must be an integer or 'all'") from None


def count_arg(minimum: int = 1) -> Callable[[str], int]:
    """argparse type of a whole number ``>= minimum`` (e.g. --samples, --top).

    >>> count_arg(1)("5"), count_arg(0)("0")
    (5, 0)
    """

    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            n = minimum - 1
        if n < minimum:
            raise argparse.ArgumentTypeError(
                f"应为不小于 {minimum} 的整数，收到 {text!r} | must be a whole number >= {minimum}")
        return n

    return parse


Command = tuple[str, Callable[[argparse.ArgumentParser], None], Run]


def add_command(subparsers: Any, name: str, command: Command) -> argparse.ArgumentParser:
    """Register one command — a ``(help, add_arguments, run)`` triple — on argparse subparsers."""
    help_, add, run = command
    p = subparsers.add_parser(name, help=help_, description=help_)
    add(p)
    p.set_defaults(_run=run)
    return p


def add_data_arguments(p: argparse.ArgumentParser, *, rubric: bool = True,
                       round: bool = True) -> None:
    """The arguments every dataset command takes: DATA, and optionally --rubric and --round."""
    p.add_argument("data", metavar="DATA", help="数据文件夹 | dataset folder")
    if rubric:
        p.add_argument("--rubric", metavar="R",
                       help="评分细则 rubric.toml（默认：文件夹中的 rubric.toml）| rubric.toml "
                       "(default: the folder's)")
    if round:
        p.add_argument("--round", metavar="N", type=round_arg, default=None,
                       help="轮次：整数或 all（各轮平均）；默认最近一轮 | round: an integer or "
                       "'all' (mean over rounds); default the latest")


def usage_error(zh: str, en: str, *, value: object = None, path: object = None,
                rule: str = "usage") -> UsageError:
    """A usage error about an argument or a path, in Chinese and English.

    >>> print(usage_error("找不到数据文件夹", "dataset folder not found", path="数据"))
    数据：找不到数据文件夹。 | 数据: dataset folder not found.
    """
    return UsageError(Problem(None if path is None else str(path), None, None, value, rule, zh, en))


def require_dir(path: str | Path, *, zh: str = "找不到数据文件夹",
                en: str = "dataset folder not found") -> Path:
    path = Path(path)
    if not path.is_dir():
        raise usage_error(zh, en, path=path, rule="path_not_found")
    return path


def require_file(path: str | Path | None, *, zh: str, en: str) -> Path | None:
    """``path`` as a Path when it names an existing file; None stays None."""
    if path is None:
        return None
    path = Path(path)
    if not path.is_file():
        raise usage_error(zh, en, path=path, rule="path_not_found")
    return path


def require_suffix(path: str | Path | None, allowed: Iterable[str], *,
                   option: str = "--out") -> Path | None:
    if path is None:
        return None
    path, allowed = Path(path), tuple(allowed)
    if path.suffix.lower() not in allowed:
        raise usage_error(f"{option} 只支持 {' / '.join(allowed)}",
                          f"{option} must end in one of {list(allowed)}", path=path,
                          rule="bad_suffix")
    return path


def load_dataset(args: argparse.Namespace, *, lenient: bool = False,
                 need: Iterable[str] = ("rubric",)) -> Any:
    """Read ``args.data`` (with ``args.rubric`` when the command has it) as a Dataset; a missing
    folder, rubric file, or a table in ``need`` is a usage error."""
    from evaltools.dataset import read_dataset

    data = require_dir(args.data)
    rubric = require_file(getattr(args, "rubric", None), zh="找不到评分细则",
                          en="rubric not found")
    ds = read_dataset(data, rubric=rubric, lenient=lenient)
    if "rubric" in need and ds.rubric is None:
        raise usage_error("没有评分细则：请在文件夹中放 rubric.toml 或使用 --rubric",
                          "no rubric: put rubric.toml in the folder or pass --rubric",
                          path=data, rule="no_rubric")
    for table in need:
        if table != "rubric" and getattr(ds, table, None) is None:
            raise usage_error(f"数据文件夹中没有 {table} 表", f"the folder has no {table} table",
                              path=data, rule="no_table")
    return ds


def print_frame(frame: pl.DataFrame, out: Any, *, str_len: int = 60) -> None:
    """Print a whole table, without the shape line and dtypes, for people reading a terminal."""
    with pl.Config(tbl_rows=-1, tbl_cols=-1, fmt_str_lengths=str_len, tbl_width_chars=400,
                   tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True):
        print(frame, file=out)


def board_heading(lb: Any) -> str:
    """One line naming a leaderboard in Chinese: name, round, method, number of units."""
    from evaltools import labels

    rnd = "" if lb.round is None else (" · 各轮平均" if lb.round == "all"
                                       else f" · 第{lb.round}轮")
    return (f"{lb.rubric.name}{rnd} · {labels.method_zh(lb.rubric.method)} · "
            f"{lb.table.height} 个{labels.unit_word(lb.rubric.unit)}")


def board_frame(lb: Any, table: pl.DataFrame | None = None) -> pl.DataFrame:
    """Rows of a leaderboard as people read them on the command line: Chinese headers (criteria
    by name), stars as ★ (— for none), 是/否, no internal columns. ``table`` = some rows of
    ``lb.table`` (default all)."""
    from evaltools import labels

    t = lb.table if table is None else table
    crit = [c.id for c in lb.rubric.criteria]
    keep = ["rank_label", "unit_id", "name", "total", "grade", "stars", *crit, "movement"]
    t = t.select(*(c for c in lb.table.columns if c in keep and c in t.columns))
    if "stars" in t.columns:
        n = pl.col("stars").fill_null(0).clip(0, 5)
        t = t.with_columns(pl.when(n > 0).then(pl.lit("★★★★★").str.slice(0, n))
                           .otherwise(pl.lit(labels.NONE_TEXT)).alias("stars"))
    if "grade" in t.columns and t["grade"].null_count() == t.height:
        t = t.drop("grade")  # no grade bands for this method
    view = lb._replace(table=t)
    return view.labelled_table()


def run_reporting_errors(run: Run, args: argparse.Namespace, out: Any = None) -> int:
    """Run a command; print a user's mistake instead of raising it; return the exit status."""
    out = sys.stdout if out is None else out
    try:
        return run(args, out)
    except ValidationError as exc:
        print(str(exc.report), file=out)
        return EXIT_PROBLEMS
    except UsageError as exc:
        for p in exc.problems:
            print(f"- {p}", file=sys.stderr)
        return EXIT_USAGE
    except EvalToolsError as exc:  # the data or the rubric has problems
        for p in exc.problems:
            print(f"- {p}", file=out)
        return EXIT_USAGE if exc.problems and exc.problems[0].rule == "bad_choice" \
            else EXIT_PROBLEMS
    except BrokenPipeError:  # e.g. `evaltools evaluate … | head`: the reader left, not an error
        sys.stdout = open(os.devnull, "w")
        return EXIT_OK
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError) as exc:
        print(f"无法打开 | cannot open: {exc.filename or exc}", file=sys.stderr)
        return EXIT_USAGE


def reporting_errors(run: Run) -> Run:
    """Decorator: ``run(args, out=None)`` returns an exit status and never raises for a user's
    mistake, whether called by ``evaltools.cli.main`` or directly (tests, notebooks)."""

    def wrapper(args: argparse.Namespace, out: Any = None) -> int:
        return run_reporting_errors(run, args, out)

    wrapper.__name__ = run.__name__
    wrapper.__doc__ = run.__doc__
    wrapper.__wrapped__ = run  # type: ignore[attr-defined]
    return wrapper
