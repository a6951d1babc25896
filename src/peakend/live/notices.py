"""What the live loop says to staff, in Chinese and English."""

from __future__ import annotations

from peakend.blueprint.model import Blueprint, Text

NO_GUIDELINE = Text(zh="上前致歉并主动提供帮助", en="Go over, apologise and offer help")
CASE_KIND = {
    "complaint": Text(zh="投诉", en="complaint"),
    "unresolved": Text(zh="业务未解决", en="unresolved business"),
    "negative_end": Text(zh="离开时体验差", en="negative end"),
}


def _moment(bp: Blueprint, moment_id: str) -> tuple[str, str]:
    """A moment's name in Chinese and English (its id where the blueprint does not know it)."""
    try:
        m = bp.moment(moment_id)
        return m.zh, m.en
    except KeyError:
        return moment_id, moment_id


def guideline(bp: Blueprint, moment_id: str) -> Text:
    """The moment's first action guideline: what staff should do there."""
    try:
        found = bp.moment(moment_id).guidelines
    except KeyError:
        found = []
    return found[0] if found else NO_GUIDELINE


def alert_text(bp: Blueprint, kind: str, ticket: str, moment_id: str, e: float | None,
               wait_min: float | None) -> tuple[str, str]:
    """A recovery alert: ticket, moment, what happened (a bad experience e, or a long wait), suggested action."""
    (m_zh, m_en), g = _moment(bp, moment_id), guideline(bp, moment_id)
    if kind == "long_wait":
        what_zh, what_en = f"已等候 {wait_min:.0f} 分钟", f"has waited {wait_min:.0f} min"
    else:
        what_zh, what_en = f"体验很差（e={e:.2f}）", f"had a bad experience (e={e:.2f})"
    return (f"票号 {ticket}：客户在“{m_zh}”{what_zh}，仍在厅内。建议：{g.zh}",
            f"Ticket {ticket}: the customer {what_en} at '{m_en}' and is still in the hall. Suggested: {g.en}")


def advice_text(bp: Blueprint, hall: str, waiting: int, counters: int, wait_min: float) -> tuple[str, str]:
    """Diversion advice: open a counter, send a floor walker, steer business to self-service."""
    g = guideline(bp, bp.live.diversion.queue_moment)
    return (
        f"{hall}：{waiting} 位客户等候，{counters} 个窗口服务，预计等候 {wait_min:.0f} 分钟。"
        f"建议：增开窗口；派引导员到等候区；引导适合的业务到自助终端。{g.zh}",
        f"{hall}: {waiting} waiting, {counters} counters open, predicted wait {wait_min:.0f} min. "
        f"Advice: open a counter; send a floor walker to the waiting area; steer suited business to "
        f"self-service. {g.en}",
    )


def case_text(action: str, case_id: str, kind: str, deadline: object) -> tuple[str, str]:
    """A reminder or an escalation of a follow-up case."""
    k = CASE_KIND.get(kind, Text(zh=kind, en=kind))
    if action == "remind":
        return (f"提醒：回访工单 {case_id}（{k.zh}）将于 {deadline} 到期",
                f"Reminder: follow-up case {case_id} ({k.en}) is due {deadline}")
    return (f"升级：回访工单 {case_id}（{k.zh}）已于 {deadline} 逾期未办结",
            f"Escalated: follow-up case {case_id} ({k.en}) was due {deadline} and is not resolved")
