"""Write the malformed-file corpus (run from the repo root: python tests/malformed/make_corpus.py).

Deterministic: the committed files are exactly what this script writes. Expectations live in
tests/test_validate_corpus.py.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import xlsxwriter

HERE = Path(__file__).resolve().parent
SCORES = "轮次,楼栋编号,评委,指标,得分\n"
WJX_HEAD = "序号,提交答卷时间,所用时间,来源,来源详情,来自IP,1、您居住的楼栋,2、您对楼道卫生是否满意,3、您对绿化是否满意,4、您希望改进哪些方面\n"


def text(name: str, content: str, encoding: str = "utf-8") -> None:
    (HERE / name).write_bytes(content.encode(encoding))


def raw(name: str, data: bytes) -> None:
    (HERE / name).write_bytes(data)


def xlsx(name: str, sheets: dict[str, list[tuple[int, list]]]) -> None:
    wb = xlsxwriter.Workbook(str(HERE / name))
    wb.set_properties({"created": dt.datetime(2024, 5, 1)})
    for sheet, rows in sheets.items():
        ws = wb.add_worksheet(sheet)
        for r, values in rows:
            for c, v in enumerate(values):
                if v is not None:
                    ws.write(r, c, v)
    wb.close()


def main() -> None:
    rng = random.Random(20240501)
    # --- encodings
    text("gbk_scores.csv", SCORES + "1,B01,J1,sanitation,8\n1,B01,J2,sanitation,九\n", "gbk")
    text("gb18030_units.csv", "单位编号,名称,街道,社区,楼院,户数\n"
         "B01,䶮园1号楼,济源路街道,三湾社区,䶮园,三十\n", "gb18030")
    text("latin1_units.csv", "unit_id,name,street,community,courtyard\n"
         "B01,Café Zoë,Rue Müller,Élan,Cour\n", "latin-1")
    # a UTF-8 file with one row pasted from a GBK file, and one with a stray Latin-1 byte: never
    # re-decoded whole as GB18030 (that would garble every other name)
    units_head = "单位编号,名称,街道,社区,楼院\n"
    raw("mixed_utf8_gbk.csv", (units_head + "B01,三湾街18号楼,济源路街道,三湾社区,三湾街18号院\n")
        .encode("utf-8") + "B02,九冶院,济源路街道,九冶社区,九冶院\n".encode("gbk")
        + "B03,建行家属院,新安路街道,建行社区,建行家属院\n".encode())
    raw("utf8_latin1_byte.csv", (SCORES + "1,B01,J1,sanitation,8\n").encode("utf-8")
        + b"1,B02,J1,sanitation,7\xb0\n")
    raw("utf16_nobom_scores.csv", (SCORES + "1,B01,J1,sanitation,8\n").encode("utf-16-le"))
    raw("utf16_bom_scores.csv", b"\xff\xfe" + (SCORES.replace(",", "\t")
        + "1\tB01\tJ1\tsanitation\t8\n1\tB02\tJ1\tsanitation\t12\n").encode("utf-16-le"))
    text("bom_scores.csv", SCORES + "1,B01,J1,sanitation,8\n1,B01,J1,stairs,-1\n", "utf-8-sig")
    # --- headers
    text("misspelt_score.csv", "轮次,楼栋编号,评委,指标,得份\n1,B01,J1,sanitation,8\n")
    text("missing_street.csv", "单位编号,名称,社区,楼院\nB01,三湾街18号楼,三湾社区,三湾街18号院\n")
    text("duplicate_header.csv", "轮次,楼栋编号,评委,指标,得分,得分\n1,B01,J1,sanitation,8,9\n")
    text("alias_twice.csv", "轮次,楼栋编号,评委,指标,得分,分数\n1,B01,J1,sanitation,8,9\n")
    # --- cells
    text("non_numeric.csv", SCORES + "1,B01,J1,sanitation,8\n1,B01,J2,sanitation,abc\n"
         "一,B01,J3,sanitation,7\n")
    text("nan_inf.csv", SCORES + "1,B01,J1,sanitation,NaN\n1,B01,J2,sanitation,8\n"
         "1,B01,J3,sanitation,inf\n")
    text("out_of_range.csv", SCORES + "1,B01,J1,sanitation,10\n1,B01,J2,sanitation,11\n"
         "1,B01,J3,stairs,-0.5\n")
    text("unknown_criterion.csv", SCORES + "1,B01,J1,safty,8\n1,B01,J1,环境卫生,9\n")
    text("duplicate_rows.csv", SCORES + "1,B01,J1,sanitation,8\n1,B02,J1,sanitation,7\n"
         "1,B01,J1,sanitation,9\n")
    text("missing_cells.csv", SCORES + "1,,J1,sanitation,8\n1,B02,J1,sanitation,\n")
    text("ragged.csv", SCORES + "1,B01,J1,sanitation,8\n1,B02,J1,sanitation,7,多余\n")
    text("multiline_cell.csv", "单位编号,名称,街道,社区,楼院,户数\n"
         "B01,\"三湾街\n18号楼\",济源路街道,三湾社区,三湾街18号院,40\n"
         "B02,九冶院,济源路街道,九冶社区,九冶院,四十\n")
    text("units_types.csv", "单位编号,名称,街道,社区,楼院,户数,有无物业\n"
         "B01,九冶院,济源路街道,九冶社区,九冶院,36,否\nB02,建行家属院,新安路街道,建行社区,"
         "建行家属院,12.5,也许\n")
    # --- empty
    text("empty.csv", "")
    text("header_only.csv", SCORES)
    text("blank_lines.csv", "\n\n,,\n\n")
    # --- time order and timestamps
    text("tickets_time.csv", "工单编号,楼院编号,类别,渠道,收集时间,下单时间,办结时间,状态\n"
         "T1,B01,环境卫生,民情速递站,2024-05-01 09:00,2024-05-01 10:00,2024-05-02 09:00,已办结\n"
         "T2,B01,环境卫生,四联单,2024-05-03 09:00,2024-05-02 10:00,2024-05-01 09:00,已办结\n"
         "T3,B02,安全隐患,民情速递站,2024-13-01 09:00,,,正在解决\n")
    text("deductions_bad.csv", "轮次,楼栋编号,扣分项,次数\n1,B01,乱堆乱放,2\n1,B01,乱贴广告,1\n"
         "1,B02,乱堆乱放,-1\n1,B03,乱堆乱放,1.5\n")
    text("ratings_labels.csv", "楼栋编号,答卷编号,提交时间,题目,评价\n"
         "B01,R1,2024-05-01 10:00,stairs,满意\nB01,R1,2024-05-01 10:00,green,很满意\n"
         "B01,R2,2024-05-01 11:00,stairs,7\nB02,R3,2024-05-01 12:00,stairs,3\n")
    # --- 问卷星
    text("wjx_codes.csv", WJX_HEAD
         + "1,2024/05/01 10:01:59,35秒,手机提交,直接访问,1.2.3.4(河南-洛阳),三湾街18号楼,满意,-2,环境┋绿化\n"
         "2,2024/05/01 10:05:00,40秒,微信,N/A,1.2.3.5(河南-洛阳),九冶院,基本满意,-3,-3\n"
         "3,2024/13/01 10:07:00,50秒,微信,N/A,1.2.3.6(河南-洛阳),九冶院,非常好,满意,照明\n", "gbk")
    text("wjx_no_unit.csv", WJX_HEAD.replace("您居住的楼栋", "您的年龄")
         + "1,2024/05/01 10:01:59,35秒,手机提交,直接访问,1.2.3.4,30岁,满意,满意,环境\n", "gbk")
    # --- xlsx / parquet
    raw("broken.xlsx", rng.randbytes(2048))
    raw("broken.parquet", rng.randbytes(512))
    raw("empty.xlsx", b"")
    xlsx("empty_sheet.xlsx", {"评分": [], "说明": [(0, ["这个工作表不是数据"])]})
    xlsx("wide_scores.xlsx", {"评分表": [
        (2, ["轮次", "楼栋编号", "评委", "环境卫生", "楼道整洁", "合计"]),
        (3, [1, "B01", "J1", 9, 8, 17]),
        (4, [1, "B02", "J1", 7, 12, 19]),
        (5, [1, "B03", "J1", "好", None, 0]),
    ]})
    xlsx("wide_misspelt.xlsx", {"Sheet1": [
        (0, ["轮次", "楼栋编号", "评委", "环境卫士", "楼道整洁"]),
        (1, [1, "B01", "J1", 9, 8]),
    ]})
    text("unsupported.json", "{}")
    # --- a dataset folder whose ids and headers carry zero-width and full-width characters
    # (JY001\u200b, 得分\u200b, ｕｎｉｔ＿ｉｄ): the same units, with a note — never other units
    inv = HERE / "ds_invisible_ids"
    inv.mkdir(exist_ok=True)
    (inv / "units.csv").write_text("ｕｎｉｔ＿ｉｄ,名称,街道,社区,楼院\nB01,三湾街18号楼,济源路街道,"
                                   "三湾社区,三湾街18号院\nB02,九冶院,济源路街道,九冶社区,九冶院\n",
                                   encoding="utf-8")
    (inv / "scores.csv").write_text("轮次,楼栋编号,评委,指标,得分\u200b\n1,B01\u200b,J1,sanitation,8\n"
                                    "1,Ｂ０２,J1,sanitation,7\n1,B\u200b01,J2,sanitation,9\n",
                                    encoding="utf-8")
    # --- a dataset folder with ids that do not exist in other tables
    ds = HERE / "ds_unknown_ids"
    ds.mkdir(exist_ok=True)
    (ds / "units.csv").write_text("单位编号,名称,街道,社区,楼院\nB01,三湾街18号楼,济源路街道,"
                                  "三湾社区,三湾街18号院\nB02,九冶院,济源路街道,九冶社区,九冶院\n",
                                  encoding="utf-8")
    (ds / "judges.csv").write_text("评委编号,姓名,身份\nJ1,张三,网格员\nJ2,李四,居民代表\n",
                                   encoding="utf-8")
    (ds / "scores.csv").write_text(SCORES + "1,B01,J1,sanitation,8\n1,B09,J1,sanitation,7\n"
                                   "1,B02,J7,sanitation,9\n", encoding="utf-8")
    (ds / "entries.csv").write_text("轮次,作品编号,楼栋编号,类别,作品名称\n"
                                    "1,E1,B01,最美楼道,干净的楼道\n1,E2,B08,最美庭院,花园\n",
                                    encoding="utf-8")
    (ds / "votes.csv").write_text("轮次,作品编号,投票人,投票时间\n1,E1,u1,2024-05-01 10:00:00\n"
                                  "2,E1,u2,2024-05-01 10:00:01\n1,E3,u3,2024-05-01 10:00:02\n",
                                  encoding="utf-8")


if __name__ == "__main__":
    main()
