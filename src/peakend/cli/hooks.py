"""`peakend webhook add|list|remove|enable|replay|log`: the endpoints events are delivered to (`ws.webhooks`)."""

from __future__ import annotations

from typing import Annotated

from peakend.cli import Limit, Said, Who, Ws, app, arg, opt
from peakend.i18n import say

webhook_app = app.group("webhook")
Endpoint = Annotated[str, arg("opt.hook.endpoint")]
Some = list[str] | None


@webhook_app.command("add", ws="write")
def webhook_add(url: Annotated[str, arg("opt.hook.url")],
                channel: Annotated[str, opt("opt.hook.channel", "--channel")] = "webhook",
                event: Annotated[Some, opt("opt.hook.event", "--event")] = None,
                hall: Annotated[Some, opt("opt.hook.hall", "--hall")] = None,
                lang: Annotated[str, opt("opt.hook.lang", "--lang-of")] = "zh",
                secret: Annotated[str | None, opt("opt.hook.secret", "--secret")] = None,
                mention: Annotated[Some, opt("opt.hook.mention", "--mention")] = None,
                *, ws: Ws, who: Who = "cli") -> Said:
    made = ws.webhooks.add(channel, url, event or ["*"], hall or [], who, lang=lang, secret=secret,
                           mention=mention or ())
    return say("hook_added", id=made[0]) + ("\n" + say("hook_secret", secret=made[1]) if made[1] != secret else "")


@webhook_app.command("list", ws="read")
def webhook_list(ws: Ws) -> Said:
    return "\n".join(ws.webhooks.endpoint_lines()) or say("hook_none")


@webhook_app.command("log", ws="read")
def webhook_log(endpoint: Annotated[str | None, opt("opt.hook.endpoint", "--endpoint")] = None, limit: Limit = 50,
                *, ws: Ws) -> Said:
    return "\n".join(ws.webhooks.log_lines(endpoint, limit)) or say("hook_no_log")


@webhook_app.command("remove", ws="read")
def webhook_remove(endpoint: Endpoint, ws: Ws, who: Who = "cli") -> Said:
    return say("hook_removed", id=ws.webhooks.remove(endpoint, who))


@webhook_app.command("enable", ws="read")
def webhook_enable(endpoint: Endpoint, ws: Ws, who: Who = "cli") -> Said:
    return say("hook_enabled", id=ws.webhooks.enable(endpoint, who))


@webhook_app.command("replay", ws="read")
def webhook_replay(delivery: Annotated[str, arg("opt.hook.delivery")], ws: Ws, who: Who = "cli") -> Said:
    return say("hook_replayed", id=ws.webhooks.replay(delivery, who))
