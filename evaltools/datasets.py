"""A realistic generated sample dataset for one district (上街区), and real-format examples.

The sample is modelled on the district newsletter in ``DOMAIN.md``: two streets (济源路街道 and
新安路街道), their communities, 60 buildings and courtyards, judge panels with their own
leniency, six rounds of 楼栋评比, review cards with very unequal counts, the 民情速递站 / 四联单
ticket logs whose totals match the newsletter, and six rounds of 晒最美 votes with a few planted
irregularities (see :data:`PLANTED`).

Everything is drawn from ``numpy.random.default_rng(seed)`` with vectorised code, so the same seed
gives byte-identical files. ``make sample`` regenerates ``data/sample`` and ``data/examples``.

Examples
--------
>>> tables = make_sample()
>>> sorted(tables)
['deductions', 'entries', 'judges', 'ratings', 'scores', 'tickets', 'units', 'votes']
>>> tables["units"].height, tables["votes"].height
(60, 1968)
>>> t = tables["tickets"].join(tables["units"].select("unit_id", "street"), on="unit_id")
>>> t.group_by("street").agg(
...     n=pl.len(), closed=(pl.col("status") == "已办结").sum()).sort("street").rows()
[('新安路街道', 5231, 4792), ('济源路街道', 1500, 1478)]
"""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

if TYPE_CHECKING:  # pragma: no cover
    from evaltools.dataset import Dataset

__all__ = [
    "CRITERIA",
    "PLANTED",
    "SAMPLE_DIR",
    "SAMPLE_FACTS",
    "load_sample",
    "make_examples",
    "make_sample",
]

DEFAULT_SEED = 20201104
SAMPLE_DIR = Path(__file__).resolve().parents[1] / "data" / "sample"
EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "data" / "examples"

#: The figures the sample is generated to match (from the newsletter of 2020-11-04).
SAMPLE_FACTS = {
    "tickets": {
        "新安路街道": {"courtyards": 13, "received": 5231, "closed": 4792, "open": 439,
                   "feedback_within_working_days": 2, "feedback_rate": 1.0,
                   "closure_rate": 4792 / 5231},
        "济源路街道": {"received": 1500, "closed": 1478, "open": 22},
        "received_between": ("2020-01-02", "2020-10-31"),
        "closed_status": "已办结", "open_status": "正在解决",
        "categories": 11,
    },
    "campaign": {"rounds": 6, "votes": 1968},
    "scores": {"rounds": 6},
}

#: Criteria of the sample rubric: id, Chinese name, group, max points (total 100).
CRITERIA = (
    ("sanitation", "环境卫生", "环境整治", 20),
    ("stairwell", "楼道整洁", "环境整治", 15),
    ("greenery", "绿化美化", "环境整治", 10),
    ("facilities", "公共设施", "设施安全", 15),
    ("safety", "安全管理", "设施安全", 10),
    ("self_org", "自治组织", "共建共治", 10),
    ("participation", "居民参与", "共建共治", 5),
)
SATISFACTION = ("satisfaction", "群众满意度", "群众评价", 15)

_ROUND_DATES = [dt.datetime(2020, 5, 8) + dt.timedelta(days=28 * i) for i in range(6)]

#: What was planted in the 晒最美 votes and the inspections, so detection can be tested.
#: Bursts: many votes for one entry within minutes from one IP and/or device. The honest courtyard:
#: ~40 households voting from the courtyard's shared broadband IP spread over one day — it must
#: NOT be flagged as a burst. Duplicates: the same (round, entry_id, voter_id) twice.
PLANTED: dict = {
    "bursts": [
        {"round": 2, "entry_id": "R2-04", "ip": "171.8.203.77", "devices": ["dev-b7f3a1"],
         "start": dt.datetime(2020, 6, 7, 23, 41, 5), "votes": 45, "seconds_apart": 5.0},
        {"round": 4, "entry_id": "R4-07", "ip": "123.52.16.240",
         "devices": ["dev-4c11e0", "dev-4c11e1", "dev-4c11e2"],
         "start": dt.datetime(2020, 8, 2, 2, 13, 0), "votes": 38, "seconds_apart": 9.0},
        {"round": 5, "entry_id": "R5-02", "ip": None, "devices": ["dev-9e02d5"],
         "start": dt.datetime(2020, 8, 30, 14, 2, 30), "votes": 30, "seconds_apart": 0.6},
    ],
    "honest_shared_ip": {"round": 3, "entry_id": "R3-05", "ip": "1.193.37.18", "votes": 40,
                         "day": dt.date(2020, 7, 4), "hours": (8, 21)},
    "duplicates": [("R1-03", 1), ("R3-08", 3), ("R6-01", 6)],  # (entry_id, round)
    "veto": {"round": 3, "item": "违章搭建", "unit_name": "06小区7号楼"},
}

# --------------------------------------------------------------------------------------------
# The district: streets, communities, courtyards, buildings
# --------------------------------------------------------------------------------------------
# (street, community, courtyard, [building names] or None when the courtyard itself is the unit)
_JIYUAN = [
    ("三湾街社区", "三湾街小区", [f"三湾街{n}号楼" for n in (18, 20, 22, 24, 26)]),
    ("三湾街社区", "九冶院", None),
    ("中安街社区", "建行家属院", None),
    ("中安街社区", "农信家属院", None),
    ("中安街社区", "四方小区", [f"四方小区{n}号楼" for n in (1, 2, 3)]),
    ("工业路社区", "06小区", [f"06小区{n}号楼" for n in range(1, 19)]),
    ("北街社区", "铝厂家属院", None),
    ("北街社区", "邮电家属院", None),
    ("北街社区", "粮食局家属院", None),
    ("北街社区", "五金公司院", None),
    ("北街社区", "供销社家属院", None),
]
_XINAN_COURTYARDS = [  # the 13 无主管楼院 with a 民情速递站
    ("新安西路社区", "电厂家属院", 3), ("新安西路社区", "建材院", 2), ("新安西路社区", "供电局家属院", 2),
    ("通航社区", "二建家属院", 3), ("通航社区", "粮机厂院", 1), ("通航社区", "水泥厂家属院", 2),
    ("金华社区", "气象站院", 2), ("金华社区", "交通局家属院", 1), ("金华社区", "卫校家属院", 3),
    ("汇通社区", "纺织厂家属院", 2), ("汇通社区", "房管所院", 2), ("汇通社区", "百货楼院", 1),
    ("汇通社区", "二中家属院", 2),
]

