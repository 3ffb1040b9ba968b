"""Output layer (evaltools.writing): never onto an input, atomic files, sets published as one set
under a lock — including real concurrent processes and ``kill -9`` mid-write (issue 18, items 1-2).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import pytest

from evaltools import writing
from evaltools.errors import EvalToolsWarning, UsageError
from evaltools.writing import (
    MANIFEST,
    MANIFEST_HEAD,
    atomic_open,
    atomic_write_bytes,
    check_output_path,
    publish_set,
    read_manifest,
    verify_set,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    (d / "units.csv").write_text("单位编号,名称\nJY001,一号院\n", encoding="utf-8")
    (d / "scores.csv").write_text("轮次,楼栋编号,评委,指标,得分\n1,JY001,J1,a,9\n",
                                  encoding="utf-8")
    (d / "rubric.toml").write_text("[competition]\nname = 'x'\n", encoding="utf-8")
    (d / "photos").mkdir()
    (d / "photos" / "a.jpg").write_bytes(b"\xff\xd8jpeg")
    return d


def _hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# -------------------------------------------------------------------------- check_output_path


def test_a_new_path_outside_the_dataset_is_fine(dataset, tmp_path):
    out = tmp_path / "结果" / "榜单.csv"
    assert check_output_path(out, inputs=[dataset]) == out.resolve()


@pytest.mark.parametrize("name", ["scores.csv", "units.csv", "rubric.toml", "photos/a.jpg"])
def test_out_onto_a_dataset_file_is_refused_naming_both_paths(dataset, name):
    before = _hashes(dataset)
    with pytest.raises(UsageError) as e:
        check_output_path(dataset / name, inputs=[dataset])
    (p,) = e.value.problems
    assert p.rule == "output_is_input"
    assert str(dataset / name) in p.zh and str(dataset / name) in p.en  # the out path and input
    assert "输入" in p.zh and "input" in p.en
    assert _hashes(dataset) == before


def test_rubric_and_raw_files_outside_the_folder_are_protected(dataset, tmp_path):
    rubric = tmp_path / "细则.toml"
    rubric.write_text("x", encoding="utf-8")
    with pytest.raises(UsageError) as e:
        check_output_path(tmp_path / "." / "细则.toml", inputs=[dataset, rubric])
    assert e.value.problems[0].rule == "output_is_input"


def test_out_that_is_a_symlink_to_an_input_is_refused(dataset, tmp_path):
    (tmp_path / "out").mkdir()
    link = tmp_path / "out" / "榜单.csv"
    link.symlink_to(Path("..") / "in" / "units.csv")  # 榜单.csv -> ../in/units.csv
    before = _hashes(dataset)
    with pytest.raises(UsageError) as e:
        check_output_path(link, inputs=[dataset])
    assert e.value.problems[0].rule == "output_is_symlink"
    assert str(link) in str(e.value) and "units.csv" in str(e.value)
    assert _hashes(dataset) == before


def test_out_that_is_any_symlink_is_refused_even_dangling(dataset, tmp_path):
    link = tmp_path / "x.csv"
    link.symlink_to(tmp_path / "nowhere.csv")
    with pytest.raises(UsageError) as e:
        check_output_path(link, inputs=[dataset])
    assert e.value.problems[0].rule == "output_is_symlink"


def test_out_whose_parent_resolves_into_the_dataset_is_refused(dataset, tmp_path):
    (tmp_path / "results").symlink_to(dataset, target_is_directory=True)
    with pytest.raises(UsageError) as e:
        check_output_path(tmp_path / "results" / "scores.csv", inputs=[dataset])
    assert e.value.problems[0].rule == "output_is_input"
    assert str(dataset / "scores.csv") in str(e.value)  # the real path, not only the typed one
    # '..' tricks resolve the same way
    with pytest.raises(UsageError):
        check_output_path(tmp_path / "results" / ".." / "in" / "scores.csv", inputs=[dataset])


def test_hard_link_to_an_input_is_refused(dataset, tmp_path):
    os.link(dataset / "scores.csv", tmp_path / "copy.csv")
    with pytest.raises(UsageError) as e:
        check_output_path(tmp_path / "copy.csv", inputs=[dataset])
    assert e.value.problems[0].rule == "output_is_input" and "scores.csv" in str(e.value)


@pytest.mark.parametrize("which", ["itself", "parent", "subfolder"])
def test_out_folder_holding_inputs_is_refused(dataset, which):
    out = {"itself": dataset, "parent": dataset.parent, "subfolder": dataset / "photos"}[which]
    with pytest.raises(UsageError) as e:
        check_output_path(out, inputs=[dataset])
    assert e.value.problems[0].rule == "output_is_input"


# -------------------------------------------------------------------------- atomic writes


def test_atomic_write_replaces_whole_file(tmp_path):
    p = tmp_path / "榜单.csv"
    atomic_write_bytes(p, b"old")
    atomic_write_bytes(p, b"new content")
    assert p.read_bytes() == b"new content"
    assert [x.name for x in tmp_path.iterdir()] == ["榜单.csv"]


def test_exception_mid_write_keeps_old_file_and_leaves_no_temp(tmp_path):
    p = tmp_path / "榜单.xlsx"
    p.write_bytes(b"complete old workbook")
    with pytest.raises(RuntimeError, match="disk full"), atomic_open(p, "wb") as f:
        f.write(b"half of the new")
        raise RuntimeError("disk full")
    assert p.read_bytes() == b"complete old workbook"
    assert [x.name for x in tmp_path.iterdir()] == ["榜单.xlsx"]


def test_atomic_write_onto_a_symlink_replaces_the_link_not_its_target(dataset, tmp_path):
    link = tmp_path / "榜单.csv"
    link.symlink_to(dataset / "units.csv")
    before = _hashes(dataset)
    atomic_write_bytes(link, b"leaderboard")
    assert not link.is_symlink() and link.read_bytes() == b"leaderboard"
    assert _hashes(dataset) == before


def test_atomic_open_text_mode_and_bad_mode(tmp_path):
    p = tmp_path / "a.csv"
    with atomic_open(p, "w", encoding="utf-8-sig", newline="") as f:
        f.write("名称\r\n")
    assert p.read_bytes() == "\ufeff名称\r\n".encode()
    with pytest.raises(UsageError):
        with atomic_open(p, "a"):
            pass


# -------------------------------------------------------------------------- publish_set


def _writer(label: str, n: int = 3):
    def write(folder: Path) -> None:
        for i in range(n):
            (folder / f"f{i}.txt").write_text(f"{label}-{i}", encoding="utf-8")
        (folder / "charts").mkdir()
        (folder / "charts" / "c.svg").write_text(f"<svg>{label}</svg>", encoding="utf-8")
    return write


def _labels(folder: Path) -> set[str]:
    return {p.read_text(encoding="utf-8").split("-")[0].removeprefix("<svg>").removesuffix(
        "</svg>") for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST}


def test_writers_inside_publish_set_reuse_one_walk_and_still_refuse_inputs(dataset, tmp_path,
                                                                          monkeypatch):
    """publish_set walks the inputs once for all its writers' check_output_path (issue 17);
    an input is still refused from inside the set, and the next call walks again."""
    walks = []
    real = writing.os.walk
    monkeypatch.setattr(writing.os, "walk", lambda *a, **k: (walks.append(a[0]), real(*a, **k))[1])
    seen = {}

    def write(folder: Path) -> None:
        for name in ("a.html", "b.xlsx", "c.csv"):
            (check_output_path(folder / name, inputs=[dataset])).write_text(name)
        with pytest.raises(UsageError) as e:
            check_output_path(dataset / "units.csv", inputs=[dataset])
        seen["rule"] = e.value.problems[0].rule
        with pytest.raises(UsageError):  # a folder holding an input
            check_output_path(dataset / "photos", inputs=[dataset])
        check_output_path(folder / "d.txt", inputs=[tmp_path / "elsewhere"])  # other inputs

    publish_set(tmp_path / "site", write, inputs=[dataset])
    assert seen["rule"] == "output_is_input"
    assert walks.count(dataset.resolve()) == 1
    check_output_path(tmp_path / "x.csv", inputs=[dataset])
    assert walks.count(dataset.resolve()) == 2


def test_publish_set_writes_manifest_and_swaps(dataset, tmp_path):
    out = tmp_path / "site"
    before = _hashes(dataset)
    m1 = publish_set(out, _writer("A"), inputs=[dataset])
    assert [f["name"] for f in m1["files"]] == ["charts/c.svg", "f0.txt", "f1.txt", "f2.txt"]
    assert verify_set(out) == [] and _labels(out) == {"A"}
    publish_set(out, _writer("B", n=2), inputs=[dataset])
    assert verify_set(out) == [] and _labels(out) == {"B"}
    assert not (out / "f2.txt").exists()  # the old set is gone as a whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "site"]  # no staging, no lock
    assert _hashes(dataset) == before


def test_manifest_bytes_are_deterministic(dataset, tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    publish_set(tmp_path / "a", _writer("A"), inputs=[dataset])
    publish_set(tmp_path / "b", _writer("A"), inputs=[dataset])
    a, b = (tmp_path / "a" / MANIFEST).read_bytes(), (tmp_path / "b" / MANIFEST).read_bytes()
    assert a == b
    lines = a.decode("utf-8").splitlines()
    assert lines[0] == MANIFEST_HEAD and lines[1:] == sorted(lines[1:], key=lambda x: x[66:])
    assert f"{hashlib.sha256(b'A-0').hexdigest()}  f0.txt" in lines
    data = read_manifest(tmp_path / "a")
    assert data["generator"] == "evaltools"
    assert {"name": "f0.txt", "sha256": hashlib.sha256(b"A-0").hexdigest()} in data["files"]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    publish_set(tmp_path / "c", _writer("A"), inputs=[dataset])
    assert (tmp_path / "c" / MANIFEST).read_bytes() == a  # no time in it
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(UsageError, match="SOURCE_DATE_EPOCH"):
        publish_set(tmp_path / "d", _writer("A"), inputs=[dataset])
    assert not (tmp_path / "d").exists()


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="GNU coreutils' sha256sum")
def test_sha256sum_checks_a_published_set(dataset, tmp_path):
    out = tmp_path / "site"
    publish_set(out, _writer("A"), inputs=[dataset])
    done = subprocess.run(["sha256sum", "-c", "--strict", MANIFEST], cwd=out,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    (out / "f1.txt").write_text("B-1", encoding="utf-8")
    assert subprocess.run(["sha256sum", "-c", MANIFEST], cwd=out,
                          capture_output=True).returncode == 1


def test_a_folder_with_someone_elses_sha256sums_is_not_replaced(dataset, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.docx").write_bytes(b"precious")
    digest = hashlib.sha256(b"precious").hexdigest()
    (mine / MANIFEST).write_text(f"{digest}  notes.docx\n", encoding="utf-8")
    with pytest.raises(UsageError) as e:
        publish_set(mine, _writer("A"), inputs=[dataset])
    assert e.value.problems[0].rule == "output_unmanaged"
    assert (mine / "notes.docx").read_bytes() == b"precious"


def test_a_set_published_by_an_earlier_version_can_be_republished(dataset, tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    (old / "榜单.csv").write_text("x", encoding="utf-8")
    (old / "manifest.json").write_text(json.dumps({"generator": "evaltools", "files": []}),
                                       encoding="utf-8")
    publish_set(old, _writer("A"), inputs=[dataset])
    assert _labels(old) == {"A"} and verify_set(old) == []


def test_write_error_leaves_old_set_and_no_staging(dataset, tmp_path):
    out = tmp_path / "site"
    publish_set(out, _writer("A"), inputs=[dataset])

    def broken(folder: Path) -> None:
        (folder / "f0.txt").write_text("B-0", encoding="utf-8")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        publish_set(out, broken, inputs=[dataset])
    assert verify_set(out) == [] and _labels(out) == {"A"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "site"]


def test_publish_set_refuses_inputs_unmanaged_folders_and_manifest_writes(dataset, tmp_path):
    before = _hashes(dataset)
    with pytest.raises(UsageError) as e:
        publish_set(dataset, _writer("A"), inputs=[dataset])
    assert e.value.problems[0].rule == "output_is_input"
    mine = tmp_path / "我的文档"
    mine.mkdir()
    (mine / "notes.docx").write_bytes(b"precious")
    with pytest.raises(UsageError) as e:
        publish_set(mine, _writer("A"), inputs=[dataset])
    assert e.value.problems[0].rule == "output_unmanaged" and str(mine) in str(e.value)
    assert (mine / "notes.docx").read_bytes() == b"precious"
    publish_set(mine, _writer("A"), inputs=[dataset], replace_unmanaged=True)
    assert verify_set(mine) == []

    def sneaky(folder: Path) -> None:
        (folder / MANIFEST).write_text("", encoding="utf-8")

    with pytest.raises(UsageError, match=MANIFEST):
        publish_set(tmp_path / "s", sneaky, inputs=[dataset])
    assert _hashes(dataset) == before


def test_a_published_set_inside_the_dataset_can_be_republished(dataset):
    out = dataset / "site"
    publish_set(out, _writer("A"), inputs=[dataset])
    publish_set(out, _writer("B"), inputs=[dataset])  # not mistaken for input files
    assert _labels(out) == {"B"}
    with pytest.raises(UsageError):
        publish_set(dataset / "photos", _writer("A"), inputs=[dataset])


def test_verify_set_sees_tampering(dataset, tmp_path):
    out = tmp_path / "site"
    publish_set(out, _writer("A"), inputs=[dataset])
    (out / "f1.txt").write_text("B-1", encoding="utf-8")
    (out / "extra.txt").write_text("x", encoding="utf-8")
    (out / "f2.txt").unlink()
    problems = verify_set(out)
    assert any(p.startswith("f1.txt") for p in problems)
    assert any(p.startswith("f2.txt: missing") for p in problems)
    assert any(p.startswith("extra.txt") for p in problems)
    assert read_manifest(tmp_path) is None


# -------------------------------------------------------------------------- real processes

CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from evaltools import writing
    from evaltools.errors import UsageError
    out, label, n, delay, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
    flag = Path(out).parent / ("started-" + label)

    def write(folder):
        flag.write_text("x")
        for i in range(n):
            (folder / f"f{i}.txt").write_text(f"{label}-{i}", encoding="utf-8")
            time.sleep(delay)

    if mode == "pause_after_swap":  # hold the new set in place and the old one aside
        real = writing._remove_tree
        def slow(path):
            (Path(out).parent / ("swapped-" + label)).write_text("x")
            time.sleep(60)
            real(path)
        writing._remove_tree = slow
    try:
        writing.publish_set(out, write, inputs=[sys.argv[6]])
    except UsageError as e:
        print(e.problems[0].rule, file=sys.stderr)
        print(str(e), file=sys.stderr)
        sys.exit(3)
""")


