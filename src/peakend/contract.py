"""The event contract: the fields of visits, touches, surveys and audits.

One declaration serves every way events enter (files now, the HTTP API later): the
validator turns these specs into vectorised checks. Ids are given by the sender, so an
event sent twice is stored once; where an id is omitted it is derived from the fields
named in `derived_id`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

FieldType = Literal["text", "int", "float", "timestamp", "bool", "rating"]
Kind = Literal["touch", "visit", "survey", "audit"]

# Rating scales: name -> (lowest, highest). A rating r maps to e = 2·(r−lo)/(hi−lo) − 1.
SCALES: dict[str, tuple[float, float]] = {
    "1-5": (1, 5),
    "1-10": (1, 10),
    "0-10": (0, 10),
    "sat3": (1, 3),  # 满意 / 一般 / 不满意
    "binary": (0, 1),  # yes / no, 是 / 否: the two ends of the experience
}
SCALE_ALIASES: dict[str, str] = {
    "1-5": "1-5",
    "1-10": "1-10",
    "0-10": "0-10",
    "sat3": "sat3",
    "3-level": "sat3",
    "满意/一般/不满意": "sat3",
    "五分制": "1-5",
    "十分制": "1-10",
    "binary": "binary",
    "yes/no": "binary",
    "是/否": "binary",
    "0-1": "binary",
}
# Text ratings on the three-level satisfaction scale, and the number each stands for.
SAT3_WORDS: dict[str, int] = {
    "满意": 3,
    "一般": 2,
    "不满意": 1,
    "非常满意": 3,
    "很满意": 3,
    "不太满意": 1,
    "satisfied": 3,
    "neutral": 2,
    "dissatisfied": 1,
}
# Answers on the two-valued scale, and the number each stands for (any other two words: a mapping's `values`).
BINARY_WORDS: dict[str, int] = {"yes": 1, "no": 0, "y": 1, "n": 0, "true": 1, "false": 0, "是": 1, "否": 0}
# What each scale takes, as messages say it.
SCALE_TAKES: dict[str, str] = {
    "sat3": "满意/一般/不满意 (satisfied/neutral/dissatisfied) or 1–3",
    "binary": "yes/no, 是/否, true/false or 1/0",
}
# Characters typed full-width, and their ASCII twins (one for one): digits, letters, signs, the ideographic space.
FULL_WIDTH = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000"
HALF_WIDTH = "".join(chr(c) for c in range(0x21, 0x7F)) + " "
_TO_HALF = str.maketrans(FULL_WIDTH, HALF_WIDTH)
_SPACES = re.compile(r"[ \t\n\f\r]+")


def fold(text: str) -> str:
    """A word as answers are compared: full-width read as ASCII, spaces trimmed and collapsed, lower case
    (the same as `validate.fold_sql`)."""
    return _SPACES.sub(" ", text.translate(_TO_HALF)).strip(" ").lower()


OUTCOME_ALIASES: dict[str, str] = {
    "resolved": "resolved",
    "unresolved": "unresolved",
    "complaint": "complaint",
    "abandoned": "abandoned",
    "已解决": "resolved",
    "办结": "resolved",
    "未解决": "unresolved",
    "遗留": "unresolved",
    "投诉": "complaint",
    "放弃": "abandoned",
    "离开": "abandoned",
}
TRUE_WORDS = ("1", "true", "yes", "y", "t", "是", "通过", "合格", "达标", "√", "✓", "✔", "pass", "passed")
FALSE_WORDS = ("0", "false", "no", "n", "f", "否", "未通过", "不通过", "不合格", "未达标", "×", "✗", "✘", "fail",
               "failed")


@dataclass(frozen=True)
class FieldSpec:
    """One field of an event: its type, whether it is required, its allowed range.

    Text is an id or short text (at most setting `max_id_chars` characters) unless `free`
    (comments and notes: `max_text_chars`); timestamps lie within `past_days` before now and
    `future_days` after it.
    """

    name: str
    type: FieldType = "text"
    required: bool = False
    lo: float | None = None
    hi: float | None = None
    free: bool = False


VISIT_FIELDS = (
    FieldSpec("visit_id", required=True),
    FieldSpec("hall_id", required=True),
    FieldSpec("customer_key"),
    FieldSpec("ticket"),
    FieldSpec("segment"),
    FieldSpec("route"),
    FieldSpec("arrival", "timestamp"),
    FieldSpec("departure", "timestamp"),
    FieldSpec("source"),
)
TOUCH_FIELDS = (
    *[f if f.name != "hall_id" else FieldSpec("hall_id") for f in VISIT_FIELDS],
    FieldSpec("touch_id"),
    FieldSpec("moment_id", required=True),
    FieldSpec("seq", "int", lo=0, hi=2**31 - 1),  # the store keeps a 32-bit integer
    FieldSpec("start_at", "timestamp"),
    FieldSpec("end_at", "timestamp"),
    FieldSpec("staff_id"),
    FieldSpec("rating", "rating"),
    FieldSpec("rating_scale"),
    FieldSpec("wait_min", "float", lo=0, hi=24 * 60),
    FieldSpec("service_min", "float", lo=0, hi=24 * 60),
    FieldSpec("outcome"),
)
SURVEY_FIELDS = (
    FieldSpec("survey_id"),
    FieldSpec("visit_id", required=True),
    FieldSpec("answered_at", "timestamp"),
    FieldSpec("overall", "rating"),
    FieldSpec("overall_scale"),
    FieldSpec("recommend", "float", lo=0, hi=10),
    FieldSpec("repurchase", "float", lo=1, hi=5),
    FieldSpec("relationship", "float", lo=1, hi=5),
    FieldSpec("switch_resist", "float", lo=1, hi=5),
    FieldSpec("comment", free=True),
    FieldSpec("source"),
)
AUDIT_FIELDS = (
    FieldSpec("audit_id"),
    FieldSpec("hall_id", required=True),
    FieldSpec("audited_at", "timestamp"),
    FieldSpec("item", required=True),
    FieldSpec("passed", "bool", required=True),
    FieldSpec("staff_id"),
    FieldSpec("auditor"),
    FieldSpec("note", free=True),
    FieldSpec("source"),
)

# Fields checked against a set (the blueprint's moments, routes and checklist; scales): never stored as sent otherwise.
SET_FIELDS = frozenset({"moment_id", "route", "item", "rating_scale", "overall_scale", "outcome"})
# Fields that are keys: a phone number in them is stored as its keyed hash (elsewhere it is masked).
KEY_FIELDS = frozenset({"visit_id", "touch_id", "survey_id", "audit_id", "hall_id", "staff_id", "customer_key"})

FIELDS: dict[Kind, tuple[FieldSpec, ...]] = {
    "touch": TOUCH_FIELDS,
    "visit": VISIT_FIELDS,
    "survey": SURVEY_FIELDS,
    "audit": AUDIT_FIELDS,
}
# The id column of each kind, and the fields an omitted id is derived from.
ID_FIELD: dict[Kind, str] = {
    "touch": "touch_id",
    "visit": "visit_id",
    "survey": "survey_id",
    "audit": "audit_id",
}
DERIVED_ID: dict[Kind, tuple[str, ...]] = {
    "touch": ("visit_id", "moment_id", "seq", "start_at"),
    "visit": ("visit_id",),
    "survey": ("visit_id",),
    "audit": ("hall_id", "item", "audited_at", "staff_id"),
}


def detect_kind(columns: list[str]) -> Kind | None:
    """Tell the kind of rows from their columns (None when it cannot be told)."""
    cols = set(columns)
    if "moment_id" in cols:
        return "touch"
    if {"item", "passed"} <= cols:
        return "audit"
    if cols & {"overall", "recommend"}:
        return "survey"
    if {"visit_id", "hall_id"} <= cols:
        return "visit"
    return None
