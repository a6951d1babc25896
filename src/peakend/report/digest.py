"""The weekly digest a hall manager reads in their inbox: per hall of theirs, the REI of each of the last weeks
(the trend), the moments where fixing bad experiences gains most, and the follow-up cases open and overdue.

`digests(store, bp)` makes one message per manager (zh and en in one mail, plain text and HTML); `send` hands
them to an SMTP server (settings `smtp_*`), `write` keeps them as .eml files. The week ends on the store's last
day with visits of the manager's halls, so a digest of historic data still reads as a week.
"""

from __future__ import annotations

import html
import smtplib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pandas as pd

from peakend import settings
from peakend.blueprint.model import Blueprint
from peakend.store.db import Store

WEEKS = 6  # weeks of REI shown as the trend
WORST = 3  # moments listed per hall


@dataclass(frozen=True)
class Digest:
    """One manager's digest."""

    user: str
    email: str | None
    subject: str
    text: str
    html: str

    def message(self, sender: str) -> EmailMessage:
        """As an e-mail from `sender`."""
        m = EmailMessage()
        m["Subject"], m["From"], m["To"] = self.subject, sender, self.email or f"{self.user}@localhost"
        m.set_content(self.text)
        m.add_alternative(self.html, subtype="html")
        return m


def managers(store: Store) -> list[tuple[str, str | None, list[str]]]:
    """Every manager: name, e-mail (or None) and halls."""
    rows = store.rows("SELECT username, email, halls FROM users WHERE role = 'manager' ORDER BY username")
    return [(str(u), e or None, [h for h in str(hs or "").split(",") if h]) for u, e, hs in rows]


