"""The app's logic without a browser: the import → decisions → check → rubric → board → publish
path driven through the widgets' Python side, and the plain functions behind it."""

from __future__ import annotations

import dataclasses
import datetime
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaltools.app import (
    EvalApp,
    download_link,
    format_grades,
    format_stars,
    is_official,
    parse_grade_text,
    parse_stars,
    publish_rest,
    rounded_rubric,
)
from evaltools.decisions import apply_decisions
from evaltools.display import show
from evaltools.errors import EvalToolsError, Problem, UsageError
from evaltools.publish import CHINA_TZ, pdf_available
from evaltools.rounding import round_to_total
from evaltools.rubric import read_rubric, update_rubric_file
from evaltools.writing import read_manifest, verify_set
from tests.survey_export import write_survey

ROOT = Path(__file__).resolve().parents[1]
WORKBOOK = ROOT / "tests" / "raw" / "good" / "按评委分表" / "2021年第三季度楼栋评比评分表.xlsx"


def _upload(paths):
    return tuple({"name": p.name, "type": "", "size": p.stat().st_size,
                  "content": memoryview(p.read_bytes()),
                  "last_modified": datetime.datetime(2021, 1, 1)} for p in paths)


@pytest.fixture
def imported(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1604448000")
    survey = write_survey(tmp_path / "raw" / "问卷星导出_楼栋满意度.csv")
    app = EvalApp([ROOT / "data", tmp_path / "ws"], charts=False)
    app.upload.value = _upload([WORKBOOK, survey])
    app.import_name.value = "2021年第三季度"
    assert app.import_uploads() == tmp_path / "ws" / "2021年第三季度"
    return app


def test_import_shows_findings_and_the_decisions_form(imported):
    app = imported
    keys = set(app.decision_inputs)
    assert {"competition.name", "judges.aggregate", "weights", "grades",
            "ratings.satisfied"} <= keys
    text = "\n".join(o["data"]["text/plain"] for o in app.import_out.outputs)
    assert "张伟" in text and "问卷星导出" in text and "环境卫生" in text
    # where it went, as the folder list names it (ws/2021年第三季度), not the server's path
    assert "已导入到 ws/2021年第三季度" in app.data_msg.value
    assert str(app.folder.parent) not in app.data_msg.value
    assert app.survey is not None and app.survey.unit_question == "1、您居住的楼栋"
    # the raw files are copied untouched
    assert (app.folder / WORKBOOK.name).read_bytes() == WORKBOOK.read_bytes()


def test_decisions_then_board_then_draft_then_official(imported, monkeypatch):
    app = imported
    app.decision_inputs["weights"].value = "评委 80% + 满意度 20%"
    app.decision_inputs["grades"].value = "优秀 ≥ 90 / 良好 ≥ 80 / 合格 ≥ 60"
    assert app.confirm_decisions()
    assert app.dataset.report.ok
    rubric = read_rubric(app.folder / "rubric.toml")
    assert [c.id for c in rubric.criteria][-1] == "satisfaction"
    assert sum(c.max_points for c in rubric.criteria) == pytest.approx(100)
    assert [g.name for g in rubric.grades] == ["优秀", "良好", "合格"]
    assert "第1名" in app.explorer.table["排名"].to_list()
    assert "正式公示" in app.publish_state.value
    # a slider moved: what is published is a draft, marked in its files
    app.explorer.sliders["satisfaction"].value = 31.3
    assert "草稿" in app.publish_state.value
    with monkeypatch.context() as m:  # as `make app` serves it: the clock's time, not a fixed one
        m.delenv("SOURCE_DATE_EPOCH")
        draft = app.publish()
        assert draft["html"].parent.name.startswith("草稿_")
        assert 'id="draft-banner"' in draft["html"].read_text(encoding="utf-8")  # 草稿 banner
        _check_two_steps(app, draft)
    # saved (round numbers, comments kept): official, equal to the saved rubric's own board
    path = app.save_rubric()
    text = path.read_text(encoding="utf-8")
    assert "# 四舍五入" in text and "31.3" not in text
    saved = read_rubric(path)
    assert all((c.max_points * 2).is_integer() for c in saved.criteria)
    assert "正式公示" in app.publish_state.value
    # publishing twice in the same second is refused, never overwritten
    official = app.publish()
    assert not official["html"].parent.name.startswith("草稿")
    assert 'id="draft-banner"' not in official["html"].read_text(encoding="utf-8")
    assert app.wait_published(timeout=300)
    before = official["xlsx"].read_bytes()
    assert app.publish() == {}  # the same period and time: the folder exists
    assert "没有覆盖" in app.publish_msg.value
    assert official["xlsx"].read_bytes() == before
    link = download_link(official["xlsx"], name="x.xlsx")
    assert link.startswith('<a class="evaltools-download" download="x.xlsx" href="data:'
                           "application/vnd.openxmlformats")


FAST = {"html", "xlsx", "csv", "png", "svg", "poster"}


def _check_two_steps(app, fast):
    """发布榜单 in two steps: the fast files and their links at once, the PDF and the Word notice
    from a spawned process; then one set with one SHA256SUMS, the fast files unchanged."""
    assert set(fast) == FAST | {"manifest"}  # no PDF, no Word yet
    folder = fast["html"].parent
    step_a = {k: p.read_bytes() for k, p in fast.items() if k != "manifest"}
    assert "PDF 和 Word 公示正在生成" in app.publish_msg.value
    assert "榜单公示.html" in app.downloads.value and "榜单公示.pdf" not in app.downloads.value
    assert "SHA256SUMS" not in app.downloads.value  # the set's checksums only when complete
    # where the files are, as the user knows it; not the server's absolute path
    assert f"发布/{folder.name}" in app.downloads.value
    assert str(folder.parent.parent.parent) not in app.downloads.value
    assert app.downloads_late.value == ""
    # a second click while the PDF is made: refused, nothing published, the button disabled
    assert app.publishing() and app.publish_button.disabled
    assert app.publish() == {}
    assert "还在生成" in app.publish_msg.value
    assert app.wait_published(timeout=300), "the PDF and Word step did not finish"
    assert not app.publishing() and not app.publish_button.disabled
    assert "已全部发布" in app.publish_msg.value, app.publish_msg.value
    files = app.published
    pdf = {"pdf"} if pdf_available() else set()
    assert set(files) == FAST | {"docx", "manifest"} | pdf
    assert all(p.parent == folder for p in files.values())
    for kind, data in step_a.items():  # byte-identical to what was offered at once
        assert files[kind].read_bytes() == data, kind
    assert verify_set(folder) == []  # one SHA256SUMS ...
    listed = {f["name"] for f in read_manifest(folder)["files"]}
    assert listed == {p.name for k, p in files.items() if k != "manifest"}  # ... of every file
    late = app.downloads_late.value
    assert "榜单公示.docx" in late and "SHA256SUMS" in late and "榜单.xlsx" not in late
    assert ("榜单公示.pdf" in late) == bool(pdf)


def _fast_app(imported, monkeypatch, fail):
    """The app with its second step in a thread (so the test's monkeypatch reaches it)."""
    import evaltools.publish.bundle as bundle

    monkeypatch.setattr(bundle, fail[0], fail[1])
    app = imported
    app.executor = lambda: ThreadPoolExecutor(max_workers=1)
    assert app.confirm_decisions()
    fast = app.publish()
    assert app.wait_published(timeout=120)
    return app, fast


def test_no_pdf_renderer_the_rest_is_published(imported, monkeypatch):
    def no_renderer(*args, **kwargs):
        raise EvalToolsError(Problem(None, None, None, None, "pdf_renderer_missing",
                                     "无法生成 PDF：缺少 WeasyPrint", "WeasyPrint is missing"))

    app, fast = _fast_app(imported, monkeypatch, ("write_pdf", no_renderer))
    assert "没有生成 PDF" in app.publish_msg.value and "No PDF" in app.publish_msg.value
    assert "pdf" not in app.published and "docx" in app.published
    assert "榜单公示.docx" in app.downloads_late.value
    assert verify_set(fast["html"].parent) == []
    assert not app.publish_button.disabled


def test_a_failed_second_step_keeps_the_fast_files(imported, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    app, fast = _fast_app(imported, monkeypatch, ("write_docx", broken))
    msg = app.publish_msg.value
    assert "PDF 和 Word 公示未能生成" in msg and "RuntimeError: disk on fire" in msg
    assert "不受影响" in msg and "evaltools-error" in msg
    assert app.downloads_late.value == ""  # no SHA256SUMS link: the set is not complete
    folder = fast["html"].parent
    assert verify_set(folder) == []  # the first step's set, as it was
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in fast.values())
    assert app.published == fast and not app.publish_button.disabled


def test_fast_files_that_changed_are_offered_again(imported, monkeypatch):
    import evaltools.app as app_module

    real = app_module.publish_rest
    monkeypatch.setattr(app_module, "publish_rest", lambda board, target, when: real(
        board, target, when + datetime.timedelta(minutes=1)))  # another time: other bytes
    app = imported
    app.executor = lambda: ThreadPoolExecutor(max_workers=1)
    assert app.confirm_decisions()
    fast = app.publish()
    assert app.wait_published(timeout=300)
    assert "与上面的下载不一致" in app.publish_msg.value and "榜单公示.html" in app.publish_msg.value
    assert "榜单公示.html" in app.downloads_late.value  # offered again, with the final bytes
    assert verify_set(fast["html"].parent) == []


def test_no_process_for_the_second_step(imported):
    def cannot_start():
        raise OSError(24, "Too many open files")

    app = imported
    app.executor = cannot_start
    assert app.confirm_decisions()
    fast = app.publish()
    assert set(fast) == FAST | {"manifest"}  # the first step is published and offered
    assert app.wait_published(timeout=10) and not app.publish_button.disabled
    msg = app.publish_msg.value
    assert "PDF 和 Word 公示未能生成：后台进程出错（OSError）" in msg and "。。" not in msg
    assert "Too many open files" in msg
    assert verify_set(fast["html"].parent) == []


def test_publish_rest_reports_errors_instead_of_raising(tmp_path):
    from evaltools.examples import two_buildings

    board = two_buildings()
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "mine.txt").write_text("not a publication")  # refused, not replaced
    out = publish_rest(board, tmp_path / "x", datetime.datetime(2024, 5, 1, tzinfo=CHINA_TZ))
    assert out["files"] == {} and out["error"] is not None
    assert "evaltools" in out["error"][1]
    assert (tmp_path / "x" / "mine.txt").exists()


