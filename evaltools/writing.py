"""Where and how output files are written safely (输出文件的安全写出).

One job: every file or folder evaltools writes goes through this module, so that

* **no output lands on an input** — :func:`check_output_path` resolves the target (and its folder)
  through symlinks and refuses a target that is, or resolves to, a file of the input dataset (any
  file of the dataset folder, the rubric, raw files), a folder holding one, or an existing symlink;
* **a file is never half-written** — :func:`atomic_write_bytes` and :func:`atomic_open` write a
  temporary file in the same folder, flush and ``fsync`` it, then ``os.replace`` it onto the
  target (one atomic rename); on any error the temporary file is removed and the old file is
  untouched. A symlink at the target is replaced, never followed;
* **a set of files is published as one set** — :func:`publish_set` writes the whole set into a
  fresh sibling staging folder, adds ``SHA256SUMS`` (every file's SHA-256, the format
  ``sha256sum -c`` checks: the one list of hashes a published folder has), then swaps it into
  place, under a lock that refuses a second concurrent run on the same folder.

After ``kill -9`` at any moment the folder is either the old complete set or the new complete
set; a leftover staging folder is cleaned by the next run. See ``docs/reliability.md``.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> tmp = Path(tempfile.mkdtemp())
>>> (tmp / "data").mkdir(); _ = (tmp / "data" / "scores.csv").write_text("x")
>>> check_output_path(tmp / "out.csv", inputs=[tmp / "data"]) == (tmp / "out.csv").resolve()
True
>>> try:
...     check_output_path(tmp / "data" / "scores.csv", inputs=[tmp / "data"])
... except UsageError as e:
...     print(e.problems[0].rule)
output_is_input
>>> def write(folder):
...     (folder / "榜单.csv").write_text("单位,得分\\n", encoding="utf-8")
>>> manifest = publish_set(tmp / "site", write, inputs=[tmp / "data"])
>>> [f["name"] for f in manifest["files"]], verify_set(tmp / "site")
(['榜单.csv'], [])
"""

from __future__ import annotations

import contextlib
import contextvars
import ctypes
import ctypes.util
import errno
import hashlib
import json
import os
import secrets
import shutil
import socket
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from evaltools.errors import EvalToolsWarning, Problem, UsageError

try:  # POSIX: the kernel drops the lock when its holder dies, even by kill -9
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "MANIFEST",
    "MANIFEST_HEAD",
    "atomic_open",
    "atomic_write_bytes",
    "check_output_path",
    "publish_set",
    "read_manifest",
    "verify_set",
]

#: Name of the manifest written into every published set: ``<sha256>  <name>`` lines, sorted
#: by name, under one comment line saying evaltools wrote it (``sha256sum -c`` skips it).
MANIFEST = "SHA256SUMS"
#: the manifest's first line: what marks a folder as a set evaltools published (and may replace)
MANIFEST_HEAD = "# evaltools 发布文件的 SHA-256 校验值 | SHA-256 of the files evaltools published"
_STAGING = ".staging-"
_OLD = ".old-"


def _usage(rule: str, value: object, zh: str, en: str, fix_zh: str = "", fix_en: str = ""
           ) -> UsageError:
    return UsageError(Problem(None, None, None, value, rule, zh, en, fix_zh, fix_en))


# --------------------------------------------------------------------------------------------
# where: never onto an input
# --------------------------------------------------------------------------------------------


def _is_published(folder: Path) -> bool:
    """A set :func:`publish_set` wrote: its ``SHA256SUMS`` opens with :data:`MANIFEST_HEAD`, or
    (sets published by earlier versions also had one) a ``manifest.json`` says evaltools."""
    manifest = read_manifest(folder)
    if manifest is not None and manifest.get("generator") == "evaltools":
        return True
    try:
        legacy = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(legacy, dict) and legacy.get("generator") == "evaltools"


