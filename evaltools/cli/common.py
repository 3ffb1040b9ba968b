"""What every ``evaltools`` command shares: exit codes, argument checks that name the path, loading
a dataset, printing tables, and turning a user's mistake into a message and an exit status.

A command's ``run(args, out)`` raises :class:`~evaltools.errors.EvalToolsError` (or a subclass)
for anything the user can fix; :func:`run_reporting_errors` prints it — never a traceback — and
returns the exit status: 0 done, 1 problems in the data or rubric, 2 usage error.
"""

from __future__ import annotations

import argparse
import errno
import functools
import os
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from evaltools.errors import EvalToolsError, Problem, UsageError, ValidationError

if TYPE_CHECKING:
    from evaltools.dataset import Dataset

__all__ = [
    "EXIT_OK",
    "EXIT_PROBLEMS",
    "EXIT_USAGE",
    "TerminalWriter",
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
    "safe_console",
    "terminal_safe",
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


def output_file(args: argparse.Namespace, allowed: Iterable[str], *,
                option: str = "--out") -> Path | None:
    """``args.out`` checked: one of the ``allowed`` suffixes, and never a file of the input
    (the data folder or file, the rubric, the holidays file — resolved through symlinks) nor an
    existing symlink (:func:`evaltools.writing.check_output_path`)."""
    path = require_suffix(getattr(args, "out", None), allowed, option=option)
    if path is None:
        return None
    from evaltools.writing import check_output_path

    refuse_inside_data(args, path, option=option)
    inputs = [p for p in (getattr(args, "data", None), getattr(args, "rubric", None),
                          getattr(args, "holidays", None)) if p]
    return check_output_path(path, inputs=inputs)


def refuse_inside_data(args: argparse.Namespace, path: Path, *, option: str = "--out") -> None:
    """An output inside the data folder is refused: the next read would take a new file there
    for a table of the dataset (a workbook is read sheet by sheet), or it would replace one."""
    data = getattr(args, "data", None)
    if not data or not Path(data).is_dir():
        return
    folder, target = Path(data).resolve(), path.resolve()
    if target == folder or folder in target.parents:
        raise usage_error(
            f"{option} 不能写在数据文件夹里（{folder}）：输出会被当作数据再读入，或覆盖输入文件；"
            "请写到数据文件夹之外",
            f"{option} may not be inside the data folder ({folder}): the output would be read "
            "back as data or replace an input file; write it outside the data folder",
            path=path, rule="output_inside_input")


def load_dataset(args: argparse.Namespace, *, lenient: bool = False,
                 need: Iterable[str] = ("rubric",)) -> Dataset:
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


#: what a cell may not send to a terminal raw: C0 controls but tab and newline, DEL, C1 controls
#: (ESC [ … starts a terminal escape sequence, CR overwrites a line), bidi embeddings, overrides
#: and isolates (U+202A–202E, U+2066–2069, which reorder text on screen), zero-width characters
#: and the BOM (which make two ids look alike), the line and paragraph separators
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e"
                     "\u2060-\u2064\u2066-\u2069\ufeff]")


def terminal_safe(text: str) -> str:
    """``text`` with every control, bidi and zero-width character shown as ``<U+XXXX>``, so a cell
    cannot move the cursor, recolour or clear the terminal, or reorder what a user reads
    (issue 18, item 12). Tab and newline stay.

    >>> terminal_safe("JY001\u200b \x1b[2Jevil \u202egnp.exe")
    'JY001<U+200B> <U+001B>[2Jevil <U+202E>gnp.exe'
    """
    return _UNSAFE.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)


class TerminalWriter:
    """A text stream that passes everything written through :func:`terminal_safe` (every print
    of a command goes through one, see :func:`run_reporting_errors`)."""

    def __init__(self, stream: Any):
        self.stream = stream

    def write(self, text: str) -> int:
        return self.stream.write(terminal_safe(text))

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def safe_console() -> None:
    """Make stdout and stderr unable to crash on a character the console's encoding lacks
    (``PYTHONIOENCODING=gbk`` and an emoji in a unit name): such characters print as ``?``."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and getattr(stream, "errors", "strict") == "strict":
            try:
                reconfigure(errors="replace")
            except (ValueError, OSError):  # a closed or detached stream
                pass


def quiet_broken_pipe() -> None:
    """The reader of stdout left (``evaltools … | head -1``): point stdout at /dev/null so the
    interpreter's last flush does not print a BrokenPipeError on the way out."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (tests, notebooks)
        sys.stdout = open(os.devnull, "w")


