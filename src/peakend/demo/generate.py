"""A demo hall network written as the files real sources would send.

`generate_demo(out_dir)` is the one entry point: it writes, for 8 halls over 30 days,
queue-system/rating-pad touch logs (long CSV, one file per day), one hall's rating-pad
export in the wide format with Chinese headers and its mapping, SMS survey replies (JSON
Lines), mystery-shopping audits, and a file with typical data errors. The hall simulator
of a later issue replaces this generator behind the same function.

Each hall has a visible character (fast but curt at the exit, slow queues, strong handset
sales...). Survey answers follow the peak-end rule on the customers' true (partly unseen)
experience, plus noise, so the model comparison has something real to find.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import yaml

from peakend.blueprint.model import Blueprint

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


@dataclass(frozen=True)
class Hall:
    """A demo hall's character."""

    hall_id: str
    daily: int  # mean visits per day
    warmth: float  # shifts every staff touch
    wait_mean: float  # mean waiting minutes at normal load
    resolve: float  # share of counter visits resolved
    farewell: float  # quality of the end
    handset: float  # quality of handset sales


HALLS = [
    Hall("天河北厅", 260, 0.35, 6, 0.95, 0.5, 0.4),
    Hall("珠江新城厅", 240, 0.25, 8, 0.93, 0.3, 0.5),
    Hall("北京路厅", 300, 0.10, 18, 0.88, 0.2, 0.1),
    Hall("番禺市桥厅", 200, 0.05, 10, 0.85, -0.3, 0.0),
    Hall("白云新市厅", 180, -0.05, 14, 0.80, 0.0, -0.2),
    Hall("海珠江南西厅", 220, 0.20, 7, 0.90, 0.4, -0.4),
    Hall("黄埔大沙厅", 150, -0.20, 20, 0.75, -0.2, -0.1),
    Hall(WIDE_HALL, 170, 0.15, 9, 0.90, 0.1, 0.2),
]
TOUCH_HEADER = [
    "visit_id",
    "hall_id",
    "customer_key",
    "segment",
    "route",
    "arrival",
    "departure",
    "touch_id",
    "moment_id",
    "seq",
    "start_at",
    "end_at",
    "staff_id",
    "rating",
    "rating_scale",
    "wait_min",
    "service_min",
    "outcome",
]
OUTSIDE = {"find_hall", "approach", "storefront"}


def _clip(x: float) -> float:
    return float(min(1.0, max(-1.0, x)))


def _ramp(x: float, tol: float, worst: float, weight: float) -> float:
    return weight * min(1.0, max(0.0, (x - tol) / (worst - tol)))


