"""Everything `peakend loyalty`, the report and the hall page say about loyalty, computed once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from peakend.blueprint.model import COMPONENTS, Blueprint
from peakend.loyalty.drivers import TARGETS, key_drivers
from peakend.loyalty.effects import models, moment_effects
from peakend.loyalty.frame import loyalty_frame
from peakend.loyalty.index import summary
from peakend.loyalty.returns import horizon, lapses, return_share
from peakend.scoring.compare import ANSWERS
from peakend.store.db import Store


@dataclass
class Loyalty:
    """Per hall: loyalty index, NPS, share back within N days, lapses; per week; models; moments; drivers.
    `days` is the return window the data speak to (`asked` shortened to half their span, see `horizon`)."""

    asked: int
    days: int
    halls: pd.DataFrame
    weeks: pd.DataFrame
    models: pd.DataFrame
    moments: pd.DataFrame
    drivers: dict[str, pd.DataFrame]
    asked_items: tuple[str, ...] = ()  # the components the surveys asked (at least one answer), blueprint order

    def write(self, folder: Path) -> list[Path]:
        """Every table as `loyalty_<name>.csv` in `folder`; the files written."""
        folder.mkdir(parents=True, exist_ok=True)
        tables = {"halls": self.halls, "weeks": self.weeks, "models": self.models, "moments": self.moments,
                  **{f"drivers_{k}": v for k, v in self.drivers.items()}}
        for name, table in tables.items():
            table.to_csv(folder / f"loyalty_{name}.csv", index=False, encoding="utf-8")
        return [folder / f"loyalty_{name}.csv" for name in tables]


def hall_table(frame: pd.DataFrame, bp: Blueprint) -> pd.DataFrame:
    """Per hall (and the whole network, hall_id '*'): the answers' summary and the behaviour of known customers."""
    answered = frame[frame[list(ANSWERS)].notna().any(axis=1)]
    halls = [*sorted(frame["hall_id"].dropna().unique()), "*"]
    table = pd.concat([summary(answered, bp, "hall_id"), summary(answered.assign(hall_id="*"), bp, "hall_id")],
                      ignore_index=True) if len(answered) else pd.DataFrame()
    known = frame[frame["customer_key"].notna()]
    rows = []
    for hall in halls:
        mine = known if hall == "*" else known[known["hall_id"] == hall]
        r, lapsed = return_share(mine, horizon(known, bp.loyalty.return_days)), lapses(mine, bp)
        rows.append({"hall_id": hall, "known_visits": r.visits, "returned": r.returned, "return_share": r.share,
                     "return_low": r.low, "return_high": r.high, "regulars": lapsed.regulars,
                     "lapsed": lapsed.lapsed, "lapsed_share": lapsed.share})
    behaviour = pd.DataFrame(rows)
    return behaviour if table.empty else table.merge(behaviour, on="hall_id", how="right")


def loyalty(store: Store, bp: Blueprint, halls: set[str] | None = None, drivers: bool = True,
            seed: int = 0, fitted: bool = True) -> Loyalty:
    """The whole loyalty picture of `halls` (default all); without `drivers` no key-driver analysis, without
    `fitted` no outcome models either (a page's quick panel)."""
    frame = loyalty_frame(store, halls)
    answered = frame[frame["recommend"].notna() | frame["overall"].notna()]
    weeks = (summary(answered.assign(week=pd.to_datetime(answered["day"]).dt.to_period("W").dt.start_time.dt.date),
                     bp, "week") if len(answered) else pd.DataFrame())
    known = frame[frame["customer_key"].notna()]
    drivers_by = {t: key_drivers(frame, bp, t, seed=seed) for t in TARGETS} if drivers else {}
    return Loyalty(bp.loyalty.return_days, horizon(known, bp.loyalty.return_days), hall_table(frame, bp), weeks,
                   models(frame, bp, seed=seed) if fitted else pd.DataFrame(), moment_effects(frame, bp), drivers_by,
                   tuple(c for c in COMPONENTS if c in frame and frame[c].notna().any()))
