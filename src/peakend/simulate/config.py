"""A hall configuration for the simulator (YAML): arrivals, route mix, stations, service times, policies.

Times are minutes; hours are clock hours (9 = 09:00–10:00). A station is a group of servers
(counters, kiosks, staff) that serves some moments first come first served; a *queue moment*
(e.g. `waiting`) in a route records the wait for the station of the moment after it.
"""

from __future__ import annotations

import functools
import math
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy import optimize

from peakend.blueprint.model import OUTCOMES, Blueprint
from peakend.errors import ConfigError
from peakend.safe_yaml import YamlRefused
from peakend.safe_yaml import load as yaml_load


class Strict(BaseModel):
    """No unknown keys: a typo in a configuration is an error, not a silent default."""

    model_config = ConfigDict(extra="forbid")


class Dist(Strict):
    """A duration distribution in minutes, given by its mean and coefficient of variation."""

    kind: Literal["exponential", "gamma", "lognormal", "weibull", "fixed", "uniform"] = "gamma"
    mean: float = Field(gt=0)
    cv: float = Field(default=1.0, ge=0)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """`n` draws (minutes)."""
        if self.kind == "fixed" or self.cv == 0:
            return np.full(n, self.mean)
        if self.kind == "exponential":
            return rng.exponential(self.mean, n)
        if self.kind == "uniform":  # mean ± half-width giving this cv, never below 0
            half = min(self.mean, self.mean * self.cv * 3**0.5)
            return rng.uniform(self.mean - half, self.mean + half, n)
        if self.kind == "lognormal":
            s2 = np.log1p(self.cv**2)
            return rng.lognormal(np.log(self.mean) - s2 / 2, s2**0.5, n)
        if self.kind == "weibull":
            k = weibull_shape(self.cv)
            return self.mean / math.gamma(1 + 1 / k) * rng.weibull(k, n)
        shape = 1 / self.cv**2
        return rng.gamma(shape, self.mean / shape, n)


@functools.lru_cache(maxsize=256)
def weibull_shape(cv: float) -> float:
    """The Weibull shape k whose coefficient of variation is `cv` (cv² = Γ(1+2/k)/Γ(1+1/k)² − 1, falling in k)."""
    def gap(k: float) -> float:
        return math.exp(math.lgamma(1 + 2 / k) - 2 * math.lgamma(1 + 1 / k)) - 1 - cv**2

    return float(optimize.brentq(gap, 0.05, 200.0))


class Station(Strict):
    """Servers that serve `moments`, first come first served; `servers` fixed or by clock hour. An hour's count
    may be fractional (a fitted capacity: 2.5 is two servers and one on duty half of each quarter hour)."""

    moments: list[str] = Field(min_length=1)
    servers: int | dict[int, Annotated[int, Field(ge=0)] | Annotated[float, Field(ge=0, allow_inf_nan=False)]] = Field(
        default=1)

    def schedule(self, opens: int, closes: int) -> list[float]:
        """Open servers per hour from `opens` to `closes` (an hour not listed keeps the previous count)."""
        if isinstance(self.servers, int):
            return [self.servers] * (closes - opens)
        out, current = [], self.servers.get(opens, min(self.servers.values()))
        for h in range(opens, closes):
            current = self.servers.get(h, current)
            out.append(current)
        return out


class Diversion(Strict):
    """When `waiting_per_server` or more wait at `station`, steer a `share` of `routes` to `to_route`."""

    station: str
    waiting_per_server: float = Field(gt=0)
    share: float = Field(default=1.0, ge=0, le=1)
    routes: list[str] = Field(min_length=1)
    to_route: str
    hours: list[int] | None = None  # only while a floor walker is there; None = always


class Rating(Strict):
    """A rating pad (or other rater) at a moment: how often it is pressed and on which scale."""

    share: float = Field(ge=0, le=1)
    scale: Literal["1-5", "1-10", "0-10", "sat3"] = "1-5"


class StaffChange(Strict):
    """A staff member whose touches feel different from a day on (after coaching, say)."""

    on: date
    shift: float = Field(ge=-2, le=2)


