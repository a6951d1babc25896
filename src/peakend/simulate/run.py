"""Simulated days of a hall, as data frames and as the files real sources send (the ingest path's input)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from peakend.blueprint.model import Blueprint
from peakend.simulate.config import HallConfig
from peakend.simulate.experience import SURVEY_FIELDS, rate
from peakend.simulate.hall import Day, prepare, simulate_day

VISIT_FIELDS = ["visit_id", "hall_id", "customer_key", "segment", "route", "arrival", "departure"]
TOUCH_FIELDS = ["touch_id", "moment_id", "seq", "start_at", "end_at", "staff_id", "rating", "rating_scale",
                "wait_min", "service_min", "outcome"]


@dataclass(frozen=True)
class Simulated:
    """Simulated visits, touches (with ratings when the configuration has rating pads) and survey answers."""

    visits: pd.DataFrame
    touches: pd.DataFrame
    surveys: pd.DataFrame
    remembered: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))  # per visit, as felt


def simulate(
    cfg: HallConfig,
    bp: Blueprint,
    start: date,
    days: int = 1,
    seed: int = 0,
    replication: int = 0,
    rated: bool = True,
    prefix: str = "S",
    step: Callable[[int], None] = lambda _: None,
) -> Simulated:
    """Simulate `days` days from `start`; the same seed and replication give the same events, exactly."""
    model = prepare(cfg, bp)
    rng = np.random.default_rng([seed, replication])
    out: list[Day] = []
    for d in range(days):
        out.append(simulate_day(model, start + timedelta(days=d), rng, f"{prefix}{replication}-" if replication
                                else prefix))
        step(d + 1)
    day = out[0] if days == 1 else Day(pd.concat([d.visits for d in out], ignore_index=True),
                                       pd.concat([d.touches for d in out], ignore_index=True))
    if rated and (cfg.ratings or cfg.survey_share):
        day, surveys, memory = rate(day, cfg, bp, rng)
    else:
        surveys, memory = pd.DataFrame(columns=SURVEY_FIELDS), pd.Series(dtype=float)
    return Simulated(day.visits, day.touches, surveys, memory)


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Timestamps as 'YYYY-MM-DD HH:MM:SS', missing values as empty cells."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d %H:%M:%S")
    return out.astype(object).where(out.notna(), "")


def touch_rows(sim: Simulated) -> pd.DataFrame:
    """The long format of queue-system and rating-pad logs: one row per touch with its visit's fields."""
    rows = sim.touches.merge(sim.visits, on="visit_id", how="left")
    return as_text(rows.reindex(columns=[*VISIT_FIELDS, *TOUCH_FIELDS]))  # unrated days have no rating columns


def write_events(sim: Simulated, out_dir: Path, name: str = "simulated") -> list[Path]:
    """Write touches (long CSV) and survey answers (JSON Lines) as sources would; return the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    touches = out_dir / f"{name}_touches.csv"
    touch_rows(sim).to_csv(touches, index=False, encoding="utf-8")
    files = [touches]
    if len(sim.surveys):
        files.append(write_jsonl(sim.surveys, out_dir / f"{name}_surveys.jsonl"))
    return files


def write_jsonl(frame: pd.DataFrame, path: Path) -> Path:
    """Write a frame as JSON Lines (one object per row, Chinese kept readable, times as text)."""
    records = as_text(frame).to_dict("records")
    path.write_text("".join(json.dumps(r, ensure_ascii=False, default=int) + "\n" for r in records), "utf-8")
    return path