#: OSError numbers a user can fix (the disk, the folder, the name), with what to say
_OS_ERRORS = {
    errno.ENOSPC: ("磁盘已满，无法写出", "the disk is full", "请清理磁盘空间，或写到其他磁盘",
                   "free disk space or write to another disk"),
    errno.EDQUOT: ("磁盘配额已用完，无法写出", "the disk quota is exceeded",
                   "请清理空间，或写到其他位置", "free space or write elsewhere"),
    errno.EROFS: ("只读文件系统，无法写出", "the file system is read-only",
                  "请写到可写的文件夹", "write to a writable folder"),
    errno.EACCES: ("没有权限", "permission denied",
                   "请检查文件夹权限，或写到其他文件夹", "check the permissions or use another folder"),
    errno.EPERM: ("没有权限", "operation not permitted",
                  "请检查文件夹权限，或写到其他文件夹", "check the permissions or use another folder"),
    errno.ENAMETOOLONG: ("文件名过长（每段不超过 255 字节）", "the file name is too long (at most "
                         "255 bytes per part)", "请用更短的文件名", "use a shorter name"),
    errno.ENOENT: ("找不到文件或文件夹", "no such file or folder", "请检查路径", "check the path"),
    errno.ENOTDIR: ("路径中有一段不是文件夹", "a part of the path is not a folder",
                    "请检查路径", "check the path"),
    errno.EISDIR: ("这是文件夹，不是文件", "it is a folder, not a file", "请检查路径",
                   "check the path"),
    errno.ELOOP: ("符号链接循环", "too many levels of symbolic links", "请检查路径",
                  "check the path"),
}


def os_problem(exc: OSError) -> Problem:
    """An OSError a user can act on (full or read-only disk, permissions, a name too long …) as
    a Problem naming the path."""
    zh, en, fix_zh, fix_en = _OS_ERRORS.get(
        exc.errno or 0, ("无法读写文件", f"cannot read or write the file ({exc.strerror or exc})",
                         "请检查路径和磁盘", "check the path and the disk"))
    path = exc.filename if exc.filename is not None else None
    return Problem(None if path is None else str(path), None, None, None, "os_error", zh, en,
                   fix_zh, fix_en)


def board_heading(lb: Any) -> str:
    """One line naming a leaderboard in Chinese: name, round, method, number of units."""
    from evaltools import labels

    rnd = lb.round_text()
    rnd = "" if rnd and rnd in lb.rubric.name else rnd  # 2021年第三季度楼栋评比 says it already
    return (f"{lb.rubric.name}{' · ' + rnd if rnd else ''} · {labels.method_zh(lb.rubric.method)} · "
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
    if "movement" in t.columns and t["movement"].null_count() == t.height:
        t = t.drop("movement")  # no previous round to move against
    view = lb._replace(table=t)
    return view.labelled_table()


def run_reporting_errors(run: Run, args: argparse.Namespace, out: Any = None) -> int:
    """Run a command; print a user's mistake instead of raising it; return the exit status.

    Everything the command prints to ``out`` and every message goes through
    :func:`terminal_safe`. A broken pipe (``| head -1``) ends quietly with 0; a full or
    read-only disk, missing permissions or a file name too long is a message and exit 2; so is
    running out of memory."""
    out = sys.stdout if out is None else out
    if not isinstance(out, TerminalWriter):
        out = TerminalWriter(out)
    err = TerminalWriter(sys.stderr)
    try:
        return run(args, out)
    except ValidationError as exc:
        print(str(exc.report), file=out)
        return EXIT_PROBLEMS
    except UsageError as exc:
        for p in exc.problems:
            print(f"- {p}", file=err)
        return EXIT_USAGE
    except EvalToolsError as exc:  # the data or the rubric has problems
        for p in exc.problems:
            print(f"- {p}", file=out)
        return EXIT_USAGE if exc.problems and exc.problems[0].rule == "bad_choice" \
            else EXIT_PROBLEMS
    except BrokenPipeError:  # e.g. `evaltools evaluate … | head`: the reader left, not an error
        quiet_broken_pipe()
        return EXIT_OK
    except MemoryError:
        print("- 内存不足：请减少 --samples 或数据量 | out of memory: use fewer --samples or "
              "less data", file=err)
        return EXIT_USAGE
    except RuntimeError as exc:  # Path.resolve() on a symlink loop (Python < 3.13)
        if not str(exc).startswith("Symlink loop"):
            raise
        where = str(exc).split(" from ", 1)[-1].strip("'\"")
        print(f"- {os_problem(OSError(errno.ELOOP, 'symlink loop', where))}", file=err)
        return EXIT_USAGE
    except OSError as exc:  # FileNotFoundError, PermissionError, ENOSPC, EROFS, ENAMETOOLONG …
        if exc.filename is None and getattr(args, "out", None):  # ENOSPC names no file
            exc.filename = str(args.out)
        print(f"- {os_problem(exc)}", file=err)
        return EXIT_USAGE


def reporting_errors(run: Run) -> Run:
    """Decorator: ``run(args, out=None)`` returns an exit status and never raises for a user's
    mistake, whether called by ``evaltools.cli.main`` or directly (tests, notebooks)."""

    def wrapper(args: argparse.Namespace, out: Any = None) -> int:
        return run_reporting_errors(run, args, out)

    # run's __name__ and __doc__, and __wrapped__ = run
    return functools.update_wrapper(wrapper, run, assigned=("__name__", "__doc__"), updated=())
