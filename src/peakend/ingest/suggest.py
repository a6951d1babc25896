"""Which contract field each column of a file most likely holds, by its name: the contract's own names, then the
names Chinese and English exports give them (流水号 → visit_id, 营业厅 → hall_id, 等候时长 → wait_min …).

`suggest(columns)` gives each column at most one field and each field at most one column, surest first:
an exact name (1.0), an exact synonym (0.9), a synonym inside a longer name or a two-row header's last part
(0.6). The import page preselects these; the user corrects them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from peakend.contract import FIELDS, Kind, detect_kind, fold

SYNONYMS: dict[str, tuple[str, ...]] = {
    "visit_id": ("流水号", "业务流水号", "来访编号", "来访号", "工单号", "单号", "visit", "visit no", "serial"),
    "hall_id": ("营业厅", "厅店", "网点", "营业网点", "门店", "厅名", "hall", "branch", "store", "outlet"),
    "moment_id": ("关键时刻", "时刻", "触点", "环节", "服务环节", "moment", "touchpoint", "step"),
    "seq": ("序号", "顺序", "步骤序号", "sequence", "order"),
    "start_at": ("开始时间", "时间", "发生时间", "评价时间", "start", "time", "timestamp"),
    "end_at": ("结束时间", "完成时间", "end", "finish"),
    "arrival": ("到厅时间", "到店时间", "取号时间", "进厅时间", "arrival", "arrived"),
    "departure": ("离厅时间", "离开时间", "离店时间", "departure", "left"),
    "staff_id": ("员工", "工号", "员工编号", "营业员", "柜员", "柜台人员", "窗口人员", "经办人", "服务人员", "接待员工",
                 "staff", "employee", "agent", "clerk", "teller"),
    "rating": ("评分", "评价", "分数", "打分", "满意度评分", "score", "rating"),
    "rating_scale": ("量表", "评分标准", "评分方式", "scale"),
    "wait_min": ("等候时长", "等待时间", "等候分钟", "排队时长", "等候", "wait", "waiting"),
    "service_min": ("办理时长", "服务时长", "业务时长", "service time", "handling time"),
    "outcome": ("办理结果", "结果", "是否解决", "处理结果", "outcome", "result"),
    "ticket": ("排队号", "票号", "取号号码", "ticket", "queue number"),
    "customer_key": ("手机号", "手机号码", "客户号码", "联系电话", "电话", "客户编号", "phone", "mobile", "customer"),
    "segment": ("客户类型", "客户群", "客群", "客户细分", "segment", "customer type"),
    "route": ("动线", "路线", "业务路线", "route", "flow"),
    "survey_id": ("问卷编号", "调查编号", "survey"),
    "answered_at": ("回复时间", "答题时间", "答复时间", "answered"),
    "overall": ("总体满意度", "总体评价", "满意度", "整体满意度", "overall", "satisfaction"),
    "recommend": ("推荐意愿", "推荐度", "推荐", "nps", "recommend"),
    "repurchase": ("再次购买", "复购意愿", "repurchase"),
    "relationship": ("关系", "信任", "relationship"),
    "switch_resist": ("转网意愿", "不转网", "switch"),
    "comment": ("意见", "建议", "评论", "留言", "意见建议", "comment", "feedback"),
    "audit_id": ("暗访编号", "检查编号", "audit"),
    "audited_at": ("暗访时间", "检查时间", "audited"),
    "item": ("检查项", "暗访项目", "检查项目", "item", "check"),
    "passed": ("是否通过", "是否合格", "合格", "通过", "passed", "pass"),
    "auditor": ("暗访员", "检查人", "auditor", "inspector"),
    "note": ("备注", "说明", "note", "remark"),
    "source": ("来源", "数据来源", "source", "system"),
}
WHOLE_ONLY: dict[str, tuple[str, ...]] = {  # names too short to look for inside longer ones
    "visit_id": ("id", "respondent", "respondent id", "response id", "受访者", "受访者编号", "答卷编号", "样本编号"),
}
EXACT, SYNONYM, INSIDE = 1.0, 0.9, 0.6
_PUNCT = re.compile(r"[\s_\-./（）()]+")


@dataclass(frozen=True)
class Suggestion:
    """A column's likely field and how sure the guess is (0–1)."""

    column: str
    field: str
    score: float


@functools.lru_cache(maxsize=4096)
def _plain(name: str) -> str:
    return _PUNCT.sub("", fold(name))


@functools.cache
def _names(field: str) -> tuple[tuple[str, ...], frozenset[str]]:
    """A field's synonyms, and its whole-only ones, as `_plain` reads them."""
    return tuple(_plain(s) for s in SYNONYMS.get(field, ())), frozenset(_plain(s) for s in WHOLE_ONLY.get(field, ()))


