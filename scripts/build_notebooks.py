"""Write and execute the notebooks in notebooks/ from the cell lists below.

The notebooks are thin: imports and short calls into evaltools. Their committed outputs are what
strict nbval compares in `make test`, so rebuild them after changing what they show:

    .venv/bin/python scripts/build_notebooks.py            # all
    .venv/bin/python scripts/build_notebooks.py 01         # those whose name starts with 01
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"

#: the parameters cell every analysis notebook starts with (docs/notebooks.md: "用自己的数据")
PARAMS = ('DATA = "data/sample"  # 数据文件夹：相对于项目根目录（如 "工作区/2021年第三季度"），'
          '或绝对路径')

SETUP = """import polars as pl
import evaltools as et
from evaltools import charts
from evaltools.display import file_links, open_data, quiet_errors, show

quiet_errors()  # 数据有问题时只显示中英文说明，不显示 Python 回溯
charts.use_offline_renderer()  # 离线渲染：图表由 vl-convert 生成 SVG，不访问外网"""

NOTEBOOKS: dict[str, list[tuple[str, str]]] = {
    # the app served by `make app` (Voila shows outputs only): no text for developers
    "00_评估应用": [
        ("code", "DATA = None  # 打开应用时直接读入的数据文件夹，例如 \"../data/sample\"；不填则在应用里选择"),
        ("code", "from evaltools.app import evaluation_app\n\napp = evaluation_app(data=DATA)\napp"),
        # `make app` pre-heats this notebook: the kernel waits here for the visit, then re-reads
        # the folders (elsewhere this returns at once)
        ("code", "app.wait_for_visit()  # make app 预先启动本页时：在此等候打开页面，再重新读取数据文件夹"),
    ],
    "01_快速开始": [
        ("md", "# 01 快速开始\n\n"
               "读入示例数据，检查文件，按评分细则计分排名，查看一个楼栋的得分是怎么来的。\n\n"
               "*Quick start: load the sample data, validate it, evaluate it with its rubric, and "
               "see how one building's score was built.*"),
        ("code", PARAMS),
        ("code", SETUP + "\nfrom evaltools.publish import SOURCE_ZH"),
        ("md", "## 1. 读入并检查数据 / Read and validate\n\n"
               "`open_data(DATA)` 读入数据文件夹里的全部文件和 `rubric.toml`，逐行检查；"
               "有问题时会列出文件、Excel 行号、列、值和规则。"),
        ("code", "ds = open_data(DATA)\nprint(ds.report.summary())"),
        ("md", "## 2. 评分细则 / The rubric"),
        ("code", "rubric = ds.rubric\nprint(rubric.name)\n"
                 "show(pl.DataFrame([{\"指标\": c.name, \"一级指标\": c.group, "
                 "\"来源\": SOURCE_ZH.get(c.source, c.source), \"满分\": c.max_points} "
                 "for c in rubric.criteria]), digits=0)"),
        ("md", "## 3. 计分与排名 / Evaluate and rank\n\n"
               "并列名次按“1224”规则（并列第2名之后是第4名）；公布的分数四舍五入。"),
        ("code", "board = et.evaluate(ds)\nshow(board.labelled_table(), rows=10)"),
        ("md", "## 4. 一个楼栋的得分明细 / How one score was built"),
        ("code", "first = board.table[\"unit_id\"][0]\nshow(board.explain(first), digits=3)"),
    ],
    "02_评委评分与一致性": [
        ("md", "# 02 评委评分与一致性\n\n"
               "看每位评委打分偏宽还是偏严，各轮评委之间是否一致（ICC、Kendall W）。\n\n"
               "*Judges: leniency per judge, and panel agreement per round (ICC, Kendall's W, "
               "Krippendorff's α).*"),
        ("code", PARAMS),
        ("code", SETUP + "\nfrom evaltools import judging\n"
                 "from evaltools.charts.leaderboard import judge_leniency"),
        ("md", "## 1. 评委报告 / Judge report\n\n"
               "宽严度 = 评委打分 − 同一楼栋同一指标的评委平均分（> 0 偏宽松）；"
               "留一相关 = 与其他评委平均分的相关。标记只是提醒复核，不是删分的理由。"),
        ("code", "ds = open_data(DATA)\nreport = judging.judge_report(ds.scores)\n"
                 "show(report, labels={\"n\": \"评分条数\"}, digits=3)"),
        ("code", "judge_leniency(report)"),
        ("md", "## 2. 各轮评委一致性 / Agreement per round\n\n"
               "每个街道一个评委组，按每位评委给每个楼栋的总分计算。ICC(2,k) 是评委组平均分的信度"
               "（0.75–0.9 良好，> 0.9 很好，Koo & Li 2016）；Kendall W 衡量排序是否一致；"
               "Krippendorff α 允许缺评。"),
        ("code", "totals = judging.judge_totals(ds.scores, ds.units, panel=\"street\")\n"
                 "show(judging.agreement(totals, by=[\"round\", \"street\"]).drop(\"kendall_p\"),"
                 " digits=3)"),
        ("md", "## 3. 第6轮济源路街道：ICC 的六种形式 / The six ICC forms"),
        ("code", "panel = totals.filter(pl.col(\"round\") == 6, pl.col(\"street\") == \"济源路街道\")\n"
                 "show(judging.icc(panel).select(\"form\", pl.col(\"description\").str.split(\" | \")"
                 ".list.first(), \"icc\", \"ci_lower\", \"ci_upper\"), digits=3)"),
    ],
    "03_群众满意度": [
        ("md", "# 03 群众满意度\n\n"
               "群众点评卡汇总：两种满意率口径、Wilson 区间、贝叶斯平均，以及样本太少的楼栋。\n\n"
               "*Residents' ratings: both 满意率 definitions, Wilson intervals, Bayesian average, "
               "small-sample warnings.*"),
        ("code", PARAMS),
        ("code", SETUP + "\nfrom evaltools import ratings\n"
                 "from evaltools.charts.units import satisfaction_dots"),
        ("md", "## 1. 两种满意率 / Two definitions of 满意率\n\n"
               "“满意率”有两种常见口径：只算“满意”，或“满意+基本满意”。每个结果都写明用的是哪一种。"),
        ("code", "ds = open_data(DATA)\nnames = ds.units.select(\"unit_id\", \"name\")\n"
                 "cfg = ds.rubric.ratings  # 评分细则 [ratings] 的等级与满意口径（四级、五级或数字量表）\n"
                 "strict = ratings.summarize(ds.ratings, config=cfg, satisfied=cfg.satisfied[:1])"
                 ".join(names, on=\"unit_id\")\n"
                 "broad = ratings.summarize(ds.ratings, config=cfg).join(names, on=\"unit_id\")"),
        ("code", "both = broad.join(strict.select(\"unit_id\", pl.col(\"satisfaction_rate\")"
                 ".alias(\"strict\")), on=\"unit_id\").sort(\"wilson_lower\", descending=True)\n"
                 "show(both.select(\"unit_id\", \"name\", \"n\", \"satisfaction_rate\", "
                 "\"wilson_lower\", \"bayesian_average\", \"strict\"),\n"
                 "     labels={\"satisfaction_rate\": \"满意率（\" + \"+\".join(cfg.satisfied) + \"）\","
                 " \"strict\": \"满意率（仅\" + cfg.satisfied[0] + \"）\"},\n"
                 "     percent=[\"satisfaction_rate\", \"wilson_lower\", \"strict\"], digits=3)"),
        ("md", "## 2. Wilson 区间 / Wilson intervals\n\n"
               "点是原始满意率，线是 95% Wilson 区间；按区间下限排序。答卷少于 30 份的楼栋用灰色标出："
               "区间很宽，名次不稳定。"),
        ("code", "satisfaction_dots(broad, label=\"name\", min_n=30, top=25)"),
        ("md", "## 3. 小样本提醒 / Small samples\n\n"
               "答卷很少时，100% 满意率可能只是运气。贝叶斯平均把少样本的均值向全体平均拉近"
               "（先验权重 m = 10）。"),
        ("code", "show(broad.filter(pl.col(\"n\") < 30).select(\"unit_id\", \"name\", \"n\", "
                 "\"satisfaction_rate\", \"wilson_lower\", \"mean\", \"bayesian_average\"), digits=3)"),
    ],
    "04_权重调整与排名": [
        ("md", "# 04 权重调整与排名\n\n"
               "拖动滑块调整各指标的权重（百分比，合计 100%；勾选“锁定”的指标保持不变），"
               "榜单和图表随之更新；“较细则默认”一列显示与评分细则原权重相比名次的升降。"
               "可以换计分方法、标准化方式、评委汇总方式和并列规则；"
               "“保存为评分细则”把当前设置写成 TOML 文件，“发布榜单”写出 HTML 和 Excel。\n\n"
               "*Weight explorer: move the sliders; the leaderboard and charts follow.*"),
        ("code", PARAMS),
        ("code", SETUP + "\nfrom evaltools.widgets import UnitInspector, WeightExplorer"),
        ("code", "ds = open_data(DATA)\nboard = et.evaluate(ds)\n"
                 "explorer = WeightExplorer(board, top=10, out_dir=\"../输出\")\nexplorer"),
        ("md", "## 楼栋得分明细 / Unit inspector\n\n选择一个楼栋，查看总分是怎么来的，以及各指标得分率。"),
        ("code", "UnitInspector(explorer)"),
        ("md", "## 不用滑块：直接计算 / Without the sliders\n\n"
               "同样的计算也可以直接调用：例如群众满意度的权重从 15 提到 30（其他指标不变，"
               "按比例重新分配 100 分）。"),
        ("code", "show(board.with_weights({\"satisfaction\": 30}).top(5)"
                 ".select(\"rank_label\", \"unit_id\", \"name\", \"total\", \"grade\"))"),
    ],
    "05_稳健性分析": [
        ("md", "# 05 稳健性分析\n\n"
               "榜单有多可靠？点评卡少的楼栋可能靠运气上榜，权重稍一变动前两名可能对调。这里给每个名次"
               "加上 95% 区间，计算各楼栋取得各个名次的概率（SMAA），找出权重改变多少会改变名次。\n\n"
               "*How sure is this ranking: bootstrap rank intervals, SMAA acceptability, weight "
               "stability and panel reliability.*"),
        ("code", PARAMS),
        ("code", SETUP + "\nfrom evaltools import robustness\n"
                 "from evaltools.charts import robustness as rcharts"),
        ("md", "## 1. 名次区间 / Bootstrap rank intervals\n\n"
               "在每个楼栋内部重抽点评卡（评委 5 人及以上时也重抽评委），重算整个评比 500 次；"
               "随机种子固定，结果可重复。"),
        ("code", "ds = open_data(DATA)\nboard = et.evaluate(ds)\n"
                 "intervals = robustness.rank_intervals(board, replicates=500, seed=2020, "
                 "progress=False)\nshow(rcharts.rank_interval_data(intervals, top=10))"),
        ("code", "rcharts.rank_interval_chart(intervals, top=20, title=\"名次及其 95% 区间\")"),
        ("md", "## 2. 名次可接受度 / SMAA-2\n\n"
               "在评分细则权重上下 20% 的范围内随机抽取权重，统计每个楼栋取得第 1、2、3…名的概率。"),
        ("code", "acc = robustness.smaa(board, samples=5000, seed=2020, bounds=0.2, progress=False)\n"
                 "rcharts.acceptability_chart(acc, max_rank=5, units=10)"),
        ("md", "## 3. 权重稳定性 / Weight stability\n\n"
               "每个指标的权重在什么范围内变动（其他指标按比例调整），第一名不变；相邻两名要对调，"
               "至少要改多少权重（小于 0.05 记为“脆弱”）。"),
        ("code", "ws = robustness.weight_stability(board, top_n=3)\nshow(ws.pairs, rows=10, digits=3)"),
        ("code", "rcharts.weight_interval_chart(ws, title=\"第一名不变的权重区间\")"),
        ("md", "## 4. 评委组信度 / Panel reliability"),
        ("code", "panel = robustness.panel_reliability(board)\nshow(panel.table, digits=3)"),
    ],
    "06_民情速递站": [
        ("md", "# 06 民情速递站\n\n"
               "从工单台账计算反馈率、办结率、按期办结率、积压和超期，按中国法定工作日（含调休）计算"
               "“2 个工作日内反馈”。示例数据复现了简报中的数字：新安路街道 5231 条、反馈率 100%、"
               "办结率 91.6%；济源路街道 1500 条、已解决 1478 条、正在解决 22 条。\n\n"
               "*Feedback and work-order KPIs on China's working-day calendar.*"),
        ("code", PARAMS),
        ("code", SETUP + "\nfrom evaltools import kpi\nfrom evaltools.charts import kpi as kcharts"),
        ("md", "## 1. 按街道 / By street"),
        ("code", "ds = open_data(DATA)\nby_street = kpi.ticket_kpis(ds, by=\"street\")\n"
                 "show(by_street.labelled_table(), digits=1)"),
        ("md", "## 2. 指标口径 / Definitions\n\n每个指标的计算口径随结果一起给出。"),
        ("code", "show(by_street.definitions().select(\"指标\", \"定义\"))"),
        ("md", "## 3. 月度趋势与四联单各环节 / Monthly trend and the four stages"),
        ("code", "monthly = kpi.ticket_kpis(ds, by=[\"street\", \"month\"])\n"
                 "kcharts.kpi_trend(monthly)"),
        ("code", "kcharts.stage_funnel(by_street, by=\"street\")"),
        ("md", "## 4. 超期工单 / Overdue tickets"),
        ("code", "kcharts.overdue_heatmap(kpi.ticket_kpis(ds, by=[\"category\", \"month\"]))"),
    ],
    "07_晒最美": [
        ("md", "# 07 晒最美\n\n"
               "多轮“晒最美”评选（最美楼栋、最美庭院、最美楼道）：每轮参与人次、新老投票人、"
               "得票份额、名次变化，以及需要人工复核的存疑投票。标记只是证据，不会自动删票；"
               "剔除存疑票后的复核计数与原始计数并列给出。\n\n"
               "*晒最美 campaigns: participation, vote shares, ranks across rounds, and integrity "
               "flags shown beside a recount — evidence for review, never silent deletion.*"),
        ("code", PARAMS),
        ("code", SETUP + "\nfrom evaltools import campaign\n"
                 "from evaltools.charts import campaign as ccharts"),
        ("md", "## 1. 各轮参与情况 / Participation by round"),
        ("code", "ds = open_data(DATA)\nresult = campaign.analyze_campaign(ds)\n"
                 "show(result.rounds.select(\"round\", \"entries\", \"votes\", \"voters\", "
                 "\"new_voters\", \"returning_voters\", \"flagged_votes\", \"votes_recount\"), "
                 "labels=campaign.ROUND_LABELS)"),
        ("code", "ccharts.participation(result.rounds)"),
        ("md", "## 2. 名次变化 / Ranks across rounds"),
        ("code", "ccharts.rank_bump(result.results)"),
        ("md", "## 3. 存疑投票 / Integrity flags\n\n"
               "重复投票、10 分钟内异常集中（以中位数和 MAD 为基准）、间隔过于规律、同一 IP 或设备"
               "占比过高、非正常时段、亚秒级连续投票。邻居共用 Wi-Fi 很常见，所以同一 IP 只提示，"
               "默认不剔除。"),
        ("code", "show(result.flag_counts(), labels={\"round\": \"轮次\", **campaign.FLAG_ZH})"),
        ("code", "ccharts.votes_heatmap(campaign.votes_by_hour(result.votes))"),
        ("md", "## 4. 各轮获胜作品 / Winners (raw count and recount)"),
        ("code", "show(result.winners(recount=True).select(\"round\", \"category\", \"entry_id\", "
                 "\"title\", \"votes\", \"rank_in_category\", \"votes_recount\", \"rank_recount\"), "
                 "labels=campaign.ENTRY_LABELS)"),
    ],
    "08_发布榜单": [
        ("md", "# 08 发布榜单\n\n"
               "把榜单写成可以张贴和转发的文件：离线可打开的 HTML 公示页（手机上每栋楼一张卡片，"
               "点开可看计分明细）、A4 的 PDF 公示（页码、落款和盖章处）、Excel、"
               "CSV（Excel 可直接打开）和海报 PNG。居民姓名、电话一律打码；同样的数据和细则"
               "总是得到完全相同的文件。\n\n"
               "*Publish: offline HTML notice (cards on phones, per-building detail), an A4 PDF, "
               "Excel, CSV and a poster; privacy-safe and byte-for-byte reproducible.*"),
        ("code", PARAMS + "\nOUT = \"输出/榜单\"  # 发布文件写到这里（相对于项目根目录），在左侧文件列表中可以看到"),
        ("code", SETUP + "\nfrom evaltools import publish\n"
                 "from evaltools.charts.leaderboard import leaderboard_bars\n"
                 "from evaltools.display import output_path"),
        ("code", "ds = open_data(DATA)\nboard = et.evaluate(ds)\nleaderboard_bars(board, top=15)"),
        ("md", "## 写出文件 / Write the files\n\n文件写在 `OUT` 指定的文件夹里（默认项目根目录下的 "
               "`输出/榜单/`）。点下面的链接下载；Excel 文件请下载后用 Excel 或 WPS 打开。"),
        ("code", "files = publish.publish(board, output_path(OUT), top=10)\nfile_links(files)"),
    ],
}


def build(name: str, cells: list[tuple[str, str]]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, (kind, source) in enumerate(cells):
        make = nbformat.v4.new_markdown_cell if kind == "md" else nbformat.v4.new_code_cell
        cell = make(source)
        cell["id"] = f"cell-{i:02d}"  # stable ids keep diffs small
        if kind == "code" and source.startswith(("DATA = ", "OUT = ")):
            cell["metadata"]["tags"] = ["parameters"]  # papermill / nbclient parameters cell
        nb.cells.append(cell)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(NB_DIR)}}).execute()
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)
    # widget state (sliders, Output contents with SVG charts) is rebuilt when the notebook runs;
    # stored, it would add ~160 KB per explorer
    nb.metadata.pop("widgets", None)
    path = NB_DIR / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def main(argv: list[str]) -> None:
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1604448000")  # 2020-11-04, the seed's date
    wanted = [n for n in NOTEBOOKS if not argv or any(n.startswith(a) for a in argv)]
    for name in wanted:
        print("built", build(name, NOTEBOOKS[name]).relative_to(ROOT))


if __name__ == "__main__":
    main(sys.argv[1:])