def test_an_error_is_shown_in_chinese_not_raised(imported):
    app = imported
    app.apply_rules()  # nothing opened yet
    assert "请先打开数据" in app.rubric_msg.value
    assert app.confirm_decisions()
    app.grades_text.value = "优秀九十分"
    app.apply_rules()
    assert "等级写法不对" in app.rubric_msg.value
    assert app.open_folder(app.folder / "nonexistent") is False
    assert "evaltools-error" in app.data_msg.value


def test_open_the_sample_folder(tmp_path):
    app = EvalApp([ROOT / "data", tmp_path], charts=False)
    labels = [label for label, _ in app.folder_list.options]
    assert labels[0] == "data/sample"  # folders with a rubric first
    assert app.open_folder(ROOT / "data" / "sample")
    assert "没有发现问题" in app.check_out.outputs[0]["data"]["text/html"]
    # the folder named as the list names it, not by the server's absolute path
    assert "data/sample" in app.current.value and str(ROOT) not in app.current.value
    assert app.folder_label(tmp_path.parent) == tmp_path.parent.name  # outside the roots


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.01, 100), min_size=1, max_size=8), st.sampled_from([0.5, 1.0]))
def test_round_to_total_adds_up_and_stays_within_one_step(values, step):
    shares = {f"c{i}": v for i, v in enumerate(values)}
    out = round_to_total(shares, 100.0, step)
    assert sum(out.values()) == pytest.approx(100.0)
    s = sum(values)
    for k, v in shares.items():  # never further than one step from the exact share
        assert abs(out[k] - v / s * 100) < step + 1e-9
        assert (out[k] / step) == pytest.approx(round(out[k] / step))


