"""`peakend webhook add|list|remove|enable|replay|log`: the endpoints events are delivered to (`ws.webhooks`)."""

from __future__ import annotations

from typing import Annotated

import typer

from peakend.cli import DEFAULT_DB, DbOpt, H, Who, app, opt, show, workspace
from peakend.i18n import say

webhook_app = app.group("webhook")
Endpoint = Annotated[str, typer.Argument(help=H("opt.hook.endpoint"))]


@webhook_app.command("add", help=H("webhook.add"))
def webhook_add(url: Annotated[str, typer.Argument(help=H("opt.hook.url"))],
                channel: Annotated[str, opt("opt.hook.channel", "--channel")] = "webhook",
                event: Annotated[list[str] | None, opt("opt.hook.event", "--event")] = None,
                hall: Annotated[list[str] | None, opt("opt.hook.hall", "--hall")] = None,
                lang: Annotated[str, opt("opt.hook.lang", "--lang-of")] = "zh",
                secret: Annotated[str | None, opt("opt.hook.secret", "--secret")] = None,
                mention: Annotated[list[str] | None, opt("opt.hook.mention", "--mention")] = None,
                db: DbOpt = DEFAULT_DB, who: Who = "cli") -> None:
    with workspace(db) as ws:
        made = ws.webhooks.add(channel, url, event or ["*"], hall or [], who, lang=lang, secret=secret,
                               mention=mention or ())
    show(say("hook_added", id=made[0]) + ("\n" + say("hook_secret", secret=made[1]) if made[1] != secret else ""))


@webhook_app.command("list", help=H("webhook.list"))
def webhook_list(db: DbOpt = DEFAULT_DB) -> None:
    with workspace(db, create=False) as ws:
        show("\n".join(ws.webhooks.endpoint_lines()) or say("hook_none"))


@webhook_app.command("log", help=H("webhook.log"))
def webhook_log(endpoint: Annotated[str | None, opt("opt.hook.endpoint", "--endpoint")] = None,
                limit: Annotated[int, opt("opt.limit", min=1)] = 50, db: DbOpt = DEFAULT_DB) -> None:
    with workspace(db, create=False) as ws:
        show("\n".join(ws.webhooks.log_lines(endpoint, limit)) or say("hook_no_log"))


@webhook_app.command("remove", help=H("webhook.remove"))
def webhook_remove(endpoint: Endpoint, db: DbOpt = DEFAULT_DB, who: Who = "cli") -> None:
    with workspace(db, create=False) as ws:
        ws.webhooks.remove(endpoint, who)
    show(say("hook_removed", id=endpoint))


@webhook_app.command("enable", help=H("webhook.enable"))
def webhook_enable(endpoint: Endpoint, db: DbOpt = DEFAULT_DB, who: Who = "cli") -> None:
    with workspace(db, create=False) as ws:
        ws.webhooks.enable(endpoint, who)
    show(say("hook_enabled", id=endpoint))


@webhook_app.command("replay", help=H("webhook.replay"))
def webhook_replay(delivery: Annotated[str, typer.Argument(help=H("opt.hook.delivery"))], db: DbOpt = DEFAULT_DB,
                   who: Who = "cli") -> None:
    with workspace(db, create=False) as ws:
        ws.webhooks.replay(delivery, who)
    show(say("hook_replayed", id=delivery))