def _scores(column: str, fields: list[str]) -> list[tuple[float, str]]:
    """Every field the column's name could hold, with how sure (longer synonyms inside first)."""
    plain, last = _plain(column), _plain(column.rsplit("/", 1)[-1])
    out = []
    for f in fields:
        names, whole = _names(f)
        if plain == _plain(f) or last == _plain(f):
            out.append((EXACT, f))
        elif plain in names or last in names or plain in whole:
            out.append((SYNONYM, f))
        else:
            inside = [n for n in names if len(n) >= 2 and n in plain]
            if inside:  # the longer synonym surer, and one that ends the name (a Chinese name's head: 柜员评分 a 评分)
                out.append((INSIDE + max(0.01 * len(n) + 0.005 * plain.endswith(n) for n in inside), f))
    return out


def suggest(columns: list[str], kind: Kind | None = None) -> list[Suggestion]:
    """The likely field of each column that has one (of `kind`'s fields, else any kind's), surest first claimed."""
    fields = [f.name for f in FIELDS[kind]] if kind else list(dict.fromkeys(f.name for k in FIELDS.values()
                                                                           for f in k))
    return _claim(columns, fields)


def suggested_kind(suggestions: list[Suggestion]) -> Kind | None:
    """The kind of rows the suggested fields make (None when it cannot be told)."""
    return detect_kind([s.field for s in suggestions])


Shape = Literal["long", "wide"]


def moment_column(columns: list[str]) -> str | None:
    """The column that holds each row's moment, by its name (moment_id, 关键时刻, moment…), if any."""
    return next((s.column for s in suggest(columns, "touch") if s.field == "moment_id"), None)


RATED = ("评分", "打分", "rating", "score")  # words after a moment's name that make its column that moment's rating


def _moment_of(column: str, folded: dict[str, str]) -> str | None:
    """The moment a column is named as: a moment's name (`moments`' keys, plain), or one followed by a word of
    `RATED` (柜台办理评分, Counter rating)."""
    plain = _plain(column)
    if plain in folded:
        return folded[plain]
    return next((folded[plain[: -len(w)]] for w in map(_plain, RATED) if plain.endswith(w) and plain[: -len(w)]
                 in folded), None)


def moment_columns(columns: list[str], moments: dict[str, str]) -> dict[str, str]:
    """The columns named as a moment, or as a moment's rating (`moments`: a moment's id, Chinese or English name →
    its id), column → id."""
    folded = {_plain(name): mid for name, mid in moments.items() if name.strip()}
    found = {c: _moment_of(c, folded) for c in columns}
    return {c: mid for c, mid in found.items() if mid is not None}


def shape(columns: list[str], moments: dict[str, str] | None = None) -> Shape | None:
    """How a file holds its moments — the one rule the import page and `peakend ingest` share: `long` (one row per
    touch) when a column holds the moment, `wide` (one row per visit or respondent, one column per moment) when
    none does and some column is named as a moment of the blueprint, else None (not told)."""
    if moment_column(columns):
        return "long"
    return "wide" if moments and moment_columns(columns, moments) else None


def implied_columns(columns: list[str]) -> dict[str, str]:
    """For a long file read without a mapping: field → column for the columns whose name is a sure synonym of a
    touch field the file lacks by its own name (`moment` → moment_id, `time` → start_at); empty when the file
    is not long."""
    if shape(columns) != "long":
        return {}
    return {s.field: s.column for s in suggest(columns, "touch")
            if s.score >= SYNONYM and s.column != s.field and s.field not in columns}


def wide_suggestions(columns: list[str], moments: dict[str, str]) -> dict[str, str]:
    """A wide file's likely reading, column → choice: `m:<moment id>` for a column named as a moment, else a visit
    or survey field by its name (`id` → visit_id)."""
    named = moment_columns(columns, moments)
    rest = [c for c in columns if c not in named]
    fields = [f.name for f in FIELDS["visit"]] + [f.name for f in FIELDS["survey"] if f.name not in WIDE_SKIP]
    out = {c: f"m:{mid}" for c, mid in named.items()}
    for s in _claim(rest, list(dict.fromkeys(fields))):
        out[s.column] = s.field
    return {c: out[c] for c in columns if c in out}


WIDE_SKIP = frozenset({"survey_id", "overall_scale", "source"})


def _claim(columns: Iterable[str], fields: list[str]) -> list[Suggestion]:
    cols = list(columns)
    ranked = sorted(((score, i, f) for i, c in enumerate(cols) for score, f in _scores(c, fields)),
                    key=lambda x: (-x[0], x[1]))
    taken_cols: set[int] = set()
    taken_fields: set[str] = set()
    out = []
    for score, i, f in ranked:
        if i in taken_cols or f in taken_fields:
            continue
        taken_cols.add(i)
        taken_fields.add(f)
        out.append(Suggestion(cols[i], f, round(score, 2)))
    return sorted(out, key=lambda s: cols.index(s.column))
