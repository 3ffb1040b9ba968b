"""The 公示 in headless Chromium at desktop and phone widths, and the PDF's pages as pictures.
Screenshots go to test-output/ for a person to look at (notice_*.png)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from evaltools import evaluate, publish, read_dataset
from tests.browser import offline_page
from tests.test_notice import FIXED, raw_board

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"

pytestmark = [pytest.mark.system, pytest.mark.browser]


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    out = tmp_path_factory.mktemp("notice")
    sample = evaluate(read_dataset(SAMPLE))
    raw = raw_board()
    return {"sample": (sample, publish.write_html(sample, out / "sample.html", generated=FIXED)),
            "raw": (raw, publish.write_html(raw, out / "raw.html", generated=FIXED))}


@pytest.mark.parametrize("which", ["sample", "raw"])
def test_phone_has_no_horizontal_scroll_and_desktop_fits(pages, which, chromium, test_output):
    lb, path = pages[which]
    for width in (1280, 390):
        with offline_page(chromium, width=width, height=900) as (page, seen):
            page.goto(path.resolve().as_uri())
            page.get_by_role("heading", level=1).wait_for(state="visible", timeout=30_000)
            scroll = page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= width, (which, width, scroll)
            page.screenshot(path=test_output / f"notice_{which}_{width}.png")
            if width == 390:
                # one card per unit: the header row is hidden, the unit name spans the card
                assert not page.locator("#leaderboard-table > thead").is_visible()
                first = lb.table["unit_id"][0]
                card = page.locator(f'tr[id="{first}"]')
                box = card.bounding_box()
                assert box is not None and box["width"] <= 390
                name = card.locator("td.unit")
                assert name.bounding_box()["height"] < 60  # the name is not wrapped 2 chars a line
                # the details open without any script, and fit the screen
                detail = page.locator(f'tr[id="{first}"] + tr.detail-row details')
                detail.locator("summary").click()
                assert detail.evaluate("d => d.open")
                assert page.evaluate("document.documentElement.scrollWidth") <= width
                detail.scroll_into_view_if_needed()
                page.screenshot(path=test_output / f"notice_{which}_390_details.png")
            page.screenshot(path=test_output / f"notice_{which}_{width}_full.png", full_page=True)
        assert seen.external == []


def test_anchor_scrolls_to_the_building(pages, chromium, test_output):
    lb, path = pages["sample"]
    target = lb.table["unit_id"][30]
    with offline_page(chromium, width=390, height=800) as (page, _):
        page.goto(path.resolve().as_uri() + f"#{target}")
        row = page.locator(f'tr[id="{target}"]')
        row.wait_for(state="visible", timeout=30_000)
        box = row.bounding_box()
        assert box is not None and -2 <= box["y"] < 800  # in view (subpixel)
        page.screenshot(path=test_output / "notice_sample_390_anchor.png")


def test_pdf_pages_as_pictures(pages, pdf_renderer, test_output):
    """The PDF's pages rendered to PNG (pdftoppm) for a person to look at."""
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) not installed: no page pictures")
    for which, (lb, _) in pages.items():
        pdf = publish.write_pdf(lb, test_output / f"notice_{which}.pdf", generated=FIXED)
        for old in test_output.glob(f"notice_{which}_pdf-*.png"):
            old.unlink()
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf),
                        str(test_output / f"notice_{which}_pdf")], check=True)
        pngs = sorted(test_output.glob(f"notice_{which}_pdf-*.png"))
        assert pngs and all(p.stat().st_size > 1000 for p in pngs)
