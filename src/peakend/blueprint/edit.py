"""The blueprint as form fields and back: what the web's form editor shows and how its answers change the blueprint.

`fields(data)` flattens a blueprint's data (as its YAML loads) into form values; `apply(data, form)` builds the
edited data from a submitted form and its operation (move a moment up or down, remove or add one, add or remove
a route or a grade). What the form does not show (a moment's tools, backstage, rule …) is kept as it was. The
result is checked by `load.check_text` like any YAML, so the form and `peakend blueprint check` refuse the same.

Lists of texts are edited one per line as `中文 | English`; id lists (lanes, stages …) as `id | 中文 | English`.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from peakend import safe_yaml
from peakend.blueprint.model import CASE_KINDS, DEFAULT_CASES

NAMED_LISTS = ("lanes", "stages", "flows", "zones")
TEXT_LISTS = ("needs", "standards", "guidelines")
MOMENT_FIELDS = ("zh", "en", "role", "lane", "stage", "zone", "flow", "importance")
GRADE_FIELDS = ("id", "zh", "en", "min_rei", "min_audit_pass", "min_cases_in_time")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _texts(items: list[dict[str, str]] | None) -> str:
    return "\n".join(f"{t.get('zh', '')} | {t.get('en', '')}" for t in items or [])


def _parse_texts(text: str) -> list[dict[str, str]]:
    out = []
    for line in text.splitlines():
        if line.strip():
            zh, _, en = line.partition("|")
            out.append({"zh": zh.strip(), "en": en.strip()})
    return out


def _named(items: list[dict[str, str]]) -> str:
    return "\n".join(f"{x.get('id', '')} | {x.get('zh', '')} | {x.get('en', '')}" for x in items)


def _parse_named(text: str) -> list[dict[str, str]]:
    out = []
    for line in text.splitlines():
        if line.strip():
            parts = [p.strip() for p in line.split("|")] + ["", ""]
            out.append({"id": parts[0], "zh": parts[1], "en": parts[2]})
    return out


def _number(text: str | None) -> Any:
    """A form number as a number; anything else as typed (the check then names it)."""
    if text is None:
        return None
    text = text.strip()
    if NUMBER.match(text):
        return int(text) if re.fullmatch(r"-?\d+", text) else float(text)
    return text or None


def _words(text: str) -> list[str]:
    return [w.strip() for w in re.split(r"[,，、]", text) if w.strip()]


def fields(data: dict[str, Any]) -> dict[str, Any]:
    """The form's values for a blueprint's data: top-level texts, moments, routes, live rules and grades."""
    live = data.get("live") or {}
    survey, diversion = live.get("survey") or {}, live.get("diversion") or live.get("queue") or {}
    moments = []
    for m in data.get("moments", []):
        kw = m.get("keywords") or {}
        pq = m.get("peak_question") or {}
        moments.append({**{k: m.get(k, "") for k in ("id", *MOMENT_FIELDS)}, "role": m.get("role") or "key",
                        **{k: _texts(m.get(k)) for k in TEXT_LISTS},
                        "kw_zh": ", ".join(kw.get("zh", [])), "kw_en": ", ".join(kw.get("en", [])),
                        "pq_zh": pq.get("zh", ""), "pq_en": pq.get("en", "")})
    return {
        "name_zh": data["name"]["zh"], "name_en": data["name"]["en"], "version": data.get("version", ""),
        **{k: _named(data.get(k, [])) for k in NAMED_LISTS},
        "moments": moments,
        "routes": [{"id": r["id"], "zh": r["zh"], "en": r["en"], "moments": ", ".join(r.get("moments", []))}
                   for r in data.get("routes", [])],
        "grades": [{k: "" if g.get(k) is None else g[k] for k in GRADE_FIELDS} for g in data.get("grades", [])],
        "alert_e": live.get("alert_e", -0.5), "negative_end_e": live.get("negative_end_e", -0.3),
        "cases": {k: (live.get("cases") or {}).get(k) or DEFAULT_CASES[k].model_dump() for k in CASE_KINDS},
        "survey_enabled": survey.get("enabled", True), "delay_min": survey.get("delay_min", 10),
        "fatigue_days": survey.get("fatigue_days", 30), "quiet_start": survey.get("quiet_start", "21:00"),
        "quiet_end": survey.get("quiet_end", "08:00"), "per_counter": diversion.get("per_counter", 5),
        "predicted_wait_min": diversion.get("predicted_wait_min", 20),
        "queue_moment": diversion.get("queue_moment", "waiting"),
        "counter_moments": ", ".join(diversion.get("counter_moments", ["counter_handling", "counter_result"])),
    }


def _indexed(form: dict[str, str], head: str) -> list[int]:
    """The row numbers i of fields named `head.i.…`, in order."""
    found = {int(k.split(".")[1]) for k in form if k.startswith(head + ".") and k.split(".")[1].isdigit()}
    return sorted(found)


def _moments(data: dict[str, Any], form: dict[str, str]) -> list[dict[str, Any]]:
    before = {m["id"]: m for m in data.get("moments", [])}
    out = []
    for i in _indexed(form, "m"):
        get = lambda k, i=i: form.get(f"m.{i}.{k}", "")  # noqa: E731 — a short reader of row i
        m = copy.deepcopy(before.get(get("id").strip(), {}))
        m["id"] = get("id").strip()
        for k in MOMENT_FIELDS:
            m[k] = _number(get(k)) if k == "importance" else get(k).strip()
        for k in TEXT_LISTS:
            m[k] = _parse_texts(get(k))
        m["keywords"] = {"zh": _words(get("kw_zh")), "en": _words(get("kw_en"))}
        pq = {"zh": get("pq_zh").strip(), "en": get("pq_en").strip()}
        m["peak_question"] = pq if pq["zh"] or pq["en"] else None
        out.append({k: v for k, v in m.items() if v is not None})
    return out


def _routes(data: dict[str, Any], form: dict[str, str]) -> list[dict[str, Any]]:
    before = {r["id"]: r for r in data.get("routes", [])}
    out = []
    for j in _indexed(form, "r"):
        rid = form.get(f"r.{j}.id", "").strip()
        r = copy.deepcopy(before.get(rid, {}))
        r.update(id=rid, zh=form.get(f"r.{j}.zh", "").strip(), en=form.get(f"r.{j}.en", "").strip(),
                 moments=_words(form.get(f"r.{j}.moments", "")))
        out.append(r)
    return out


def _grades(form: dict[str, str]) -> list[dict[str, Any]]:
    out = []
    for k in _indexed(form, "g"):
        g = {"id": form.get(f"g.{k}.id", "").strip(), "zh": form.get(f"g.{k}.zh", "").strip(),
             "en": form.get(f"g.{k}.en", "").strip(), "min_rei": _number(form.get(f"g.{k}.min_rei"))}
        for opt in ("min_audit_pass", "min_cases_in_time"):
            value = _number(form.get(f"g.{k}.{opt}"))
            if value is not None:
                g[opt] = value
        out.append(g)
    return out


def _live(data: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
    live = copy.deepcopy(data.get("live") or {})
    live["alert_e"], live["negative_end_e"] = _number(form.get("alert_e")), _number(form.get("negative_end_e"))
    cases = {k: {f: _number(form.get(f"cases.{k}.{f}")) for f in ("deadline_h", "remind_before_h")}
             for k in CASE_KINDS}
    live["cases"] = {k: {f: v for f, v in c.items() if v is not None} if any(v is not None for v in c.values())
                     else DEFAULT_CASES[k].model_dump() for k, c in cases.items()}  # a kind left empty: its default
    survey = live.setdefault("survey", {})
    survey.update(enabled=form.get("survey_enabled") == "on", delay_min=_number(form.get("delay_min")),
                  fatigue_days=_number(form.get("fatigue_days")), quiet_start=form.get("quiet_start", "").strip(),
                  quiet_end=form.get("quiet_end", "").strip())
    diversion = live.pop("queue", None) or live.get("diversion") or {}
    diversion.update(per_counter=_number(form.get("per_counter")),
                     predicted_wait_min=_number(form.get("predicted_wait_min")))
    if "queue_moment" in form:  # which moments the queue is read from (a service without a queue: any of its own)
        diversion.update(queue_moment=form["queue_moment"].strip(), counter_moments=_words(form.get("counter_moments",
                                                                                                   "")))
    live["diversion"] = diversion
    return live


def _operate(out: dict[str, Any], op: str) -> None:
    """Apply a list operation: up:i, down:i, remove:i (moments), add_moment, add_route, remove_route:j, add_grade,
    remove_grade:k."""
    verb, _, arg = op.partition(":")
    lists = {"remove": "moments", "up": "moments", "down": "moments", "remove_route": "routes",
             "remove_grade": "grades"}
    if verb in lists and arg.isdigit():
        items, i = out[lists[verb]], int(arg)
        if not 0 <= i < len(items):
            return
        if verb.startswith("remove"):
            gone = items.pop(i)
            if verb == "remove" and items:
                forget_moment(out, str(gone.get("id")), str(items[max(i - 1, 0)].get("id")))
        elif verb == "up" and i > 0:
            items[i - 1], items[i] = items[i], items[i - 1]
        elif verb == "down" and i + 1 < len(items):
            items[i + 1], items[i] = items[i], items[i + 1]
    elif verb == "add_moment":
        first = {k: (out.get(k) or [{}])[0].get("id", "") for k in NAMED_LISTS}
        out["moments"].append({"id": "new_moment", "zh": "新时刻", "en": "New moment", "lane": first["lanes"],
                               "stage": first["stages"], "zone": first["zones"], "flow": first["flows"],
                               "importance": 3})
    elif verb == "add_route":
        out.setdefault("routes", []).append({"id": "new_route", "zh": "新动线", "en": "New route",
                                             "moments": [m["id"] for m in out["moments"][:1]]})
    elif verb == "add_grade":
        out.setdefault("grades", []).append({"id": "new_grade", "zh": "新等级", "en": "New grade", "min_rei": 50})


def references(data: dict[str, Any], moment_id: str) -> list[str]:
    """Where the blueprint names a moment besides the moment itself: routes, checklist items, the diversion rule."""
    live = data.get("live") or {}
    diversion = live.get("diversion") or live.get("queue") or {}
    places = [f"routes: {r['id']}" for r in data.get("routes", []) if moment_id in r.get("moments", [])]
    places += [f"checklist: {c.get('id')}" for c in data.get("checklist", []) if c.get("moment") == moment_id]
    if diversion.get("queue_moment", "waiting") == moment_id:
        places.append("live.diversion.queue_moment")
    if moment_id in diversion.get("counter_moments", ["counter_handling", "counter_result"]):
        places.append("live.diversion.counter_moments")
    return places


def forget_moment(out: dict[str, Any], moment_id: str, neighbour: str) -> None:
    """A removed moment taken out of everything that named it: routes (a route left empty goes), checklist items
    (left unattached to a moment), the diversion rule (its queue read at `neighbour` instead, its counters without
    it, or `neighbour` when none is left) — so removing a moment never leaves the blueprint unsaveable."""
    routes = [{**r, "moments": [m for m in r.get("moments", []) if m != moment_id]} for r in out.get("routes", [])]
    out["routes"] = [r for r in routes if r["moments"]]
    for c in out.get("checklist", []):
        if c.get("moment") == moment_id:
            c["moment"] = None
    live = out.setdefault("live", {})
    diversion = live.setdefault("diversion", live.pop("queue", None) or {})
    if diversion.get("queue_moment", "waiting") == moment_id:
        diversion["queue_moment"] = neighbour
    counters = [m for m in diversion.get("counter_moments", ["counter_handling", "counter_result"]) if m != moment_id]
    diversion["counter_moments"] = counters or [neighbour]


def apply(data: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
    """The blueprint's data as the submitted form edits it, then its operation (`op`) applied."""
    out = copy.deepcopy(data)
    out["name"] = {"zh": form.get("name_zh", "").strip(), "en": form.get("name_en", "").strip()}
    out["version"] = form.get("version", "").strip()
    for k in NAMED_LISTS:
        out[k] = _parse_named(form.get(k, ""))
    out["moments"] = _moments(data, form)
    out["routes"] = _routes(data, form)
    out["grades"] = _grades(form)
    out["live"] = _live(data, form)
    _operate(out, form.get("op", ""))
    ids = {m.get("id") for m in out["moments"]}
    for c in out.get("checklist", []):  # the checklist is not in the form: an item of a moment gone is unattached
        if c.get("moment") not in ids:
            c["moment"] = None
    return out


def dump(data: dict[str, Any]) -> str:
    """The data as blueprint YAML (the form's edits are saved as this text)."""
    return safe_yaml.dump(data, width=120)


ROW = re.compile(r"^(moments|routes|grades)(?:\[(\d+)\]|\.(\d+))")


def place(path: str) -> tuple[str, int | None]:
    """Where a problem's path (moments[3].standards[0].en, or moments.3.lane) sits in the form: the section and
    the row (None for a section without rows)."""
    found = ROW.match(path)
    if found:
        return found.group(1), int(found.group(2) or found.group(3))
    return re.split(r"[.\[]", path)[0] if path else "", None
