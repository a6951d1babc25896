"""Load a blueprint from YAML and check it, naming the line of every problem."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from peakend.blueprint.model import Blueprint, Problem, semantic_problems
from peakend.errors import BlueprintError
from peakend.i18n import SCHEMA_WORDS, Lang, lang, say
from peakend.safe_yaml import YamlRefused, compose, load

DEFAULT_NAME = "telecom_hall.yaml"


@dataclass(frozen=True)
class BlueprintProblem:
    """One problem of a blueprint file: where it is and what is wrong (`zh`, `fix_zh`: in Chinese, when said)."""

    source: str
    path: str
    line: int | None
    message: str
    fix: str = ""
    zh: str = ""
    fix_zh: str = ""

    def __str__(self) -> str:
        return self.said("en")

    def said(self, language: Lang | None = None) -> str:
        """The problem with its place, in `language` (default: the session's; English where no Chinese is kept)."""
        zh = (language or lang()) == "zh"
        message, fix = (self.zh or self.message, self.fix_zh or self.fix) if zh else (self.message, self.fix)
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.path or '(top)'}: {message}" + (f"\n    → {fix}" if fix else "")


_BOUNDS = {"greater_than_equal": "ge", "less_than_equal": "le", "greater_than": "gt", "less_than": "lt"}


def schema_words(error: dict[str, Any], language: Lang) -> tuple[str, str]:
    """A problem the schema found (a missing, misspelt, mistyped field or a value not allowed) and how to fix it, in
    `language`; ("", "") for a kind of problem without words of ours."""
    kind, loc, ctx = error["type"], error["loc"], error.get("ctx") or {}
    fields: dict[str, object] = {"name": str(loc[-1]) if loc else ""}
    if kind in ("missing", "extra_forbidden"):
        key = "schema_" + kind.split("_")[0]
    elif kind in ("literal_error", "enum"):
        expected = str(ctx.get("expected", ""))
        key, fields["expected"] = "schema_literal", expected.replace(" or ", SCHEMA_WORDS["or"][language])
    elif kind in _BOUNDS:
        key, fields["op"], fields["limit"] = "schema_range", SCHEMA_WORDS[kind][language], ctx.get(_BOUNDS[kind], "")
    elif kind.endswith(("_type", "_parsing")):
        name = kind.removesuffix("_type").removesuffix("_parsing")
        key, fields["type"] = "schema_type", SCHEMA_WORDS.get(name, {}).get(language, name.replace("_", " "))
    else:
        return "", ""
    return say(key, language, **fields), say(key + "_fix", language, **fields)


def structural_fix(error: dict[str, Any]) -> str:
    """How to fix a problem the schema found (a missing, misspelt or mistyped field), in English."""
    return schema_words(error, "en")[1]


def _schema_problem(source: str, root: yaml.Node | None, error: dict[str, Any]) -> BlueprintProblem:
    loc = tuple(error["loc"])
    zh, fix_zh = schema_words(error, "zh")
    return BlueprintProblem(source, _dotted(loc), _line_of(root, loc), error["msg"], structural_fix(error), zh, fix_zh)


def _beyond(data: dict[str, Any], errors: list[dict[str, Any]]) -> list[Problem]:
    """The cross-reference problems of a blueprint the schema refused, as far as they can be told: each refused
    field left out (its default then read), they are those of what remains; none when it still is no blueprint."""
    kept = copy.deepcopy(data)
    for e in errors:
        *parent, last = e["loc"] or ("",)
        node: Any = kept
        try:
            for key in parent:
                node = node[key]
        except (KeyError, IndexError, TypeError):
            continue
        if isinstance(node, dict):
            node.pop(last, None)
    try:
        return semantic_problems(Blueprint.model_validate(kept))
    except ValidationError:
        return []


def default_text() -> str:
    """The YAML text of the default telecom-hall blueprint shipped with peakend."""
    return resources.files("peakend.blueprint").joinpath(DEFAULT_NAME).read_text("utf-8")


def _line_of(root: yaml.Node | None, loc: tuple[str | int, ...]) -> int | None:
    """The 1-based line of the YAML node at `loc`, or of its nearest existing parent."""
    node, line = root, (root.start_mark.line + 1 if root else None)
    for key in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == key), None)
            if child is None:  # a missing key: point at the mapping that lacks it
                break
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            child = node.value[key]
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line


def _dotted(loc: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(loc))


def check_text(text: str, source: str = "<blueprint>") -> tuple[Blueprint | None, list[BlueprintProblem]]:
    """Parse and check blueprint YAML; return the blueprint (if usable) and all problems."""
    try:
        root = compose(text)
        data = load(text)
    except YamlRefused as exc:
        return None, [BlueprintProblem(source, "", exc.line or None, exc.say(source=source))]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        return None, [BlueprintProblem(source, "", line, f"not valid YAML: {exc}")]
    if not isinstance(data, dict):
        return None, [BlueprintProblem(source, "", 1, "expected a mapping at the top level")]
    try:
        bp = Blueprint.model_validate(data)
    except ValidationError as exc:
        errors = [dict(e) for e in exc.errors()]
        problems = [_schema_problem(source, root, e) for e in errors]
        refused = [p.path for p in problems]
        problems += [BlueprintProblem(source, _dotted(loc), _line_of(root, loc), msg, fix)
                     for loc, msg, fix in _beyond(data, errors)
                     if not any(_dotted(loc).startswith(path) for path in refused)]
        return None, problems
    problems = [BlueprintProblem(source, _dotted(loc), _line_of(root, loc), msg, fix)
                for loc, msg, fix in semantic_problems(bp)]
    return (None if problems else bp), problems


def load_blueprint(path: str | Path | None = None) -> Blueprint:
    """Load and check a blueprint file (the default telecom hall when `path` is None)."""
    if path is None:
        text, source = default_text(), DEFAULT_NAME
    else:
        source = str(path)
        try:
            text = Path(path).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise BlueprintError([BlueprintProblem(source, "", None, f"cannot read: {exc}")]) from exc
    bp, problems = check_text(text, source)
    if bp is None:
        raise BlueprintError(problems)
    return bp