_SURNAMES = list("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕")
_GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
          "明", "超", "秀英", "华", "平", "刚", "桂英", "建国", "淑珍", "玉兰", "志强", "秀兰",
          "国华", "海燕", "建华", "红梅", "文博", "子涵", "玉梅", "德福", "春花", "立新", "卫东"]
_PHONE_PREFIX = ["138", "139", "137", "135", "150", "151", "158", "186", "189", "133", "176", "183"]
_ROLES = ["网格员", "党员", "居民代表", "业委会", "工作人员"]
_CATEGORIES = ["老旧小区改造", "城市精细化管理", "环境卫生", "停车", "绿化", "安全", "供暖", "供水供气",
               "邻里纠纷", "充电桩", "其他"]
_CATEGORY_P = [0.16, 0.12, 0.14, 0.11, 0.06, 0.07, 0.08, 0.07, 0.06, 0.07, 0.06]
_CONTENT = {
    "老旧小区改造": ["楼顶漏水需要修补", "希望更换单元门"], "城市精细化管理": ["路灯不亮", "井盖破损"],
    "环境卫生": ["垃圾清运不及时", "楼道有小广告"], "停车": ["僵尸车占用车位", "车辆乱停堵塞通道"],
    "绿化": ["树枝遮挡窗户", "绿地被种菜"], "安全": ["楼道堆放杂物", "飞线充电有隐患"],
    "供暖": ["暖气片不热", "暖气管道漏水"], "供水供气": ["希望通天然气", "水压低"],
    "邻里纠纷": ["楼上噪音扰民", "漏水影响楼下"], "充电桩": ["希望安装电动车充电桩", "充电桩损坏"],
    "其他": ["希望增加健身器材", "希望开展文体活动"],
}
_DEDUCTIONS = [  # item, criterion, points per occurrence, cap, weekly rate in round 1
    ("楼道堆物", "stairwell", 1.0, 5.0, 0.55),
    ("私搭乱建", "facilities", 2.0, 6.0, 0.12),
    ("门前种菜", "greenery", 1.0, 4.0, 0.25),
    ("僵尸车", "safety", 1.0, 4.0, 0.20),
    ("飞线充电", "safety", 2.0, 6.0, 0.15),
    ("垃圾乱倒", "sanitation", 1.0, 5.0, 0.30),
]
_BONUSES = [("志愿服务", 1.0, 3.0, 0.25), ("好人好事", 1.0, 2.0, 0.08)]
_RATING_ITEMS = ["环境卫生", "楼道卫生", "绿化美化", "安全管理", "服务态度"]
_LABELS = np.array(["满意", "基本满意", "不太满意", "不满意"])
_CUTOFF = dt.datetime(2020, 11, 3, 18, 0, 0)  # data exported the day before the newsletter

_CSV_DT = "%Y-%m-%d %H:%M:%S"


def _us(a: np.ndarray) -> np.ndarray:
    return a.astype("datetime64[us]")


def _names(rng: np.random.Generator, n: int) -> pl.Series:
    s = np.array(_SURNAMES)[rng.integers(0, len(_SURNAMES), n)]
    g = np.array(_GIVEN)[rng.integers(0, len(_GIVEN), n)]
    return pl.Series(np.char.add(s, g))


def _units(rng: np.random.Generator) -> pl.DataFrame:
    rows: list[tuple[str, str, str, str, int]] = []  # street, community, courtyard, name, bldgs
    for community, courtyard, buildings in _JIYUAN:
        for name in buildings or [courtyard]:
            rows.append(("济源路街道", community, courtyard, name, 1 if buildings else 0))
    for community, courtyard, n in _XINAN_COURTYARDS:
        names = [f"{courtyard}{k}号楼" for k in range(1, n + 1)] if n > 1 else [courtyard]
        for name in names:
            rows.append(("新安路街道", community, courtyard, name, 1 if n > 1 else 0))
    street, community, courtyard, name, is_building = map(list, zip(*rows, strict=True))
    n = len(rows)
    single = np.array(is_building) == 1
    households = np.where(single, rng.integers(18, 72, n), rng.integers(40, 160, n))
    households[name.index("三湾街18号楼")] = 120  # the newsletter: 120 households got gas
    buildings = np.where(single, 1, rng.integers(2, 7, n))
    managed = rng.random(n) < 0.12
    prefix = np.where(np.array(street) == "济源路街道", "JY", "XA")
    seq = np.concatenate([np.arange(1, (prefix == p).sum() + 1) for p in ("JY", "XA")])
    return pl.DataFrame({
        "unit_id": np.char.add(prefix, np.char.zfill(seq.astype(str), 3)),
        "name": name, "street": street, "community": community, "courtyard": courtyard,
        "households": households.astype(np.int64), "buildings": buildings.astype(np.int64),
        "managed": managed,
    })


def _judges(rng: np.random.Generator) -> pl.DataFrame:
    sizes = {"JY": 6, "XA": 7}
    ids = [f"{p}-J{k}" for p, n in sizes.items() for k in range(1, n + 1)]
    n = len(ids)
    roles = np.array(_ROLES)[np.concatenate([rng.permutation(5).tolist() + [0, 1][: m - 5]
                                             for m in sizes.values()])]
    return pl.DataFrame({
        "judge_id": ids, "name": _names(rng, n), "role": roles,
        "street": ["济源路街道"] * sizes["JY"] + ["新安路街道"] * sizes["XA"],
        # how generous each judge is (share of full marks) and how noisy
        "leniency": np.round(rng.normal(0.0, 0.05, n), 4),
        "noise": np.round(rng.uniform(0.03, 0.08, n), 4),
    })