def weekly_rei(store: Store, halls: list[str], last: date) -> pd.DataFrame:
    """Per hall and week (ending on `last`, `last` − 7, …): visits and mean REI, `WEEKS` weeks."""
    first = last - timedelta(days=7 * WEEKS - 1)
    marks = ", ".join("?" for _ in halls)
    v = store.query(f"SELECT hall_id, day, rei FROM visit_scores WHERE hall_id IN ({marks}) AND day >= ? AND day <= ?",
                    [*halls, first, last])
    v["week_end"] = [last - timedelta(days=7 * ((last - pd.Timestamp(d).date()).days // 7)) for d in v["day"]]
    return (v.groupby(["hall_id", "week_end"]).agg(visits=("rei", "size"), rei=("rei", "mean")).reset_index()
            .sort_values(["hall_id", "week_end"]))


def worst_moments(store: Store, bp: Blueprint, halls: list[str]) -> pd.DataFrame:
    """Per hall, the `WORST` moments whose bad experiences cost most (lift), with mean e and negative share."""
    marks = ", ".join("?" for _ in halls)
    m = store.query(f"SELECT hall_id, moment_id, mean_e, negative_share, lift FROM moment_scores "
                    f"WHERE hall_id IN ({marks})", halls)
    m = m.sort_values(["hall_id", "lift"], ascending=[True, False]).groupby("hall_id").head(WORST)
    names = {mo.id: (mo.zh, mo.en) for mo in bp.moments}
    return m.assign(zh=m["moment_id"].map(lambda x: names.get(x, (x, x))[0]),
                    en=m["moment_id"].map(lambda x: names.get(x, (x, x))[1]))


def open_cases(store: Store, halls: list[str], now: datetime) -> pd.DataFrame:
    """Per hall: open cases and those past their deadline."""
    marks = ", ".join("?" for _ in halls)
    c = store.query(f"SELECT hall_id, deadline FROM cases WHERE status = 'open' AND hall_id IN ({marks})", halls)
    out = pd.DataFrame({"hall_id": halls})
    counts = c.assign(overdue=pd.to_datetime(c["deadline"]) < pd.Timestamp(now)).groupby("hall_id").agg(
        open=("deadline", "size"), overdue=("overdue", "sum"))
    return out.merge(counts.reset_index(), on="hall_id", how="left").fillna(0).astype({"open": int, "overdue": int})


def _last_day(store: Store, halls: list[str]) -> date | None:
    marks = ", ".join("?" for _ in halls)
    day = store.scalar(f"SELECT max(day) FROM visit_scores WHERE hall_id IN ({marks})", halls)
    return None if day is None else pd.Timestamp(day).date()


def digest(store: Store, bp: Blueprint, user: str, email: str | None, halls: list[str], now: datetime
           ) -> Digest | None:
    """The digest of one manager (None when their halls have no scored visits)."""
    last = _last_day(store, halls) if halls else None
    if last is None:
        return None
    weeks, worst, cases = weekly_rei(store, halls, last), worst_moments(store, bp, halls), open_cases(store, halls, now)
    start = last - timedelta(days=6)
    subject = f"peakend 周报 weekly digest · {', '.join(halls)} · {start:%m-%d}–{last:%m-%d}"
    text, parts = [subject, ""], [f"<h1>{html.escape(subject)}</h1>"]
    for hall in halls:
        w = weeks[weeks["hall_id"] == hall]
        trend = " → ".join(f"{r.rei:.1f}" for r in w.itertuples())
        now_rei = w["rei"].iloc[-1] if len(w) and w["week_end"].iloc[-1] == last else float("nan")
        c = cases[cases["hall_id"] == hall].iloc[0]
        bad = worst[worst["hall_id"] == hall]
        lines = [f"== {hall} ==",
                 f"REI 本周 this week: {now_rei:.1f}   近 {len(w)} 周 last {len(w)} weeks: {trend or '–'}",
                 f"待跟进工单 open cases: {c.open}   已超时 overdue: {c.overdue}",
                 "最值得改进的时刻 moments to fix first (lift, mean e, share bad):"]
        lines += [f"  - {r.zh} / {r.en}: +{r.lift:.2f}, e {r.mean_e:+.2f}, {r.negative_share:.0%}"
                  for r in bad.itertuples()]
        text += [*lines, ""]
        rows = "".join(f"<tr><td>{html.escape(r.zh)} / {html.escape(r.en)}</td><td>+{r.lift:.2f}</td>"
                       f"<td>{r.mean_e:+.2f}</td><td>{r.negative_share:.0%}</td></tr>" for r in bad.itertuples())
        parts.append(f"<h2>{html.escape(hall)}</h2><p>REI 本周 this week: <b>{now_rei:.1f}</b> · 近 {len(w)} 周 last "
                     f"{len(w)} weeks: {html.escape(trend or '–')}</p><p>待跟进工单 open cases: <b>{c.open}</b> · "
                     f"已超时 overdue: <b>{c.overdue}</b></p><table><tr><th>时刻 moment</th><th>lift</th>"
                     f"<th>e</th><th>不满 bad</th></tr>{rows}</table>")
    return Digest(user, email, subject, "\n".join(text), "<html><body>" + "".join(parts) + "</body></html>")


def digests(store: Store, bp: Blueprint, now: datetime | None = None) -> list[Digest]:
    """Every manager's digest (those whose halls have scored visits)."""
    made = (digest(store, bp, u, e, hs, now or datetime.now()) for u, e, hs in managers(store))
    return [d for d in made if d is not None]


def send(found: list[Digest]) -> int:
    """Send the digests of managers with an e-mail through the SMTP server of settings `smtp_*`; how many went."""
    mailed = [d for d in found if d.email]
    if not mailed:
        return 0
    host, port = settings.get("smtp_host"), settings.get("smtp_port")
    with smtplib.SMTP(host, port, timeout=30) as smtp:
        if settings.get("smtp_starttls"):
            smtp.starttls()
        if settings.get("smtp_user"):
            smtp.login(settings.get("smtp_user"), settings.get("smtp_password") or "")
        for d in mailed:
            smtp.send_message(d.message(settings.get("smtp_from")))
    return len(mailed)


def write(found: list[Digest], folder: Path) -> list[Path]:
    """Keep each digest as `<user>.eml` in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for d in found:
        path = folder / f"{d.user}.eml"
        path.write_bytes(bytes(d.message(settings.get("smtp_from"))))
        out.append(path)
    return out