#: while :func:`publish_set` runs its writers: (cwd, inputs) → their resolved paths, so each
#: writer's :func:`check_output_path` does not walk the dataset folder again (issue 17)
_WALKED: contextvars.ContextVar[tuple[Any, tuple[set[Path], set[Path]]] | None] = \
    contextvars.ContextVar("evaltools_walked_inputs", default=None)


def _input_key(inputs: tuple[str | os.PathLike[str], ...]) -> Any:
    return os.getcwd(), tuple(os.fspath(p) for p in inputs)


def _input_paths(inputs: Iterable[str | os.PathLike[str]]) -> tuple[set[Path], set[Path]]:
    """Resolved (files, folders) of the inputs; a folder stands for every file inside it, except
    sub-folders that are sets evaltools published (they hold outputs, not inputs)."""
    inputs = tuple(inputs)
    walked = _WALKED.get()
    if walked is not None and walked[0] == _input_key(inputs):
        return walked[1]
    files: set[Path] = set()
    folders: set[Path] = set()
    for raw in inputs:
        real = Path(raw).resolve()
        if not real.is_dir():
            files.add(real)
            continue
        folders.add(real)
        for root, dirs, names in os.walk(real, followlinks=False):
            here = Path(root)
            dirs[:] = [d for d in dirs if not _is_published(here / d)]
            for name in dirs:  # a symlink loop: RuntimeError before Python 3.13, then OSError
                with contextlib.suppress(OSError, RuntimeError):
                    folders.add((here / name).resolve())
            for name in names:
                with contextlib.suppress(OSError, RuntimeError):
                    files.add((here / name).resolve())
    return files, folders


def check_output_path(out: str | os.PathLike[str], *,
                      inputs: Iterable[str | os.PathLike[str]]) -> Path:
    """The resolved output path, after checking it cannot harm an input.

    Parameters
    ----------
    out : the file or folder to write (as the user gave it, e.g. ``--out``).
    inputs : the input files and folders (the dataset folder, the rubric, raw files). A folder
        protects every file and folder inside it.

    Returns
    -------
    Path
        ``out`` with its folder resolved through symlinks (the path that will really be written).

    Raises
    ------
    UsageError
        ``output_is_symlink`` when ``out`` itself is an existing symlink (even a dangling one: the
        write would follow it somewhere else); ``output_is_input`` when ``out`` is, or resolves to,
        an input file or folder, is the same file as one (a hard link), or is a folder holding an
        input (replacing it would delete the input). The message names both paths.

    Examples
    --------
    >>> import os, tempfile
    >>> from pathlib import Path
    >>> tmp = Path(tempfile.mkdtemp())
    >>> (tmp / "in").mkdir(); _ = (tmp / "in" / "units.csv").write_text("x")
    >>> os.symlink(tmp / "in" / "units.csv", tmp / "榜单.csv")
    >>> try:
    ...     check_output_path(tmp / "榜单.csv", inputs=[tmp / "in"])
    ... except UsageError as e:
    ...     print(e.problems[0].rule)
    output_is_symlink
    """
    out = Path(out)
    if out.is_symlink():
        target = os.readlink(out)
        raise _usage(
            "output_is_symlink", str(out),
            f"输出路径 {out} 是一个符号链接（指向 {target}），写入会改写它指向的文件",
            f"the output path {out} is a symbolic link (to {target}); writing would follow it "
            "and overwrite the file it points to",
            "请换一个输出路径，或先删除这个链接", "choose another output path or remove the link")
    real = out.parent.resolve() / out.name
    real = real.resolve()  # '..' or a name that is itself a link further up
    files, folders = _input_paths(inputs)
    hit: Path | None = None
    if real in files or real in folders:
        hit = real
    else:
        under = os.path.join(str(real), "")  # resolved paths: "inside" is a string prefix
        inside = [p for p in (*files, *folders) if str(p).startswith(under)]
        if inside:
            hit = sorted(inside)[0]
        elif real.exists():
            for p in files:
                with contextlib.suppress(OSError):
                    if os.path.samefile(real, p):
                        hit = p
                        break
    if hit is not None:
        raise _usage(
            "output_is_input", str(out),
            f"输出路径 {out}（实际为 {real}）会覆盖或删除输入数据 {hit}；输入文件从不被修改",
            f"the output path {out} (really {real}) would overwrite or remove the input {hit}; "
            "input files are never modified",
            "请把结果写到数据文件夹以外的新路径（例如 --out 结果/榜单.csv）",
            "write the results to a new path outside the dataset folder "
            "(e.g. --out results/leaderboard.csv)")
    return real