def _scores(rng: np.random.Generator, units: pl.DataFrame, judges: pl.DataFrame,
            quality: np.ndarray, growth: np.ndarray) -> pl.DataFrame:
    maxp = np.array([c[3] for c in CRITERIA], dtype=float)
    ids = np.array([c[0] for c in CRITERIA])
    frames = []
    for street in ("济源路街道", "新安路街道"):
        u_mask = (units["street"] == street).to_numpy()
        j = judges.filter(pl.col("street") == street)
        uid = units["unit_id"].to_numpy()[u_mask]
        nu, nj, nc, nr = int(u_mask.sum()), j.height, len(CRITERIA), 6
        q = quality[u_mask][None, :, None, None]
        g = growth[u_mask][None, :, None, None]
        crit = rng.normal(0, 0.06, (1, nu, 1, nc))
        r = np.arange(nr)[:, None, None, None]
        len_ = j["leniency"].to_numpy()[None, None, :, None]
        noise = rng.normal(0, 1, (nr, nu, nj, nc)) * j["noise"].to_numpy()[None, None, :, None]
        share = np.clip(q + crit + g * r + len_ + noise, 0.15, 1.0)
        score = np.round(share * maxp * 2) / 2  # judges write whole or half points
        R, U, J, C = np.meshgrid(np.arange(1, nr + 1), uid, j["judge_id"].to_numpy(), ids,
                                 indexing="ij")
        frames.append(pl.DataFrame({"round": R.ravel().astype(np.int64), "unit_id": U.ravel(),
                                    "judge_id": J.ravel(), "criterion": C.ravel(),
                                    "score": score.ravel()}))
    return pl.concat(frames)


def _deductions(rng: np.random.Generator, units: pl.DataFrame, quality: np.ndarray
                ) -> pl.DataFrame:
    items = [d[0] for d in _DEDUCTIONS] + [b[0] for b in _BONUSES]
    rate = np.array([d[4] for d in _DEDUCTIONS] + [b[3] for b in _BONUSES])
    is_bonus = np.array([False] * len(_DEDUCTIONS) + [True] * len(_BONUSES))
    nr = 6
    r = np.arange(nr)[:, None, None]
    q = quality[None, :, None]
    # problems get rarer round by round and in better courtyards; good deeds grow
    lam = np.where(is_bonus, rate * (0.6 + 0.15 * r) * (q / 0.7),
                   rate * np.exp(-0.22 * r) * (1.4 - q) / 0.7)
    counts = rng.poisson(lam)
    R, U, It = np.meshgrid(np.arange(1, nr + 1), units["unit_id"].to_numpy(), np.array(items),
                          indexing="ij")
    df = pl.DataFrame({"round": R.ravel().astype(np.int64), "unit_id": U.ravel(),
                       "item": It.ravel(), "count": counts.ravel().astype(np.int64)})
    df = df.filter(pl.col("count") > 0)
    veto = PLANTED["veto"]
    vid = units.filter(pl.col("name") == veto["unit_name"])["unit_id"][0]
    df = pl.concat([df, pl.DataFrame({"round": [veto["round"]], "unit_id": [vid],
                                      "item": [veto["item"]], "count": [1]})])
    notes = {"楼道堆物": "楼道内堆放纸箱杂物", "私搭乱建": "楼前搭建简易棚", "门前种菜": "楼前绿地种菜",
             "僵尸车": "长期停放废旧车辆", "飞线充电": "楼上飞线给电动车充电", "垃圾乱倒": "垃圾未入桶",
             "志愿服务": "志愿者清理楼道", "好人好事": "居民自发修补路面", "违章搭建": "新建违章房屋，已责令拆除"}
    return (df.with_columns(pl.col("item").replace_strict(notes, return_dtype=pl.String)
                            .alias("note"))
            .sort("round", "unit_id", "item"))


def _ratings(rng: np.random.Generator, units: pl.DataFrame, quality: np.ndarray
             ) -> pl.DataFrame:
    n = units.height
    counts = np.clip(np.round(np.exp(rng.normal(3.2, 1.15, n))), 3, 420).astype(np.int64)
    counts[rng.permutation(n)[:3]] = [3, 4, 5]  # a few buildings with hardly any cards
    counts[int(np.argmax(units["households"].to_numpy()))] = 366  # and one with hundreds
    total = int(counts.sum())
    unit_of_card = np.repeat(np.arange(n), counts)
    card_q = quality[unit_of_card]
    start = dt.datetime(2020, 9, 1, 8)
    secs = rng.integers(0, 60 * 86400, total)
    submitted = np.datetime64(start) + secs.astype("timedelta64[s]")
    ni = len(_RATING_ITEMS)
    # latent satisfaction per card and item: better buildings get more 满意
    latent = card_q[:, None] + rng.normal(0, 0.18, (total, ni)) + rng.normal(0, 0.08, (total, 1))
    level = np.digitize(latent, [0.38, 0.50, 0.62])  # 0 不满意 … 3 满意
    label = _LABELS[::-1][level]
    order = np.argsort(submitted, kind="stable")
    card_ids = np.empty(total, dtype=object)
    card_ids[order] = np.char.add("K", np.char.zfill(np.arange(1, total + 1).astype(str), 5))
    return pl.DataFrame({
        "unit_id": np.repeat(units["unit_id"].to_numpy()[unit_of_card], ni),
        "respondent_id": np.repeat(card_ids.astype(str), ni),
        "submitted_at": _us(np.repeat(submitted, ni)),
        "item": np.tile(_RATING_ITEMS, total),
        "rating": label.ravel(),
    }).sort("submitted_at", "respondent_id", maintain_order=True)


def _workday_table(start: dt.date, end: dt.date) -> np.ndarray:
    """Sorted day numbers (numpy datetime64[D]) of China's working days in [start, end]."""
    import chinese_calendar

    days = np.arange(np.datetime64(start), np.datetime64(end) + 1)
    flags = np.fromiter((chinese_calendar.is_workday(d) for d in days.astype(dt.date)), bool,
                        len(days))  # ~700 calendar days: a small lookup table, not per ticket
    return days[flags]


def _add_working_days(day: np.ndarray, k: np.ndarray, workdays: np.ndarray) -> np.ndarray:
    """The k-th working day after ``day`` (k >= 1); ``day`` itself for k == 0."""
    idx = np.searchsorted(workdays, day, side="right")  # working days <= day
    target = workdays[np.minimum(idx + np.maximum(k, 1) - 1, len(workdays) - 1)]
    return np.where(k == 0, day, target)