def test_is_official_and_rounded_rubric():
    r = read_rubric(ROOT / "data" / "sample" / "rubric.toml")
    assert is_official(r, r)
    assert not is_official(r, dataclasses.replace(r, ties="dense"))
    assert not is_official(r, dataclasses.replace(r, grades=()))
    odd = dataclasses.replace(r, criteria=tuple(
        dataclasses.replace(c, max_points=(c.max_points or 0) * 1.0371) for c in r.criteria))
    rounded = rounded_rubric(odd)
    assert sum(c.max_points for c in rounded.criteria) == pytest.approx(
        round(sum(c.max_points for c in odd.criteria) * 2) / 2)


def test_grade_and_star_fields_round_trip():
    r = read_rubric(ROOT / "data" / "sample" / "rubric.toml")
    assert parse_grade_text(format_grades(r.grades)) == r.grades
    assert parse_stars(format_stars(r), r) == r.stars
    with pytest.raises(UsageError, match="不在评分细则中"):
        parse_stars("x星：不存在的指标 ≥ 90%", r)


def test_update_rubric_file_keeps_comments_and_reads_back(tmp_path):
    src = ROOT / "data" / "sample" / "rubric.toml"
    p = tmp_path / "rubric.toml"
    p.write_bytes(src.read_bytes())
    r = read_rubric(p)
    new = rounded_rubric(dataclasses.replace(r, ties="dense", criteria=tuple(
        dataclasses.replace(c, max_points=(c.max_points or 0) * (1.2 if i == 0 else 0.95))
        for i, c in enumerate(r.criteria))))
    update_rubric_file(new, p)
    text = p.read_text(encoding="utf-8")
    comments = [line for line in src.read_text(encoding="utf-8").splitlines()
                if line.strip().startswith("#")]
    assert all(c in text for c in comments)
    back = read_rubric(p)
    assert back.ties == "dense"
    assert [c.max_points for c in back.criteria] == [c.max_points for c in new.criteria]
    assert dataclasses.replace(back, source_path=None, sha256=None).grades == r.grades


