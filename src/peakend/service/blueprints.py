"""The blueprint as a use case: check, make, save, list and roll back versions (`ws.blueprints`)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import yaml
from pydantic import ValidationError

from peakend.blueprint import edit
from peakend.blueprint.load import BlueprintProblem, check_text
from peakend.blueprint.model import Blueprint, Moment, Text
from peakend.blueprint.new import new_blueprint_text
from peakend.errors import BadOption, BlueprintError
from peakend.i18n import say
from peakend.ingest.mapping import load_mapping
from peakend.store import blueprints as versions

if TYPE_CHECKING:
    from peakend.service.views import Shown
    from peakend.service.workspace import Workspace


def checked(text: str, source: str = "blueprint") -> Blueprint:
    """The blueprint a YAML text holds, or BlueprintError naming every problem with its place."""
    bp, problems = check_text(text, source)
    if bp is None:
        raise BlueprintError(problems)
    return bp


def new_text(moments: list[str], blueprint_id: str, name: str, source: str = "blueprint") -> tuple[str, Blueprint]:
    """A minimal valid blueprint for any service from its moments in journey order (the last is the end)."""
    text = new_blueprint_text(moments, blueprint_id, name)
    return text, checked(text, source)


def check_file(path: Path) -> tuple[Blueprint | None, list[BlueprintProblem]]:
    """A blueprint file's blueprint (None when it has problems) and every problem; text that is not UTF-8 is one
    problem."""
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError as exc:
        return None, [BlueprintProblem(str(path), "", None, say("not_utf8", source=path, value=exc))]
    return check_text(text, str(path))


def checked_file(path: Path) -> tuple[Shown, str | None]:
    """A blueprint file checked as `peakend blueprint check` tells it: its problems, and (when it has none) the line
    saying what it holds."""
    bp, problems = check_file(path)
    if bp is None or problems:
        return [p.said() for p in problems], None
    summary = say("bp_summary", moments=len(bp.moments), routes=len(bp.routes), items=len(bp.checklist))
    return [], say("bp_ok", source=path, value=bp.id, expected=summary)


def mapping_moments(path: Path) -> list[str]:
    """The moments of a wide mapping file, in its order (MappingError when it cannot be read)."""
    return [m.moment for m in load_mapping(path).moments]


def write_new(out: Path, moments: str | None, mapping: Path | None, blueprint_id: str, name: str) -> Blueprint:
    """Write a new blueprint to `out` whose moments are the comma-separated `moments` (or full-width commas) or
    those a mapping file names (BadOption: neither or both given); the blueprint written."""
    if (moments is None) == (mapping is None):
        raise BadOption(option="--moments / --mapping", expected="one of them", value="both or none")
    names = moments.replace("，", ",").split(",") if moments is not None else mapping_moments(cast(Path, mapping))
    text, bp = new_text(names, blueprint_id, name, str(out))
    out.write_text(text, "utf-8")
    return bp


def moment_sections(m: Moment) -> list[tuple[str, list[Text]]]:
    """A moment's texts under their headings (needs, standards, guidelines, tools, backstage, coordination)."""
    sections = [("客户需求 needs", m.needs), ("标准 standards", m.standards), ("行动指引 guidelines", m.guidelines),
                ("应用工具 tools", m.tools), ("后台支撑 backstage", m.backstage),
                ("内部联动 coordination", m.coordination)]
    return [(title, list(texts)) for title, texts in sections if texts]


class Blueprints:
    """The blueprint versions of a workspace's store."""

    def __init__(self, ws: Workspace):
        self.ws = ws

    def check(self, text: str, source: str = "blueprint") -> tuple[Blueprint | None, list[BlueprintProblem]]:
        """The blueprint of `text` (None when it has problems) and every problem with its place and fix."""
        return check_text(text, source)

    def save(self, text: str, who: str, source: str = "blueprint") -> tuple[int, Blueprint]:
        """Check `text` and save it as the store's next version (BlueprintError otherwise): the halls run it from
        now on. Returns its number and the blueprint."""
        bp = checked(text, source)
        number = versions.save_blueprint(self.ws.store, bp, text, who)
        self.ws.blueprint_saved()
        self.ws.activity.record(who, "blueprint_saved", str(number), {"id": bp.id, "version": bp.version,
                                                                      "weights": bp.weights.model_dump()})
        return number, bp

    def use(self, path: Path, who: str) -> tuple[int, bool]:
        """Make a blueprint file the store's: (its version number, whether it was already the one in force)."""
        text = path.read_text("utf-8")
        bp = checked(text, str(path))
        found = self.ws.in_force
        if found.number and found.blueprint == bp:
            return found.number, True
        return self.save(text, who, str(path))[0], False

    def yaml(self) -> str:
        """The YAML of the blueprint in force."""
        return versions.blueprint_yaml(self.ws.store)

    def versions(self) -> list[tuple[object, ...]]:
        """Saved versions, newest first: (number, blueprint id, version, saved by, saved at)."""
        return versions.versions(self.ws.store)

    def text(self, number: int) -> str:
        """The YAML of saved version `number` (KeyError if there is none)."""
        return versions.version_text(self.ws.store, number)

    def roll_back(self, number: int, who: str) -> int:
        """Save version `number` again as the newest (the roll-back is itself a version); its new number."""
        return self.save(self.text(number), f"{who} (roll-back to {number})", f"version {number}")[0]

    # -- the form editor ---------------------------------------------------------------------------------------
    def edit_data(self) -> dict[str, Any]:
        """The blueprint in force as the form editor's data."""
        return dict(yaml.safe_load(self.yaml()))

    @staticmethod
    def apply_form(data: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
        """The form's fields (and its operation: add, remove, move) applied to the editor's data."""
        return edit.apply(data, form)

    @staticmethod
    def removal(data: dict[str, Any], form: dict[str, str]) -> dict[str, Any] | None:
        """When the form's operation removes a moment: the moment and every other place that named it (the form
        takes it out of those too, and says where)."""
        verb, _, arg = form.get("op", "").partition(":")
        moments = data.get("moments", [])
        if verb != "remove" or not arg.isdigit() or not 0 <= int(arg) < len(moments):
            return None
        gone = moments[int(arg)]
        return {"id": gone.get("id"), "zh": gone.get("zh"), "en": gone.get("en"),
                "places": edit.references(data, str(gone.get("id")))}

    @staticmethod
    def dump(data: dict[str, Any]) -> str:
        """The editor's data as blueprint YAML."""
        return edit.dump(data)

    @staticmethod
    def fields(data: dict[str, Any]) -> Any:
        """The editor's data as the form's sections and rows."""
        return edit.fields(data)

    @staticmethod
    def form_problems(found: list[BlueprintProblem]) -> list[dict[str, Any]]:
        """Problems as the form shows them: the section and row they belong to, the field path, message and fix."""
        out = []
        for p in found:
            section, row = edit.place(p.path)
            out.append({"section": section, "row": row, "path": p.path, "message": p.message, "fix": p.fix})
        return out

    @staticmethod
    def content(text: str) -> str:
        """A version's blueprint written one way: checked, defaults left out (as typed when it does not check), to
        compare two versions by content."""
        data = yaml.safe_load(text)
        with contextlib.suppress(ValidationError):
            data = Blueprint.model_validate(data).model_dump(mode="json", exclude_defaults=True)
        return edit.dump(data)