class _Visit:
    """Generates one visit's touches and its customer's true experience."""

    def __init__(self, rng: np.random.Generator, hall: Hall, bp: Blueprint, vid: str, arrival: datetime, load: float):
        self.rng, self.hall, self.bp, self.vid = rng, hall, bp, vid
        self.t, self.load = arrival, load
        self.rows: list[dict[str, object]] = []
        self.true_e: list[float] = []
        self.unresolved = False

    def touch(self, moment: str, minutes: float, true_e: float, **fields: object) -> None:
        start = self.t
        self.t += timedelta(minutes=minutes)
        seq = len(self.rows) + 1
        row = {
            "touch_id": f"{self.vid}-{seq}",
            "moment_id": moment,
            "seq": seq,
            "start_at": f"{start:%Y-%m-%d %H:%M:%S}",
            "end_at": f"{self.t:%Y-%m-%d %H:%M:%S}",
        }
        row.update({k: (round(v, 1) if isinstance(v, float) else v) for k, v in fields.items()})
        self.rows.append(row)
        self.true_e.append(_clip(true_e))

    def rate(self, true_e: float, p: float, scale: str = "1-5") -> dict[str, object]:
        """Maybe a rating of the true experience (rating pads are not always pressed)."""
        if self.rng.random() > p:
            return {}
        if scale == "sat3":
            word = "满意" if true_e > 0.25 else ("不满意" if true_e < -0.25 else "一般")
            return {"rating": word, "rating_scale": "sat3"}
        r = int(np.clip(round(3 + 2 * true_e + self.rng.normal(0, 0.4)), 1, 5))
        return {"rating": r, "rating_scale": "1-5"}

    def moment(self, m: str, staff: str) -> None:
        rng, h = self.rng, self.hall
        noise = rng.normal(0, 0.2)
        if m in OUTSIDE:
            if rng.random() < 0.15:
                self.touch(m, 1, 0.1 + noise, **self.rate(0.1 + noise, 1.0))
        elif m == "waiting":
            wait = float(rng.exponential(h.wait_mean * self.load))
            true = 0.1 - _ramp(wait, 5, 30, 1.0) + 0.5 * h.warmth + noise
            self.touch(m, wait, true, wait_min=wait)
        elif m == "greeting":
            wait = float(rng.exponential(1.5 if h.warmth > 0 else 3.5))
            self.touch(m, 1, 0.2 - _ramp(wait, 1, 5, 0.7) + h.warmth + noise, wait_min=wait, staff_id=staff)
        elif m == "counter_handling":
            service = float(rng.gamma(4, 3))
            true = 0.1 - _ramp(service, 10, 30, 0.5) + h.warmth + noise
            self.touch(m, service, true, service_min=service, staff_id=staff)
        elif m == "counter_result":
            resolved = rng.random() < h.resolve
            self.unresolved = not resolved
            true = (0.6 if resolved else -0.7) + 0.5 * h.warmth + noise
            self.touch(
                m, 1, true, staff_id=staff, outcome="resolved" if resolved else "unresolved", **self.rate(true, 0.75)
            )
            if not resolved and rng.random() < 0.3:
                recovered = rng.random() < 0.5 + h.warmth
                self.unresolved = not recovered
                true = (0.2 if recovered else -0.95) + noise
                self.touch(
                    "complaint",
                    8,
                    true,
                    staff_id=staff,
                    outcome="resolved" if recovered else "complaint",
                    **self.rate(true, 0.4),
                )
        elif m == "handset_purchase":
            bought = rng.random() < 0.55 + 0.3 * h.handset
            true = (0.6 if bought else -0.4) + 0.6 * h.handset + noise
            self.touch(
                m, 15, true, staff_id=staff, outcome="resolved" if bought else "unresolved", **self.rate(true, 0.5)
            )
        elif m == "data_experience":
            service = float(rng.gamma(3, 1.5))
            true = 0.5 - _ramp(service, 3, 10, 0.5) + h.warmth + noise
            self.touch(m, service, true, service_min=service, staff_id=staff, outcome="resolved")
        elif m == "self_service":
            ok = rng.random() < 0.9
            service = float(rng.gamma(2, 2.5))
            true = (0.4 if ok else -0.6) - _ramp(service, 5, 15, 0.5) + noise
            self.touch(m, service, true, outcome="resolved" if ok else "unresolved")
        elif m == "leaving":
            true = (-0.6 if self.unresolved else 0.3) + h.farewell + noise
            self.touch(
                m,
                1,
                true,
                staff_id=staff,
                outcome="unresolved" if self.unresolved else "resolved",
                **self.rate(true, 0.35, "sat3"),
            )
        else:
            true = 0.2 + h.warmth + noise
            self.touch(m, float(rng.gamma(2, 2)), true, staff_id=staff)


def _visits(rng: np.random.Generator, hall: Hall, bp: Blueprint, day: date, index: int):
    """Yield (visit fields, touch rows, true peak-end experience) for one hall-day."""
    weekday = 1.2 if day.weekday() >= 5 else 1.0
    n = int(rng.poisson(hall.daily * weekday))
    hours = rng.choice(HOURS, size=n, p=HOUR_LOAD / HOUR_LOAD.sum())
    routes = rng.choice(list(ROUTE_MIX), size=n, p=np.array(list(ROUTE_MIX.values())))
    staff = rng.integers(1, 7, size=n)
    segments = rng.choice(["大众", "政企", "校园", "银发"], size=n, p=[0.6, 0.15, 0.15, 0.1])
    customers = rng.integers(1, 10**7, size=n)
    minutes = rng.uniform(0, 60, size=n)
    moments_of = {r.id: r.moments for r in bp.routes}
    midnight = datetime.combine(day, datetime.min.time())
    for i in range(n):
        arrival = midnight + timedelta(hours=int(hours[i]), minutes=float(minutes[i]))
        vid = f"V{index:02d}{day:%m%d}{i:04d}"
        v = _Visit(rng, hall, bp, vid, arrival, HOUR_LOAD[hours[i] - 9])
        for m in moments_of[routes[i]]:
            v.moment(m, f"{index:02d}{staff[i]:02d}")
        e = v.true_e
        peak = max(reversed(e), key=abs)  # the later touch wins a tie, as in scoring
        visit = {
            "visit_id": vid,
            "hall_id": hall.hall_id,
            "customer_key": f"C{customers[i]:07d}",
            "segment": segments[i],
            "route": routes[i],
            "arrival": f"{arrival:%Y-%m-%d %H:%M:%S}",
            "departure": f"{v.t:%Y-%m-%d %H:%M:%S}",
        }
        yield visit, v.rows, 0.45 * peak + 0.45 * e[-1] + 0.1 * sum(e) / len(e)


