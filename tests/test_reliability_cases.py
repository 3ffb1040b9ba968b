"""Issue 18, items 3, 8, 12, 13, 15 and 16: each hostile case with its exit code, its message and
the inputs unchanged (hashed before and after)."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import io
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from evaltools.cli import main
from evaltools.cli.common import terminal_safe
from evaltools.errors import EvalToolsWarning

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
PY = sys.executable


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def tree_hash(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


@pytest.fixture
def sample(tmp_path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    return data


def _drop_unit_scores(data: Path, unit: str) -> None:
    scores = pl.read_csv(data / "scores.csv", infer_schema_length=0)
    scores.filter(pl.col("楼栋编号") != unit).write_csv(data / "scores.csv")


def _policy(data: Path, policy: str) -> None:
    text = (data / "rubric.toml").read_text(encoding="utf-8")
    (data / "rubric.toml").write_text(text.replace('policy = "error"', f'policy = "{policy}"'),
                                      encoding="utf-8")


# ---------------------------------------------------------------- item 3: no unit vanishes


def test_unit_without_scores_fails_naming_it_under_policy_error(sample):
    _drop_unit_scores(sample, "JY002")
    before = tree_hash(sample)
    code, out, err = run(["evaluate", sample])
    assert code == 1
    assert "JY002" in out and "not_scored" not in out  # the message, not the rule code
    assert "没有任何评委评分" in out and "no judge score in round 6" in out
    assert "Traceback" not in out + err
    assert tree_hash(sample) == before


@pytest.mark.parametrize("policy", ["zero", "mean"])
def test_unit_without_scores_is_listed_not_scored_otherwise(sample, policy, tmp_path):
    from evaltools.dataset import read_dataset
    from evaltools.leaderboard import evaluate

    _drop_unit_scores(sample, "JY002")
    _policy(sample, policy)
    lb = evaluate(read_dataset(sample))
    assert lb.table.height == 60  # every unit of the units table
    row = lb.table.filter(pl.col("unit_id") == "JY002").row(0, named=True)
    assert row["rank"] is None and row["total"] is None
    assert row["rank_label"] == "未参评（缺评分）" and row["name"] == "三湾街20号楼"
    assert lb.table["rank_label"][-1] == "未参评（缺评分）"  # listed after the ranked units
    assert any("JY002" in n and "未参评" in n for n in lb.notes)
    ranked = lb.table.filter(pl.col("rank").is_not_null())
    assert ranked.height == 59 and ranked["rank"].min() == 1
    code, out, err = run(["publish", sample, "--out", tmp_path / "pub"])
    assert code == 0, out + err
    page = (tmp_path / "pub" / "榜单公示.html").read_text(encoding="utf-8")
    assert "未参评（缺评分）" in page and "三湾街20号楼" in page
    csv = (tmp_path / "pub" / "榜单.csv").read_text(encoding="utf-8-sig")
    assert "JY002" in csv


def test_unit_in_some_rounds_only_is_fine_for_the_overall_table(sample):
    """round=all: a unit scored in any round is on the board (its mean over its rounds)."""
    scores = pl.read_csv(sample / "scores.csv", infer_schema_length=0)
    scores.filter(~((pl.col("楼栋编号") == "JY002") & (pl.col("轮次") == "6"))).write_csv(
        sample / "scores.csv")
    code, out, _ = run(["evaluate", sample, "--round", "all"])
    assert code == 0, out
    code, out, _ = run(["evaluate", sample])  # round 6: JY002 has no score
    assert code == 1 and "JY002" in out


# ---------------------------------------------------------------- item 8: Parquet time zones


def test_time_zone_aware_parquet_is_shown_in_beijing_time(tmp_path):
    from evaltools.io import read_table

    votes = pl.read_csv(SAMPLE / "votes.csv").head(3).with_columns(
        voted_at=pl.Series([dt.datetime(2020, 5, 8, 2, 0, tzinfo=dt.UTC),
                            dt.datetime(2020, 5, 8, 23, 30, tzinfo=dt.UTC),
                            dt.datetime(2020, 5, 8, 12, 0, tzinfo=dt.UTC)]))
    f = tmp_path / "votes.parquet"
    votes.write_parquet(f)
    assert pl.read_parquet(f)["voted_at"].dtype.time_zone == "UTC"
    before = f.read_bytes()
    data, _ = read_table(f, "votes")
    assert data["voted_at"].to_list() == [dt.datetime(2020, 5, 8, 10, 0),
                                          dt.datetime(2020, 5, 9, 7, 30),
                                          dt.datetime(2020, 5, 8, 20, 0)]
    # a zone other than UTC: the same instant, the same Beijing wall-clock time
    votes.with_columns(pl.col("voted_at").dt.convert_time_zone("America/New_York")) \
        .write_parquet(tmp_path / "ny.parquet")
    ny, _ = read_table(tmp_path / "ny.parquet", "votes")
    assert ny["voted_at"].to_list() == data["voted_at"].to_list()
    assert f.read_bytes() == before


def test_naive_parquet_timestamps_are_unchanged(tmp_path):
    from evaltools.io import read_table

    votes = pl.read_csv(SAMPLE / "votes.csv", try_parse_dates=True).head(2)
    votes.write_parquet(tmp_path / "votes.parquet")
    data, _ = read_table(tmp_path / "votes.parquet", "votes")
    assert data["voted_at"].to_list() == votes["voted_at"].to_list()


# ---------------------------------------------------------------- item 16: crashes → messages


def test_integer_beyond_int64_is_a_message(sample):
    text = (sample / "scores.csv").read_text(encoding="utf-8").splitlines()
    text[1] = "10000000000000000000" + text[1][text[1].index(","):]
    text[2] = "1e19" + text[2][text[2].index(","):]
    (sample / "scores.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    before = tree_hash(sample)
    for cmd in ("validate", "evaluate"):
        code, out, err = run([cmd, sample])
        assert code == 1, (cmd, out, err)
        assert "Traceback" not in out + err and "polars" not in out + err
        assert "scores.csv 第2行 “轮次”列：值 “10000000000000000000” 不是整数" in out
        assert "第3行" in out and "1e19" in out
    assert tree_hash(sample) == before


@pytest.mark.parametrize("column", [
    pl.Series("得分", [[1.0, 2.0]] * 3),
    pl.Series("得分", [b"\x00\x01"] * 3, dtype=pl.Binary),
    pl.Series("得分", [{"a": 1}] * 3),
])
def test_parquet_list_binary_struct_columns_are_a_message(tmp_path, column):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(SAMPLE / "rubric.toml", data)
    shutil.copy(SAMPLE / "units.csv", data)
    pl.DataFrame({"轮次": [1, 1, 1], "楼栋编号": ["JY001"] * 3, "评委": ["J1", "J2", "J3"],
                  "指标": ["sanitation"] * 3}).with_columns(column).write_parquet(
        data / "scores.parquet")
    before = tree_hash(data)
    code, out, err = run(["validate", data])
    assert code == 1, out + err
    assert "scores.parquet" in out and "“得分”" in out and "列表、结构或二进制" in out
    assert "Traceback" not in out + err
    assert tree_hash(data) == before


def test_cr_only_line_ends_are_read(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    raw = (SAMPLE / "units.csv").read_bytes()
    (data / "units.csv").write_bytes(raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r"))
    before = tree_hash(data)
    code, out, err = run(["validate", data])
    assert code == 0, out + err
    assert "units.csv: 读取 60 行，接受 60，拒绝 0" in out
    assert tree_hash(data) == before


def test_dangling_symlink_in_the_data_folder_does_not_crash(sample):
    (sample / "old_scores.csv").symlink_to(sample / "nowhere.csv")
    before = tree_hash(sample)
    code, out, err = run(["validate", sample])
    assert code in (0, 1), out + err
    assert "Traceback" not in out + err
    assert "units.csv: 读取 60 行" in out  # the rest of the folder is read
    code, out, err = run(["evaluate", sample])
    assert code in (0, 1) and "Traceback" not in out + err
    assert tree_hash(sample) == before and (sample / "old_scores.csv").is_symlink()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_output_folder_is_a_message(sample, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        code, out, err = run(["evaluate", sample, "--out", ro / "榜单.csv"])
    finally:
        ro.chmod(0o755)
    assert code == 2 and "没有权限" in err and "Traceback" not in out + err


def test_read_only_file_system_is_a_message(sample, tmp_path, monkeypatch):
    """EROFS (a read-only mount; root ignores folder permissions, so it is simulated)."""
    real_open = os.open

    def refuse(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR) and str(tmp_path / "out") in str(path):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, flags, *args, **kwargs)

    before = tree_hash(sample)
    (tmp_path / "out").mkdir()
    monkeypatch.setattr(os, "open", refuse)
    code, out, err = run(["evaluate", sample, "--out", tmp_path / "out" / "榜单.csv"])
    monkeypatch.undo()
    assert code == 2, out + err
    assert "只读文件系统" in err and "read-only" in err and "Traceback" not in out + err
    assert list((tmp_path / "out").iterdir()) == []
    assert tree_hash(sample) == before


def test_full_disk_is_a_message_and_leaves_nothing(sample, tmp_path, monkeypatch):
    """ENOSPC reported when the file is synced (os.fsync mocked): exit 2, a message naming the
    output, no partial file, no temporary file."""
    out_dir = tmp_path / "out"
    out_dir.mkdir()

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    before = tree_hash(sample)
    for target in ("榜单.csv", "榜单.xlsx"):
        monkeypatch.setattr(os, "fsync", full)
        code, out, err = run(["evaluate", sample, "--out", out_dir / target])
        monkeypatch.undo()
        assert code == 2, out + err
        assert "磁盘已满" in err and "disk is full" in err and target in err
        assert "Traceback" not in out + err
        assert list(out_dir.iterdir()) == []
    assert tree_hash(sample) == before


@pytest.fixture
def tiny_disk(tmp_path):
    """A 64 KiB tmpfs (needs root and CAP_SYS_ADMIN; skipped elsewhere)."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    if shutil.which("mount") is None or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)],
            capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)


