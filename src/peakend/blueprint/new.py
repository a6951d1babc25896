"""A minimal blueprint for any service from a list of its moments (`peakend blueprint new`).

One lane, stage, flow and zone; the moments in journey order, the last one the end; one route
through all of them; the default weights, grades and live rules, with the queue read at the first
moment and served at the second (a service of one repeating moment — each turn of a conversation, each call —
has one moment, which is also its end). A starting point to edit and check, valid as written.
"""

from __future__ import annotations

import re
from typing import Any

from peakend import safe_yaml
from peakend.errors import BlueprintError
from peakend.i18n import say

ID = re.compile(r"[^a-z0-9]+")


def moment_id(name: str, taken: set[str]) -> str:
    """An id for a moment named `name`: its ASCII letters and digits joined by `_` (m1, m2… otherwise)."""
    base = ID.sub("_", name.strip().lower()).strip("_")
    base = base if base[:1].isalpha() else f"m_{base}" if base else f"m{len(taken) + 1}"
    found, n = base, 2
    while found in taken:
        found, n = f"{base}_{n}", n + 1
    taken.add(found)
    return found


def new_blueprint(names: list[str], blueprint_id: str = "my_service", name: str = "My service") -> dict[str, Any]:
    """The blueprint (as YAML data) of a service whose key moments are `names`, in journey order."""
    names = [n.strip() for n in names if n.strip()]
    if not names:
        from peakend.blueprint.load import BlueprintProblem

        raise BlueprintError([BlueprintProblem("--moments", "", None, say("bp_no_moments"))])
    taken: set[str] = set()
    ids = [moment_id(n, taken) for n in names]
    place = {"zone": "service", "lane": "customer", "stage": "journey", "flow": "customer"}
    moments = [{"id": i, "zh": n, "en": n, **place, "role": "end" if k == len(ids) - 1 else "key", "importance": 3}
               for k, (i, n) in enumerate(zip(ids, names, strict=True))]
    return {
        "id": blueprint_id,
        "version": "1",
        "name": {"zh": name, "en": name},
        "lanes": [{"id": "customer", "zh": "客户行为", "en": "Customer actions"}],
        "stages": [{"id": "journey", "zh": "服务过程", "en": "Journey"}],
        "flows": [{"id": "customer", "zh": "客流", "en": "Customer flow"}],
        "zones": [{"id": "service", "zh": "服务区", "en": "Service area"}],
        "weights": {"peak": 0.5, "end": 0.5, "mean": 0.0},
        "grades": [{"id": "qualified", "zh": "合格", "en": "Qualified", "min_rei": 55},
                   {"id": "good", "zh": "优秀", "en": "Good", "min_rei": 65},
                   {"id": "great", "zh": "卓越", "en": "Great", "min_rei": 75}],
        "moments": moments,
        "routes": [{"id": "main", "zh": "主流程", "en": "Main journey", "moments": ids}],
        "live": {"diversion": {"queue_moment": ids[0], "counter_moments": [ids[min(1, len(ids) - 1)]]}},
    }


def new_blueprint_text(names: list[str], blueprint_id: str = "my_service", name: str = "My service") -> str:
    """`new_blueprint` as YAML text, with a header saying how to go on."""
    header = ("# A minimal blueprint written by `peakend blueprint new`: edit names, zones, stages, standards and\n"
              "# guidelines, then check it with `peakend blueprint check FILE`.\n")
    data = new_blueprint(names, blueprint_id, name)
    return header + safe_yaml.dump(data, width=120)