def _tickets(rng: np.random.Generator, units: pl.DataFrame) -> pl.DataFrame:
    workdays = _workday_table(dt.date(2020, 1, 1), dt.date(2021, 3, 31))
    frames = []
    plan = {"新安路街道": ("XA", 5231, 4792, ["意见箱", "点评卡", "民情速递员", "微信平台"],
                        [0.22, 0.18, 0.38, 0.22], 2),
            "济源路街道": ("JY", 1500, 1478, ["小红本", "走访入户", "微信平台", "意见箱"],
                        [0.40, 0.30, 0.20, 0.10], 4)}
    for street, (prefix, n, closed, channels, channel_p, max_wd) in plan.items():
        u = units.filter(pl.col("street") == street)
        p = u["households"].to_numpy() / u["households"].sum()
        unit_idx = rng.choice(u.height, n, p=p)
        day0, day1 = np.datetime64("2020-01-02"), np.datetime64("2020-10-31")
        span = int((day1 - day0).astype(int)) + 1
        rday = day0 + np.sort(rng.integers(0, span, n)).astype("timedelta64[D]")
        tod = rng.normal(14.5, 3.2, n).clip(7, 21.9)  # hour of day
        received = rday.astype("datetime64[s]") + (tod * 3600).astype("timedelta64[s]")
        # open tickets are mostly recent ones
        age_w = (rday - day0).astype(float) ** 3 + 1
        open_idx = rng.choice(n, n - closed, replace=False, p=age_w / age_w.sum())
        is_open = np.zeros(n, bool)
        is_open[open_idx] = True
        immediate = (~is_open) & (rng.random(n) < 0.32)  # 立即办理 by the 民情速递员
        k = rng.choice(np.arange(max_wd + 1), n, p=np.array([0.35, 0.45, 0.2, 0.0, 0.0][: max_wd + 1])
                       / np.array([0.35, 0.45, 0.2, 0.0, 0.0][: max_wd + 1]).sum())
        if street == "济源路街道":  # no 100% promise here: some answers come late
            k = np.where(rng.random(n) < 0.04, rng.integers(3, 6, n), k)
        k = np.where(immediate, 0, k)
        resp_day = _add_working_days(rday, k, workdays)
        resp_hour = np.where(resp_day == rday, np.minimum(tod + rng.uniform(0.3, 2.5, n), 23.5),
                             rng.uniform(8.5, 17.5, n))
        responded = resp_day.astype("datetime64[s]") + (resp_hour * 3600).astype("timedelta64[s]")
        # 四联单: 居民点单 → 社区党支部下单 → 党员干部接单 (between receipt and response)
        gap = (responded - received).astype(float)
        dispatched = received + (gap * rng.uniform(0.05, 0.4, n)).astype("timedelta64[s]")
        accepted = dispatched + ((responded - dispatched).astype(float)
                                 * rng.uniform(0.1, 0.7, n)).astype("timedelta64[s]")
        dur = (np.exp(rng.normal(1.6, 1.0, n)) * 86400).astype("timedelta64[s]")
        resolved = responded + dur
        cutoff = np.datetime64(_CUTOFF, "s")
        late = resolved > cutoff
        room = (cutoff - responded).astype(float)  # seconds
        resolved = np.where(late, responded + (room * rng.uniform(0.1, 0.9, n)).astype(
            "timedelta64[s]"), resolved)
        resolved = np.where(immediate, responded, resolved)
        nat = np.datetime64("NaT", "s")
        status = np.where(is_open, "正在解决", "已办结")
        rating = np.where(is_open | (rng.random(n) < 0.09), None,
                          _LABELS[rng.choice(4, n, p=[0.70, 0.22, 0.06, 0.02])])
        cat = rng.choice(len(_CATEGORIES), n, p=_CATEGORY_P)
        content_pick = rng.integers(0, 2, n)
        content = np.array([[_CONTENT[c][0], _CONTENT[c][1]] for c in _CATEGORIES])[
            cat, content_pick]
        phone = np.char.add(np.array(_PHONE_PREFIX)[rng.integers(0, len(_PHONE_PREFIX), n)],
                            np.char.zfill(rng.integers(0, 10**8, n).astype(str), 8))
        floor = rng.integers(1, 7, n)
        room_no = np.char.add(np.char.add(np.char.add(
            rng.integers(1, 5, n).astype(str), "-"), rng.integers(1, 4, n).astype(str)), "-")
        room_no = np.char.add(room_no, (floor * 100 + rng.integers(1, 3, n)).astype(str))
        frames.append(pl.DataFrame({
            "ticket_id": np.char.add(f"{prefix}2020-", np.char.zfill(
                np.arange(1, n + 1).astype(str), 5)),
            "unit_id": u["unit_id"].to_numpy()[unit_idx],
            "category": np.array(_CATEGORIES)[cat],
            "channel": np.array(channels)[rng.choice(len(channels), n, p=channel_p)],
            "received_at": _us(received),
            "dispatched_at": _us(np.where(immediate, nat, dispatched)),
            "accepted_at": _us(np.where(immediate, nat, accepted)),
            "responded_at": _us(responded),
            "resolved_at": _us(np.where(is_open, nat, resolved)),
            "status": status,
            "rating": pl.Series(rating, dtype=pl.String),
            "resident_name": _names(rng, n),
            "phone": phone,
            "room": room_no,
            "content": content,
        }))
    return pl.concat(frames)


