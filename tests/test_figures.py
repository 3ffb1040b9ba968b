"""The published figures drawn without Vega (evaltools.publish.figures / drawing, issue 17):
well-formed SVG, every unit drawn once with its published label, long names set on lines instead
of cut, Vega's colours, byte-identical output, PNGs drawn with the CJK font (and by resvg without
one). PNGs go to test-output/ for a person to look at (figures_*.png)."""

from __future__ import annotations

import io
import math
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pytest

from evaltools import evaluate, read_dataset
from evaltools.chartdata import ranked_units, score_text
from evaltools.publish import drawing, figures

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def board():
    return evaluate(read_dataset(SAMPLE))


def _renamed(lb, names: dict[str, str]):
    """The board with some units renamed (what the figures read: table, values, rubric)."""
    rename = pl.col("name").replace(names) if "name" in lb.table.columns else pl.col("name")
    return SimpleNamespace(table=lb.table.with_columns(rename), rubric=lb.rubric,
                           values=lb.values)


def _texts(root: ET.Element, css: str | None = None) -> list[ET.Element]:
    return [t for t in root.iter(f"{SVG}text") if css is None or t.get("class") == css]


def _fits(root: ET.Element) -> None:
    """Every text lies inside the picture, by the same width estimate the layout used."""
    width = float(root.get("width"))
    height = float(root.get("height"))
    rows = [(float(t.get("x")), float(t.get("y")), t.text or "", float(t.get("font-size")),
             t.get("font-weight") == "bold", t.get("text-anchor") or "start")
            for t in _texts(root)]
    frame = pl.DataFrame(rows, schema=["x", "y", "text", "size", "bold", "anchor"], orient="row")
    w = pl.when(pl.col("bold")).then(drawing.text_width("text", pl.col("size"), bold=True)) \
        .otherwise(drawing.text_width("text", pl.col("size")))
    frame = frame.with_columns(w=w).with_columns(
        left=pl.when(pl.col("anchor") == "end").then(pl.col("x") - pl.col("w"))
        .when(pl.col("anchor") == "middle").then(pl.col("x") - pl.col("w") / 2)
        .otherwise(pl.col("x")))
    outside = frame.filter((pl.col("left") < 0) | (pl.col("left") + pl.col("w") > width + 0.01)
                           | (pl.col("y") - pl.col("size") < 0) | (pl.col("y") > height))
    assert outside.is_empty(), outside


# ---------------------------------------------------------------------------------------------
# 总分排名


def test_bars_draw_every_ranked_unit_once_with_its_published_label(board):
    fig = figures.leaderboard_figure(board)
    root = ET.fromstring(fig.svg())                      # well-formed
    assert root.get("font-family").startswith("Noto Sans CJK SC")
    units = ranked_units(board, None)
    expected = units.select(pl.format("{} {}", "rank_label", score_text("total", 2)))
    bars = [e for e in root.iter(f"{SVG}rect") if e.get("class") == "bar"]
    assert len(bars) == units.height == 60
    tips = [b.find(f"{SVG}title").text for b in bars]
    assert tips == [f"{n}　{lab}" for n, lab in zip(units["单位"], expected.to_series(),
                                                   strict=True)]
    assert [t.text for t in _texts(root, "value")] == expected.to_series().to_list()
    assert [t.text for t in _texts(root, "name")] == units["单位"].to_list()
    # bar lengths are proportional to the totals on a 0–100 axis; bars go down in rank order
    widths = pl.Series([float(b.get("width")) for b in bars])
    ratio = widths / units["total"]
    assert (ratio.max() - ratio.min()) < 0.01 * ratio.mean()
    ys = [float(b.get("y")) for b in bars]
    assert ys == sorted(ys) and len(set(ys)) == len(ys)
    ticks = [t.text for t in _texts(root) if t.get("text-anchor") == "middle"]
    assert ticks[:11] == [str(v) for v in range(0, 101, 10)] and "总分" in ticks
    _fits(root)


def test_long_names_are_set_on_lines_not_cut(board):
    first, second = board.table["unit_id"][0], board.table["unit_id"][1]
    long_name = "上街区济源路街道工业路社区第三网格某某单位家属院东区12号楼"
    lb = _renamed(board, {board.table["name"][0]: long_name,
                          board.table["name"][1]: "幸福里小区Block12号楼"})
    assert first != second
    for fig in (figures.leaderboard_figure(lb), figures.heatmap_figure(lb)):
        root = ET.fromstring(fig.svg())
        names = [t.text for t in _texts(root, "name")]
        assert "".join(names).startswith(long_name + "幸福里")   # every character, in order
        assert all(len(n) < len(long_name) for n in names)     # on two lines or more
        assert "Block12" in "".join(names)               # a Latin word is never split
        _fits(root)
    poster = figures.poster_figure(lb, top=3, title="测试 光荣榜")
    root = ET.fromstring(poster.svg())
    names = [t.text for t in _texts(root, "name")]
    assert long_name in ("".join(names[:3]), "".join(names[:2]))
    _fits(root)


