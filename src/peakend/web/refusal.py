"""The page a person sees when their role does not include the page they opened (403): what they tried, their
role by name, and the pages their role opens instead. Also where each role starts after logging in (`LANDING`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse

from peakend.i18n import WORDS, Lang
from peakend.service.people import Principal

# Where a role that reads no network figures starts: staff at their halls' alerts, auditors at the audit form.
LANDING = {"staff": "/inbox", "auditor": "/audit"}

# Every page of the menu, in its order: (path, word naming the page, the roles it opens for). The menu of every page
# (base.html.j2) and a refused page's list of where to go instead both read it.
MENU: tuple[tuple[str, str, str], ...] = (
    ("/", "network", "admin manager"), ("/audit", "audit_form", "auditor"), ("/cases", "cases", "admin manager staff"),
    ("/staff", "staff_cards", "admin manager staff"), ("/audits", "audit_rates", "admin manager auditor"),
    ("/comments", "comments", "admin manager"), ("/blueprint", "blueprint", "admin manager auditor staff"),
    ("/import", "import_title", "admin manager"), ("/quality", "quality", "admin manager"),
    ("/admin/activity", "adm_nav", "admin"), ("/admin/webhooks", "hook_nav", "admin"),
    ("/admin/users", "id_users", "admin manager"), ("/admin/tokens", "id_tokens", "admin"),
    ("/inbox", "inbox_title", "admin manager staff"))


def menu(role: str) -> list[tuple[str, str]]:
    """The menu's pages (path, word) a role opens, in the menu's order."""
    return [(path, word) for path, word, roles in MENU if role in roles.split()]


def tried(path: str, hall_names: dict[str, str], lang: Lang) -> str:
    """The page at `path` as a reader names it: the network page, a hall's page by the hall's name, else the path."""
    if path == "/":
        return WORDS["network"][lang]
    parts = path.strip("/").split("/")
    if parts[0] == "halls" and len(parts) == 2:
        return f"{WORDS['hall_page'][lang]} · {hall_names.get(parts[1], parts[1])}"
    for link, word, _ in MENU:
        if link != "/" and path == link:
            return WORDS[word][lang]
    return path


def openable(p: Principal | None, lang: Lang) -> list[dict[str, str]]:
    """The pages `p`'s role opens (links and names), their landing page first; a manager's halls' pages too."""
    if p is None:
        return []
    pages = [{"href": href, "name": WORDS[word][lang]} for href, word in [*menu(p.role), ("/training", "training")]]
    first = LANDING.get(p.role)
    pages.sort(key=lambda x: x["href"] != first)
    if p.role == "manager":
        pages[1:1] = [{"href": "/halls/" + quote(h, safe=""), "hall": h, "name": ""} for h in sorted(p.halls)]
    return pages


def role_name(p: Principal | None, lang: Lang) -> str:
    """The role's name as the users pages say it (厅经理, 审核员, …)."""
    if p is None:
        return ""
    word = WORDS.get(f"id_role_{p.role}")
    return word[lang] if word else p.role


def refused_page(request: Request, headers: Any = None) -> HTMLResponse:
    """The 403 page for `request`'s asker in the page's language."""
    from peakend.web.pages import _quiet_principal, page_lang, render, state

    lang, p = page_lang(request), _quiet_principal(request)
    path = request.url.path
    names = state(request).ws.figures.hall_names(lang)
    return render(request, "refused.html.j2", status=403, headers=headers, user=p, code=403, path=path,
                  tried=tried(path, names, lang), role=role_name(p, lang), pages=openable(p, lang))