def _survey(rng: np.random.Generator, vid: str, felt: float, when: str) -> dict[str, object]:
    overall = int(np.clip(round(5.5 + 4.5 * felt + rng.normal(0, 0.9)), 1, 10))
    recommend = int(np.clip(round(5 + 5 * felt + rng.normal(0, 1.2)), 0, 10))
    out: dict[str, object] = {
        "survey_id": f"S-{vid}",
        "visit_id": vid,
        "answered_at": when,
        "overall": overall,
        "overall_scale": "1-10",
        "recommend": recommend,
    }
    if rng.random() < 0.1:
        out["comment"] = "排队太久了" if felt < 0 else "服务很好，谢谢"
    return out


def _wide_mapping(bp: Blueprint) -> dict[str, object]:
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


def _write_wide(
    path: Path,
    bp: Blueprint,
    rows: list[tuple[dict[str, object], list[dict[str, object]], float]],
    rng: np.random.Generator,
) -> None:
    mapping = _wide_mapping(bp)
    moment_cols = {m["moment"]: m["rating"] for m in mapping["moments"]}  # type: ignore[index, union-attr]
    cols = mapping["columns"]  # type: ignore[index]
    header = [*cols.values(), *moment_cols.values(), "总体满意度"]  # type: ignore[union-attr]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for visit, touches, felt in rows:
            ratings = {t["moment_id"]: t.get("rating") for t in touches if t.get("rating_scale") == "1-5"}
            overall = _survey(rng, str(visit["visit_id"]), felt, "")["overall"] if rng.random() < 0.3 else ""
            w.writerow([*(visit[k] for k in cols), *(ratings.get(m, "") for m in moment_cols), overall])  # type: ignore[union-attr]
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


def generate_demo(out_dir: Path, bp: Blueprint, days: int = 30, seed: int = 7) -> list[Path]:
    """Write the demo network's source files into `out_dir`; return them in ingest order."""
    rng = np.random.default_rng(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "touches").mkdir(exist_ok=True)
    files: list[Path] = []
    surveys: list[dict[str, object]] = []
    wide_rows = []
    for d in range(days):
        day = START + timedelta(days=d)
        path = out_dir / "touches" / f"{day:%Y-%m-%d}.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, TOUCH_HEADER)
            w.writeheader()
            for index, hall in enumerate(HALLS, start=1):
                for visit, touches, felt in _visits(rng, hall, bp, day, index):
                    if hall.hall_id == WIDE_HALL:
                        wide_rows.append((visit, touches, felt))
                        continue
                    for t in touches:
                        w.writerow({**visit, **t})
                    if rng.random() < 0.25:
                        surveys.append(_survey(rng, str(visit["visit_id"]), felt, str(visit["departure"])))
        files.append(path)
    wide = out_dir / "rating_pad_huadu.csv"
    _write_wide(wide, bp, wide_rows, rng)
    files.append(wide)
    sv = out_dir / "sms_survey_replies.jsonl"
    sv.write_text("".join(json.dumps(s, ensure_ascii=False) + "\n" for s in surveys), "utf-8")
    files.append(sv)
    files.append(_write_audits(out_dir / "mystery_shopping_audits.csv", bp, rng, days))
    bad = out_dir / "queue_export_with_errors.csv"
    with bad.open("w", newline="", encoding="utf-8") as f:
        w2 = csv.writer(f)
        w2.writerow(TOUCH_HEADER)
        w2.writerows(BAD_ROWS)
    files.append(bad)
    return files


def _write_audits(path: Path, bp: Blueprint, rng: np.random.Generator, days: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["audit_id", "hall_id", "audited_at", "item", "passed", "auditor"])
        for index, hall in enumerate(HALLS, start=1):
            for week in range(0, days, 7):
                when = START + timedelta(days=week + int(rng.integers(0, 5)))
                for item in bp.checklist:
                    passed = rng.random() < 0.75 + 0.4 * hall.warmth
                    w.writerow(
                        [
                            f"A{index:02d}-{week:02d}-{item.id}",
                            hall.hall_id,
                            f"{when} 14:00:00",
                            item.id,
                            "是" if passed else "否",
                            "暗访员01",
                        ]
                    )
    return path