# --------------------------------------------------------------------------------------------
# how: one file, atomically
# --------------------------------------------------------------------------------------------


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (no-op where folders cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse
        pass
    finally:
        os.close(fd)


def _temp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w", *,
                encoding: str | None = "utf-8", newline: str | None = None) -> Iterator[IO[Any]]:
    """Open a temporary file next to ``path`` for writing; on a clean exit it replaces ``path``.

    The temporary file (``.<name>.<random>.tmp`` in the same folder, so the rename never crosses
    file systems) is flushed and ``fsync``-ed, then ``os.replace``-d onto ``path`` and the folder
    is ``fsync``-ed. On any exception the temporary file is removed and ``path`` keeps its old
    content. A symlink at ``path`` is replaced by the new file, never followed.

    Parameters
    ----------
    path : the file to (re)write.
    mode : ``"w"`` (text, ``encoding``) or ``"wb"`` (bytes).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> p = Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_open(p) as f:
    ...     _ = f.write("一")
    >>> try:
    ...     with atomic_open(p) as f:
    ...         _ = f.write("half")
    ...         raise RuntimeError("disk full")
    ... except RuntimeError:
    ...     pass
    >>> p.read_text(encoding="utf-8"), sorted(x.name for x in p.parent.iterdir())
    ('一', ['a.txt'])
    """
    if mode not in ("w", "wb"):
        raise UsageError.choice("mode", mode, ["w", "wb"])
    path = Path(path)
    tmp = _temp_path(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        if mode == "wb":
            f: IO[Any] = os.fdopen(fd, "wb")
        else:
            f = os.fdopen(fd, "w", encoding=encoding, newline=newline)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    try:
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_open`).

    >>> import tempfile
    >>> from pathlib import Path
    >>> p = Path(tempfile.mkdtemp()) / "b.bin"
    >>> atomic_write_bytes(p, b"\\x00\\x01"); p.read_bytes()
    b'\\x00\\x01'
    """
    with atomic_open(path, "wb") as f:
        f.write(data)


# --------------------------------------------------------------------------------------------
# a set of files: staging folder, manifest, lock, swap
# --------------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _generated() -> str | None:
    """``SOURCE_DATE_EPOCH`` as an ISO time (UTC), or None when unset: no clock time otherwise."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return None
    try:
        return datetime.fromtimestamp(int(raw), UTC).isoformat()
    except (ValueError, OverflowError, OSError) as exc:
        raise _usage("bad_source_date_epoch", raw,
                     "环境变量 SOURCE_DATE_EPOCH 不是有效的整数秒",
                     "SOURCE_DATE_EPOCH is not a valid integer number of seconds",
                     "请设为整数秒（如 1700000000）或删除它",
                     "set it to whole seconds (e.g. 1700000000) or unset it") from exc


def _manifest(folder: Path) -> dict[str, Any]:
    files = []
    for p in sorted(folder.rglob("*"), key=lambda q: q.relative_to(folder).as_posix()):
        if p.is_file() and not p.is_symlink() and p.relative_to(folder).as_posix() != MANIFEST:
            files.append({"name": p.relative_to(folder).as_posix(), "sha256": _sha256(p)})
    _generated()  # a bad SOURCE_DATE_EPOCH is refused before the set is swapped in
    return {"generator": "evaltools", "files": files}


def _manifest_bytes(manifest: dict[str, Any]) -> bytes:
    lines = [MANIFEST_HEAD, *(f"{f['sha256']}  {f['name']}" for f in manifest["files"])]
    return ("\n".join(lines) + "\n").encode("utf-8")


def read_manifest(folder: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The folder's ``SHA256SUMS`` as ``{"generator", "files": [{"name", "sha256"}]}``
    (``generator`` is ``"evaltools"`` when its first line is :data:`MANIFEST_HEAD`, else None),
    or None when it has none or it is not a ``sha256sum`` list."""
    try:
        text = (Path(folder) / MANIFEST).read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None
    files = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        digest, sep, name = line.partition("  ")
        digest = digest.strip().lower()
        if not sep or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            return None
        files.append({"name": name.removeprefix("*"), "sha256": digest})
    ours = text.startswith(MANIFEST_HEAD + "\n")
    return {"generator": "evaltools" if ours else None, "files": files}


def verify_set(folder: str | os.PathLike[str]) -> list[str]:
    """What is wrong with a published set: missing manifest, missing, changed or extra files.

    An empty list means the folder is exactly the set its manifest lists (SHA-256).
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    if manifest is None:
        return [f"{folder}: no readable {MANIFEST}"]
    problems = []
    listed = set()
    for entry in manifest["files"]:
        name = entry.get("name", "")
        listed.add(name)
        p = folder / name
        if not p.is_file():
            problems.append(f"{name}: missing")
        elif _sha256(p) != entry.get("sha256"):
            problems.append(f"{name}: SHA-256 differs from the manifest")
    for p in folder.rglob("*"):
        rel = p.relative_to(folder).as_posix()
        if p.is_file() and rel != MANIFEST and rel not in listed:
            problems.append(f"{rel}: not in the manifest")
    return problems


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    except OSError:  # pragma: no cover - Windows without the pid
        return False
    return True


def _read_holder(lock: Path) -> dict[str, Any]:
    try:
        data = json.loads(lock.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _holder_soon(lock: Path, wait: float = 1.0) -> dict[str, Any]:
    """The holder of a lock just taken by another run: it stamps its pid right after locking,
    so an empty file is read again for up to ``wait`` seconds before it is called unreadable."""
    end = time.monotonic() + wait
    holder = _read_holder(lock)
    while not holder and time.monotonic() < end:
        time.sleep(0.02)
        holder = _read_holder(lock)
    return holder


def _holder_text(holder: dict[str, Any]) -> tuple[str, str]:
    if not holder:
        return "另一个运行（信息不可读）", "another run (details unreadable)"
    pid, host, since = holder.get("pid"), holder.get("host"), holder.get("started", "?")
    return (f"另一个运行（进程 {pid}，主机 {host}，开始于 {since}）",
            f"another run (pid {pid} on host {host}, started {since})")


def _refuse_busy(out_dir: Path, lock: Path, holder: dict[str, Any]) -> UsageError:
    zh, en = _holder_text(holder)
    return _usage(
        "output_locked", str(out_dir),
        f"{zh}正在写入文件夹 {out_dir}（锁文件 {lock}），本次运行不写入，以免两次结果混在一起",
        f"{en} is writing the folder {out_dir} (lock file {lock}); this run writes nothing, so "
        "that the two runs' files never mix",
        "请等它结束后重试；若确认没有其他运行，可删除锁文件",
        "wait for it to finish and retry; if no other run exists, delete the lock file")


class _Lock:
    """An exclusive lock on ``lock`` (a file next to the output folder) holding pid and host.

    POSIX: ``fcntl.flock`` on the file, released by the kernel when the holder dies (even by
    ``kill -9``); the file is removed on release, and a lock file left by a dead holder is
    taken over with a note. Elsewhere: the file is created with ``O_EXCL``; a file naming a
    dead pid on this host is taken over with a note.
    """

    def __init__(self, lock: Path, out_dir: Path):
        self.lock, self.out_dir, self.fd = lock, out_dir, -1

    def _stamp(self) -> bytes:
        return json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                           "started": datetime.now(UTC).isoformat(timespec="seconds")}).encode()

    def _note_stale(self, holder: dict[str, Any]) -> None:
        zh, en = _holder_text(holder)
        warnings.warn(
            f"{zh}已不在运行，接管它留下的锁 {self.lock} | {en} is no longer running; took over "
            f"its lock {self.lock}", EvalToolsWarning, stacklevel=4)

    def acquire(self) -> None:
        if fcntl is None:  # pragma: no cover - Windows
            return self._acquire_excl()
        for _ in range(50):
            fd = os.open(self.lock, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise _refuse_busy(self.out_dir, self.lock, _holder_soon(self.lock)) from None
                raise
            try:  # the file we locked must still be the one at the path (not removed meanwhile)
                same = os.fstat(fd).st_ino == os.stat(self.lock).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            old = os.read(fd, 4096)
            if old.strip():
                with contextlib.suppress(ValueError):
                    holder = json.loads(old)
                    if isinstance(holder, dict) and holder.get("pid") != os.getpid():
                        self._note_stale(holder)
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            os.write(fd, self._stamp())
            os.fsync(fd)
            self.fd = fd
            return None
        raise _refuse_busy(self.out_dir, self.lock, _read_holder(self.lock))  # pragma: no cover

    def _acquire_excl(self) -> None:  # pragma: no cover - exercised on Windows only
        for _ in range(2):
            try:
                fd = os.open(self.lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                holder = _read_holder(self.lock)
                if holder.get("host") == socket.gethostname() and not _pid_alive(
                        int(holder.get("pid", 0) or 0)):
                    self._note_stale(holder)
                    self.lock.unlink(missing_ok=True)
                    continue
                raise _refuse_busy(self.out_dir, self.lock, holder) from None
            os.write(fd, self._stamp())
            os.close(fd)
            return
        raise _refuse_busy(self.out_dir, self.lock, _read_holder(self.lock))

    def release(self) -> None:
        if fcntl is None:  # pragma: no cover - Windows
            self.lock.unlink(missing_ok=True)
            return
        if self.fd >= 0:
            self.lock.unlink(missing_ok=True)  # while still holding it: see acquire
            os.close(self.fd)
            self.fd = -1


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two folders (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):  # pragma: no cover - old glibc / musl
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):  # pragma: no cover
        return False
    raise OSError(err, os.strerror(err), str(a), None, str(b))  # pragma: no cover


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _fsync_tree(folder: Path) -> None:
    for p in folder.rglob("*"):
        if p.is_file() and not p.is_symlink():
            fd = os.open(p, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    _fsync_dir(folder)


def _recover(out_dir: Path) -> None:
    """Clean what an interrupted run left (under the lock, so no other run is using it)."""
    parent, prefix = out_dir.parent, f".{out_dir.name}"
    olds = sorted(parent.glob(f"{prefix}{_OLD}*"))
    if not out_dir.exists() and olds:  # killed between the two renames (non-Linux fallback)
        os.replace(olds[-1], out_dir)
        olds = olds[:-1]
    for p in (*parent.glob(f"{prefix}{_STAGING}*"), *olds):
        _remove_tree(p)


def publish_set(out_dir: str | os.PathLike[str], write: Callable[[Path], None], *,
                inputs: Iterable[str | os.PathLike[str]],
                replace_unmanaged: bool = False) -> dict[str, Any]:
    """Write a whole set of files into ``out_dir`` as one set, under a lock.

    1. ``out_dir`` is checked with :func:`check_output_path` (never an input, never a symlink).
    2. A lock next to it (``.<name>.lock``, holding pid and host) is taken; if another run holds
       it, a :class:`UsageError` (``output_locked``) names the folder and the holder and nothing
       is written. A lock left by a run that died is taken over with an
       :class:`EvalToolsWarning`, and its leftover staging folder is removed.
    3. ``write(staging)`` writes the files into a fresh sibling folder
       ``.<name>.staging-<random>``; then ``SHA256SUMS`` lists every file with its SHA-256
       (sorted by name, no timestamp, so the bytes are deterministic; ``sha256sum -c SHA256SUMS``
       checks it) and everything is ``fsync``-ed.
    4. The staging folder is swapped into place: on Linux by one atomic exchange
       (``renameat2(RENAME_EXCHANGE)``); elsewhere by renaming the old folder aside and the new
       one in (if killed between the two, the next run puts the old set back). The old set is
       then removed.

    If ``write`` raises, the staging folder is removed, ``out_dir`` is untouched and the error
    propagates. After ``kill -9`` at any moment, ``out_dir`` is the old complete set or the new
    one, never a mix.

    Parameters
    ----------
    out_dir : the folder to publish (created if absent).
    write : called once with the staging folder; writes the set's files into it (sub-folders
        allowed). It must not write ``SHA256SUMS``.
    inputs : the input files and folders, protected as in :func:`check_output_path`.
    replace_unmanaged : replace an existing non-empty ``out_dir`` that has no ``SHA256SUMS``
        written by :func:`publish_set` (its first line :data:`MANIFEST_HEAD`). Default False: such a folder is refused, because
        replacing it would delete whatever else the user keeps there.

    Returns
    -------
    dict
        The manifest written.
    """
    inputs = tuple(inputs)
    paths = (_input_key(inputs), _input_paths(inputs))  # walked once for the set and its writers
    walked = _WALKED.set(paths)
    try:
        out_dir = check_output_path(out_dir, inputs=inputs)
    finally:
        _WALKED.reset(walked)
    if out_dir.exists() and not out_dir.is_dir():
        raise _usage("output_not_folder", str(out_dir),
                     f"输出路径 {out_dir} 已存在且不是文件夹", f"the output path {out_dir} exists "
                     "and is not a folder", "请指定一个文件夹", "give a folder")
    parent = out_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    lock = _Lock(parent / f".{out_dir.name}.lock", out_dir)
    lock.acquire()
    staging: Path | None = None
    try:
        _recover(out_dir)
        if (out_dir.is_dir() and not replace_unmanaged and not _is_published(out_dir)
                and any(out_dir.iterdir())):
            raise _usage(
                "output_unmanaged", str(out_dir),
                f"文件夹 {out_dir} 已存在、不是空的，且不是 evaltools 发布的（没有 {MANIFEST}）；"
                "整体替换会删除其中的其他文件",
                f"the folder {out_dir} exists, is not empty and was not published by evaltools "
                f"(no {MANIFEST}); replacing it as a set would delete the other files in it",
                "请指定一个新的或空的文件夹", "give a new or empty folder")
        staging = parent / f".{out_dir.name}{_STAGING}{secrets.token_hex(4)}"
        staging.mkdir()
        walked = _WALKED.set(paths)
        try:
            write(staging)
        finally:
            _WALKED.reset(walked)
        if (staging / MANIFEST).exists():
            raise _usage("manifest_reserved", MANIFEST,
                         f"{MANIFEST} 由 publish_set 生成，写出函数不能自己写它",
                         f"{MANIFEST} is written by publish_set; the write callback must not "
                         "write it")
        manifest = _manifest(staging)
        atomic_write_bytes(staging / MANIFEST, _manifest_bytes(manifest))
        _fsync_tree(staging)
        if not out_dir.exists():
            os.rename(staging, out_dir)
        elif _exchange(staging, out_dir):
            pass  # staging now holds the old set
        else:  # pragma: no cover - non-Linux
            old = parent / f".{out_dir.name}{_OLD}{secrets.token_hex(4)}"
            os.rename(out_dir, old)
            os.rename(staging, out_dir)
            staging = old
        _fsync_dir(parent)
        if staging.exists():
            _remove_tree(staging)
        staging = None
        return manifest
    finally:
        if staging is not None:
            _remove_tree(staging)
        lock.release()
