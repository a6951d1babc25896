"""A demo hall network written as the files real sources would send, simulated by `peakend.simulate`.

`generate_demo(out_dir)` is the one entry point: it simulates 8 halls over 30 days and writes
queue-system/rating-pad touch logs (long CSV, one file per day), one hall's rating-pad export
in the wide format with Chinese headers and its mapping, SMS survey replies (JSON Lines),
mystery-shopping audits, and a file with typical data errors.

Each hall has a visible character (fast but curt at the exit, slow queues, strong handset
sales...), expressed as a simulator configuration: counters, outcome shares, and shifts of the
felt experience at its moments. Survey answers follow the peak-end rule on the customers'
felt (partly unseen) experience, plus noise, so the model comparison has something real to find.
"""

from __future__ import annotations

import csv
import heapq
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from peakend.blueprint.model import Blueprint
from peakend.ingest.mapping import load_mapping
from peakend.ingest.pipeline import ingest_file
from peakend.ingest.privacy import key_text
from peakend.ingest.validate import Context
from peakend.scoring.coaching import assign
from peakend.scoring.run import score
from peakend.simulate.config import HallConfig
from peakend.simulate.run import (
    TOUCH_FIELDS,
    VISIT_FIELDS,
    Simulated,
    as_text,
    simulate,
    touch_rows,
    write_jsonl,
)
from peakend.store.db import Store
from peakend.store.halls import give_name

START = date(2026, 10, 1)
# Route mix of visitors (the seven flow-lines of the default blueprint).
ROUTE_MIX = {
    "business_handling": 0.42,
    "waiting_diversion": 0.10,
    "handset_sales": 0.12,
    "new_business": 0.08,
    "self_service_route": 0.18,
    "zone_guidance": 0.05,
    "whole_hall": 0.05,
}
HOURS = np.arange(9, 21)
HOUR_LOAD = np.array([0.6, 1.2, 1.4, 1.0, 0.7, 0.9, 1.2, 1.3, 1.0, 0.8, 0.6, 0.4])
WIDE_HALL = "花都新华厅"
OUTSIDE = {"find_hall", "approach", "storefront"}  # before the hall: no rating pad there
# Staff differ: in every hall its second staff member is warmer and its fifth curter than the rest; one of them is
# coached halfway through the demo (a module of the training library) and feels warmer to customers from then on.
STAFF_CHARACTER = {2: 0.25, 5: -0.3}
COACHED = ("白云新市厅", 5, "node_control", 0.55)
MIN_COACHING_DAYS = 8  # a shorter demo has no coaching: too few days either side to measure it


