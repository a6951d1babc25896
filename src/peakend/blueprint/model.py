"""The service blueprint (服务全景蓝图): zones, key moments, routes, rules and grades.

Structure is checked by pydantic; cross-references (a route naming an unknown moment,
duplicate ids, weights that do not add up) by `semantic_problems`, so that an edited
blueprint reports every problem at once, each with its location.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

Role = Literal["peak", "end", "key"]
Outcome = Literal["resolved", "unresolved", "complaint", "abandoned"]
OUTCOMES: tuple[str, ...] = ("resolved", "unresolved", "complaint", "abandoned")


class Strict(BaseModel):
    """Base: unknown keys are errors, so a typo in an edited blueprint is reported."""

    model_config = ConfigDict(extra="forbid")


class Text(Strict):
    """A text in both languages."""

    zh: str
    en: str


class Named(Strict):
    """Anything with an id and a name in both languages."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    zh: str
    en: str


class Ramp(Strict):
    """A penalty that grows linearly from 0 at `tolerance_min` to `weight` at `worst_min`."""

    tolerance_min: float = Field(ge=0)
    worst_min: float = Field(gt=0)
    weight: float = Field(ge=0, le=2)


class ExperienceRule(Strict):
    """How an unrated touch's experience e in [-1, 1] is inferred.

    e = clip(outcome value (or `base` without an outcome) − wait ramp − service ramp, −1, 1).
    """

    base: float = Field(default=0.0, ge=-1, le=1)
    outcome: dict[Outcome, float] = Field(default_factory=dict)
    wait: Ramp | None = None
    service: Ramp | None = None


class Keywords(Strict):
    """Words that tie a comment to a moment (a comment naming one is about it), per language."""

    zh: list[str] = Field(default_factory=list)
    en: list[str] = Field(default_factory=list)


class Moment(Named):
    """A key moment (关键时刻) with its standards and place in the blueprint."""

    zone: str
    lane: str
    stage: str
    flow: str
    role: Role = "key"
    importance: int = Field(ge=1, le=5)
    needs: list[Text] = Field(default_factory=list)
    standards: list[Text] = Field(default_factory=list)
    guidelines: list[Text] = Field(default_factory=list)
    tools: list[Text] = Field(default_factory=list)
    backstage: list[Text] = Field(default_factory=list)
    coordination: list[Text] = Field(default_factory=list)
    key_service: Text | None = None
    rule: ExperienceRule | None = None
    keywords: Keywords = Field(default_factory=lambda: Keywords())
    peak_question: Text | None = None  # the SMS survey's question when this moment was the visit's peak


class Route(Named):
    """A flow-line (动线): the moments a customer on it passes, in order."""

    moments: list[str] = Field(min_length=1)
    steps: list[Text] = Field(default_factory=list)


class ChecklistItem(Named):
    """One audit item: of the service-node control model (服务节点掌控模型), or a moment's standard."""

    group: str
    moment: str | None = None  # the moment the item is checked at (None: any)


class Grade(Named):
    """A maturity grade (合格 → 优秀 → 卓越): reached when the hall's mean REI is at least `min_rei` and, where set,
    its audit pass rate and its share of follow-up cases closed in time reach theirs."""

    min_rei: float = Field(ge=0, le=100)
    min_audit_pass: float | None = Field(default=None, ge=0, le=1)
    min_cases_in_time: float | None = Field(default=None, ge=0, le=1)


class Weights(Strict):
    """Weights of the remembered experience: w_peak·peak + w_end·end + w_mean·mean."""

    peak: float = 0.5
    end: float = 0.5
    mean: float = 0.0


Component = Literal["overall", "relationship", "repurchase", "recommend", "switch_resist"]
COMPONENTS: tuple[Component, ...] = ("overall", "relationship", "repurchase", "recommend", "switch_resist")


class LoyaltyRule(Strict):
    """How loyalty is read (DOMAIN.md §6): the index's weights of its five components (each answer first put
    on 0–1 by its own scale), the window of a return visit, and when a regular counts as lapsed."""

    weights: dict[Component, float] = Field(default_factory=lambda: dict.fromkeys(COMPONENTS, 1.0))
    return_days: int = Field(default=90, ge=1, le=730)
    regular_visits: int = Field(default=3, ge=2)
    lapse_factor: float = Field(default=3.0, gt=1)  # gone for this many of their usual gaps…
    lapse_min_days: int = Field(default=60, ge=1)  # …and at least this long
    terms: list[str] = Field(default_factory=list)  # words added to the shipped hall dictionary for segmenting


