"""The blueprint edited in forms: the form gives back the blueprint it shows, operations move, add and remove,
a wrong edit is refused with the checks of `peakend blueprint check`, and versions diff and roll back."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from peakend.blueprint import edit
from peakend.blueprint.load import check_text, default_text, load_blueprint
from peakend.web.app import create_app
from tests.conftest import add_user, signed_in


def flat(f: dict[str, Any]) -> dict[str, str]:
    """The form as a browser submits it (the names blueprint_edit.html.j2 gives its fields)."""
    out = {k: str(f[k]) for k in ("name_zh", "name_en", "version", "lanes", "stages", "flows", "zones", "alert_e",
                                  "negative_end_e", "delay_min", "fatigue_days", "quiet_start", "quiet_end",
                                  "per_counter", "predicted_wait_min", "queue_moment", "counter_moments")}
    if f["survey_enabled"]:
        out["survey_enabled"] = "on"
    for i, m in enumerate(f["moments"]):
        out |= {f"m.{i}.{k}": str(v) for k, v in m.items()}
    for j, r in enumerate(f["routes"]):
        out |= {f"r.{j}.{k}": str(v) for k, v in r.items()}
    for k, g in enumerate(f["grades"]):
        out |= {f"g.{k}.{c}": str(v) for c, v in g.items()}
    for kind, c in f["cases"].items():
        out |= {f"cases.{kind}.deadline_h": str(c["deadline_h"]), f"cases.{kind}.remind_before_h":
                str(c["remind_before_h"])}
    return out


def test_the_form_gives_back_the_blueprint_it_shows():
    data = yaml.safe_load(default_text())
    again, problems = check_text(edit.dump(edit.apply(data, flat(edit.fields(data)))))
    assert problems == [] and again == load_blueprint()


def test_moments_move_are_removed_and_added():
    data = yaml.safe_load(default_text())
    form = flat(edit.fields(data))
    ids = [m["id"] for m in data["moments"]]
    up = edit.apply(data, {**form, "op": "up:1"})
    assert [m["id"] for m in up["moments"]][:2] == [ids[1], ids[0]]
    down = edit.apply(data, {**form, "op": f"down:{len(ids) - 1}"})  # the last cannot go lower
    assert [m["id"] for m in down["moments"]] == ids
    gone = edit.apply(data, {**form, "op": "remove:0"})
    assert check_text(edit.dump(gone))[1] == []  # the routes that named it no longer do
    assert all("find_hall" not in r["moments"] for r in gone["routes"])
    added = edit.apply(data, {**form, "op": "add_moment"})
    assert added["moments"][-1]["id"] == "new_moment" and check_text(edit.dump(added))[1] == []
    assert len(edit.apply(data, {**form, "op": "remove_route:0"})["routes"]) == len(data["routes"]) - 1
    assert edit.apply(data, {**form, "op": "add_grade"})["grades"][-1]["min_rei"] == 50


@pytest.fixture
def web(tmp_path):
    app = create_app(str(tmp_path / "s.duckdb"), secret="s")
    add_user(app.state.peakend.store, "admin", "admin-pass-1", "admin")
    add_user(app.state.peakend.store, "li", "manager-pass", "manager", ["天河北厅"])
    yield app
    app.state.peakend.store.close()


def login(app, user: str, password: str) -> TestClient:
    return signed_in(app, user, password)


def test_a_service_of_its_own_is_made_by_removing_moments_and_saves(web):
    """A non-telecom service from the built-in blueprint: every moment but three removed one click at a time, as
    the page shows its form again after each — never a dead end: the routes, the checklist and the diversion rule
    that named a removed moment are cleaned (the page says where), and the result saves."""
    data, keep = yaml.safe_load(default_text()), ("greeting", "counter_handling", "leaving")
    while len(data["moments"]) > len(keep):
        i = next(k for k, m in enumerate(data["moments"]) if m["id"] not in keep)
        removed = web.state.peakend.ws.blueprints.removal(data, {"op": f"remove:{i}"})
        data = edit.apply(data, {**flat(edit.fields(data)), "op": f"remove:{i}"})
        assert removed["id"] not in [m["id"] for m in data["moments"]]
        assert all(removed["id"] not in r["moments"] for r in data["routes"])
    bp, problems = check_text(edit.dump(data))
    assert problems == [] and bp is not None and bp.moment_ids() == list(keep)
    assert bp.live.diversion.queue_moment in keep and set(bp.live.diversion.counter_moments) <= set(keep)
    assert all(set(r.moments) <= set(keep) for r in bp.routes) and bp.routes
    assert all(c.moment in (*keep, None) for c in bp.checklist)
    admin = signed_in(web, "admin", "admin-pass-1")
    page = admin.post("/blueprint/edit", data={**flat(edit.fields(yaml.safe_load(default_text()))), "op": "remove:0"})
    assert page.status_code == 200 and 'id="removed"' in page.text and "routes: whole_hall" in page.text
    saved = admin.post("/blueprint/edit", data={**flat(edit.fields(data)), "op": "save"})
    assert saved.status_code == 303, saved.text[-2000:]
    assert web.state.peakend.ws.blueprint.moment_ids() == list(keep)


def test_edit_refuse_save_diff_and_roll_back_through_the_pages(web):
    admin = login(web, "admin", "admin-pass-1")
    page = admin.get("/blueprint/edit?lang=en")
    assert page.status_code == 200 and 'name="m.8.standards"' in page.text
    form = flat(edit.fields(yaml.safe_load(default_text())))
    i = next(k for k, m in enumerate(load_blueprint().moments) if m.id == "counter_result")
    wrong = admin.post("/blueprint/edit?lang=en", data={**form, f"m.{i}.lane": "nowhere",
                                                        f"m.{i}.importance": "lots", "op": "save"})
    assert wrong.status_code == 422
    assert f"moments[{i}].importance" in wrong.text and f'id="moment-{i}" open' in wrong.text  # opened, marked
    live = admin.post("/blueprint/check", data={**form, f"m.{i}.lane": "nowhere"}).json()["problems"]
    assert [(p["section"], p["row"]) for p in live] == [("moments", i)]
    assert "unknown lane 'nowhere'" in live[0]["message"]
    standards = form[f"m.{i}.standards"] + "\n结果当面确认 | Confirm the result face to face"
    saved = admin.post("/blueprint/edit", data={**form, f"m.{i}.standards": standards, "version": "2026.12-a",
                                                "op": "save"})
    assert saved.status_code == 303 and saved.headers["location"] == "/blueprint/edit?saved=1"
    bp = web.state.peakend.blueprint
    assert bp.version == "2026.12-a" and bp.moment("counter_result").standards[-1].en == (
        "Confirm the result face to face")
    assert admin.post("/blueprint/edit", data={**form, "version": "2026.12-b", "op": "save"}).status_code == 303
    diff = admin.get("/blueprint/versions?a=1&b=2&lang=en").text
    assert re.search(r'class="del">-\s+en: Confirm the result face to face', diff)
    assert 'class="add">+version: 2026.12-b' in diff
    assert diff.count('class="add">+') + diff.count('class="del">-') == 2 + 2 + 2  # headers, version, one standard
    back = admin.post("/blueprint/rollback", data={"number": "1"})
    assert back.headers["location"] == "/blueprint/versions?a=1&b=3"
    assert web.state.peakend.blueprint.version == "2026.12-a"
    assert "The two versions are the same" in admin.get("/blueprint/versions?a=1&b=3&lang=en").text
    assert admin.get("/api/v1/blueprint.yaml").text.count("2026.12-a") == 1


def test_only_admins_edit(web):
    mgr = login(web, "li", "manager-pass")
    assert mgr.get("/blueprint/edit").status_code == 403
    assert mgr.post("/blueprint/edit", data={"op": "save"}).status_code == 403
    assert mgr.post("/blueprint/rollback", data={"number": "1"}).status_code == 403
    assert mgr.get("/blueprint").status_code == 200 and 'id="edit-link"' not in mgr.get("/blueprint").text


def test_the_blueprint_setup_makes_saves_unchanged_from_the_form():
    """A blueprint made from moments (no case rules written): the form shows the default deadlines, and saving it
    unchanged — or with the case fields left empty — checks clean."""
    from peakend.blueprint.new import new_blueprint_text

    data = yaml.safe_load(new_blueprint_text(["排队", "办理值机", "托运行李", "登机"], "air", "机场"))
    form = flat(edit.fields(data))
    assert form["cases.complaint.deadline_h"] == "4.0" and check_text(edit.dump(edit.apply(data, form)))[1] == []
    empty = {k: ("" if k.startswith("cases.") else v) for k, v in form.items()}
    assert check_text(edit.dump(edit.apply(data, empty)))[1] == []