def _campaign(rng: np.random.Generator, units: pl.DataFrame, quality: np.ndarray
              ) -> tuple[pl.DataFrame, pl.DataFrame]:
    xa = units.filter(pl.col("street") == "新安路街道")
    xq = quality[(units["street"] == "新安路街道").to_numpy()]
    nr, per_round = 6, 9
    cats = np.repeat(["最美楼栋", "最美庭院", "最美楼道"], 3)
    # each round: 9 entries, 3 per category, drawn from 新安路's buildings
    pick = np.argsort(rng.random((nr, xa.height)), axis=1)[:, :per_round]
    r_idx = np.repeat(np.arange(1, nr + 1), per_round)
    names = xa["name"].to_numpy()[pick.ravel()]
    suffix = {"最美楼栋": "焕新颜", "最美庭院": "花满院", "最美楼道": "干净楼道"}
    entries = pl.DataFrame({
        "round": r_idx.astype(np.int64),
        "entry_id": [f"R{r}-{k:02d}" for r in range(1, nr + 1) for k in range(1, per_round + 1)],
        "unit_id": xa["unit_id"].to_numpy()[pick.ravel()],
        "category": np.tile(cats, nr),
        "title": np.char.add(np.char.add(names, " "), np.vectorize(suffix.get)(np.tile(cats, nr))),
    })
    entries = entries.with_columns(photo=pl.format("photos/{}.png", "entry_id"))
    totals = np.array([180, 240, 300, 360, 420, 468])  # 1968 participations in all
    planted_per_round = np.zeros(nr, int)
    for b in PLANTED["bursts"]:
        planted_per_round[b["round"] - 1] += b["votes"]
    h = PLANTED["honest_shared_ip"]
    planted_per_round[h["round"] - 1] += h["votes"]
    for _, r in PLANTED["duplicates"]:
        planted_per_round[r - 1] += 1
    honest = totals - planted_per_round

    # voters join over the rounds and keep coming back with decaying probability
    pool = 1100
    join = np.minimum(rng.geometric(0.32, pool), nr)
    activity = rng.gamma(1.2, 1.0, pool)
    home = rng.integers(0, 13, pool)  # the courtyard each voter lives in
    court_ip = np.char.add("171.8.", np.char.add(np.char.add(
        rng.integers(1, 255, 13).astype(str), "."), rng.integers(2, 254, 13).astype(str)))
    voter_ip = np.where(rng.random(pool) < 0.55, court_ip[home],
                        np.char.add("223.104.", np.char.add(np.char.add(
                            rng.integers(1, 255, pool).astype(str), "."),
                            rng.integers(2, 254, pool).astype(str))))
    voter_dev = np.char.add("dev-", np.char.zfill(np.char.mod("%x", rng.integers(
        0, 16**6, pool)), 6))
    voter_id = np.char.add("wx_", np.char.zfill(np.arange(1, pool + 1).astype(str), 5))
    pop = rng.gamma(1.5, 1.0, (nr, per_round)) * (0.6 + xq[pick])  # entry popularity
    # propensity of each (round, voter, entry): pick the top ones per round without repeats
    R, V, E = np.meshgrid(np.arange(nr), np.arange(pool), np.arange(per_round), indexing="ij")
    alive = join[V] <= R + 1
    key = np.where(alive, np.log(activity[V] * pop[R, E] * np.exp(-0.25 * (R + 1 - join[V])))
                   + rng.gumbel(size=R.shape), -np.inf)
    order = np.argsort(-key, axis=None, kind="stable")
    R_, V_, E_ = R.ravel()[order], V.ravel()[order], E.ravel()[order]
    rank_in_round = np.empty_like(order)
    # rank of each candidate within its round (stable sort by round keeps key order)
    by_round = np.argsort(R_, kind="stable")
    counts = np.bincount(R_, minlength=nr)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank_in_round[by_round] = np.arange(len(order)) - np.repeat(starts, counts)
    keep = rank_in_round < honest[R_]
    R_, V_, E_ = R_[keep], V_[keep], E_[keep]
    m = len(R_)
    base = np.array(_ROUND_DATES, dtype="datetime64[s]")[R_]
    hour = np.clip(rng.normal(19.5, 3.0, m), 6.5, 23.8)
    when = base + (rng.integers(0, 7, m) * 86400 + hour * 3600).astype("timedelta64[s]")
    votes = pl.DataFrame({
        "round": (R_ + 1).astype(np.int64),
        "entry_id": np.char.add(np.char.add(np.char.add("R", (R_ + 1).astype(str)), "-"),
                                np.char.zfill((E_ + 1).astype(str), 2)),
        "voter_id": voter_id[V_], "voted_at": _us(when), "ip": voter_ip[V_], "device": voter_dev[V_],
    })

    planted = []
    for i, b in enumerate(PLANTED["bursts"]):
        n = b["votes"]
        t = np.datetime64(b["start"], "ms") + (np.arange(n) * b["seconds_apart"] * 1000).astype(
            "timedelta64[ms]")
        ip = (np.full(n, b["ip"]) if b["ip"] else np.char.add("39.144.", np.char.add(np.char.add(
            rng.integers(1, 255, n).astype(str), "."), rng.integers(2, 254, n).astype(str))))
        planted.append(pl.DataFrame({
            "round": np.full(n, b["round"], np.int64), "entry_id": np.full(n, b["entry_id"]),
            "voter_id": np.char.add(f"wx_b{i + 1}", np.char.zfill(np.arange(n).astype(str), 3)),
            "voted_at": t.astype("datetime64[us]"), "ip": ip,
            "device": np.array(b["devices"])[np.arange(n) % len(b["devices"])],
        }))
    n = h["votes"]
    lo, hi = h["hours"]
    secs = np.sort(rng.uniform(lo * 3600, hi * 3600, n)).astype(np.int64)
    planted.append(pl.DataFrame({
        "round": np.full(n, h["round"], np.int64), "entry_id": np.full(n, h["entry_id"]),
        "voter_id": np.char.add("wx_h", np.char.zfill(np.arange(n).astype(str), 3)),
        "voted_at": (np.datetime64(h["day"], "s") + secs.astype("timedelta64[s]")).astype(
            "datetime64[us]"),
        "ip": np.full(n, h["ip"]),
        "device": np.char.add("dev-h", np.char.zfill(np.char.mod("%x", np.arange(n)), 5)),
    }))
    dup_rows = []
    for entry_id, r in PLANTED["duplicates"]:
        dup_rows.append(votes.filter((pl.col("round") == r) & (pl.col("entry_id") == entry_id))
                        .head(1).with_columns(pl.col("voted_at") + pl.duration(seconds=1)))
    votes = pl.concat([votes, *planted, *dup_rows]).sort("round", "voted_at", "entry_id",
                                                          "voter_id")
    return entries, votes