CaseKind = Literal["complaint", "unresolved", "negative_end"]
CASE_KINDS: tuple[CaseKind, ...] = ("complaint", "unresolved", "negative_end")  # most severe first


class CaseRule(Strict):
    """When a follow-up case of one kind is due, and how long before it its owner is reminded."""

    deadline_h: float = Field(gt=0)
    remind_before_h: float = Field(ge=0)


class SurveyRule(Strict):
    """The SMS survey sent after a visit ends."""

    enabled: bool = True
    delay_min: float = Field(default=10, ge=0)
    fatigue_days: float = Field(default=30, ge=0)
    quiet_start: str = Field(default="21:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    quiet_end: str = Field(default="08:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    text: Text = Text(
        zh="感谢您今天光临{hall}。请回复1-10分为本次服务打分，也可附上意见。回复TD退订。",
        en="Thank you for visiting {hall} today. Reply with a score from 1 to 10, and any comment. "
        "Reply TD to opt out.",
    )


class DiversionLimits(Strict):
    """Queue pressure past which a hall gets diversion advice."""

    per_counter: float = Field(default=5, gt=0)
    predicted_wait_min: float = Field(default=20, gt=0)


class DiversionRule(DiversionLimits):
    """When a hall gets diversion advice: how the customers' queue is read from events (the moment a ticket
    is taken, the counter moments), with the network's limits and each hall's own."""

    queue_moment: str = "waiting"
    counter_moments: list[str] = Field(default_factory=lambda: ["counter_handling", "counter_result"])
    counter_window_min: float = Field(default=30, gt=0)
    default_service_min: float = Field(default=8, gt=0)
    halls: dict[str, DiversionLimits] = Field(default_factory=dict)

    def limits(self, hall: str) -> DiversionLimits:
        """The hall's own limits, else the network's."""
        return self.halls.get(hall, self)


DEFAULT_CASES: dict[CaseKind, CaseRule] = {
    "complaint": CaseRule(deadline_h=4, remind_before_h=1),
    "unresolved": CaseRule(deadline_h=24, remind_before_h=4),
    "negative_end": CaseRule(deadline_h=48, remind_before_h=8),
}


class LiveRules(Strict):
    """The rules that run as events arrive (DOMAIN.md §3, §5): alerts, cases, surveys, advice."""

    alert_e: float = Field(default=-0.5, ge=-1, le=0)
    negative_end_e: float = Field(default=-0.3, ge=-1, le=0)
    cases: dict[CaseKind, CaseRule] = Field(default_factory=lambda: dict(DEFAULT_CASES))
    survey: SurveyRule = Field(default_factory=SurveyRule)
    # `queue:` is its name in blueprints saved before it was renamed; both read the same.
    diversion: DiversionRule = Field(default_factory=DiversionRule, validation_alias=AliasChoices("diversion", "queue"))


FLOOR_W, FLOOR_H = 100, 60  # the floor layout's units: a hall drawn 100 wide and 60 deep


class Area(Strict):
    """Where a zone lies on the hall's floor drawing (the touchpoint map): a rectangle in floor units."""

    x: float = Field(ge=0, le=FLOOR_W)
    y: float = Field(ge=0, le=FLOOR_H)
    w: float = Field(gt=0, le=FLOOR_W)
    h: float = Field(gt=0, le=FLOOR_H)


class Blueprint(Strict):
    """A versioned service blueprint; a hall runs one version."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: str
    name: Text
    lanes: list[Named]
    stages: list[Named]
    flows: list[Named]
    zones: list[Named]
    moments: list[Moment] = Field(min_length=1)
    routes: list[Route] = Field(default_factory=list)
    checklist: list[ChecklistItem] = Field(default_factory=list)
    checklist_groups: list[Named] = Field(default_factory=list)
    default_rule: ExperienceRule = Field(default_factory=ExperienceRule)
    weights: Weights = Field(default_factory=Weights)
    grades: list[Grade] = Field(default_factory=list)
    min_visits_for_grade: int = Field(default=30, ge=1)
    live: LiveRules = Field(default_factory=LiveRules)
    loyalty: LoyaltyRule = Field(default_factory=LoyaltyRule)
    layout: dict[str, Area] = Field(default_factory=dict)  # zone id → where it lies on the floor (触点地图)

    def moment(self, moment_id: str) -> Moment:
        """The moment with this id (KeyError if absent)."""
        for m in self.moments:
            if m.id == moment_id:
                return m
        raise KeyError(moment_id)

    def names(self, lang: str) -> dict[str, str]:
        """Moment id → its name in `lang` (zh or en), for pages and messages that show names, not ids."""
        return {m.id: getattr(m, lang) for m in self.moments}

    def moment_ids(self) -> list[str]:
        """Moment ids in blueprint order."""
        return [m.id for m in self.moments]

    def audit_items(self) -> list[ChecklistItem]:
        """Every item an audit may check: the checklist, then each moment's standards as items `<moment>_std<n>`
        (n from 1 in the list's order: stable while the list keeps its order) in group `standards`."""
        made = [ChecklistItem(id=f"{m.id}_std{i}", zh=s.zh, en=s.en, group="standards", moment=m.id)
                for m in self.moments for i, s in enumerate(m.standards, start=1)]
        return [*self.checklist, *made]

    def rule_for(self, moment_id: str) -> ExperienceRule:
        """The moment's own rule, or the blueprint's default rule."""
        return self.moment(moment_id).rule or self.default_rule

    def grade_for(self, rei: float, visits: int) -> Grade | None:
        """The highest grade whose threshold `rei` reaches (None below all, or too few visits)."""
        if visits < self.min_visits_for_grade:
            return None
        for g in sorted(self.grades, key=lambda g: -g.min_rei):
            if rei >= g.min_rei:
                return g
        return None


# Where (a path into the YAML), what is wrong, and how to fix it.
Problem = tuple[tuple[str | int, ...], str, str]


def _nearest(value: str, known: Iterable[str], where: str) -> str:
    """A fix for an unknown id: the nearest known one, else where to add it."""
    names = sorted(known)
    close = difflib.get_close_matches(value, names, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return f"use one of {', '.join(names[:12]) or '(none yet)'}, or add '{value}' to `{where}:`"


def _duplicates(items: list[Named], where: str) -> list[Problem]:
    seen: dict[str, int] = {}
    out: list[Problem] = []
    for i, item in enumerate(items):
        if item.id in seen:
            out.append(((where, i, "id"), f"duplicate id '{item.id}' (first at {where}[{seen[item.id]}])",
                        f"rename one of them, e.g. '{item.id}_2': ids must be unique"))
        seen.setdefault(item.id, i)
    return out


def _refs(bp: Blueprint) -> list[Problem]:
    out: list[Problem] = []
    known = {
        "zone": {z.id for z in bp.zones},
        "lane": {x.id for x in bp.lanes},
        "stage": {x.id for x in bp.stages},
        "flow": {x.id for x in bp.flows},
    }
    for i, m in enumerate(bp.moments):
        for attr, ids in known.items():
            value = getattr(m, attr)
            if value not in ids:
                out.append((("moments", i, attr), f"unknown {attr} '{value}' (known: {sorted(ids)})",
                            _nearest(value, ids, attr + "s")))
    moment_ids = set(bp.moment_ids())
    for i, r in enumerate(bp.routes):
        for j, mid in enumerate(r.moments):
            if mid not in moment_ids:
                out.append((("routes", i, "moments", j), f"route '{r.id}' names unknown moment '{mid}'",
                            _nearest(mid, moment_ids, "moments")))
    groups = {g.id for g in bp.checklist_groups}
    for i, c in enumerate(bp.checklist):
        if c.moment is not None and c.moment not in moment_ids:
            out.append((("checklist", i, "moment"), f"checklist item '{c.id}' names unknown moment '{c.moment}'",
                        _nearest(c.moment, moment_ids, "moments")))
        if groups and c.group not in groups:
            out.append((("checklist", i, "group"), f"unknown checklist group '{c.group}'",
                        _nearest(c.group, groups, "checklist_groups")))
    return out


def _rules(bp: Blueprint) -> list[Problem]:
    out: list[Problem] = []
    rules: list[tuple[tuple[str | int, ...], ExperienceRule]] = [(("default_rule",), bp.default_rule)]
    rules += [(("moments", i, "rule"), m.rule) for i, m in enumerate(bp.moments) if m.rule]
    for loc, rule in rules:
        for part in ("wait", "service"):
            ramp: Ramp | None = getattr(rule, part)
            if ramp and ramp.worst_min <= ramp.tolerance_min:
                out.append(((*loc, part, "worst_min"), "worst_min must be greater than tolerance_min",
                            f"e.g. worst_min: {max(2 * ramp.tolerance_min, ramp.tolerance_min + 10):g}"))
        for name, value in rule.outcome.items():
            if not -1 <= value <= 1:
                out.append(((*loc, "outcome", name), f"outcome value {value} must lie in [-1, 1]",
                            f"e.g. {name}: {max(-1.0, min(1.0, value)):g}"))
    return out


def _weights_and_roles(bp: Blueprint) -> list[Problem]:
    out: list[Problem] = []
    w = bp.weights
    for name in ("peak", "end", "mean"):
        if getattr(w, name) < 0:
            out.append((("weights", name), f"weight {name} must not be negative", f"{name}: 0"))
    total = w.peak + w.end + w.mean
    if abs(total - 1) > 1e-9:
        fix = ("e.g. weights: {peak: 0.5, end: 0.5, mean: 0.0}" if total <= 0 else
               f"divide each by {total:g}: weights: {{peak: {w.peak / total:.3g}, end: {w.end / total:.3g}, "
               f"mean: {w.mean / total:.3g}}}")
        out.append((("weights",), f"weights peak + end + mean must add up to 1, they add up to {total:g}", fix))
    if not any(m.role == "end" for m in bp.moments):
        last = bp.moments[-1].id if bp.moments else "…"
        out.append((("moments",), "no moment has role 'end': the peak-end rule needs an end",
                    f"set `role: end` on the journey's last moment ('{last}')"))
    return out


def _live(bp: Blueprint) -> list[Problem]:
    out: list[Problem] = []
    known = set(bp.moment_ids())
    q = bp.live.diversion
    for i, mid in enumerate([q.queue_moment, *q.counter_moments]):
        if mid not in known:
            loc = ("live", "diversion", "queue_moment") if i == 0 else ("live", "diversion", "counter_moments", i - 1)
            out.append((loc, f"unknown moment '{mid}'", _nearest(mid, known, "moments")))
    for kind in CASE_KINDS:
        rule = bp.live.cases.get(kind)
        if rule is None:
            out.append((("live", "cases"), f"no rule for case kind '{kind}'",
                        f"add under live.cases: {kind}: {{deadline_h: 24, remind_before_h: 4}}"))
        elif rule.remind_before_h >= rule.deadline_h:
            out.append((("live", "cases", kind, "remind_before_h"), "remind_before_h must be less than deadline_h",
                        f"e.g. remind_before_h: {rule.deadline_h / 4:g}"))
    return out


def _loyalty(bp: Blueprint) -> list[Problem]:
    out: list[Problem] = []
    w = bp.loyalty.weights
    for name, value in w.items():
        if value < 0:
            out.append((("loyalty", "weights", name), f"weight {name} must not be negative", f"{name}: 0"))
    if sum(max(v, 0) for v in w.values()) <= 0:
        out.append((("loyalty", "weights"), "the loyalty index needs a positive weight",
                    "e.g. weights: {overall: 1, relationship: 1, repurchase: 1, recommend: 1, switch_resist: 1}"))
    owner: dict[str, str] = {}
    for i, m in enumerate(bp.moments):
        for lang in ("zh", "en"):
            for j, word in enumerate(getattr(m.keywords, lang)):
                key = word.strip().lower()
                if not key:
                    out.append((("moments", i, "keywords", lang, j), "an empty keyword", "remove it"))
                elif owner.setdefault(f"{lang}:{key}", m.id) != m.id:
                    out.append((("moments", i, "keywords", lang, j),
                                f"keyword '{word}' already ties comments to '{owner[f'{lang}:{key}']}'",
                                "keep it on one moment: a keyword names one moment"))
    return out


def semantic_problems(bp: Blueprint) -> list[Problem]:
    """Every cross-reference and consistency problem of a structurally valid blueprint."""
    out: list[Problem] = []
    for where in ("lanes", "stages", "flows", "zones", "moments", "routes", "checklist", "checklist_groups", "grades"):
        out += _duplicates(getattr(bp, where), where)
    return out + _refs(bp) + _rules(bp) + _weights_and_roles(bp) + _live(bp) + _loyalty(bp) + _layout(bp)


def _layout(bp: Blueprint) -> list[Problem]:
    """The floor layout names zones of the blueprint and keeps each inside the floor."""
    out: list[Problem] = []
    zones = {z.id for z in bp.zones}
    for zone, a in bp.layout.items():
        if zone not in zones:
            out.append((("layout", zone), f"layout names unknown zone '{zone}'", _nearest(zone, zones, "zones")))
        if a.x + a.w > FLOOR_W or a.y + a.h > FLOOR_H:
            out.append((("layout", zone), f"zone '{zone}' runs off the {FLOOR_W} × {FLOOR_H} floor",
                        f"x + w ≤ {FLOOR_W} and y + h ≤ {FLOOR_H}"))
    return out