def test_apply_decisions_needs_the_draft(tmp_path):
    with pytest.raises(EvalToolsError, match="找不到评分细则草稿"):
        apply_decisions(tmp_path, {})


def test_show_formats_for_people():
    t = show(pl.DataFrame({"unit_id": ["A"], "satisfaction_rate": [0.91649],
                           "total": [2.675], "ok": [True], "stars": [3]}))
    assert t.frame.row(0) == ("A", "91.6 %", "2.68", "是", "★★★")
    assert t.frame.columns == ["单位编号", "满意率", "总分", "ok", "星级"]
    html = t.html()
    assert "white-space:nowrap" in html and "overflow-x:auto" in html and "http" not in html
    many = show(pl.DataFrame({"x": list(range(30))}), rows=12)
    assert many.note == "前 12 行，共 30 行" and many.frame.height == 12


def test_serve_script_prints_a_token_url_and_avoids_a_taken_port(tmp_path):
    import re
    import socket
    import subprocess
    import sys

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        fake = tmp_path / "venv" / "bin"
        fake.mkdir(parents=True)
        (fake / "python").symlink_to(sys.executable)
        (fake / "voila").write_text("#!/bin/sh\necho \"$@\"\n")
        (fake / "voila").chmod(0o755)
        env = {**os.environ, "VENV": str(fake.parent), "PORT": str(taken)}
        done = subprocess.run(["bash", str(ROOT / "scripts" / "serve.sh"), "app"], env=env,
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    m = re.search(r"http://127\.0\.0\.1:(\d+)/\?token=([0-9a-f]{32})", done.stdout)
    assert m and int(m.group(1)) != taken
    assert f"--port={m.group(1)}" in done.stdout and f"--token={m.group(2)}" in done.stdout


def test_a_data_error_in_a_notebook_shows_no_traceback(tmp_path, capsys):
    from IPython.core.interactiveshell import InteractiveShell

    from evaltools.display import quiet_errors

    shell = InteractiveShell.instance()
    try:
        assert quiet_errors()
        (tmp_path / "units.csv").write_text("单位编号,名称\nA1,甲\nA1,乙\n", encoding="utf-8")
        shell.run_cell(f"from evaltools.display import open_data\nopen_data({str(tmp_path)!r})")
        out = capsys.readouterr()
        text = out.out + out.err
        assert "数据或设置有问题" in text and "Traceback" not in text
        assert "units.csv" in text
    finally:
        InteractiveShell.clear_instance()


# ---- a pre-heated kernel (make app's pool): the app built before its visit ---------------------


def _folder(root: Path, name: str) -> Path:
    d = root / name
    d.mkdir(parents=True)
    (d / "units.csv").write_text("unit_id,unit_name\nu1,一号楼\n", encoding="utf-8")
    return d


def test_wait_for_visit_returns_at_once_outside_a_preheated_kernel(tmp_path, monkeypatch):
    import evaltools.app

    calls = []
    monkeypatch.setattr(evaltools.app, "wait_for_page", lambda *a: calls.append(a))
    app = EvalApp([tmp_path], upload_root=tmp_path)
    for value in (None, "False"):  # JupyterLab; a kernel Voila started for its visit
        if value is None:
            monkeypatch.delenv("VOILA_PREHEAT", raising=False)
        else:
            monkeypatch.setenv("VOILA_PREHEAT", value)
        assert app.wait_for_visit() is None
    assert calls == []


def test_wait_for_visit_rereads_the_folders_after_the_visit_starts(tmp_path, monkeypatch):
    """A folder imported (or added) after the kernel was pre-heated is offered on the visit; the
    pooled kernel waits once."""
    import evaltools.app

    root = tmp_path / "工作区"
    _folder(root, "旧数据")
    app = EvalApp([root], upload_root=root)
    assert [label for label, _ in app.folder_list.options] == ["工作区/旧数据"]
    waits = []

    def visit(*_args):
        waits.append(True)
        _folder(root, "新数据")  # imported in another tab while this kernel waited

    monkeypatch.setattr(evaltools.app, "wait_for_page", visit)
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    app.wait_for_visit()
    assert waits == [True]
    assert [label for label, _ in app.folder_list.options] == ["工作区/新数据", "工作区/旧数据"]
    assert app.folder_list.value == root / "旧数据"  # the choice is kept
    app.wait_for_visit()  # the environment still says pre-heated: it does not wait again
    assert len(waits) == 1


def test_wait_for_visit_rereads_an_open_folder_whose_files_changed(tmp_path, monkeypatch):
    import shutil

    import evaltools.app

    folder = tmp_path / "data" / "sample"
    shutil.copytree(ROOT / "data" / "sample", folder)
    monkeypatch.setattr(evaltools.app, "wait_for_page", lambda *a: None)
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    same = EvalApp([tmp_path / "data"], data=folder)
    before = same.explorer
    assert before is not None
    same.wait_for_visit()  # nothing changed: the board built before the visit is kept
    assert same.explorer is before

    changed = EvalApp([tmp_path / "data"], data=folder)
    before = changed.explorer
    units = folder / "units.csv"
    units.write_text(units.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    changed.wait_for_visit()  # a file changed while the kernel waited: read again
    assert changed.explorer is not None and changed.explorer is not before


def test_wait_for_page_receives_the_visit_as_voila_sends_it(monkeypatch):
    """Voila's side of the handshake (voila.request_info_handler): the kernel connects to
    /voila/query/<its id>; when a page takes the kernel, the request's details arrive."""
    import json
    import threading

    from websockets.sync.server import serve

    import evaltools.app

    paths = []

    def handler(ws):
        paths.append(ws.request.path)
        ws.send(json.dumps({"QUERY_STRING": "token=x", "SERVER_PORT": "8866"}))

    with serve(handler, "127.0.0.1", 0) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        monkeypatch.setenv("VOILA_APP_PORT", str(server.socket.getsockname()[1]))
        monkeypatch.setenv("VOILA_KERNEL_ID", "k-1")
        monkeypatch.setenv("VOILA_SERVER_URL", "/")
        monkeypatch.delenv("QUERY_STRING", raising=False)
        evaltools.app.wait_for_page()
        server.shutdown()
    assert paths == ["/voila/query/k-1"]
    assert os.environ["QUERY_STRING"] == "token=x"


def test_wait_for_page_returns_when_the_server_is_gone(monkeypatch):
    import socket

    import evaltools.app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    monkeypatch.setenv("VOILA_APP_PORT", str(port))
    monkeypatch.setenv("VOILA_KERNEL_ID", "k-1")
    assert evaltools.app.wait_for_page() is None


def test_closing_the_page_during_the_second_step_still_finishes_the_set(tmp_path):
    """Voila shuts the kernel down when its page closes, and jupyter_client signals the kernel's
    whole process group. The second step's worker runs in a session of its own, so it still
    writes the PDF, the Word notice and the one SHA256SUMS of the set."""
    import signal
    import subprocess
    import sys
    import time

    target = tmp_path / "发布" / "set"
    kernel = tmp_path / "kernel.py"
    kernel.write_text(
        "import time\nfrom datetime import datetime\n"
        "from evaltools import evaluate, read_dataset\n"
        "from evaltools.app import publish_rest, spawn_executor\n"
        "if __name__ == '__main__':\n"
        f"    board = evaluate(read_dataset({str(ROOT / 'data' / 'sample')!r}))\n"
        "    executor = spawn_executor()\n"
        f"    executor.submit(publish_rest, board, {str(target)!r}, datetime(2024, 5, 1, 9, 30))\n"
        "    executor.shutdown(wait=False)\n"
        "    print('submitted', flush=True)\n"
        "    time.sleep(600)\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, str(kernel)], stdout=subprocess.PIPE, text=True,
                            env=env, start_new_session=True)  # a process group, as a kernel's
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "submitted"
        time.sleep(0.5)  # the worker has started on the set
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # what jupyter_client does to a kernel it stops
        proc.wait()
    deadline = time.monotonic() + 60
    while not (target / "SHA256SUMS").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert (target / "SHA256SUMS").exists(), "the worker died with the kernel"
    assert verify_set(target) == []
    names = {f["name"] for f in read_manifest(target)["files"]}
    assert {"榜单公示.html", "榜单公示.docx"} <= names
    assert ("榜单公示.pdf" in names) == pdf_available()