def test_whiskers_and_rank_intervals(board):
    t = board.table.with_columns(total_low=pl.col("total") - 1.5, total_high=pl.col("total") + 1,
                                 rank_lower=pl.col("rank"), rank_upper=pl.col("rank") + 2)
    lb = SimpleNamespace(table=t, rubric=board.rubric)
    root = ET.fromstring(figures.leaderboard_figure(lb, top=5).svg())
    whiskers = [e for e in root.iter(f"{SVG}line") if e.get("stroke") == "#333"]
    assert len(whiskers) == 5
    assert next(t.text for t in _texts(root, "value")) == "第1名 97.41（名次区间 1–3）"


def test_top_units_of_a_large_board_say_so(board):
    big = pl.concat([board.table.with_columns(pl.format("{}-{}", "unit_id", pl.lit(k))
                                              .alias("unit_id")) for k in range(3)])
    lb = SimpleNamespace(table=big.sort("rank"), rubric=board.rubric)
    fig = figures.leaderboard_figure(lb)
    root = ET.fromstring(fig.svg())
    assert len([e for e in root.iter(f"{SVG}rect") if e.get("class") == "bar"]) == 100
    assert "前100名，共180个单位" in fig.title


def test_names_that_attack_xml_stay_text():
    table = pl.DataFrame({"unit_id": ["A", "B"], "name": ['<b>"甲"</b> & 楼\x01', "乙\x1b楼]]>"],
                          "rank": [1, 2], "rank_label": ["第1名", "第2名"], "total": [9.0, 8.0]})
    lb = SimpleNamespace(table=table, rubric=SimpleNamespace(digits=2, stars=()))
    root = ET.fromstring(figures.leaderboard_figure(lb).svg())     # still well-formed
    assert [t.text for t in _texts(root, "name")] == ['<b>"甲"</b> & 楼', "乙楼]]>"]


def test_negative_totals_and_a_single_unit():
    table = pl.DataFrame({"unit_id": ["A", "B"], "name": ["甲楼", "乙楼"], "rank": [1, 2],
                          "rank_label": ["第1名", "第2名"], "total": [3.5, -2.25]})
    lb = SimpleNamespace(table=table, rubric=SimpleNamespace(digits=2, stars=()))
    root = ET.fromstring(figures.leaderboard_figure(lb).svg())
    bars = {b.find(f"{SVG}title").text.split("　")[0]: b for b in root.iter(f"{SVG}rect")
            if b.get("class") == "bar"}
    # the negative bar ends where the positive one starts: at 0
    assert float(bars["乙楼"].get("x")) + float(bars["乙楼"].get("width")) == pytest.approx(
        float(bars["甲楼"].get("x")))
    one = SimpleNamespace(table=table.head(1), rubric=lb.rubric)
    assert len([b for b in ET.fromstring(figures.leaderboard_figure(one).svg()).iter(
        f"{SVG}rect") if b.get("class") == "bar"]) == 1


# ---------------------------------------------------------------------------------------------
# 各指标得分率


def test_heatmap_cells_colours_and_labels(board):
    fig = figures.heatmap_figure(board)
    root = ET.fromstring(fig.svg())
    cells = [e for e in root.iter(f"{SVG}rect") if e.get("class") == "cell"]
    n_crit = len(board.rubric.criteria)
    assert len(cells) == 60 * n_crit
    tips = pl.Series([c.find(f"{SVG}title").text for c in cells])
    assert tips.is_unique().all()
    assert [t.text for t in _texts(root, "criterion")][:2] == ["环境卫生", "楼道整洁"]
    # one cell checked against the values: colour of its 得分率, points to one decimal
    v = board.values.filter(pl.col("unit_id") == board.table["unit_id"][0]).sort("criterion")
    share = float(v["share"][0])
    colour = pl.select(figures.share_colour(pl.lit(share))).item()
    name = board.table["name"][0]
    crit = {c.id: c.name for c in board.rubric.criteria}[v["criterion"][0]]
    cell = next(c for c in cells if c.find(f"{SVG}title").text.startswith(f"{name}　{crit}："))
    assert cell.get("fill") == colour
    assert root.find(f"{SVG}linearGradient") is not None and "url(#ramp-" in fig.svg()
    _fits(root)


