"""Integrations (`ws.webhooks`): the endpoints events go to (signed webhooks and chat robots), their delivery with
retries, and the delivery log with replay.

Events are written to the outbox by whatever causes them (`live.outbox.emit`, in the cause's transaction). The
background loop (`service.background.run_webhooks`) calls `pump`: it fans each new event out to the endpoints whose
kinds and halls take it (a delivery row each: the log), then sends what is due. A delivery is claimed before it is
sent (its `next_at` moved on, compared and set in one UPDATE), so several processes never send one twice at once.

Retries: after the n-th failed attempt the next comes `SCHEDULE_S[n-1]` seconds later, times a jitter of 0.75–1.25
(about three days in all, then it is given up); a `Retry-After` answer is honoured (up to a day); 429, 502 and 504
slow the whole endpoint down until then; 410 disables the endpoint. A robot's messages batch events and keep to its
rate (`channels.RATE` a minute).

Signing secrets (a webhook's, a DingTalk or Feishu robot's) are stored sealed with a key derived from PEAKEND_SECRET
(`service.sealing`); one stored in clear by an older peakend is read as it is and sealed at the loop's start. A
secret the server's PEAKEND_SECRET cannot open disables its endpoint with the reason (`DISABLED_SECRET`) and an
error in the log naming it: nothing goes out unsigned, and its deliveries wait for `enable`.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from peakend import settings
from peakend.errors import BadOption, PeakendError
from peakend.i18n import WORDS, Lang, lang
from peakend.live import channels
from peakend.live.channels import CHANNELS, ROBOTS, Endpoint
from peakend.live.outbound import Refused, check, parse, post
from peakend.live.outbox import KINDS, event_id
from peakend.service import sealing

if TYPE_CHECKING:
    from peakend.service.workspace import Workspace

SCHEDULE_S = (5, 15, 45, 135, 405, 1215, 3645, 10935, 32805, 43200, 43200, 43200, 43200, 43200)
MAX_ATTEMPTS = len(SCHEDULE_S) + 1
JITTER = (0.75, 1.25)
MAX_RETRY_AFTER_S = 86400.0
SLOW_CODES = (429, 502, 504)
CLAIM_S = 120.0  # a claimed delivery is another process's to try again after this long (its sender died)
FAN_BATCH = 500
SEND_BATCH = 50
MOBILE = re.compile(r"^\+?\d{5,15}$")
DISABLED_SECRET = "secret_unreadable"  # `disabled_why` of an endpoint whose secret PEAKEND_SECRET does not open
log = logging.getLogger("peakend.webhooks")


def delay_s(attempts: int, u: float) -> float | None:
    """Seconds until the next try after `attempts` failed ones (`u` uniform in [0, 1) for the jitter); None: give
    up."""
    if attempts < 1 or attempts > len(SCHEDULE_S):
        return None
    low, high = JITTER
    return SCHEDULE_S[attempts - 1] * (low + (high - low) * u)


def retry_after_s(value: str | None, now_epoch: float) -> float | None:
    """A `Retry-After` header as seconds from now (delta seconds or an HTTP date), at most a day; None if absent or
    unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            seconds = email.utils.parsedate_to_datetime(value).timestamp() - now_epoch
        except (TypeError, ValueError, IndexError):
            return None
    return max(0.0, min(seconds, MAX_RETRY_AFTER_S))


@dataclass(frozen=True)
class Outcome:
    """How one send went."""

    ok: bool
    status: int | None = None
    error: str | None = None
    slow: bool = False
    gone: bool = False
    wait_s: float | None = None  # the receiver's Retry-After


def _csv(values: Iterable[str]) -> str:
    return ",".join(v for v in values if v)


