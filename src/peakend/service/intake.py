"""Events sent one by one or in batches (`ws.intake`): the API's posts and the auditors' form, through the group
commit (posts that arrive while another is being ingested are ingested together with it, each answered as its
own), with what a sender may not send refused and quarantined first.

Ingest runs the same contract checks as file ingest (`ingest.pipeline.ingest_posts`): a bad record is answered
with its index, field and reason and kept in quarantine, while the good records of the same batch are stored.
Ids are sender-given, so a retry stores once. The visits of stored touches and visits are queued for the live
rules, which the live worker runs within moments (`live.pending`); the answer does not wait for them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from peakend import settings
from peakend.contract import Kind
from peakend.errors import BatchTooLarge, NotASender
from peakend.ingest.group_commit import GroupCommit
from peakend.ingest.pipeline import Post, Quarantine, records_hash
from peakend.ingest.privacy import key_text, store_secret
from peakend.ingest.validate import Context
from peakend.service.figures import EVENT_HALL_SQL, event_halls, visit_halls

if TYPE_CHECKING:
    from peakend.service.people import Principal
    from peakend.service.workspace import Workspace

PROBLEM_COLUMNS = ["_row", "field", "code", "value", "expected"]


@dataclass
class Refused:
    """One rejected record: where it was in the request, which field, and why."""

    index: int
    field: str
    code: str
    message_en: str
    message_zh: str


@dataclass
class Clash:
    """A record whose id was stored (or sent earlier) with different content: both versions."""

    index: int
    kind: str
    event_id: str
    action: str
    stored_version: dict[str, Any]
    sent_version: dict[str, Any]


@dataclass
class Received:
    """What an ingest request did: stored, duplicates, rejected (named), conflicts, visits queued for live rules."""

    stored: int
    duplicates: int
    rejected: list[Refused] = field(default_factory=list)
    conflicts: list[Clash] = field(default_factory=list)
    queued: int = 0


class Intake:
    """Records sent to a workspace's store (one per process: it owns the group commit)."""

    def __init__(self, ws: Workspace):
        self.ws = ws
        store_secret(ws.store)  # read once now: device posts key their ids without waiting for the store
        self.group = GroupCommit(ws.store)  # every post goes through it (made now, not while the store is down)
        _ = ws.blueprint  # the version in force read now: a post then waits for the store in the ingest only

    def records(self, p: Principal, kind: Kind, records: list[dict[str, Any]], source: str,
                replace: bool = False) -> Received:
        """Ingest records sent by `p` (a device, an admin, an auditor's form) as `source`: what it may not send is
        refused and quarantined, the rest goes through the group commit (validated, quarantined, idempotent).
        NotASender (403) for a role that sends no such records, BatchTooLarge (413) past setting `max_batch`."""
        if not p.sends(kind):
            raise NotASender(value=kind)
        most = settings.get("max_batch")
        if len(records) > most:
            raise BatchTooLarge(most=f"{most:,}", value=f"{len(records):,}")
        store = self.ws.store
        refused = self.refusals(p, kind, records)
        refused_rows = set(refused["_row"])
        kept = Quarantine(store, source, lambda: records_hash(records))
        kept.add(refused, {i: json.dumps(records[i], ensure_ascii=False, default=str) for i in refused_rows}, {})
        allowed = [(i, r) for i, r in enumerate(records) if i not in refused_rows]
        live = kind in ("touch", "visit")
        post = Post([r for _, r in allowed], kind, source, [i for i, _ in allowed])
        result = self.group.ingest(post, Context(self.ws.blueprint, replace=replace), live)
        rejected = [Refused(int(str(x["row"])), str(x["field"]), str(x["code"]), str(x["message_en"]),
                            str(x["message_zh"])) for x in kept.problems + result.problems]
        rejected.sort(key=lambda r: (r.index, r.field))
        bad = {r.index for r in rejected}
        visits = {str(r["visit_id"]) for i, r in enumerate(records) if i not in bad and r.get("visit_id") is not None}
        if live and visits:
            self.ws.live_wake.set()
        conflicts = [Clash(c.row, c.kind, c.event_id, c.action, c.kept, c.sent) for c in result.clashes]
        return Received(result.stored, result.duplicates, rejected, conflicts, len(visits) if live else 0)

    def refusals(self, p: Principal, kind: Kind, records: list[dict[str, Any]]) -> pd.DataFrame:
        """The records a sender may not send, as problems (_row, field, code, value, expected); fills in the
        device's hall where none is given.

        A device sees only its own hall: a visit of another hall is answered as if it did not exist
        (a survey or a touch naming it: `unknown_visit`, exactly as for an absent visit), and a record
        that would create a visit under an id another hall holds is refused without naming that hall.
        """
        problems: list[dict[str, Any]] = []
        if p.is_admin:
            return pd.DataFrame(problems, columns=PROBLEM_COLUMNS)
        store = self.ws.store
        own = next(iter(p.halls)) if len(p.halls) == 1 else None  # an auditor of several halls names the hall
        ids = {str(r["visit_id"]): key_text(store, str(r["visit_id"])) or "" for r in records
               if r.get("visit_id") is not None}
        stored = visit_halls(store, list(ids.values()), beside=True)  # one query, not waiting for the lock
        id_col = EVENT_HALL_SQL[kind][0] if kind in EVENT_HALL_SQL else None
        own_ids = {str(r[id_col]): key_text(store, str(r[id_col])) or "" for r in records
                   if id_col and r.get(id_col) is not None}
        taken = event_halls(store, kind, list(own_ids.values()), beside=True)
        for i, r in enumerate(records):
            visit = str(r["visit_id"]) if r.get("visit_id") is not None else None
            there = stored.get(ids[visit]) if visit is not None else None
            event = str(r[id_col]) if id_col and r.get(id_col) is not None else None
            if event is not None and taken.get(own_ids[event], own) not in p.halls:
                # an id another hall's event holds: no conflict showing its content, no correction overwriting it
                problems.append({"_row": i, "field": id_col, "code": "id_elsewhere", "value": event, "expected": ""})
            elif r.get("hall_id") is not None and not p.writes_to(str(r["hall_id"])):
                problems.append({"_row": i, "field": "hall_id", "code": "forbidden_hall", "value": str(r["hall_id"]),
                                 "expected": ", ".join(sorted(p.halls))})
            elif there is not None and there not in p.halls:
                hidden = kind == "survey" or (kind == "touch" and r.get("hall_id") is None)
                problems.append({"_row": i, "field": "visit_id",
                                 "code": "unknown_visit" if hidden else "visit_elsewhere", "value": visit,
                                 "expected": ""})
            elif r.get("hall_id") is None and kind != "survey" and there is None and own is not None:
                r["hall_id"] = own
        return pd.DataFrame(problems, columns=PROBLEM_COLUMNS)