def coached_on(days: int) -> date | None:
    """The day the demo's staff member is coached (halfway), or None for a demo too short to measure it."""
    return START + timedelta(days=days // 2) if days >= MIN_COACHING_DAYS else None
STAFFED = ("greeting", "guide_consult", "answering", "counter_handling", "counter_result", "data_experience")


@dataclass(frozen=True)
class Hall:
    """A demo hall's character."""

    hall_id: str
    daily: int  # mean visits per day
    warmth: float  # shifts every staff touch
    counters: int  # open counters (fewer: longer queues)
    resolve: float  # share of counter visits resolved
    farewell: float  # quality of the end
    handset: float  # quality of handset sales

    def staff_id(self, n: int) -> str:
        """The id of the hall's `n`-th staff member, as the simulator names them."""
        return f"{self.hall_id[:2]}{n:02d}"

    def staff_shift(self, n: int, day: date, coached: date | None = None) -> float:
        """How much warmer than the hall the `n`-th staff member is felt on `day` (`coached`: the coaching day)."""
        trained = self.hall_id == COACHED[0] and n == COACHED[1] and coached is not None and day >= coached
        return STAFF_CHARACTER.get(n, 0.0) + (COACHED[3] if trained else 0.0)

    def config(self, coached: date | None = None) -> HallConfig:
        """The hall as a simulator configuration (`coached`: the day the demo's coaching takes place)."""
        load = HOUR_LOAD / HOUR_LOAD.sum() * self.daily
        return HallConfig.model_validate({
            "hall_id": self.hall_id,
            "arrivals": {int(h): float(x) for h, x in zip(HOURS, load, strict=True)},
            "weekend_factor": 1.2,
            "routes": ROUTE_MIX,
            "segments": {"大众": 0.6, "政企": 0.15, "校园": 0.15, "银发": 0.1},
            "stations": {"counter": {"moments": ["counter_handling"], "servers": self.counters},
                         "kiosk": {"moments": ["self_service"], "servers": 3},
                         "experience": {"moments": ["handset_purchase", "data_experience"], "servers": 3}},
            "service": {"counter_handling": {"mean": 9, "cv": 0.6}, "self_service": {"mean": 5, "cv": 0.7},
                        "handset_purchase": {"mean": 15, "cv": 0.4}, "data_experience": {"mean": 4.5, "cv": 0.6},
                        "greeting": {"kind": "exponential", "mean": 1.5 if self.warmth > 0 else 3.5},
                        "counter_result": {"kind": "fixed", "mean": 1}, "leaving": {"kind": "fixed", "mean": 1}},
            "outcomes": {
                "counter_result": {"resolved": self.resolve, "unresolved": 0.8 * (1 - self.resolve),
                                   "complaint": 0.2 * (1 - self.resolve)},
                "handset_purchase": {"resolved": 0.55 + 0.3 * self.handset, "unresolved": 0.45 - 0.3 * self.handset},
                "self_service": {"resolved": 0.9, "unresolved": 0.1},
            },
            "patience": {"kind": "exponential", "mean": 45},
            "ratings": {"counter_result": {"share": 0.75}, "handset_purchase": {"share": 0.5},
                        "leaving": {"share": 0.35, "scale": "sat3"}},
            "character": {**{m: self.warmth for m in STAFFED}, "leaving": self.farewell,
                          "handset_purchase": 0.6 * self.handset},
            "survey_share": 0.25,
            "staff_character": {self.staff_id(n): x for n, x in STAFF_CHARACTER.items()},
            "staff_change": {self.staff_id(COACHED[1]): {"on": coached, "shift": COACHED[3]}}
            if coached and self.hall_id == COACHED[0] else {},
        })


HALLS = [
    Hall("天河北厅", 260, 0.35, 4, 0.95, 0.5, 0.4),
    Hall("珠江新城厅", 240, 0.25, 4, 0.93, 0.3, 0.5),
    Hall("北京路厅", 300, 0.10, 3, 0.88, 0.2, 0.1),
    Hall("番禺市桥厅", 200, 0.05, 3, 0.85, -0.3, 0.0),
    Hall("白云新市厅", 180, -0.05, 2, 0.80, 0.0, -0.2),
    Hall("海珠江南西厅", 220, 0.20, 3, 0.90, 0.4, -0.4),
    Hall("黄埔大沙厅", 150, -0.20, 2, 0.75, -0.2, -0.1),
    Hall(WIDE_HALL, 170, 0.15, 3, 0.90, 0.1, 0.2),
]
ENGLISH_NAMES = {"天河北厅": "Tianhe North", "珠江新城厅": "Zhujiang New Town", "北京路厅": "Beijing Road",
                 "番禺市桥厅": "Panyu Shiqiao", "白云新市厅": "Baiyun Xinshi", "海珠江南西厅": "Haizhu Jiangnan West",
                 "黄埔大沙厅": "Huangpu Dasha", WIDE_HALL: "Huadu Xinhua"}
TOUCH_HEADER = [*VISIT_FIELDS, *TOUCH_FIELDS]  # the long log format, for the hand-written bad rows


def _wide_mapping(bp: Blueprint) -> dict[str, Any]:
    moments = [m for m in bp.moments if m.id not in OUTSIDE]
    return {
        "format": "wide",
        "columns": {
            "visit_id": "流水号",
            "hall_id": "营业厅",
            "arrival": "到厅时间",
            "departure": "离厅时间",
            "segment": "客户类型",
            "route": "动线",
        },
        "rating_scale": "1-5",
        "moments": [{"moment": m.id, "rating": f"{m.zh}评分"} for m in moments],
        "survey": {"overall": "总体满意度"},
        "overall_scale": "1-10",
    }


def _write_wide(path: Path, bp: Blueprint, sim: Simulated) -> None:
    """The wide rating-pad export: one row per visit, a rating column per moment, the overall answer."""
    mapping = _wide_mapping(bp)
    moments: list[dict[str, str]] = mapping["moments"]
    moment_cols = {m["moment"]: m["rating"] for m in moments}
    cols: dict[str, str] = mapping["columns"]
    t = sim.touches[(sim.touches.rating_scale == "1-5") & sim.touches.moment_id.isin(list(moment_cols))]
    ratings = t.pivot_table(index="visit_id", columns="moment_id", values="rating", aggfunc="first")
    ratings = ratings.reindex(columns=list(moment_cols)).rename(columns=moment_cols)
    overall = sim.surveys.set_index("visit_id")["overall"].rename("总体满意度")
    wide = sim.visits.set_index("visit_id", drop=False)[list(cols)].rename(columns=cols).join(ratings).join(overall)
    as_text(wide).to_csv(path, index=False, encoding="utf-8")
    path.with_suffix(".mapping.yaml").write_text(yaml.safe_dump(mapping, allow_unicode=True, sort_keys=False), "utf-8")


BAD_ROWS = [
    # a row with a moment the blueprint does not know, a rating off its scale, a bad time,
    # a touch of an unknown visit, a leaving time before arrival
    [
        "X-1",
        "北京路厅",
        "",
        "大众",
        "",
        "2026-10-05 10:00:00",
        "2026-10-05 10:20:00",
        "",
        "coffee_bar",
        1,
        "2026-10-05 10:01:00",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
    [
        "X-2",
        "北京路厅",
        "",
        "大众",
        "",
        "2026-10-05 11:00:00",
        "2026-10-05 11:30:00",
        "",
        "counter_result",
        1,
        "2026-10-05 11:20:00",
        "",
        "0301",
        "7",
        "1-5",
        "",
        "",
        "resolved",
    ],
    ["X-3", "北京路厅", "", "大众", "", "2026/10/05 25:61", "", "", "waiting", 1, "", "", "", "", "", "12", "", ""],
    ["X-4", "", "", "", "", "", "", "", "leaving", 1, "", "", "", "满意", "", "", "", ""],
    [
        "X-5",
        "北京路厅",
        "",
        "大众",
        "",
        "2026-10-05 15:00:00",
        "2026-10-05 14:00:00",
        "",
        "leaving",
        1,
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
    [
        "X-6",
        "北京路厅",
        "",
        "大众",
        "",
        "2026-10-05 16:00:00",
        "2026-10-05 16:30:00",
        "",
        "waiting",
        1,
        "2026-10-05 16:00:00",
        "",
        "",
        "",
        "",
        "-3",
        "",
        "",
    ],
]


RETURN_GAP_DAYS = 9.0  # mean days before a customer who comes back does


def returning(visits: pd.DataFrame, remembered: pd.Series, rng: np.random.Generator, prefix: str) -> pd.DataFrame:
    """Customer keys that make customers come back as their visit left them: after each visit its customer
    returns with probability 1 / (1 + exp(0.2 − 2.5·remembered)) (about 0.75 after a good visit, 0.2 after a bad
    one), an exponential number of days later; an arrival takes the key of the earliest customer due back."""
    order = visits.sort_values("arrival", kind="stable")
    due: list[tuple[pd.Timestamp, str]] = []
    keys, made = {}, 0
    for vid, at in zip(order["visit_id"], order["arrival"], strict=True):
        if due and due[0][0] <= at:
            key = heapq.heappop(due)[1]
        else:
            made += 1
            key = f"{prefix}{made:06d}"
        keys[vid] = key
        x = float(remembered.get(vid, 0.0))
        if rng.random() < 1 / (1 + np.exp(0.2 - 2.5 * x)):
            heapq.heappush(due, (at + pd.Timedelta(days=float(rng.exponential(RETURN_GAP_DAYS))), key))
    return visits.assign(customer_key=visits["visit_id"].map(keys))


def generate_demo(out_dir: Path, bp: Blueprint, days: int = 30, seed: int = 7) -> list[Path]:
    """Simulate the demo network and write its source files into `out_dir`; return them in ingest order."""
    rng = np.random.default_rng(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "touches").mkdir(exist_ok=True)
    logs, surveys, files = [], [], []
    for index, hall in enumerate(HALLS, start=1):
        sim = simulate(hall.config(coached_on(days)), bp, START, days, seed=seed, replication=index,
                       prefix=f"V{index:02d}-")
        sim = Simulated(returning(sim.visits, sim.remembered, rng, f"K{index:02d}"), sim.touches, sim.surveys)
        if hall.hall_id == WIDE_HALL:
            wide = out_dir / "rating_pad_huadu.csv"
            _write_wide(wide, bp, sim)
            continue
        logs.append(touch_rows(sim))
        surveys.append(sim.surveys)
    rows = pd.concat(logs, ignore_index=True)
    day_of = rows["start_at"].str.slice(0, 10)
    for d in range(days):
        day = f"{START + timedelta(days=d):%Y-%m-%d}"
        path = out_dir / "touches" / f"{day}.csv"
        rows[day_of == day].to_csv(path, index=False, encoding="utf-8")
        files.append(path)
    files.append(wide)
    files.append(write_jsonl(pd.concat(surveys, ignore_index=True), out_dir / "sms_survey_replies.jsonl"))
    files.append(_write_audits(out_dir / "mystery_shopping_audits.csv", bp, rng, days))
    bad = out_dir / "queue_export_with_errors.csv"
    with bad.open("w", newline="", encoding="utf-8") as f:
        w2 = csv.writer(f)
        w2.writerow(TOUCH_HEADER)
        w2.writerows(BAD_ROWS)
    files.append(bad)
    return files


def load_demo(store: Store, bp: Blueprint, folder: Path, days: int = 7, seed: int = 7,
              progress: Callable[[str], None] | None = None) -> int:
    """Generate the demo's source files into `folder`, ingest them into `store` through the file path (mappings
    included), record its coaching and score it; the number of files ingested. For a first run in the browser."""
    tell = progress or (lambda _: None)
    tell("generating")
    files = generate_demo(folder, bp, days, seed)
    for i, f in enumerate(files, start=1):
        tell(f"ingest {i}/{len(files)}")
        mapping = f.with_suffix(".mapping.yaml")
        ingest_file(store, f, Context(bp), load_mapping(mapping) if mapping.exists() else None)
    record_coaching(store, days)
    record_hall_names(store)
    tell("scoring")
    score(store, bp)
    return len(files)


def record_hall_names(store: Store) -> None:
    """Give the demo's halls their names in both languages (their ids are their Chinese names), and their staff
    (天河02 is Tianhe 02 in English)."""
    for hall in HALLS:
        give_name(store, "hall", hall.hall_id, hall.hall_id, ENGLISH_NAMES[hall.hall_id])
    staff = store.rows("SELECT DISTINCT v.hall_id, t.staff_id FROM touches t JOIN visits v USING (visit_id) "
                       "WHERE t.staff_id IS NOT NULL")
    for hall_id, staff_id in staff:
        if str(hall_id) in ENGLISH_NAMES and str(staff_id)[2:].isdigit():
            give_name(store, "staff", str(staff_id), str(staff_id),
                      f"{ENGLISH_NAMES[str(hall_id)].split()[0]} {str(staff_id)[2:]}")


def record_coaching(store: Store, days: int) -> None:
    """Record the demo's coaching assignment (when the demo runs past its day), as a manager would."""
    day = coached_on(days)
    if day is None:
        return
    hall = next(h for h in HALLS if h.hall_id == COACHED[0])
    staff = hall.staff_id(COACHED[1])
    assign(store, hall.hall_id, key_text(store, staff) or staff, COACHED[2], day, "demo")


def _write_audits(path: Path, bp: Blueprint, rng: np.random.Generator, days: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["audit_id", "hall_id", "audited_at", "item", "passed", "staff_id", "auditor"])
        for index, hall in enumerate(HALLS, start=1):
            for week in range(0, days, 7):
                when = START + timedelta(days=week + int(rng.integers(0, 5)))
                served = int(rng.integers(1, 7))  # the mystery shopper is served by one staff member
                odds = 0.75 + 0.4 * (hall.warmth + hall.staff_shift(served, when, coached_on(days)))
                for item in bp.audit_items():
                    passed = rng.random() < odds
                    w.writerow([f"A{index:02d}-{week:02d}-{item.id}", hall.hall_id, f"{when} 14:00:00", item.id,
                                "是" if passed else "否", hall.staff_id(served), "暗访员01"])
    return path