class Webhooks:
    """The endpoints of a workspace's store and the delivery of its outbox to them."""

    def __init__(self, ws: Workspace):
        self.ws = ws
        self.now: Callable[[], datetime] = datetime.now
        self.epoch: Callable[[], float] = time.time
        self.rand: Callable[[], float] = random.random
        self.wake = threading.Event()

    @property
    def store(self) -> Any:
        return self.ws.store

    # -- managing endpoints ------------------------------------------------------------------------------------
    def add(self, channel: str, url: str, events: Iterable[str], halls: Iterable[str], actor: str, *,
            lang: str = "zh", secret: str | None = None, mention: Iterable[str] = (),
            address: str | None = None) -> tuple[str, str | None]:
        """Add an endpoint; its id and (a webhook's) signing secret, shown once. `events`/`halls` "*" for all."""
        if channel not in CHANNELS:
            raise BadOption("bad_option", option="channel", value=channel, expected=", ".join(CHANNELS))
        kinds = self._kinds(events)
        scope = self._halls(halls)
        if lang not in ("zh", "en"):
            raise BadOption("bad_option", option="lang", value=lang, expected="zh, en")
        check(url, settings.get("webhook_allow_private"))
        phones = [m.strip() for m in mention if m.strip()]
        if bad := [m for m in phones if not MOBILE.match(m)]:
            raise BadOption("bad_option", option="mention", value=bad[0][:20], expected="+8613800001111")
        if channel == "webhook":
            secret = secret or channels.new_secret()
            if not secret.startswith("whsec_"):
                raise BadOption("bad_option", option="secret", value="…", expected="whsec_…")
        elif channel == "wecom":
            secret = None
        sealed = sealing.seal(secret) if secret else None
        endpoint_id = "ep_" + "".join(random.choices("abcdefghijkmnpqrstuvwxyz23456789", k=10))
        self.store.execute(
            "INSERT INTO endpoints (endpoint_id, channel, url, secret, events, halls, lang, mention, created_by, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [endpoint_id, channel, url.strip(), sealed, kinds, scope, lang, _csv(phones) or None, actor,
             self.now()])
        self.ws.activity.record(actor, "webhook_added", endpoint_id, {"channel": channel, "url": masked(url),
                                                                       "events": kinds, "halls": scope}, address)
        return endpoint_id, secret if channel == "webhook" else None

    @staticmethod
    def _kinds(events: Iterable[str]) -> str:
        kinds = [e.strip() for e in events if e.strip()]
        if not kinds or kinds == ["*"]:
            return "*"
        if bad := [k for k in kinds if k not in KINDS]:
            raise BadOption("bad_option", option="events", value=bad[0][:40], expected=", ".join(KINDS))
        return _csv(dict.fromkeys(kinds))

    def _halls(self, halls: Iterable[str]) -> str:
        scope = [h.strip() for h in halls if h.strip()]
        if scope == ["*"]:
            return "*"
        if not scope:
            raise BadOption("bad_option", option="halls", value="", expected="* or hall ids")
        known = set(self.ws.figures.hall_names("en")) | set(self.ws.figures.known_halls())
        if known and (bad := [h for h in scope if h not in known]):
            raise BadOption("bad_option", option="halls", value=bad[0][:40], expected=", ".join(sorted(known))[:200])
        return _csv(dict.fromkeys(scope))

    def endpoints(self) -> list[dict[str, Any]]:
        """Every endpoint (URL masked, no secret) with its deliveries by state."""
        cols, rows = self.store.fetch(
            "SELECT e.endpoint_id, e.channel, e.url, e.events, e.halls, e.lang, e.mention, e.created_by, e.created_at, "
            "e.disabled_at, e.disabled_why, "
            "count(CASE WHEN d.state = 'sent' THEN 1 END) AS sent, "
            "count(CASE WHEN d.state = 'pending' THEN 1 END) AS pending, "
            "count(CASE WHEN d.state = 'failed' THEN 1 END) AS failed "
            "FROM endpoints e LEFT JOIN deliveries d ON d.endpoint_id = e.endpoint_id "
            "GROUP BY e.endpoint_id, e.channel, e.url, e.events, e.halls, e.lang, e.mention, e.created_by, "
            "e.created_at, e.disabled_at, e.disabled_why ORDER BY e.created_at, e.endpoint_id")
        out = []
        for r in rows:
            d = dict(zip(cols, r, strict=True))
            d["url"] = masked(str(d["url"]))
            d["mention"] = _csv(mask_mobile(m) for m in str(d["mention"] or "").split(","))
            d["secret_unreadable"] = d["disabled_why"] == DISABLED_SECRET
            out.append(d)
        return out

    def _endpoint(self, endpoint_id: str) -> dict[str, Any]:
        cols, rows = self.store.fetch("SELECT * FROM endpoints WHERE endpoint_id = ?", [endpoint_id])
        if not rows:
            raise BadOption("hook_unknown", value=endpoint_id[:60])
        return dict(zip(cols, rows[0], strict=True))

    def remove(self, endpoint_id: str, actor: str, address: str | None = None) -> str:
        """Remove an endpoint; its deliveries still pending are cancelled (the log stays)."""
        self._endpoint(endpoint_id)
        with self.store.transaction():
            self.store.execute("UPDATE deliveries SET state = 'cancelled' WHERE endpoint_id = ? AND state = 'pending'",
                               [endpoint_id])
            self.store.execute("DELETE FROM endpoints WHERE endpoint_id = ?", [endpoint_id])
        self.ws.activity.record(actor, "webhook_removed", endpoint_id, None, address)
        return endpoint_id

    def enable(self, endpoint_id: str, actor: str, address: str | None = None) -> str:
        """Enable an endpoint a 410 disabled (its pending deliveries go out again)."""
        self._endpoint(endpoint_id)
        self.store.execute("UPDATE endpoints SET disabled_at = NULL, disabled_why = NULL, slow_until = NULL "
                           "WHERE endpoint_id = ?", [endpoint_id])
        self.ws.activity.record(actor, "webhook_enabled", endpoint_id, None, address)
        return endpoint_id

    def replay(self, delivery_id: str, actor: str, address: str | None = None) -> str:
        """Send a delivery again now (sent, failed or cancelled ones too), with the same webhook-id."""
        n = self.store.execute("UPDATE deliveries SET state = 'pending', attempts = 0, next_at = ?, last_error = NULL "
                               "WHERE delivery_id = ?", [self.now(), delivery_id])
        if not n:
            raise BadOption("hook_no_delivery", value=delivery_id[:120])
        self.ws.activity.record(actor, "webhook_replayed", delivery_id, None, address)
        self.wake.set()
        return delivery_id

    def log(self, endpoint_id: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """The latest deliveries (of one endpoint), newest first."""
        where, params = ("WHERE d.endpoint_id = ?", [endpoint_id]) if endpoint_id else ("", [])
        cols, rows = self.store.fetch(
            "SELECT d.delivery_id, d.endpoint_id, e.channel, o.kind, o.hall_id, d.state, d.attempts, d.created_at, "
            "d.last_at, d.last_status, d.last_error, d.next_at, d.sent_at FROM deliveries d "
            "JOIN outbox o ON o.event_id = d.event_id LEFT JOIN endpoints e ON e.endpoint_id = d.endpoint_id "
            f"{where} ORDER BY d.created_at DESC, d.delivery_id LIMIT ?", [*params, limit])
        return [dict(zip(cols, r, strict=True)) for r in rows]

    def endpoint_lines(self) -> list[str]:
        """The endpoints as the command line lists them, one a line."""
        return [f"{e['endpoint_id']}  {e['channel']}  {e['url']}  events={e['events']}  halls={e['halls']}  "
                f"lang={e['lang']}  sent={e['sent']} pending={e['pending']} failed={e['failed']}  "
                + (f"disabled: {WORDS['hook_why_secret'][lang()] if e['secret_unreadable'] else e['disabled_why']}"
                   if e["disabled_at"] else "active") for e in self.endpoints()]

    def log_lines(self, endpoint_id: str | None = None, limit: int = 50) -> list[str]:
        """The latest deliveries as the command line lists them, one a line."""
        return [f"{d['delivery_id']}  {d['kind']}  {d['state']}  tries={d['attempts']}  "
                f"status={d['last_status'] or '-'}  {d['last_error'] or ''}".rstrip()
                for d in self.log(endpoint_id, limit)]

    # -- delivering ---------------------------------------------------------------------------------------------
    def pump(self) -> int:
        """Fan new events out and send what is due; how many deliveries were tried."""
        self.fan_out()
        return self.deliver()

    def fan_out(self) -> int:
        """A delivery row per new event and endpoint that takes its kind and hall; how many events were fanned."""
        if not self.store.scalar("SELECT count(*) FROM outbox WHERE fanned_at IS NULL"):
            return 0
        eps = self.store.rows("SELECT endpoint_id, events, halls FROM endpoints WHERE disabled_at IS NULL")
        now, fanned = self.now(), 0
        if not eps:  # nobody listens: every event is fanned out to nobody, in one statement
            return self.store.execute("UPDATE outbox SET fanned_at = ? WHERE fanned_at IS NULL", [now])
        events = self.store.rows("SELECT event_id, kind, hall_id FROM outbox WHERE fanned_at IS NULL "
                                 "ORDER BY created_at, event_id LIMIT ?", [FAN_BATCH])
        with self.store.transaction():
            for event_id, kind, hall in events:
                if not self.store.execute("UPDATE outbox SET fanned_at = ? WHERE event_id = ? AND fanned_at IS NULL",
                                          [now, event_id]):
                    continue  # another process fanned it
                fanned += 1
                for ep, kinds, scope in eps:
                    if takes(str(kinds), str(scope), str(kind), hall):
                        self.store.execute(
                            "INSERT INTO deliveries (delivery_id, endpoint_id, event_id, state, next_at, created_at) "
                            "VALUES (?, ?, ?, 'pending', ?, ?) ON CONFLICT DO NOTHING",
                            [f"{ep}:{event_id}", ep, event_id, now, now])
        return fanned

    def _claim(self) -> list[tuple[str, str, int, str]]:
        """Due deliveries of enabled endpoints not slowed down, claimed: (delivery, endpoint, attempts, payload)."""
        now = self.now()
        due = self.store.rows(
            "SELECT d.delivery_id, d.endpoint_id, d.attempts, d.next_at, o.payload FROM deliveries d "
            "JOIN endpoints e ON e.endpoint_id = d.endpoint_id JOIN outbox o ON o.event_id = d.event_id "
            "WHERE d.state = 'pending' AND d.next_at <= ? AND e.disabled_at IS NULL "
            "AND (e.slow_until IS NULL OR e.slow_until <= ?) ORDER BY d.next_at, d.created_at LIMIT ?",
            [now, now, SEND_BATCH])
        lease = now + timedelta(seconds=CLAIM_S)
        claimed = []
        for delivery, ep, attempts, next_at, payload in due:
            if self.store.execute("UPDATE deliveries SET next_at = ? WHERE delivery_id = ? AND state = 'pending' "
                                  "AND next_at = ?", [lease, delivery, next_at]):
                claimed.append((str(delivery), str(ep), int(attempts), str(payload)))
        return claimed

    def deliver(self) -> int:
        """Send the claimed due deliveries: a webhook's one by one, a robot's in batches within its rate."""
        claimed = self._claim()
        by_ep: dict[str, list[tuple[str, int, str]]] = {}
        for delivery, ep_id, attempts, payload in claimed:
            by_ep.setdefault(ep_id, []).append((delivery, attempts, payload))
        for ep_id, items in by_ep.items():
            row = self._endpoint(ep_id)
            try:
                secret = self._secret(row)
            except sealing.SecretUnreadable as exc:
                self._unreadable(ep_id, exc, [d for d, _, _ in items])
                continue
            ep: Endpoint = Endpoint(ep_id, str(row["channel"]), str(row["url"]), secret, cast(Lang, row["lang"]),
                                    tuple(m for m in str(row["mention"] or "").split(",") if m))
            try:
                if ep.channel in ROBOTS:
                    self._robot(ep, items)
                else:
                    self._webhook(ep, items)
            except Exception:  # a bug or a lost store: the claims run out and the deliveries are tried again
                log.exception("delivering to %s failed", ep_id)
        return len(claimed)

    @staticmethod
    def _secret(row: dict[str, Any]) -> str | None:
        """An endpoint's signing secret opened (SecretUnreadable naming it, also for a webhook without one)."""
        if row["secret"]:
            return sealing.unseal(str(row["secret"]), str(row["endpoint_id"]))
        if row["channel"] == "webhook":  # never sent unsigned
            raise sealing.SecretUnreadable(id=row["endpoint_id"])
        return None

    def _unreadable(self, ep_id: str, exc: sealing.SecretUnreadable, deliveries: list[str]) -> None:
        """Disable an endpoint whose secret cannot be opened, saying why (log, page, activity); its claimed
        deliveries are given back, to go out once it is enabled with the right PEAKEND_SECRET."""
        log.error("%s", exc.say("en"))
        now = self.now()
        with self.store.transaction():
            self.store.executemany("UPDATE deliveries SET next_at = ? WHERE delivery_id = ?",
                                   [[now, d] for d in deliveries])
            self.store.execute("UPDATE endpoints SET disabled_at = ?, disabled_why = ? WHERE endpoint_id = ?",
                               [now, DISABLED_SECRET, ep_id])
        self.ws.activity.record("system", "webhook_disabled", ep_id, {"reason": DISABLED_SECRET})

    def seal_clear(self) -> int:
        """Seal the signing secrets an older peakend stored in clear (with a lasting PEAKEND_SECRET; else they stay
        as they are, still read, and the log says so); how many were sealed."""
        rows = [(str(e), str(s)) for e, s in self.store.rows(
            "SELECT endpoint_id, secret FROM endpoints WHERE secret IS NOT NULL") if not sealing.is_sealed(str(s))]
        if not rows:
            return 0
        if not sealing.can_seal():
            log.warning("%s endpoint signing secrets are stored in clear: set PEAKEND_SECRET to have them encrypted",
                        len(rows))
            return 0
        for endpoint_id, clear in rows:
            self.store.execute("UPDATE endpoints SET secret = ? WHERE endpoint_id = ? AND secret = ?",
                               [sealing.seal(clear), endpoint_id, clear])
        log.info("sealed the signing secrets of %s endpoints stored in clear", len(rows))
        return len(rows)

    def _webhook(self, ep: Endpoint, items: list[tuple[str, int, str]]) -> None:
        """Send a webhook's due events one by one; after a 410, 429, 502 or 504 the rest wait (their claims are
        given back: the endpoint is disabled or slowed down, so none is taken before it may be)."""
        for i, (delivery, attempts, payload) in enumerate(items):
            event_id = delivery.split(":", 1)[1]
            out = self._send(ep, [channels.signed_webhook(ep, event_id, payload, self.epoch())])
            self._record(ep, [(delivery, attempts)], out)
            if out.gone or out.slow:
                for rest, _, _ in items[i + 1:]:
                    self.store.execute("UPDATE deliveries SET next_at = ? WHERE delivery_id = ?", [self.now(), rest])
                return

    def _robot(self, ep: Endpoint, items: list[tuple[str, int, str]]) -> None:
        """Send a robot's due events in batches, keeping to its rate over any 60 s (the rest wait until the oldest
        message of the last minute is a minute old)."""
        names = self.ws.figures.hall_names(ep.lang)
        base = settings.get("public_url")
        for i in range(0, len(items), channels.BATCH):
            batch = items[i:i + channels.BATCH]
            events = [json.loads(p) for _, _, p in batch]
            blocks = [channels.block(e, ep.lang, base, names.get(str(e.get("data", {}).get("hall_id")),
                                                                 str(e.get("data", {}).get("hall_id") or "")))
                      for e in events]
            requests = channels.robot_requests(ep, blocks, self.epoch())
            now = self.now()
            free_at = self._robot_free_at(ep, len(requests), now)
            if free_at > now:  # this minute's messages are used: wait
                for delivery, _, _ in items[i:]:
                    self.store.execute("UPDATE deliveries SET next_at = ? WHERE delivery_id = ?", [free_at, delivery])
                return
            out = self._send(ep, requests)
            self.store.execute("INSERT INTO robot_sends (endpoint_id, sent_at, messages) VALUES (?, ?, ?)",
                               [ep.endpoint_id, now, len(requests)])
            self._record(ep, [(d, a) for d, a, _ in batch], out)
            if out.gone or out.slow:
                for rest, _, _ in items[i + channels.BATCH:]:
                    self.store.execute("UPDATE deliveries SET next_at = ? WHERE delivery_id = ?", [now, rest])
                return

    def _robot_free_at(self, ep: Endpoint, messages: int, now: datetime) -> datetime:
        """When `messages` more may go to a robot: now if the last 60 s leave room, else when enough of them age."""
        since = now - timedelta(seconds=60)
        self.store.execute("DELETE FROM robot_sends WHERE endpoint_id = ? AND sent_at < ?",
                           [ep.endpoint_id, now - timedelta(hours=1)])
        recent = self.store.rows("SELECT sent_at, messages FROM robot_sends WHERE endpoint_id = ? AND sent_at > ? "
                                 "ORDER BY sent_at", [ep.endpoint_id, since])
        used, limit = sum(int(n) for _, n in recent), channels.RATE[ep.channel]
        if used + messages <= limit:
            return now
        for sent_at, n in recent:  # the oldest sends age out first
            used -= int(n)
            if used + messages <= limit:
                return cast(datetime, sent_at) + timedelta(seconds=60)
        return now + timedelta(seconds=60)

    def _send(self, ep: Endpoint, requests: list[channels.Request]) -> Outcome:
        """Make the requests (stopping at the first that fails) and say how it went."""
        allow, timeout = settings.get("webhook_allow_private"), settings.get("webhook_timeout_s")
        for req in requests:
            try:
                answer = post(req.url, req.body, req.headers, timeout, allow)
            except Refused as exc:
                return Outcome(False, None, exc.say("en"))
            except (OSError, ValueError) as exc:
                return Outcome(False, None, f"{type(exc).__name__}: {exc}"[:300])
            wait = retry_after_s(answer.headers.get("retry-after"), self.epoch())
            if answer.status == 410:
                return Outcome(False, 410, "410 Gone", gone=True)
            if not 200 <= answer.status < 300:
                return Outcome(False, answer.status, answer.body[:200].decode(errors="replace"),
                               slow=answer.status in SLOW_CODES, wait_s=wait)
            if ep.channel in ROBOTS:
                ok, slow, said = channels.robot_answer(ep.channel, answer.body)
                if not ok:
                    return Outcome(False, answer.status, said, slow=slow, wait_s=wait or (60.0 if slow else None))
        return Outcome(True, 200)

    def _record(self, ep: Endpoint, items: list[tuple[str, int]], out: Outcome) -> None:
        """Store how a send went for each of its deliveries: sent, to be tried again (when), or given up."""
        from peakend.service import ops

        now = self.now()
        ops.count_delivery(ep.channel, "sent" if out.ok else "gone" if out.gone else "failed", len(items))
        with self.store.transaction():
            for delivery, attempts in items:
                tried = attempts + 1
                if out.ok:
                    self.store.execute("UPDATE deliveries SET state = 'sent', attempts = ?, last_at = ?, "
                                       "last_status = ?, last_error = NULL, sent_at = ?, next_at = NULL "
                                       "WHERE delivery_id = ?", [tried, now, out.status, now, delivery])
                    continue
                wait = None if out.gone else delay_s(tried, self.rand())
                if wait is not None and out.wait_s is not None:
                    wait = max(wait, out.wait_s)
                self.store.execute(
                    "UPDATE deliveries SET state = ?, attempts = ?, last_at = ?, last_status = ?, last_error = ?, "
                    "next_at = ? WHERE delivery_id = ?",
                    ["failed" if wait is None else "pending", tried, now, out.status, (out.error or "")[:500],
                     None if wait is None else now + timedelta(seconds=wait), delivery])
            if out.gone:
                self.store.execute("UPDATE endpoints SET disabled_at = ?, disabled_why = ? WHERE endpoint_id = ?",
                                   [now, "410 Gone", ep.endpoint_id])
            elif out.slow:
                pause = max(out.wait_s or 0.0, delay_s(max(items[0][1] + 1, 1), self.rand()) or 0.0)
                self.store.execute("UPDATE endpoints SET slow_until = ? WHERE endpoint_id = ?",
                                   [now + timedelta(seconds=pause), ep.endpoint_id])
        if out.gone:
            self.ws.activity.record("system", "webhook_disabled", ep.endpoint_id, {"status": 410})

    def trim(self) -> tuple[int, int]:
        """Remove what setting `webhook_keep_days` no longer keeps: deliveries sent, given up or cancelled whose last
        try (else their creation) is older, then events fanned out that long ago with no delivery left. A pending
        delivery and an event not yet fanned out are never removed, nor the `case.opened` event of a case still
        open (its later events take the visit's peak and end from it). (deliveries, events) removed."""
        cutoff = self.now() - timedelta(days=settings.get("webhook_keep_days"))
        old = ("fanned_at IS NOT NULL AND fanned_at < ? AND created_at < ? "
               "AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = outbox.event_id)")
        with self.store.transaction():
            deliveries = self.store.execute(
                "DELETE FROM deliveries WHERE state IN ('sent', 'failed', 'cancelled') "
                "AND coalesce(last_at, created_at) < ?", [cutoff])
            events = self.store.execute(f"DELETE FROM outbox WHERE kind <> 'case.opened' AND {old}", [cutoff, cutoff])
            still_open = {event_id("case.opened", str(c))
                          for (c,) in self.store.rows("SELECT case_id FROM cases WHERE status = 'open'")}
            opened = [str(e) for (e,) in self.store.rows(
                f"SELECT event_id FROM outbox WHERE kind = 'case.opened' AND {old}", [cutoff, cutoff])]
            gone = [[e] for e in opened if e not in still_open]
            self.store.executemany("DELETE FROM outbox WHERE event_id = ?", gone)
            events += len(gone)
        if deliveries or events:
            log.info("webhook retention removed %s deliveries and %s events", deliveries, events)
        return int(deliveries), int(events)

    def backlog(self) -> dict[str, int]:
        """Events not yet fanned out and deliveries by state (for /metrics)."""
        out = {"outbox_unfanned": int(self.store.scalar("SELECT count(*) FROM outbox WHERE fanned_at IS NULL"))}
        for state, n in self.store.rows("SELECT state, count(*) FROM deliveries GROUP BY state"):
            out[f"deliveries_{state}"] = int(n)
        return out


def takes(kinds: str, halls: str, kind: str, hall: str | None) -> bool:
    """Whether an endpoint of `kinds` and `halls` (comma lists, "*" all) takes an event of `kind` in `hall` (None:
    the network's, for endpoints of every hall only)."""
    if kinds != "*" and kind not in kinds.split(","):
        return False
    return halls == "*" or (hall is not None and hall in halls.split(","))


def masked(url: str) -> str:
    """A URL as shown: its query values (robot keys, access tokens) and path past the host's first part hidden."""
    try:
        t = parse(url)
    except PeakendError:
        return url[:40] + "…"
    path = t.path.split("?", 1)
    shown_path = path[0] if len(path[0]) <= 24 else path[0][:20] + "…"
    query = ""
    if len(path) > 1:
        query = "?" + "&".join(f"{kv.split('=', 1)[0]}=***" for kv in path[1].split("&") if kv)
    port = "" if t.port in (80, 443) else f":{t.port}"
    return f"{t.scheme}://{t.host}{port}{shown_path}{query}"


def mask_mobile(m: str) -> str:
    """A mobile number as shown: its last four digits."""
    return "" if not m else "•••" + m[-4:]


TRIM_S = 3600.0  # the outbox and the delivery log are trimmed (setting `webhook_keep_days`) at most this often


def run_webhooks(ws: Workspace, stop: threading.Event, idle_s: float = 1.0) -> None:
    """The delivery loop: pump the outbox until stopped; between passes wait for a wake-up (an event written in
    this process: `Webhooks.wake`) or `idle_s` (one written by another process, found by polling).

    The wake-up is cleared before a pass, not after the wait: one set while a pass runs makes the next pass come
    at once instead of being lost until the next poll. At start and every `TRIM_S` it trims what is past its
    retention (`Webhooks.trim`). At start it seals the signing secrets stored in clear (`Webhooks.seal_clear`)."""
    hooks = ws.webhooks
    trimmed = float("-inf")
    try:
        hooks.seal_clear()
    except Exception:  # a lost store: the clear secrets are still read; sealed at the next start
        log.exception("could not seal the signing secrets stored in clear")
    while not stop.is_set():
        if time.monotonic() - trimmed >= TRIM_S:
            trimmed = time.monotonic()
            try:
                hooks.trim()
            except Exception:  # a lost store: log, and try again in an hour
                log.exception("webhook retention failed; retrying in an hour")
        hooks.wake.clear()
        try:
            busy = hooks.pump()
        except Exception:  # a lost store: log, and try again
            log.exception("webhook delivery failed; retrying")
            busy = 0
        if not busy:
            hooks.wake.wait(idle_s)