def test_share_colours_are_vegas_redyellowgreen():
    """The colours Vega-Lite gives a quantitative colour scale with scheme redyellowgreen and
    domain [0, 1] (read from vl-convert's SVG once; the altair heatmap uses that scale)."""
    vega = {0.0: "rgb(165,0,38)", 0.225: "rgb(244,126,75)", 0.325: "rgb(253,184,110)",
            0.35: "rgb(253,197,120)", 0.5: "rgb(249,247,174)", 0.925: "rgb(26,139,73)",
            1.0: "rgb(0,104,55)"}
    got = pl.DataFrame({"s": list(vega)}).select(figures.share_colour("s"))["s"].to_list()
    assert got == list(vega.values())
    assert pl.select(figures.share_colour(pl.lit(None, pl.Float64))).item() is None


# ---------------------------------------------------------------------------------------------
# 海报


def test_poster_rows_and_qr(board, test_output):
    import base64

    from evaltools.publish.qr import qr_png

    qr = "data:image/png;base64," + base64.b64encode(qr_png("https://example.cn/p", scale=6)) \
        .decode("ascii")
    fig = figures.poster_figure(board, top=10, title="上街区楼栋评比 光荣榜", subtitle="第6轮",
                                footer="某某办公室", qr=qr)
    root = ET.fromstring(fig.svg())
    assert fig.width == 540
    assert [t.text for t in _texts(root, "name")] == ranked_units(board, 10)["单位"].to_list()
    assert [t.text for t in _texts(root, "value")][:2] == ["97.41", "93.88"]
    assert "差第1名 3.53 分" in fig.svg() and "条形从 70 分画起" in fig.svg()
    assert len(list(root.iter(f"{SVG}image"))) == 1
    png = fig.png()
    assert _png_size(png) == (1080, math.ceil(fig.height * 2))
    (test_output / "figures_poster.png").write_bytes(png)
    _fits(root)
    with pytest.raises(ValueError, match="data:image/png"):
        drawing.image(x=0, y=0, w=1, h=1, href="https://example.cn/a.png")


# ---------------------------------------------------------------------------------------------
# drawing: PNG, determinism, fonts


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_png_is_drawn_with_the_cjk_font(board, cjk_font, test_output):
    from PIL import Image

    assert drawing.cjk_font_files() is not None
    fig = figures.leaderboard_figure(board, top=3)
    png = fig.png()
    assert _png_size(png) == (math.ceil(fig.width * 2), math.ceil(fig.height * 2))
    (test_output / "figures_bars_top3.png").write_bytes(png)
    # two titles of as many characters give different pixels: glyphs, not the same boxes
    a = Image.open(io.BytesIO(figures.leaderboard_figure(board, top=3, title="楼栋评比总榜").png()))
    b = Image.open(io.BytesIO(figures.leaderboard_figure(board, top=3, title="群众满意测评").png()))
    assert a.size == b.size and a.tobytes() != b.tobytes()
    # the bars are the bar colour
    assert (192, 57, 43) in {c for _, c in a.getcolors(1 << 20)}


def test_published_bars_are_drawn_once_per_leaderboard(board):
    """The page's chart and 总分排名.png/.svg of one publication share one figure."""
    once = figures.published_bars(board)
    assert figures.published_bars(board) is once
    assert once.svg() == figures.leaderboard_figure(board).svg()
    assert figures.published_bars(board._replace(table=board.table.head(1))) is not once