class HallConfig(Strict):
    """Everything the simulator needs about one hall beyond the blueprint."""

    hall_id: str
    opens: int = Field(default=9, ge=0, le=23)
    closes: int = Field(default=21, ge=1, le=24)
    arrivals: dict[int, float]  # clock hour → mean arrivals in that hour on a weekday
    weekend_factor: float = Field(default=1.0, gt=0)
    weekend: list[int] = Field(default_factory=lambda: [5, 6])  # weekdays (Monday 0) with weekend arrivals
    holidays: list[date] = Field(default_factory=list)  # days with weekend arrivals too
    weekday_factors: dict[int, float] = Field(default_factory=dict)  # weekday → arrivals over a working day's
    routes: dict[str, float]  # route → share of arrivals
    segments: dict[str, float] = Field(default_factory=lambda: {"大众": 1.0})
    priority: dict[str, int] = Field(default_factory=dict)  # segment → class; higher served first (others 0)
    stations: dict[str, Station] = Field(default_factory=dict)
    queue_moments: list[str] = Field(default_factory=lambda: ["waiting"])
    service: dict[str, Dist] = Field(default_factory=dict)  # moment → time spent there (or served there)
    default_service: Dist = Field(default_factory=lambda: Dist(kind="gamma", mean=2.0, cv=0.5))
    outcomes: dict[str, dict[str, float]] = Field(default_factory=dict)  # moment → outcome → share
    patience: Dist | None = None  # a waiting customer leaves (reneges) after this long
    balk_per_server: float | None = Field(default=None, gt=0)  # an arrival seeing this many waiting per server leaves
    diversion: Diversion | None = None
    ratings: dict[str, Rating] = Field(default_factory=dict)
    character: dict[str, float] = Field(default_factory=dict)  # moment → shift of the felt experience
    noise: float = Field(default=0.2, ge=0)  # spread of the felt experience around the inferred one
    survey_share: float = Field(default=0.0, ge=0, le=1)
    staff: int = Field(default=6, ge=1)  # staff ids drawn for staffed touches
    staff_character: dict[str, float] = Field(default_factory=dict)  # staff id → shift of every touch they serve
    staff_change: dict[str, StaffChange] = Field(default_factory=dict)  # staff id → a further shift from a day on

    @model_validator(mode="after")
    def _consistent(self) -> HallConfig:
        if self.closes <= self.opens:
            raise ValueError(f"closes ({self.closes}) must be after opens ({self.opens})")
        for name, shares in (("routes", self.routes), ("segments", self.segments)):
            if not shares or min(shares.values()) < 0 or sum(shares.values()) <= 0:
                raise ValueError(f"{name}: shares must be ≥ 0 and not all 0")
        for moment, shares in self.outcomes.items():
            bad = set(shares) - set(OUTCOMES)
            if bad:
                raise ValueError(f"outcomes.{moment}: unknown outcome {sorted(bad)}; expected some of {OUTCOMES}")
        unknown = sorted(set(self.priority) - set(self.segments))
        if unknown:
            raise ValueError(f"priority: unknown segment {unknown}; the segments are {sorted(self.segments)}")
        served = [m for s in self.stations.values() for m in s.moments]
        if len(served) != len(set(served)):
            raise ValueError("stations: a moment is served by more than one station")
        if self.diversion and self.diversion.station not in self.stations:
            raise ValueError(f"diversion.station: '{self.diversion.station}' is not a station")
        return self

    def day_factor(self, day: date) -> float:
        """Arrivals on `day` relative to `arrivals` (a working day): a holiday's as a weekend day's, else the
        weekday's own factor when fitted, else the weekend factor on weekend days."""
        if day in self.holidays:
            return self.weekend_factor
        default = self.weekend_factor if day.weekday() in self.weekend else 1.0
        return self.weekday_factors.get(day.weekday(), default)

    def is_weekend(self, day: date) -> bool:
        """Whether `day` has weekend arrivals: a weekend weekday of this hall, or a holiday."""
        return day.weekday() in self.weekend or day in self.holidays

    def queued_station(self, bp: Blueprint) -> str | None:
        """The station most arrivals queue for: the one serving the moment after a queue moment on their route."""
        where, weight = self.station_of(), dict.fromkeys(self.stations, 0.0)
        for r in bp.routes:
            for a, b in zip(r.moments, r.moments[1:], strict=False):
                if a in self.queue_moments and b in where:
                    weight[where[b]] += self.routes.get(r.id, 0.0)
        best = max(weight, key=lambda k: weight[k], default=None)
        return best if best is not None and weight[best] > 0 else None

    def station_of(self) -> dict[str, str]:
        """Moment → the station that serves it."""
        return {m: name for name, s in self.stations.items() for m in s.moments}

    def problems(self, bp: Blueprint) -> list[str]:
        """What in this configuration the blueprint does not know (empty when it fits)."""
        routes, moments = {r.id for r in bp.routes}, set(bp.moment_ids())
        out = [f"routes: unknown route '{r}'" for r in self.routes if r not in routes]
        named = [*self.service, *self.outcomes, *self.ratings, *self.character, *self.queue_moments,
                 *self.station_of()]
        out += [f"unknown moment '{m}'" for m in dict.fromkeys(named) if m not in moments]
        if self.diversion:
            out += [f"diversion: unknown route '{r}'" for r in [*self.diversion.routes, self.diversion.to_route]
                    if r not in routes]
        return out




def load_config(path: str | Path, bp: Blueprint) -> HallConfig:
    """Read and check a hall configuration YAML against the blueprint."""
    path = Path(path)
    try:
        raw = yaml_load(path.read_text("utf-8"))
        cfg = HallConfig.model_validate(raw)
    except YamlRefused as exc:
        raise ConfigError(str(path), [exc.say()]) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(str(path), [f"not valid YAML: {exc}"]) from exc
    except ValidationError as exc:
        raise ConfigError(str(path), [f"{'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}"
                                      for e in exc.errors()]) from exc
    problems = cfg.problems(bp)
    if problems:
        raise ConfigError(str(path), problems)
    return cfg

