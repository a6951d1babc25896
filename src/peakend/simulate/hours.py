"""Opening hours per weekday from an arrival forecast and the servers it needs.

For each weekday (the mean of its days in the forecast): every window [open, close) of whole hours within
today's hours (the hours the forecast covers: the hall was never seen open outside them, so no earlier opening or
later closing is proposed) that keeps at least `keep` of the day's forecast arrivals; of those, the one with the
fewest server-hours needed (all stations), the wider on a tie. Beside it: the arrivals turned away (outside the
window) and, in the hours kept, the customers waiting past the target: every arrival of an hour whose plan does
not meet the targets, and 1 − the target share of the others' (at most that many, by the plan).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Hours:
    """A weekday's hours today and proposed, with what the proposal costs in customers and saves in staff."""

    weekday: int  # Monday 0
    today: tuple[int, int]  # [open, close) in clock hours
    best: tuple[int, int]
    arrivals: float  # forecast arrivals of the day (today's hours)
    kept: float  # share of them inside the proposed hours
    turned_away: float  # forecast arrivals outside the proposed hours
    waiting: float  # forecast arrivals inside them waiting past the target (at most)
    server_hours: float  # needed in the proposed hours
    server_hours_today: float


def per_weekday(forecast: pd.DataFrame, needs: pd.DataFrame, target_share: float) -> pd.DataFrame:
    """Per weekday × hour: mean arrivals, servers needed (all stations) and customers waiting past the target."""
    f = forecast.assign(weekday=pd.to_datetime(forecast["day"]).dt.weekday)
    n = needs.assign(weekday=pd.to_datetime(needs["day"]).dt.weekday)
    arrivals = f.groupby(["weekday", "hour"])["mean"].mean()
    servers = n.groupby(["weekday", "day", "hour"])["servers"].sum().groupby(["weekday", "hour"]).mean()
    meets = n.groupby(["weekday", "hour"])["meets"].all()
    out = pd.DataFrame({"arrivals": arrivals}).join(servers.rename("servers")).join(meets.rename("meets"))
    out = out.fillna({"servers": 0.0, "meets": True})
    out["waiting"] = out["arrivals"].where(~out["meets"].astype(bool), out["arrivals"] * (1 - target_share))
    return out.reset_index()


def best_hours(hours: pd.DataFrame, keep: float) -> tuple[int, int]:
    """The window [open, close) of `hours` (hour, arrivals, servers; consecutive) keeping at least `keep` of the
    arrivals with the fewest server-hours, the wider on a tie (today's hours when nothing shorter keeps enough)."""
    h = hours.sort_values("hour")
    hs, a, s = h["hour"].astype(int).tolist(), h["arrivals"].tolist(), h["servers"].tolist()
    total = sum(a)
    best = (hs[0], hs[-1] + 1)
    cost = (sum(s), -len(hs))
    for i in range(len(hs)):
        for j in range(i + 1, len(hs) + 1):
            if total > 0 and sum(a[i:j]) < keep * total - 1e-9:
                continue
            mine = (sum(s[i:j]), -(j - i))
            if mine < cost:
                best, cost = (hs[i], hs[j - 1] + 1), mine
    return best


def opening_hours(forecast: pd.DataFrame, needs: pd.DataFrame, keep: float, target_share: float) -> list[Hours]:
    """Per weekday of the forecast: today's hours and the proposed ones (see the module's docstring)."""
    table = per_weekday(forecast, needs, target_share)
    out = []
    for wd, g in table.groupby("weekday", sort=True):
        o, c = best_hours(g, keep)
        inside = g[(g["hour"] >= o) & (g["hour"] < c)]
        total = float(g["arrivals"].sum())
        out.append(Hours(int(wd), (int(g["hour"].min()), int(g["hour"].max()) + 1), (o, c), total,
                         float(inside["arrivals"].sum()) / total if total else 1.0,
                         total - float(inside["arrivals"].sum()), float(inside["waiting"].sum()),
                         float(inside["servers"].sum()), float(g["servers"].sum())))
    return out