def make_sample(seed: int = DEFAULT_SEED, out: str | Path | None = None, *,
                examples: str | Path | bool = True) -> dict[str, pl.DataFrame]:
    """Generate the sample dataset; with ``out``, also write it (and the real-format examples).

    Parameters
    ----------
    seed : seed of ``numpy.random.default_rng``; the same seed gives byte-identical files.
    out : folder to write ``units.csv`` … ``votes.csv`` and ``rubric.toml`` into (created).
    examples : where to write the real-format examples (问卷星 GBK export, wide ``.xlsx`` score
        sheet, ``rubric_wjx.toml``): a folder, ``True`` for ``<out>/../examples`` (i.e.
        ``data/examples`` beside ``data/sample``), or ``False`` for none. Ignored without ``out``.

    Returns
    -------
    dict of str to polars.DataFrame
        The tables with canonical English column names: ``units``, ``judges``, ``scores``,
        ``deductions``, ``ratings``, ``tickets``, ``entries``, ``votes``. ``judges`` carries the
        generator's ``street``, ``leniency`` and ``noise`` columns (kept in the file as extras).

    Examples
    --------
    >>> t = make_sample(seed=1)
    >>> t["scores"].select(pl.len(), pl.col("round").n_unique(), pl.col("criterion").n_unique())
    shape: (1, 3)
    ┌───────┬───────┬───────────┐
    │ len   ┆ round ┆ criterion │
    │ ---   ┆ ---   ┆ ---       │
    │ u32   ┆ u32   ┆ u32       │
    ╞═══════╪═══════╪═══════════╡
    │ 16212 ┆ 6     ┆ 7         │
    └───────┴───────┴───────────┘
    """
    rng = np.random.default_rng(seed)
    units = _units(rng)
    n = units.height
    quality = np.clip(rng.normal(0.68, 0.08, n) + 0.05 * units["managed"].to_numpy(), 0.45, 0.9)
    growth = rng.uniform(0.0, 0.03, n)  # improvement per round
    judges = _judges(rng)
    tables = {
        "units": units,
        "judges": judges,
        "scores": _scores(rng, units, judges, quality, growth),
        "deductions": _deductions(rng, units, quality),
        "ratings": _ratings(rng, units, quality),
        "tickets": _tickets(rng, units),
    }
    tables["entries"], tables["votes"] = _campaign(rng, units, quality)
    if out is not None:
        _write_sample(tables, Path(out))
        if examples is not False:
            where = Path(out).resolve().parent / "examples" if examples is True else Path(examples)
            make_examples(tables, where, seed=seed)
    return tables


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------
# Which files use Chinese headers (as street offices type them) and which the English canonical
# names: both must read identically.
_CHINESE_HEADERS = {
    "scores": {"round": "轮次", "unit_id": "楼栋编号", "judge_id": "评委", "criterion": "指标",
               "score": "得分"},
    "deductions": {"round": "轮次", "unit_id": "楼栋编号", "item": "扣分项", "count": "次数",
                   "note": "备注"},
    "ratings": {"unit_id": "楼栋编号", "respondent_id": "点评卡编号", "submitted_at": "提交时间",
                "item": "评价项目", "rating": "评价"},
    "tickets": {"ticket_id": "工单编号", "unit_id": "楼院编号", "category": "类别", "channel": "渠道",
                "received_at": "居民点单时间", "dispatched_at": "社区党支部下单时间",
                "accepted_at": "党员干部接单时间", "responded_at": "反馈时间",
                "resolved_at": "办结时间", "status": "办理状态", "rating": "群众评单",
                "resident_name": "居民姓名", "phone": "联系电话", "room": "房号",
                "content": "诉求内容"},
}


