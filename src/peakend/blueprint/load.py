"""Load a blueprint from YAML and check it, naming the line of every problem."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from peakend.blueprint.model import Blueprint, semantic_problems
from peakend.errors import BlueprintError
from peakend.safe_yaml import YamlRefused, compose, load

DEFAULT_NAME = "telecom_hall.yaml"


@dataclass(frozen=True)
class BlueprintProblem:
    """One problem of a blueprint file: where it is and what is wrong."""

    source: str
    path: str
    line: int | None
    message: str
    fix: str = ""

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.path or '(top)'}: {self.message}" + (f"\n    → {self.fix}" if self.fix else "")


def structural_fix(error: dict[str, Any]) -> str:
    """How to fix a problem the schema found (a missing, misspelt or mistyped field)."""
    kind, loc = error["type"], error["loc"]
    name = str(loc[-1]) if loc else ""
    if kind == "missing":
        return f"add `{name}:` here (see the shipped blueprint, `peakend blueprint show`, for an example)"
    if kind == "extra_forbidden":
        return f"remove `{name}` or correct its spelling"
    if kind in ("literal_error", "enum"):
        return "use one of the values named"
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return f"give `{name}` as {kind.removesuffix('_type').removesuffix('_parsing').replace('_', ' ')}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"give `{name}` a value in the range named"
    return ""




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
        problems = [
            BlueprintProblem(source, _dotted(tuple(e["loc"])), _line_of(root, tuple(e["loc"])), e["msg"],
                             structural_fix(dict(e)))
            for e in exc.errors()
        ]
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