def test_png_bytes_keep_every_pixel_and_are_a_valid_png():
    """png_bytes (no row filters) decodes to the very pixels given, as Pillow's own PNG does;
    noise, flat areas, one row and one column."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(17)
    noise = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    flat = np.full((300, 200, 3), 255, np.uint8)
    flat[100:120, 20:180] = (192, 57, 43)
    for rgb in (noise, flat, noise[:1], noise[:, :1]):
        data = drawing.png_bytes(rgb)
        Image.open(io.BytesIO(data)).verify()  # chunks and CRCs
        back = Image.open(io.BytesIO(data))
        assert back.mode == "RGB" and back.size == (rgb.shape[1], rgb.shape[0])
        assert np.array_equal(np.asarray(back), rgb)
        pillow = io.BytesIO()
        Image.fromarray(rgb, "RGB").save(pillow, "PNG")
        assert np.array_equal(np.asarray(Image.open(pillow)), np.asarray(back))


def test_png_without_a_cjk_font_file_is_drawn_by_resvg(board, monkeypatch):
    pillow = figures.leaderboard_figure(board, top=3).png(scale=1)
    monkeypatch.setattr(drawing, "cjk_font_files", lambda: None)
    fig = figures.leaderboard_figure(board, top=3)
    png = fig.png(scale=1)
    assert _png_size(png) == (math.ceil(fig.width), math.ceil(fig.height)) == _png_size(pillow)
    assert png != pillow


def test_same_inputs_same_bytes_in_another_process(board):
    fig = figures.leaderboard_figure(board)
    assert fig.svg() == figures.leaderboard_figure(board).svg()
    code = ("import sys, hashlib; from evaltools import evaluate, read_dataset;"
            "from evaltools.publish import figures;"
            f"lb = evaluate(read_dataset({str(SAMPLE)!r}));"
            "f = figures.leaderboard_figure(lb); p = figures.poster_figure(lb, title='x');"
            "h = figures.heatmap_figure(lb).svg();"
            "sys.stdout.write(hashlib.sha256(f.svg().encode() + f.png() + p.png() + h.encode())"
            ".hexdigest())")
    import hashlib
    here = hashlib.sha256(fig.svg().encode() + fig.png()
                          + figures.poster_figure(board, title="x").png()
                          + figures.heatmap_figure(board).svg().encode()).hexdigest()
    env = {"PYTHONHASHSEED": "123", "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, env=env, cwd=ROOT).stdout
    assert other == here


def test_publishing_figures_loads_neither_altair_nor_vega():
    code = ("import sys; from evaltools import evaluate, read_dataset;"
            "from evaltools.publish import figures, render_html;"
            f"lb = evaluate(read_dataset({str(SAMPLE)!r}));"
            "figures.leaderboard_figure(lb).png(); figures.poster_figure(lb).png();"
            "render_html(lb);"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('altair', 'vl_convert', 'jsonschema')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}).stdout
    assert out.strip() == "[]"


def test_text_width_and_font_stack():
    from evaltools.charts import FONT_STACK

    assert drawing.FONT_FAMILY == FONT_STACK
    w = pl.DataFrame({"t": ["粮机厂院", "06小区", "★★★", "", None]}).select(
        drawing.text_width("t", 10))["t"].to_list()
    assert w == [40.0, 5.55 * 2 + 20, 30.0, 0.0, 0.0]


def test_text_widths_are_the_fonts(cjk_font):
    """The ASCII advance widths are Noto Sans CJK SC's (Pillow measures the real font)."""
    from PIL import ImageFont

    (regular, ri), (bold, bi) = drawing.cjk_font_files()
    sample = "".join(chr(c) for c in range(33, 127))
    for path, index, is_bold in ((regular, ri, False), (bold, bi, True)):
        font = ImageFont.truetype(path, 1000, index=index)
        if font.getname()[0] != "Noto Sans CJK SC":
            pytest.skip("another CJK font")
        got = pl.select(drawing.text_width(pl.lit(sample), 1000, bold=is_bold)).item()
        assert got == pytest.approx(sum(font.getlength(c) for c in sample), abs=1)  # no kerning
        assert pl.select(drawing.text_width(pl.lit("榜单公示"), 1000, bold=is_bold)).item() == \
            pytest.approx(font.getlength("榜单公示"), abs=1)


@pytest.mark.parametrize("names", [["粮机厂院"], ["气象站院一号楼气象站院二号楼气象站院三号楼"],
                                   ["Block 12 of the Long Street Housing Estate", ""],
                                   ["）开头的标点，不在行首。（括号）" * 3]])
def test_wrap_lines_keeps_every_character(names):
    lines = drawing.wrap_lines(pl.DataFrame({"n": names}), "n", size=12, max_width=96)
    back = lines.group_by("row", maintain_order=True).agg(pl.col("text").str.join(""))
    assert back["text"].to_list() == names
    assert (lines["width"] <= 96 + 12 * 1.01).all()
    assert not lines.filter(pl.col("line") > 0)["text"].str.contains(r"^[，。）]").any()
    assert not lines.filter(pl.col("line") < pl.col("lines") - 1)["text"].str.contains(r"（$").any()
    assert set(re.findall(r"[A-Za-z]+", "".join(names))) <= set(
        re.findall(r"[A-Za-z]+", " ".join(lines["text"])))


@pytest.mark.parametrize("width", [12.0, 60.0, 96.0, 400.0])
@pytest.mark.parametrize("names", [["粮机厂院", None, ""], ["气象站院一号楼气象站院二号楼", "短"],
                                   ["Block 12 of the Long Street", "A"], ["）标点，（括号）" * 2]])
def test_wrap_lines_single_line_shortcut_matches_breaking(names, width):
    """Texts that all fit on one line take a shorter query; it gives what the full breaking
    gives (rows, lines, texts, widths, dtypes), as does an empty frame."""
    frame = pl.DataFrame({"n": names}, schema={"n": pl.String})
    for bold in (False, True):
        got = drawing.wrap_lines(frame, "n", size=12, max_width=width, bold=bold)
        want = drawing._broken_lines(frame, "n", size=12, limit=pl.lit(width), bold=bold)
        assert got.equals(want) and got.schema == want.schema
    empty = drawing.wrap_lines(frame.head(0), "n", size=12, max_width=width)
    assert empty.schema == drawing._broken_lines(frame.head(0), "n", size=12,
                                                 limit=pl.lit(width), bold=False).schema