def _write_sample(tables: dict[str, pl.DataFrame], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df = df.rename(_CHINESE_HEADERS.get(name, {}))
        # tickets: exported for Excel users, so UTF-8 with a BOM; the rest plain UTF-8
        # votes keep milliseconds: sub-second submissions are an integrity signal
        fmt = _CSV_DT + "%.3f" if name == "votes" else _CSV_DT
        df.write_csv(out / f"{name}.csv", datetime_format=fmt, include_bom=name == "tickets")
    (out / "rubric.toml").write_text(SAMPLE_RUBRIC, encoding="utf-8")
    if "entries" in tables and "photo" in tables["entries"].columns:
        photos = out / "photos"
        photos.mkdir(exist_ok=True)
        for rel, data in entry_photos(tables["entries"]).items():  # 54 small pictures
            (out / rel).write_bytes(data)


# --------------------------------------------------------------------------------------------
# Entry photos: small generated pictures (PNG written with zlib, no imaging library)
# --------------------------------------------------------------------------------------------
_PHOTO_W, _PHOTO_H = 96, 64


def _png(rgb: np.ndarray) -> bytes:
    """Encode an (h, w, 3) uint8 array as a PNG (deterministic: fixed zlib level, no metadata)."""
    h, w, _ = rgb.shape
    raw = np.concatenate([np.zeros((h, 1), np.uint8), rgb.reshape(h, w * 3)], axis=1).tobytes()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def _photo(entry_id: str, category: str) -> np.ndarray:
    """A small picture of an entry: sky, a building with lit windows, and what the category
    shows off (flowers for 最美庭院, a bright stairwell for 最美楼道). Seeded by the entry id."""
    rng = np.random.default_rng(zlib.crc32(entry_id.encode("utf-8")))
    h, w = _PHOTO_H, _PHOTO_W
    y, x = np.mgrid[0:h, 0:w]
    img = np.empty((h, w, 3), np.float64)
    img[...] = np.array([150, 200, 240]) + (y / h)[..., None] * np.array([60, 40, 10])  # sky
    ground = y >= h - 12
    img[ground] = [120, 170, 90] if category == "最美庭院" else [170, 165, 155]
    bx0, bx1 = int(rng.integers(10, 24)), int(rng.integers(w - 24, w - 10))
    top = int(rng.integers(8, 20))
    wall = np.array([rng.integers(190, 240), rng.integers(160, 210), rng.integers(130, 190)])
    body = (x >= bx0) & (x < bx1) & (y >= top) & (y < h - 12)
    img[body] = wall
    win = body & ((x - bx0) % 9 >= 3) & ((x - bx0) % 9 < 7) & ((y - top) % 10 >= 3) & (
        (y - top) % 10 < 7)
    img[win] = [250, 230, 140]
    if category == "最美庭院":  # flower beds along the ground
        k = rng.integers(0, 2, w)
        flowers = ground & (y < h - 8) & (k[x] == 1)
        img[flowers] = [230, 90, 120]
    elif category == "最美楼道":  # an open stairwell door, lit
        mid = (bx0 + bx1) // 2
        door = (x >= mid - 5) & (x < mid + 5) & (y >= h - 30) & (y < h - 12)
        img[door] = [255, 245, 210]
    else:  # 最美楼栋: a red banner on the roof line
        img[(x >= bx0) & (x < bx1) & (y >= top) & (y < top + 3)] = [200, 40, 40]
    return np.clip(img, 0, 255).astype(np.uint8)


def entry_photos(entries: pl.DataFrame) -> dict[str, bytes]:
    """The generated photo of every entry: relative path (``photos/R1-01.png``) → PNG bytes."""
    rows = entries.select("entry_id", "category", "photo").iter_rows()  # one per entry (54)
    return {rel: _png(_photo(eid, cat)) for eid, cat, rel in rows}


SAMPLE_RUBRIC = """\
# 上街区无主管楼院“楼栋评比赛”评分细则（样例）
# Sample rubric of the evaltools sample data. Format: docs/rubric.md.

[competition]
name = "上街区无主管楼院楼栋评比赛"
unit = "楼栋"                 # building (楼栋) or courtyard (楼院)
organiser = "上街区委办公室"
period = "2020年5月—10月，共6期"
notice_days = 7               # 公示期 7 天
method = "points"             # 百分制：各指标得分相加
total_points = 100

[judges]
aggregate = "trimmed_mean"    # 去掉一个最高分和一个最低分后取平均
min_judges = 3
fallback = "mean"             # 不足 3 位评委时取平均

[ranking]
ties = "min"                  # 并列：1、2、2、4
tie_breakers = ["satisfaction", "sanitation"]

[rounding]
digits = 2
mode = "half_up"              # 四舍五入

[missing]
policy = "error"

[ratings]
labels = { "满意" = 4, "基本满意" = 3, "不太满意" = 2, "不满意" = 1 }
satisfied = ["满意", "基本满意"]  # 满意率 = (满意 + 基本满意) / 总数
scale = [1, 4]
prior_weight = 10
confidence = 0.95

[publish]
allow_comments = false
# 公示：落款、文号、异议受理方式（样例中的电话和邮箱是虚构的）
document_number = "上街办〔2020〕12号"
address = "上街区中心路 1 号区委办公室 201 室"
phone = "0371-12345678"
email = "pingbi@example.cn"
supervision_phone = "0371-12345679"
summary_top = 10              # 另附前 10 名一页摘要，便于张贴

# ---- 指标（二级指标），各指标满分之和 = 100 ----
[[criteria]]
id = "sanitation"
name = "环境卫生"
group = "环境整治"
max_points = 20
scale = [0, 20]

[[criteria]]
id = "stairwell"
name = "楼道整洁"
group = "环境整治"
max_points = 15
scale = [0, 15]

[[criteria]]
id = "greenery"
name = "绿化美化"
group = "环境整治"
max_points = 10
scale = [0, 10]

[[criteria]]
id = "facilities"
name = "公共设施"
group = "设施安全"
max_points = 15
scale = [0, 15]

[[criteria]]
id = "safety"
name = "安全管理"
group = "设施安全"
max_points = 10
scale = [0, 10]

[[criteria]]
id = "self_org"
name = "自治组织"
group = "共建共治"
max_points = 10
scale = [0, 10]

[[criteria]]
id = "participation"
name = "居民参与"
group = "共建共治"
max_points = 5
scale = [0, 5]

[[criteria]]
id = "satisfaction"
name = "群众满意度"
group = "群众评价"
source = "ratings"            # 群众点评卡
aggregate = "satisfaction_rate"
max_points = 15

# ---- 扣分：每发现一处扣 x 分，扣完为止 ----
[[deductions]]
item = "楼道堆物"
points = 1
criterion = "stairwell"
cap = 5

[[deductions]]
item = "私搭乱建"
points = 2
criterion = "facilities"
cap = 6

[[deductions]]
item = "门前种菜"
points = 1
criterion = "greenery"
cap = 4

[[deductions]]
item = "僵尸车"
points = 1
criterion = "safety"
cap = 4

[[deductions]]
item = "飞线充电"
points = 2
criterion = "safety"
cap = 6

[[deductions]]
item = "垃圾乱倒"
points = 1
criterion = "sanitation"
cap = 5

# ---- 加分 ----
[[bonuses]]
item = "志愿服务"
points = 1
cap = 3

[[bonuses]]
item = "好人好事"
points = 1
cap = 2

# ---- 一票否决 ----
[[vetoes]]
item = "违章搭建"
name = "新增违章建筑"
action = "disqualify"

[[vetoes]]
item = "安全事故"
name = "发生安全责任事故"
action = "grade"
grade = "不合格"

# ---- 等级 ----
[[grades]]
name = "优秀"
min = 90

[[grades]]
name = "良好"
min = 80

[[grades]]
name = "合格"
min = 60

[[grades]]
name = "不合格"
min = 0

# ---- 星级：每达到一项标准得一颗星，最多五星 ----
[[stars]]
name = "卫生星"
criterion = "sanitation"
min_share = 0.9

[[stars]]
name = "整洁星"
criterion = "stairwell"
min_share = 0.9

[[stars]]
name = "绿化星"
criterion = "greenery"
min_share = 0.9

[[stars]]
name = "平安星"
criterion = "safety"
min_share = 0.9

[[stars]]
name = "和谐星"
criterion = "satisfaction"
min_share = 0.9
"""


# --------------------------------------------------------------------------------------------
# Real-format examples: a 问卷星 export in GBK and a wide Excel score sheet
# --------------------------------------------------------------------------------------------
_WJX_QUESTIONS = {
    "2、您对楼道卫生是否满意": "楼道卫生",
    "3、您对环境卫生是否满意": "环境卫生",
    "4、您对绿化美化是否满意": "绿化美化",
}
_WJX_MULTI = "5、您希望优先改善哪些方面（多选）"
_WJX_TEXT = "6、您的其他意见建议"


def make_examples(tables: dict[str, pl.DataFrame], out: str | Path, *,
                  seed: int = DEFAULT_SEED) -> list[Path]:
    """Write the real-format examples into ``out``; returns the paths written.

    * ``wjx_export_gbk.csv`` — a 问卷星 “按选项文本下载” export in GBK: metadata columns
      (序号, 提交答卷时间, 所用时间, 来源, 来源详情, 来自IP), numbered questions, a ┋-joined
      multi-select, ``-3`` (not shown: skipped by logic) and ``-2`` (skipped) codes and
      ``2024/05/01 10:01:59`` timestamps;
    * ``rubric_wjx.toml`` — the sample rubric plus the ``[wjx]`` mapping of that export;
    * ``scores_wide.xlsx`` — round 1 of 济源路街道's scores as people fill them in Excel:
      轮次, 楼栋编号, 评委, then one column per criterion's Chinese name.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed + 1)
    units = tables["units"].filter(pl.col("street") == "济源路街道").head(12)
    n = 48
    who = rng.integers(0, units.height, n)
    t0 = np.datetime64("2024-05-01T08:30:00")
    submitted = t0 + np.sort(rng.integers(0, 3 * 86400, n)).astype("timedelta64[s]")
    answers = {}
    for q in _WJX_QUESTIONS:
        answers[q] = _LABELS[rng.choice(4, n, p=[0.5, 0.3, 0.13, 0.07])].astype(object)
    # -3: not shown (the display logic hid it); -2: skipped
    answers["4、您对绿化美化是否满意"][rng.random(n) < 0.12] = "-3"
    answers["3、您对环境卫生是否满意"][rng.random(n) < 0.06] = "-2"
    options = np.array(["停车", "绿化", "充电桩", "楼道照明", "健身器材"])
    chosen = rng.random((n, len(options))) < 0.35
    chosen[~chosen.any(axis=1), 0] = True
    multi = np.full(n, "", dtype=object)
    for k, opt in enumerate(options):  # a loop over the 5 options, not over rows
        multi = multi + np.where(chosen[:, k], opt + "┋", "")
    multi = np.char.rstrip(multi.astype(str), "┋")
    text = np.where(rng.random(n) < 0.7, "(空)",
                    np.array(["希望尽快安装充电桩", "楼道灯坏了", "感谢社区", "车辆乱停"])[
                        rng.integers(0, 4, n)])
    source = np.array(["微信", "手机提交", "链接"])[rng.choice(3, n, p=[0.7, 0.2, 0.1])]
    ip = np.char.add(np.char.add(np.char.add("171.8.", rng.integers(1, 255, n).astype(str)),
                                 np.char.add(".", rng.integers(2, 254, n).astype(str))),
                     "(河南-郑州)")
    wjx = pl.DataFrame({
        "序号": np.arange(1, n + 1),
        "提交答卷时间": pl.Series(submitted.astype("datetime64[us]")).dt.strftime(
            "%Y/%m/%d %H:%M:%S"),
        "所用时间": np.char.add(rng.integers(35, 400, n).astype(str), "秒"),
        "来源": source,
        "来源详情": np.where(source == "链接", "直接访问", "N/A"),
        "来自IP": ip,
        "1、您居住的楼栋": units["name"].to_numpy()[who],
        **{q: pl.Series(a, dtype=pl.String) for q, a in answers.items()},
        _WJX_MULTI: multi,
        _WJX_TEXT: text,
    })
    wjx_path = out / "wjx_export_gbk.csv"
    wjx_path.write_bytes(wjx.write_csv().encode("gbk"))

    unit_labels = "\n".join(f'"{nm}" = "{uid}"' for nm, uid in
                            zip(units["name"], units["unit_id"], strict=True))
    items = "\n".join(f'"{q}" = "{item}"' for q, item in _WJX_QUESTIONS.items())
    rubric_path = out / "rubric_wjx.toml"
    rubric_path.write_text(
        SAMPLE_RUBRIC.replace("# Sample rubric", "# Sample rubric with a 问卷星 mapping; sample rubric", 1)
        + "\n# ---- 问卷星导出 → ratings 表 ----\n[wjx]\n"
        '# 哪一题回答“您住在哪栋楼”\nunit_question = "1、您居住的楼栋"\n\n'
        "# 题目 → 评价项目（item）\n[wjx.items]\n" + items + "\n\n"
        "# 答案里的楼栋名称 → 单位编号\n[wjx.unit_labels]\n" + unit_labels + "\n",
        encoding="utf-8")

    xlsx_path = out / "scores_wide.xlsx"
    _write_wide_xlsx(tables, xlsx_path)
    return [wjx_path, rubric_path, xlsx_path]


def _write_wide_xlsx(tables: dict[str, pl.DataFrame], path: Path) -> None:
    import xlsxwriter

    names = {c[0]: c[1] for c in CRITERIA}
    jy = tables["units"].filter(pl.col("street") == "济源路街道")["unit_id"]
    wide = (tables["scores"].filter((pl.col("round") == 1) & pl.col("unit_id").is_in(jy.implode()))
            .pivot("criterion", index=["round", "unit_id", "judge_id"], values="score")
            .sort("unit_id", "judge_id")
            .rename({"round": "轮次", "unit_id": "楼栋编号", "judge_id": "评委", **names}))
    wb = xlsxwriter.Workbook(str(path))
    # fixed metadata so the same data gives the same bytes
    wb.set_properties({"title": "楼栋评比评分表（第1期）", "author": "济源路街道",
                       "created": dt.datetime(2020, 5, 15, 9, 0, 0)})
    ws = wb.add_worksheet("评分表")
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    ws.write_row(0, 0, wide.columns, head)
    for j, col in enumerate(wide.columns):  # write column by column (not row loops)
        ws.write_column(1, j, wide[col].to_list())
    ws.freeze_panes(1, 3)
    ws.set_column(0, len(wide.columns) - 1, 10)
    wb.close()


def load_sample() -> Dataset:
    """Read the committed sample (``data/sample``) with :func:`evaltools.dataset.read_dataset`."""
    from evaltools.dataset import read_dataset

    return read_dataset(SAMPLE_DIR)