def _spawn(out: Path, label: str, dataset: Path, *, n: int = 5, delay: float = 0.05,
           mode: str = "normal") -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(out), label, str(n), str(delay), mode, str(dataset)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 8.0) -> None:
    end = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"child exited early: {proc.communicate()}")
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {path}")
        time.sleep(0.01)


def _staging(out: Path) -> list[Path]:
    return sorted(out.parent.glob(f".{out.name}.staging-*"))


def test_two_concurrent_publishes_never_mix(dataset, tmp_path):
    out = tmp_path / "site"
    publish_set(out, _writer("OLD"), inputs=[dataset])
    a = _spawn(out, "A", dataset, n=6, delay=0.05)
    b = _spawn(out, "B", dataset, n=6, delay=0.05)
    (_, ea), (_, eb) = a.communicate(timeout=30), b.communicate(timeout=30)
    codes = sorted([a.returncode, b.returncode])
    assert codes in ([0, 0], [0, 3]), (ea, eb)
    for code, err in ((a.returncode, ea), (b.returncode, eb)):
        if code == 3:  # refused: names the folder and the holder
            assert "output_locked" in err and str(out) in err and "pid" in err
    assert verify_set(out) == []
    labels = _labels(out)
    assert labels in ({"A"}, {"B"})
    assert len(list(out.glob("f*.txt"))) == 6
    assert not _staging(out)


