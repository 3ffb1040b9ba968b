"""Issue 18, item 11: phone and 身份证 numbers planted in every free-text field of a copy of the
sample never reach a published file (HTML, CSV, XLSX, SVG; the PNGs are drawn from the same
masked leaderboard as the SVG), and item 12: bidi overrides and zero-width characters are shown
visibly on the page."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import zipfile
from pathlib import Path

import polars as pl
import pytest

from evaltools.cli import main

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"

#: one number per field, so a leak names the field it came from
PLANTS = {
    "unit name": "13812340001",
    "street": "13812340002",
    "community": "13812340003",
    "organiser": "13812340004",
    "rubric title": "13812340005",
    "criterion name": "13812340006",
    "晒最美 title": "13812340007",
    "judge id": "13812340008",
    "unit name 身份证": "410102199001011234",
    "organiser 身份证": "41010219900101567X",
}


def _plant(folder: Path) -> None:
    units = pl.read_csv(folder / "units.csv", infer_schema_length=0)
    units = units.with_columns(
        pl.when(pl.col("unit_id") == "JY001")
        .then(pl.format("王师傅{}楼 身份证{}", pl.lit(PLANTS["unit name"]),
                        pl.lit(PLANTS["unit name 身份证"])))
        .otherwise(pl.col("name")).alias("name"),
        pl.when(pl.col("unit_id") == "JY001").then(pl.lit(f"济源路街道{PLANTS['street']}"))
        .otherwise(pl.col("street")).alias("street"),
        pl.when(pl.col("unit_id") == "JY001").then(pl.lit(f"联系{PLANTS['community']}社区"))
        .otherwise(pl.col("community")).alias("community"),
    )
    units.write_csv(folder / "units.csv")
    entries = pl.read_csv(folder / "entries.csv", infer_schema_length=0)
    entries.with_columns(pl.format("{} 电话{}", "title", pl.lit(PLANTS["晒最美 title"]))
                         .alias("title")).write_csv(folder / "entries.csv")
    for name, col in (("judges.csv", "judge_id"), ("scores.csv", "评委")):
        t = pl.read_csv(folder / name, infer_schema_length=0)
        t.with_columns(pl.col(col).str.replace("^JY-J1$", PLANTS["judge id"])).write_csv(
            folder / name)
    rubric = (folder / "rubric.toml").read_text(encoding="utf-8")
    rubric = rubric.replace('name = "上街区无主管楼院楼栋评比赛"',
                            f'name = "上街区楼栋评比赛（热线{PLANTS["rubric title"]}）"', 1)
    rubric = rubric.replace('organiser = "上街区委办公室"',
                            f'organiser = "上街区委办公室 {PLANTS["organiser"]} 身份证'
                            f'{PLANTS["organiser 身份证"]}"', 1)
    rubric = rubric.replace('name = "环境卫生"', f'name = "环境卫生{PLANTS["criterion name"]}"', 1)
    (folder / "rubric.toml").write_text(rubric, encoding="utf-8")


def _published_text(out: Path) -> dict[str, str]:
    """Every published file as text: HTML, CSV, SVG, JSON as they are; XLSX unzipped (every
    XML part: shared strings, sheets, properties)."""
    texts = {}
    for f in sorted(out.rglob("*")):
        if f.suffix in (".html", ".csv", ".svg", ".json"):
            texts[f.name] = f.read_text(encoding="utf-8-sig")
        elif f.suffix == ".xlsx":
            with zipfile.ZipFile(f) as z:
                for member in z.namelist():
                    texts[f"{f.name}!{member}"] = z.read(member).decode("utf-8", "replace")
    return texts


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> tuple[Path, Path, int]:
    root = tmp_path_factory.mktemp("privacy")
    data = root / "data"
    shutil.copytree(SAMPLE, data)
    _plant(data)
    out = root / "out"
    buf, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(err):
        code = main(["publish", str(data), "--out", str(out), "--intervals", "0"])
    assert code == 0, buf.getvalue() + err.getvalue()
    return data, out, code


def test_the_plants_are_in_the_input(planted):
    data, _, _ = planted
    raw = "".join(p.read_text(encoding="utf-8") for p in data.glob("*.csv")) + \
        (data / "rubric.toml").read_text(encoding="utf-8")
    for field, number in PLANTS.items():
        assert number in raw, field  # else the test below could not fail


def test_no_planted_number_reaches_any_published_file(planted):
    _, out, _ = planted
    texts = _published_text(out)
    kinds = {Path(k.split("!")[0]).suffix for k in texts}
    assert {".html", ".csv", ".xlsx", ".svg"} <= kinds
    leaks = [(field, name) for name, text in texts.items() for field, number in PLANTS.items()
             if number in text]
    assert leaks == []


def test_the_masked_forms_are_published(planted):
    """The fields are published, masked — not dropped (a test that removed the rows would pass
    the grep above)."""
    _, out, _ = planted
    texts = _published_text(out)
    page = texts["榜单公示.html"]
    assert "王师傅138****0001楼" in page
    assert "410***********1234" in page
    assert "138****0004" in page and "410***********567X" in page  # organiser
    assert "138****0005" in page  # title
    assert "环境卫生138****0006" in page
    assert any("138****0007" in t for n, t in texts.items() if n.startswith("榜单.xlsx"))
    # judges are private by default (issue 14.7): the phone-number judge id is published as 评委N
    assert not any("138****0008" in t or "13812340008" in t for t in texts.values())
    assert any("评委1" in t for n, t in texts.items() if n.startswith("榜单.xlsx"))
    assert "王师傅138****0001楼" in texts["总分排名.svg"]


def test_poster_png_is_drawn_from_the_masked_board(planted, tmp_path):
    """The PNG has no text to grep: its SVG twin, drawn by the same function from the same
    figure, must be clean."""
    from evaltools.dataset import read_dataset
    from evaltools.leaderboard import evaluate
    from evaltools.publish import poster

    data, _, _ = planted
    lb = evaluate(read_dataset(data))                  # poster() masks the board itself
    svg = poster(lb, tmp_path / "海报.svg", top=60).read_text(encoding="utf-8")
    assert not [f for f, n in PLANTS.items() if n in svg]
    assert "138****0004" in svg


def test_inputs_unchanged_by_publish(planted):
    data, _, _ = planted
    before = {p.name: p.read_bytes() for p in data.glob("*.*")}
    out = data.parent / "out2"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["publish", str(data), "--out", str(out)]) == 0
    assert {p.name: p.read_bytes() for p in data.glob("*.*")} == before


def test_bidi_and_zero_width_are_visible_on_the_page(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    units = pl.read_csv(data / "units.csv", infer_schema_length=0)
    units.with_columns(pl.when(pl.col("unit_id") == "JY001")
                       .then(pl.lit("三号楼\u202egnp.exe\u200b\u2066x\u2069"))
                       .otherwise(pl.col("name")).alias("name")).write_csv(data / "units.csv")
    out = tmp_path / "out"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["publish", str(data), "--out", str(out)]) == 0
    page = (out / "榜单公示.html").read_text(encoding="utf-8")
    assert "三号楼&lt;U+202E&gt;gnp.exe&lt;U+200B&gt;&lt;U+2066&gt;x&lt;U+2069&gt;" in page
    for f in out.iterdir():
        if f.suffix in (".html", ".csv", ".svg"):
            text = f.read_text(encoding="utf-8-sig")
            assert not re.search("[\u202a-\u202e\u2066-\u2069\u200b]", text), f.name


@pytest.mark.parametrize("text, shown", [
    ("座机0371-68881234", "座机0371-****1234"),
    ("座机0371-6888 1234。", "座机0371-****1234。"),
    ("座机 0371 6888-1234", "座机 0371-****1234"),
    ("010－8888－1234", "010-****1234"),
])
def test_landlines_with_a_separator_inside_the_number_are_masked(text, shown):
    from evaltools.publish.privacy import publishable_str, scrub_text

    assert pl.select(scrub_text(pl.lit(text))).item() == shown
    assert publishable_str(text) == shown


def test_publishable_twice_returns_the_first_result_and_stays_masked():
    """Every writer of one publication calls publishable on the board publish already made
    publishable: the second call returns it as is (issue 17), the masking holds."""
    import dataclasses

    from evaltools.examples import two_buildings
    from evaltools.publish.privacy import publishable

    lb = two_buildings()
    lb = dataclasses.replace(lb, table=lb.table.with_columns(name=pl.lit("王13812345678楼")))
    once = publishable(lb)
    assert publishable(once) is once
    assert publishable(lb) is not once  # the raw board is scrubbed again, not looked up
    assert publishable(lb).table["name"].to_list() == ["王138****5678楼"] * 2
    assert once.table["name"].to_list() == ["王138****5678楼"] * 2


def test_mask_personal_once_per_frame():
    """The page and the workbook mask the same section frames: the masked copy is computed
    once per frame object, and forgotten with it (a new frame is masked afresh)."""
    import gc

    from evaltools.publish import privacy

    t = pl.DataFrame({"居民姓名": ["张三"], "联系电话": ["13812345678"]})
    first = privacy.mask_personal(t)
    assert privacy.mask_personal(t) is first
    assert first.row(0) == ("张*", "138****5678")
    other = pl.DataFrame({"居民姓名": ["李四"], "联系电话": ["13912345678"]})
    assert privacy.mask_personal(other).row(0) == ("李*", "139****5678")
    n = len(privacy._masked_once.results)
    del t, first
    gc.collect()
    assert len(privacy._masked_once.results) == n - 1