def test_a_really_full_disk_is_a_message(sample, tiny_disk):
    before = tree_hash(sample)
    code, out, err = run(["publish", sample, "--out", tiny_disk / "pub"])
    assert code == 2, out + err
    assert "磁盘已满" in err and "Traceback" not in out + err
    assert list(tiny_disk.iterdir()) == []  # no half set, no staging folder, no lock left
    code, out, err = run(["evaluate", sample, "--out", tiny_disk / "榜单.xlsx"])
    assert code == 2 and "磁盘已满" in err and list(tiny_disk.iterdir()) == []
    assert tree_hash(sample) == before


def test_too_long_output_name_is_a_message(sample, tmp_path):
    long = tmp_path / ("榜" * 90 + ".csv")  # 270 bytes in UTF-8
    assert len(long.name.encode()) > 255
    before = tree_hash(sample)
    code, out, err = run(["evaluate", sample, "--out", long])
    assert code == 2, out + err
    assert "文件名过长" in err and "255" in err and "Traceback" not in out + err
    code, out, err = run(["publish", sample, "--out", tmp_path / ("目" * 90)])
    assert code == 2 and "文件名过长" in err and "Traceback" not in out + err
    assert tree_hash(sample) == before


def _cli(args: list[str], env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess:
    full = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([PY, "-m", "evaltools.cli", *map(str, args)], env=full,
                          capture_output=True, timeout=300, **kw)


def test_gbk_console_prints_an_emoji_name(sample):
    units = pl.read_csv(sample / "units.csv", infer_schema_length=0)
    units.with_columns(pl.when(pl.col("unit_id") == "JY001").then(pl.lit("三湾街😀18号楼"))
                       .otherwise(pl.col("name")).alias("name")).write_csv(sample / "units.csv")
    before = tree_hash(sample)
    p = _cli(["evaluate", sample, "--top", "60"], env={"PYTHONIOENCODING": "gbk"})
    assert p.returncode == 0, p.stderr.decode("gbk", "replace")
    text = p.stdout.decode("gbk")
    assert "三湾街?18号楼" in text and b"Traceback" not in p.stderr
    assert tree_hash(sample) == before


def test_broken_pipe_exits_quietly(sample):
    """`evaltools … | head -1`: the reader leaves after one line; no traceback, exit 0."""
    scores = pl.read_csv(sample / "scores.csv", infer_schema_length=0)
    scores.with_columns(pl.lit("x").alias("得分")).write_csv(sample / "scores.csv")  # many problems
    proc = subprocess.Popen([PY, "-m", "evaltools.cli", "validate", str(sample), "--lenient"],
                            env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.readline()
    proc.stdout.close()  # like head -1
    err = proc.stderr.read()
    code = proc.wait(timeout=300)
    assert first
    assert b"Traceback" not in err and b"BrokenPipeError" not in err, err.decode()
    assert code == 0


def test_malformed_source_date_epoch_is_a_message(sample, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    before = tree_hash(sample)
    code, out, err = run(["publish", sample, "--out", tmp_path / "pub"])
    assert code == 2, out + err
    assert "SOURCE_DATE_EPOCH" in err and "yesterday" in err and "Traceback" not in out + err
    assert not (tmp_path / "pub").exists()
    assert tree_hash(sample) == before


@pytest.mark.parametrize("samples", ["1e8", "100000000"])
def test_robustness_samples_limit_is_checked_before_allocating(sample, samples):
    code, out, err = run(["robustness", sample, "--samples", samples])
    assert code == 2, out + err
    assert "--samples" in err and "Traceback" not in out + err
    if samples == "100000000":
        assert "100000" in err and "MAX_SAMPLES" in err and out == ""  # nothing read or drawn


def test_robustness_memory_limit_names_units_and_bytes():
    from evaltools.cli.robustness import check_samples
    from evaltools.errors import UsageError

    with pytest.raises(UsageError, match=r"6000 个单位 × 500000 组权重 × 8 字节 = 22\.4 GiB"):
        check_samples(50_000, 6000)
    check_samples(1000, 6000)  # 0.4 GiB: fine


# ---------------------------------------------------------------- item 12: terminal output


PAYLOADS = ["\x1b[2J\x1b[H清屏", "\x1b]0;标题\x07", "\x9b31m红", "回车\r覆盖", "退格\x08",
            "三号楼\u202egnp.exe", "\u2066隔离\u2069", "JY001\u200b", "\ufeffBOM", "删除\x7f"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_terminal_safe_leaves_no_control_character(payload):
    shown = terminal_safe(payload)
    assert not [c for c in shown if (ord(c) < 32 and c not in "\t\n") or 0x7f <= ord(c) < 0xa0
                or c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\ufeff"]
    assert "<U+" in shown


def test_validate_and_evaluate_print_cells_escaped(sample):
    units = pl.read_csv(sample / "units.csv", infer_schema_length=0)
    # (zero-width characters at a cell's ends are trimmed on reading; inside they stay)
    hostile = "\x1b[2J\x1b]0;pwn\x07三号\u200b楼\u202egnp.exe"
    units = units.with_columns(
        pl.when(pl.col("unit_id") == "JY001").then(pl.lit(hostile)).otherwise(pl.col("name"))
        .alias("name"),
        pl.when(pl.col("unit_id") == "JY002").then(pl.lit("\x1b[31m")).otherwise(
            pl.col("households")).alias("households"))
    units.write_csv(sample / "units.csv")
    before = tree_hash(sample)
    code, out, err = run(["validate", sample, "--lenient"])
    assert code == 1
    assert "\x1b" not in out + err and "<U+001B>[31m" in out
    units.with_columns(pl.col("households").str.replace("\x1b[31m", "54", literal=True)).write_csv(
        sample / "units.csv")
    before = tree_hash(sample)
    code, out, err = run(["evaluate", sample, "--top", "60"])
    text = out + err
    assert "\x1b" not in text and "\u202e" not in text and "\u200b" not in text and "\x07" not in text
    assert "<U+001B>[2J<U+001B>]0;pwn<U+0007>三号<U+200B>楼<U+202E>gnp.exe" in text
    assert tree_hash(sample) == before


# ---------------------------------------------------------------- item 13: no fetching


def test_photos_outside_the_folder_are_refused(tmp_path):
    from evaltools.campaign import photo_data_uris

    data = tmp_path / "data"
    data.mkdir()
    (data / "photos").mkdir()
    shutil.copy(SAMPLE / "photos" / sorted(os.listdir(SAMPLE / "photos"))[0],
                data / "photos" / "ok.png")
    secret = tmp_path / "secret.png"
    secret.write_bytes((data / "photos" / "ok.png").read_bytes())
    (data / "photos" / "link.png").symlink_to(secret)
    entries = pl.DataFrame({"photo": ["photos/ok.png", "http://127.0.0.1:9/a.png",
                                      "https://example.com/b.png", "//example.com/c.png",
                                      "../secret.png", str(secret), "photos/link.png",
                                      "file:///etc/passwd"]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = photo_data_uris(entries, data)
    uris = out["photo"].to_list()
    assert uris[0].startswith("data:image/png;base64,")
    assert uris[1:] == [None] * 7
    message = " ".join(str(w.message) for w in caught if issubclass(w.category, EvalToolsWarning))
    for refused in ("http://127.0.0.1:9/a.png", "../secret.png", "photos/link.png"):
        assert refused in message
    assert "网址" in message and "数据文件夹之外" in message and "绝对路径" in message


def test_chart_export_never_fetches_an_image_url(monkeypatch):
    """The exported spec has no http(s) image left (vl-convert would download it for a PNG),
    and url data is refused."""
    import altair as alt

    from evaltools import charts
    from evaltools.errors import UsageError

    seen = {}
    real = charts.vlc.vegalite_to_svg

    def spy(spec, **kw):
        seen["spec"], seen["kw"] = spec, kw
        return real(spec, **kw)

    monkeypatch.setattr(charts.vlc, "vegalite_to_svg", spy)
    df = pl.DataFrame({"u": ["http://127.0.0.1:9/a.png", "data:image/png;base64,AAAA"],
                       "x": [1, 2]})
    chart = alt.Chart(df).mark_image(width=10, height=10).encode(x="x:Q", url="u:N")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        charts.to_svg(chart)
    assert "http://127.0.0.1:9" not in str(seen["spec"]["datasets"])
    assert seen["kw"] == {"allowed_base_urls": []}
    assert any("1" in str(w.message) and issubclass(w.category, EvalToolsWarning)
               for w in caught)
    with pytest.raises(UsageError, match=r"127\.0\.0\.1"):
        charts.to_svg(alt.Chart(alt.UrlData("http://127.0.0.1:9/d.json")).mark_point()
                      .encode(x="x:Q"))


# ---------------------------------------------------------------- item 15: a city's board


def city(n_units: int, n_judges: int = 3, seed: int = 5):
    """A generated city: ``n_units`` buildings, ``n_judges`` judges × 3 criteria, one round."""
    from evaltools.dataset import Dataset
    from evaltools.rubric import Criterion, GradeBand, Rubric

    rng = np.random.default_rng(seed)
    ids = pl.Series("unit_id", [f"C{i:05d}" for i in range(n_units)])
    units = pl.DataFrame({"unit_id": ids, "name": ids.str.replace("C", "楼栋"),
                          "street": pl.Series([f"街道{i % 12}" for i in range(n_units)]),
                          "community": pl.Series([f"社区{i % 97}" for i in range(n_units)])})
    crits = ("clean", "tidy", "safe")
    m = n_units * n_judges * len(crits)
    scores = pl.DataFrame({
        "round": pl.Series(np.ones(m, np.int64)),
        "unit_id": ids.gather(np.repeat(np.arange(n_units), n_judges * len(crits))),
        "judge_id": pl.Series([f"J{j}" for j in range(n_judges)]).gather(
            np.tile(np.repeat(np.arange(n_judges), len(crits)), n_units)),
        "criterion": pl.Series(crits).gather(np.tile(np.arange(len(crits)), n_units * n_judges)),
        "score": np.round(rng.uniform(4, 10, m), 1)})
    rubric = Rubric(name="全市楼栋评比", criteria=tuple(
        Criterion(c, f"指标{i}", max_points=100 / 3, scale=(0.0, 10.0))
        for i, c in enumerate(crits)), judge_aggregate="mean", min_judges=1,
        grades=(GradeBand("优秀", 90), GradeBand("合格", 0)))
    return Dataset(units=units, scores=scores, rubric=rubric)


def test_charts_of_a_city_draw_the_top_units_and_say_so():
    from evaltools.charts.leaderboard import (
        MAX_CHART_UNITS,
        contributions,
        criteria_heatmap,
        leaderboard_bars,
    )
    from evaltools.leaderboard import evaluate

    lb = evaluate(city(6000))
    assert lb.table.height == 6000
    for make in (leaderboard_bars, criteria_heatmap, contributions):
        spec = make(lb).to_dict()  # altair raised MaxRowsError here (> 5000 rows)
        rows = sum(len(v) for v in spec["datasets"].values())
        assert rows <= 5000
        title = spec["title"] if isinstance(spec["title"], str) else spec["title"]["text"]
        assert f"前{MAX_CHART_UNITS}名，共6000个单位" in title
    small = leaderboard_bars(evaluate(city(60))).to_dict()
    assert small["title"] == "总分排名"  # a district's board is drawn whole


def test_publish_a_city_of_6000_units(tmp_path):
    from evaltools import publish
    from evaltools.leaderboard import evaluate

    lb = evaluate(city(6000, n_judges=1))
    # what a city's board is checked for here; the PDF of 6000 rows (≈ 100 s of WeasyPrint on
    # the 2-core CI box) is the same code as the district's, tested in test_notice.py
    paths = publish.publish(lb, tmp_path / "city", formats="html,xlsx,csv,png,svg,poster")
    csv = pl.read_csv(paths["csv"], infer_schema_length=0)
    assert csv.height == 6000  # the table lists every unit
    page = paths["html"].read_text(encoding="utf-8")
    assert page.count('data-unit-id="C') == 6000
    assert "前100名，共6000个单位" in page
    assert paths["png"].read_bytes()[:4] == b"\x89PNG"


def test_symlink_loop_in_the_data_folder_does_not_crash(sample, tmp_path):
    """Found by tests/test_hostile.py: Path.resolve raised RuntimeError checking --out."""
    (sample / "votes_old.csv").symlink_to(sample / "votes_old.csv")
    before = tree_hash(sample)
    code, out, err = run(["evaluate", sample, "--out", tmp_path / "榜单.csv"])
    assert code in (0, 1) and "Traceback" not in out + err, out + err
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    code, out, err = run(["evaluate", sample, "--out", loop / "榜单.csv"])
    assert code == 2 and "Traceback" not in out + err, out + err
    assert tree_hash(sample) == before