def test_second_run_is_refused_while_the_first_holds_the_folder(dataset, tmp_path):
    out = tmp_path / "site"
    a = _spawn(out, "A", dataset, n=12, delay=0.1)  # 1.2 s of writing: margin under load
    try:
        _wait_for(tmp_path / "started-A", a)
        with pytest.raises(UsageError) as e:
            publish_set(out, _writer("B"), inputs=[dataset])
        (p,) = e.value.problems
        assert p.rule == "output_locked"
        assert str(out) in p.zh and str(out) in p.en
        assert f"pid {a.pid}" in p.en and f"进程 {a.pid}" in p.zh
    finally:
        a.communicate(timeout=30)
    assert a.returncode == 0 and _labels(out) == {"A"} and verify_set(out) == []


def test_kill_9_mid_write_leaves_the_old_complete_set(dataset, tmp_path):
    out = tmp_path / "site"
    publish_set(out, _writer("OLD"), inputs=[dataset])
    old = _hashes(out)
    child = _spawn(out, "NEW", dataset, n=40, delay=0.05)
    _wait_for(tmp_path / "started-NEW", child)
    end = time.monotonic() + 8
    while not any(len(list(s.glob("f*.txt"))) >= 3 for s in _staging(out)):
        assert time.monotonic() < end
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=10)
    assert child.returncode == -signal.SIGKILL
    assert _hashes(out) == old and verify_set(out) == []  # the old set, whole
    assert _staging(out)  # the half-written new set is left aside …
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        publish_set(out, _writer("NEXT"), inputs=[dataset])
    # … and cleaned by the next run, which notes that it took over the dead run's lock
    assert not _staging(out)
    assert any(issubclass(w.category, EvalToolsWarning) and str(child.pid) in str(w.message)
               for w in rec)
    assert _labels(out) == {"NEXT"} and verify_set(out) == []
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_kill_9_right_after_the_swap_leaves_the_new_complete_set(dataset, tmp_path):
    out = tmp_path / "site"
    publish_set(out, _writer("OLD"), inputs=[dataset])
    child = _spawn(out, "NEW", dataset, n=4, delay=0.0, mode="pause_after_swap")
    _wait_for(tmp_path / "swapped-NEW", child)
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=10)
    assert _labels(out) == {"NEW"} and verify_set(out) == []  # the new set, whole
    leftover = _staging(out)
    assert leftover and _labels(leftover[0]) == {"OLD"}  # the old set, aside
    with pytest.warns(EvalToolsWarning, match=str(child.pid)):
        publish_set(out, _writer("NEXT"), inputs=[dataset])
    assert not _staging(out) and _labels(out) == {"NEXT"}


def test_lock_file_is_removed_and_stale_lock_taken_over(dataset, tmp_path):
    out = tmp_path / "site"
    lock = tmp_path / ".site.lock"
    lock.write_text(json.dumps({"pid": 999_999_999, "host": "elsewhere", "started": "then"}))
    with pytest.warns(EvalToolsWarning, match="999999999"):
        publish_set(out, _writer("A"), inputs=[dataset])
    assert not lock.exists()
    assert writing._pid_alive(os.getpid()) and not writing._pid_alive(999_999_999)
