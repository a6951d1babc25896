"""The outbox: the ONE place every event other systems hear of is written (`emit`), in the transaction of what it
tells of, so none is lost across a restart and every process delivers from the same table (`service.webhooks`).

An event's id is derived from its kind and its subject (an alert id, a case id, a job id), so an event emitted twice
is stored once. Its payload is the Standard Webhooks envelope `{"type", "timestamp", "data"}`, at most
`MAX_PAYLOAD` bytes: longer texts are cut, and past that only the ids are kept (`"truncated": true`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pandas as pd

from peakend.blueprint.model import Blueprint
from peakend.live.notices import guideline
from peakend.store.db import Store

KINDS = ("alert.raised", "case.opened", "case.escalated", "case.overdue", "case.closed", "survey.negative",
         "import.finished", "digest.ready")
MAX_PAYLOAD = 20_000  # bytes of one event's JSON body
CUT_TEXT = 1000  # characters a text keeps when a payload is too long
KEEP_WHEN_CUT = ("alert_id", "case_id", "visit_id", "hall_id", "job_id", "kind", "link", "state")


def event_id(kind: str, subject: str) -> str:
    """The id of the event of `kind` about `subject` (ASCII, as the `webhook-id` header needs)."""
    return "evt_" + hashlib.sha256(f"{kind}\x1f{subject}".encode()).hexdigest()[:32]


def envelope(kind: str, at: datetime, data: Mapping[str, Any]) -> str:
    """The event's JSON body, at most MAX_PAYLOAD bytes (texts cut, then only the ids kept)."""
    def dump(d: Mapping[str, Any]) -> str:
        return json.dumps({"type": kind, "timestamp": at.isoformat(), "data": d}, ensure_ascii=False,
                          default=str, separators=(",", ":"))

    body = dump(data)
    if len(body.encode()) <= MAX_PAYLOAD:
        return body
    cut = {k: (v[:CUT_TEXT] if isinstance(v, str) else v) for k, v in data.items()}
    body = dump({**cut, "truncated": True})
    if len(body.encode()) <= MAX_PAYLOAD:
        return body
    return dump({**{k: str(data[k])[:CUT_TEXT] for k in KEEP_WHEN_CUT if k in data}, "truncated": True})


def emit(store: Store, kind: str, subject: str, hall: str | None, at: datetime, data: Mapping[str, Any]) -> None:
    """Write one event to the outbox (once per kind and subject); call it inside the transaction of its cause."""
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind}")
    store.execute("INSERT INTO outbox (event_id, kind, hall_id, created_at, payload) VALUES (?, ?, ?, ?, ?) "
                  "ON CONFLICT DO NOTHING", [event_id(kind, subject), kind, hall, at, envelope(kind, at, data)])


def moment_words(bp: Blueprint, moment_id: str | None) -> dict[str, Any]:
    """A moment's names and first guideline in both languages, as an event carries them."""
    if not moment_id or moment_id not in bp.moment_ids():
        return {"moment_id": moment_id}
    m, g = bp.moment(moment_id), guideline(bp, moment_id)
    return {"moment_id": moment_id, "moment_zh": m.zh, "moment_en": m.en, "guideline_zh": g.zh, "guideline_en": g.en}


def peak_end(touches: pd.DataFrame) -> dict[str, tuple[float | None, float | None, str | None]]:
    """Each visit's (peak e, end e, peak moment) so far, from its touches in journey order: the peak is the e of
    largest |e| (the later one on ties), the end the e of the last touch."""
    out: dict[str, tuple[float | None, float | None, str | None]] = {}
    for visit, group in touches.groupby("visit_id", sort=False):
        e = pd.to_numeric(group["e"], errors="coerce")
        known = group[e.notna()]
        if known.empty:
            out[str(visit)] = (None, None, None)
            continue
        ke = pd.to_numeric(known["e"]).round(6)
        peak_at = ke.abs()[::-1].idxmax()  # the later one on ties
        out[str(visit)] = (float(ke[peak_at]), float(ke.iloc[-1]), str(known.loc[peak_at, "moment_id"]))
    return out


def case_context(store: Store, case_id: str) -> dict[str, Any]:
    """What the case's opening event told (visit, peak, end, moment and guideline), for its later events."""
    found = store.rows("SELECT payload FROM outbox WHERE event_id = ?", [event_id("case.opened", case_id)])
    if not found:
        return {}
    data = json.loads(str(found[0][0])).get("data", {})
    keep = ("visit_id", "ticket", "peak", "end", "moment_id", "moment_zh", "moment_en", "guideline_zh",
            "guideline_en", "kind")
    return {k: data[k] for k in keep if k in data}
