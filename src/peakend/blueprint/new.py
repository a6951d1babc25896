"""A minimal blueprint for any service from a list of its moments (`peakend blueprint new`).

One lane, stage, flow and zone; the moments in journey order, the last one the end; one route
through all of them; the built-in blueprint's rule for unrated touches (their outcome; at the queue, its wait too);
the default weights, grades and live rules, with the queue read at the moment named for
waiting (排队, 等候, queue, wait…; else a ticket: 取号, 叫号; else the first) and served at the one after it (a
service of one repeating moment — each turn of a conversation, each call — has one moment, which is also its
end). A name written `中文|English` gives each language its own; a single name is used in both. A starting point
to edit and check, valid as written.
"""

from __future__ import annotations

import re
from typing import Any

from peakend import safe_yaml
from peakend.errors import BlueprintError
from peakend.i18n import say

ID = re.compile(r"[^a-z0-9]+")
WAITING = ("排队", "等候", "等待", "queue", "wait")  # words of a moment spent waiting in the queue
TICKET = ("取号", "叫号", "ticket")  # a ticket taken or called: the queue, when no moment names the waiting itself
# an unrated touch's e from its outcome (the built-in blueprint's default): without a rule every unrated touch is 0
DEFAULT_RULE = {"base": 0.0, "outcome": {"resolved": 0.3, "unresolved": -0.6, "complaint": -0.9, "abandoned": -0.8}}


def moment_id(name: str, taken: set[str]) -> str:
    """An id for a moment named `name`: its ASCII letters and digits joined by `_` (m1, m2… otherwise)."""
    base = ID.sub("_", name.strip().lower()).strip("_")
    base = base if base[:1].isalpha() else f"m_{base}" if base else f"m{len(taken) + 1}"
    found, n = base, 2
    while found in taken:
        found, n = f"{base}_{n}", n + 1
    taken.add(found)
    return found


def both_names(name: str) -> tuple[str, str]:
    """A moment's Chinese and English names from `中文|English` (either side may be left empty: the other is used);
    a name without `|` serves both."""
    zh, _, en = (part.strip() for part in name.partition("|"))
    return zh or en, en or zh


def queue_index(pairs: list[tuple[str, str]]) -> int:
    """Where the queue is read: the first moment whose name speaks of waiting, else of a ticket, else the first."""
    for words in (WAITING, TICKET):
        found = [k for k, (zh, en) in enumerate(pairs) if any(w in f"{zh} {en}".lower() for w in words)]
        if found:
            return found[0]
    return 0


def same_names(data: dict[str, Any]) -> list[str]:
    """The moments of a new blueprint's data whose Chinese and English names are the same (one to translate)."""
    return [m["id"] for m in data["moments"] if m["zh"] == m["en"]]


def new_blueprint(names: list[str], blueprint_id: str = "my_service", name: str = "My service") -> dict[str, Any]:
    """The blueprint (as YAML data) of a service whose key moments are `names`, in journey order."""
    names = [n.strip() for n in names if n.strip()]
    if not names:
        from peakend.blueprint.load import BlueprintProblem

        raise BlueprintError([BlueprintProblem("--moments", "", None, say("bp_no_moments"))])
    pairs = [both_names(n) for n in names]
    taken: set[str] = set()
    ids = [moment_id(en, taken) for _, en in pairs]
    place = {"zone": "service", "lane": "customer", "stage": "journey", "flow": "customer"}
    moments: list[dict[str, Any]] = [
        {"id": i, "zh": zh, "en": en, **place, "role": "end" if k == len(ids) - 1 else "key", "importance": 3}
        for k, (i, (zh, en)) in enumerate(zip(ids, pairs, strict=True))]
    queue = queue_index(pairs)
    if len(ids) > 1:  # an unrated touch of the queue: worse past 5 minutes' wait, at worst (−1) past 30
        moments[queue]["rule"] = {**DEFAULT_RULE, "wait": {"tolerance_min": 5, "worst_min": 30, "weight": 1.0}}
    return {
        "id": blueprint_id,
        "version": "1",
        "name": dict(zip(("zh", "en"), both_names(name), strict=True)),
        "lanes": [{"id": "customer", "zh": "客户行为", "en": "Customer actions"}],
        "stages": [{"id": "journey", "zh": "服务过程", "en": "Journey"}],
        "flows": [{"id": "customer", "zh": "客流", "en": "Customer flow"}],
        "zones": [{"id": "service", "zh": "服务区", "en": "Service area"}],
        "weights": {"peak": 0.5, "end": 0.5, "mean": 0.0},
        "default_rule": DEFAULT_RULE,
        "grades": [{"id": "qualified", "zh": "合格", "en": "Qualified", "min_rei": 55},
                   {"id": "good", "zh": "优秀", "en": "Good", "min_rei": 65},
                   {"id": "great", "zh": "卓越", "en": "Great", "min_rei": 75}],
        "moments": moments,
        "routes": [{"id": "main", "zh": "主流程", "en": "Main journey", "moments": ids}],
        "live": {"diversion": {"queue_moment": ids[queue], "counter_moments": [ids[min(queue + 1, len(ids) - 1)]]}},
    }


def new_blueprint_text(names: list[str], blueprint_id: str = "my_service", name: str = "My service") -> str:
    """`new_blueprint` as YAML text, with a header saying how to go on."""
    header = ("# A minimal blueprint written by `peakend blueprint new`: edit names, zones, stages, standards and\n"
              "# guidelines, then check it with `peakend blueprint check FILE`.\n")
    data = new_blueprint(names, blueprint_id, name)
    same = same_names(data)
    if same:
        header += (f"# The same name in zh and en (give each its own, or write `中文|English` in --moments): "
                   f"{', '.join(same)}\n")
    return header + safe_yaml.dump(data, width=120)
