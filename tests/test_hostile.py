"""Issue 18, "done when": hostile bytes, cells and paths driven through ``validate``, ``evaluate``
and ``publish`` (in-process, ``evaltools.cli.main``). Whatever the input:

* no traceback: the exit status is 0, 1 or 2, nothing escapes ``main`` and no "Traceback" is
  printed;
* nothing is written outside ``--out`` (the whole temporary tree is snapshotted: names, kinds,
  link targets, hashes);
* the inputs are unchanged (they are part of that snapshot);
* rows are accounted for: every "读取 N 行，接受 A，拒绝 R" line of ``validate`` has A + R = N.

Deterministic (``derandomize=True``) with a fixed number of examples, about a minute.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import tempfile
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from evaltools.cli import main

RUBRIC = """\
[competition]
name = "小区楼栋评比"
unit = "楼栋"
organiser = "街道办"
method = "points"
total_points = 100

[judges]
aggregate = "mean"
min_judges = 1

[missing]
policy = "zero"

[[criteria]]
id = "clean"
name = "环境卫生"
max_points = 60
scale = [0, 10]

[[criteria]]
id = "tidy"
name = "楼道整洁"
max_points = 40
scale = [0, 10]
"""

UNITS = pl.DataFrame({"unit_id": ["A1", "A2", "A3", "A4"],
                      "name": ["一号楼", "二号楼", "三号楼", "四号楼"],
                      "street": ["东街道", "东街道", "西街道", "西街道"],
                      "community": ["甲社区", "甲社区", "乙社区", "乙社区"],
                      "courtyard": ["甲院", "甲院", "乙院", "乙院"]})
SCORES = pl.DataFrame({
    "round": [1] * 16,
    "unit_id": [u for u in ("A1", "A2", "A3", "A4") for _ in range(4)],
    "judge_id": ["J1", "J1", "J2", "J2"] * 4,
    "criterion": ["clean", "tidy"] * 8,
    "score": [8.0, 7.5, 9.0, 6.0, 5.5, 7.0, 6.5, 8.0, 9.5, 9.0, 8.5, 9.5, 4.0, 5.0, 6.0, 3.5]})

#: cells people (and attackers) put in spreadsheets
HOSTILE_CELLS = st.one_of(
    st.sampled_from([
        "", " ", "1e19", "10000000000000000000", "-1e308", "1e308", "inf", "-inf", "NaN", "nan",
        "=cmd|' /C calc'!A0", "=HYPERLINK(\"http://x\")", "@SUM(A1)", "+1", "-1",
        "13812345678", "410102199001011234", "\x1b[2J\x1b]0;x\x07", "三号楼\u202egnp.exe",
        "A1\u200b", "ＡＡ１", "\ufeffA1", "A1\r\nA2", '"', "'", ",", "\t", "\x00", "😀",
        "<script>alert(1)</script>", "../../etc/passwd", "http://127.0.0.1:9/a.png",
        "x" * 300, "9" * 400, "A1", "clean", "tidy", "J1", "1", "0", "10", "11", "-0.0",
    ]),
    st.text(alphabet=st.sampled_from(list("A1J0.-e9楼 \x1b\u202e\u200b\r\n\",=")), max_size=12),
)

#: what may be done to the folder
MUTATIONS = st.one_of(
    st.tuples(st.just("cell"), st.sampled_from(["units", "scores"]), st.integers(0, 15),
              st.integers(0, 4), HOSTILE_CELLS),
    st.tuples(st.just("bytes"), st.sampled_from(["units.csv", "scores.csv", "rubric.toml"]),
              st.integers(0, 400), st.binary(min_size=1, max_size=24)),
    st.tuples(st.just("truncate"), st.sampled_from(["units.csv", "scores.csv", "rubric.toml"]),
              st.integers(0, 300)),
    st.tuples(st.just("path"), st.sampled_from([
        "dangling_symlink", "symlink_out", "dir_named_csv", "empty_csv", "weird_name",
        "symlink_loop", "header_only"])),
)

OUTS = st.sampled_from(["fresh", "fresh", "fresh", "fresh", "inside_data", "onto_input",
                        "symlink", "parent_dots", "existing_dir"])


def _write_base(data: Path) -> None:
    data.mkdir()
    (data / "rubric.toml").write_text(RUBRIC, encoding="utf-8")
    UNITS.write_csv(data / "units.csv")
    SCORES.write_csv(data / "scores.csv")


def _mutate(data: Path, root: Path, m: tuple) -> None:
    kind = m[0]
    if kind == "cell":
        _, table, row, col, value = m
        frame = (UNITS if table == "units" else SCORES).cast(pl.String)
        row, col = row % frame.height, col % frame.width
        name = frame.columns[col]
        frame = frame.with_columns(
            pl.when(pl.int_range(pl.len()) == row).then(pl.lit(value)).otherwise(pl.col(name))
            .alias(name))
        frame.write_csv(data / f"{table}.csv")
    elif kind == "bytes":
        _, name, at, blob = m
        raw = (data / name).read_bytes()
        at = at % (len(raw) + 1)
        (data / name).write_bytes(raw[:at] + blob + raw[at:])
    elif kind == "truncate":
        _, name, at = m
        raw = (data / name).read_bytes()
        (data / name).write_bytes(raw[: at % (len(raw) + 1)])
    else:
        what = m[1]
        if what == "dangling_symlink":
            (data / "judges.csv").symlink_to(data / "missing.csv")
        elif what == "symlink_out":
            (root / "outside.csv").write_text("judge_id,name\nJ1,张三\n", encoding="utf-8")
            (data / "judges.csv").symlink_to(root / "outside.csv")
        elif what == "dir_named_csv":
            (data / "ratings.csv").mkdir()
        elif what == "empty_csv":
            (data / "deductions.csv").write_bytes(b"")
        elif what == "weird_name":
            (data / "\x1b[31m评分\u202e.csv").write_text("a,b\n1,2\n", encoding="utf-8")
        elif what == "symlink_loop":
            (data / "votes.csv").symlink_to(data / "votes.csv")
        elif what == "header_only":
            (data / "scores.csv").write_text("round,unit_id,judge_id,criterion,score\n",
                                             encoding="utf-8")


def _out_path(root: Path, data: Path, how: str, command: str) -> Path:
    name = "榜单.csv" if command == "evaluate" else "公示"
    if how == "inside_data":
        return data / name
    if how == "onto_input":
        return data / "scores.csv" if command == "evaluate" else data
    if how == "symlink":
        link = root / name
        link.symlink_to(data / "units.csv")
        return link
    if how == "parent_dots":
        return data / ".." / "data" / name
    if how == "existing_dir" and command == "publish":
        (root / name).mkdir()
        (root / name / "mine.txt").write_text("用户自己的文件", encoding="utf-8")
        return root / name
    return root / "out" / name


def _snapshot(root: Path, skip: Path | None) -> dict[str, tuple]:
    """Every entry under ``root`` (not following links): kind and content hash or link target;
    ``skip`` (the --out target, resolved) and what is below it are left out."""
    seen: dict[str, tuple] = {}
    skip_s = str(skip) if skip is not None else None
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in [*dirnames, *filenames]:
            p = Path(dirpath) / name
            s = str(p)
            if skip_s and (s == skip_s or s.startswith(skip_s + os.sep)):
                continue
            rel = os.path.relpath(p, root)
            if p.is_symlink():
                seen[rel] = ("link", os.readlink(p))
            elif p.is_dir():
                seen[rel] = ("dir",)
            else:
                seen[rel] = ("file", hashlib.sha256(p.read_bytes()).hexdigest())
    return seen


def _run(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)  # an exception escaping here fails the test: that is a traceback
    return code, out.getvalue() + err.getvalue()


def test_the_unmutated_folder_is_clean_for_every_command(tmp_path):
    """Without a mutation every command succeeds, so the property test below starts from a
    folder that works (else it would only ever see exit 1)."""
    data = tmp_path / "data"
    _write_base(data)
    code, text = _run(["validate", str(data)])
    assert code == 0 and "units.csv: 读取 4 行，接受 4，拒绝 0" in text, text
    code, text = _run(["evaluate", str(data), "--out", str(tmp_path / "榜单.csv")])
    assert code == 0 and (tmp_path / "榜单.csv").exists(), text
    code, text = _run(["publish", str(data), "--out", str(tmp_path / "公示"), "--top", "3"])
    assert code == 0 and (tmp_path / "公示" / "榜单公示.html").exists(), text


@settings(max_examples=60, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(command=st.sampled_from(["validate", "evaluate", "publish"]),
       mutations=st.lists(MUTATIONS, min_size=0, max_size=2), out_how=OUTS)
def test_hostile_inputs_never_crash_write_outside_out_or_change_inputs(command, mutations,
                                                                       out_how):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = root / "data"
        _write_base(data)
        for m in mutations:
            try:
                _mutate(data, root, m)
            except FileExistsError:  # two path mutations on the same name: keep the first
                pass
        argv = [command, str(data)]
        out = None
        if command == "validate":
            argv.append("--lenient")
        else:
            out = _out_path(root, data, out_how, command)
            argv += ["--out", str(out)]
        if command == "publish":
            argv += ["--top", "3"]
        # what is written may only be --out itself (as given and as resolved)
        target = Path(os.path.abspath(out)) if out is not None else None
        before = _snapshot(root, target)
        code, text = _run(argv)
        event(f"{command} → exit {code}")
        assert code in (0, 1, 2), (code, text)
        assert "Traceback" not in text, text
        after = _snapshot(root, target)
        if target is not None and target.resolve() != target:
            after = {k: v for k, v in after.items()
                     if not str(root / k).startswith(str(target.resolve()))}
            before = {k: v for k, v in before.items()
                      if not str(root / k).startswith(str(target.resolve()))}
        if target is not None:  # the folders --out needs may be created
            after = {k: v for k, v in after.items()
                     if k in before or not (v == ("dir",) and target.is_relative_to(root / k))}
        assert after == before, (sorted(set(after.items()) ^ set(before.items())), text)
        if command == "validate":
            counts = re.findall(r"读取 (\d+) 行，接受 (\d+)，拒绝 (\d+)", text)
            for n, a, r in counts:
                assert int(a) + int(r) == int(n), text
        if code == 0 and command != "validate":
            assert out is not None and out.exists()
