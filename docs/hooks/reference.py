"""Reference pages generated from the code, so they cannot drift: every CLI command (from the Typer app, its help in
the page's language) and every setting (from `peakend.settings.SETTINGS`).

Run as a script: `python docs/hooks/reference.py cli zh` prints the command reference in Chinese (the CLI reads its
language when it is imported, so each language is generated in its own process). `docs/hooks/build.py` (an MkDocs
hook) puts the output in place of `<!-- generated: cli -->`, `<!-- generated: settings -->` and
`<!-- generated: contract -->`, `<!-- generated: api -->`.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

HEAD = {
    "en": {"usage": "Usage", "option": "option", "default": "default", "help": "what it does",
           "variable": "variable", "commands": "Commands", "args": "arguments", "env": "env",
           "field": "field", "type": "type", "required": "required", "range": "range", "notes": "notes",
           "yes": "yes", "key": "a key: a phone in it is stored as its keyed hash", "set": "checked against a set",
           "free": "free text (at most PEAKEND_MAX_TEXT_CHARS)", "id": "id; when omitted, made of",
           "scale": "scale", "lowest": "lowest", "highest": "highest", "aliases": "also written",
           "blueprint": "The blueprint (`peakend blueprint check FILE`)", "mapping": "A mapping (`--mapping FILE`)"},
    "zh": {"usage": "用法", "option": "选项", "default": "默认值", "help": "作用",
           "variable": "环境变量", "commands": "子命令", "args": "参数", "env": "环境变量",
           "field": "字段", "type": "类型", "required": "必需", "range": "范围", "notes": "说明",
           "yes": "是", "key": "标识字段：其中的电话号码以密钥哈希保存", "set": "按集合检查（蓝图、量表等）",
           "free": "自由文本（最长 PEAKEND_MAX_TEXT_CHARS）", "id": "编号；省略时由以下字段生成",
           "scale": "量表", "lowest": "最低", "highest": "最高", "aliases": "其他写法",
           "blueprint": "蓝图（`peakend blueprint check 文件`）", "mapping": "对应文件（`--mapping 文件`）"},
}


def _cell(text: Any) -> str:
    """A table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _default(param: Any) -> str:
    if getattr(param, "is_flag", False):
        on, off = param.opts[0], (param.secondary_opts or [""])[0]
        shown = on if param.default is True else off
        return f"`{shown}`" if shown else ""
    value = param.default
    if value is None or value == () or callable(value) or getattr(param, "hidden", False):
        return ""
    if str(value) in ("Ellipsis", "PydanticUndefined"):
        return ""
    return f"`{value}`"


def _root() -> Any:
    """The `peakend` command as Click sees it (Typer carries its own copy of Click)."""
    import typer.main

    from peakend.cli import app

    return typer.main.get_command(app)


def _metavar(arg: Any) -> str:
    """An argument as usage names it: NAME, [NAME] when optional, NAME... when it takes several."""
    name = (arg.name or "").upper()
    name += "..." if arg.nargs == -1 else ""
    return name if arg.required else f"[{name}]"


def _group(cmd: Any) -> bool:
    return hasattr(cmd, "commands")


def _subcommands(cmd: Any) -> list[tuple[str, Any]]:
    """A group's commands in the order they were declared (none for a command)."""
    return [(name, sub) for name, sub in getattr(cmd, "commands", {}).items() if not sub.hidden]


def _command(cmd: Any, path: list[str], words: dict[str, str]) -> list[str]:
    """The Markdown of one command (and, for a group, of its subcommands)."""
    name = " ".join(path)
    out = [f"{'#' * min(len(path), 4)} `{name}`", ""]
    if cmd.help:
        out += [" ".join(cmd.help.split()), ""]
    args = [p for p in cmd.params if p.param_type_name == "argument"]
    opts = [p for p in cmd.params if p.param_type_name == "option" and not p.hidden]
    usage = " ".join([name] + [_metavar(a) for a in args] + (["[OPTIONS]"] if opts else []))
    if _group(cmd):
        usage += " COMMAND"
    out += [f"{words['usage']}: `{usage}`", ""]
    if opts or args:
        out += [f"| {words['option']} | {words['default']} | {words['help']} |", "|---|---|---|"]
        for a in args:
            out.append(f"| `{_metavar(a)}` | {_default(a)} | {_cell(getattr(a, 'help', '') or '')} |")
        for p in opts:
            names = ", ".join(f"`{n}`" for n in p.opts + p.secondary_opts)
            env = f" ({words['env']} `{p.envvar}`)" if p.envvar else ""
            out.append(f"| {names} | {_default(p)} | {_cell(p.help or '')}{env} |")
        out.append("")
    for sub, child in _subcommands(cmd):
        out += _command(child, [*path, sub], words)
    return out


def cli_markdown(lang: str) -> str:
    """Every command of `peakend`, its usage, help and options, in `lang` (call in a process whose PEAKEND_LANG is
    `lang`: the CLI takes its help's language when it is imported)."""
    root = _root()
    out = [" ".join((root.help or "").split()), ""]
    for name, cmd in _subcommands(root):
        out += _command(cmd, ["peakend", name], HEAD[lang])
    return "\n".join(out)


def settings_markdown(lang: str) -> str:
    """Every setting: its variable, default and what it does, in `lang`."""
    from peakend.settings import SETTINGS

    words = HEAD[lang]
    rows = [f"| {words['variable']} | {words['default']} | {words['help']} |", "|---|---|---|"]
    for s in SETTINGS:
        default = "—" if s.default is None or s.default == "" else f"`{s.default}`"
        rows.append(f"| `{s.env}` | {default} | {_cell(s.zh if lang == 'zh' else s.en)} |")
    return "\n".join(rows) + "\n"


def _number(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"


def contract_markdown(lang: str) -> str:
    """The event contract: every kind's fields (type, required, range, what is special) and the rating scales."""
    from peakend import contract

    w = HEAD[lang]
    out: list[str] = []
    for kind, fields in contract.FIELDS.items():
        derived = ", ".join(f"`{f}`" for f in contract.DERIVED_ID[kind])
        names = {"touch": "触点", "visit": "来访", "survey": "问卷", "audit": "暗访"}
        out += [f"## `{kind}`" + (f" {names[kind]}" if lang == "zh" else ""), "",
                f"| {w['field']} | {w['type']} | {w['required']} | {w['range']} | {w['notes']} |",
                "|---|---|---|---|---|"]
        for f in fields:
            notes = [w["key"]] if f.name in contract.KEY_FIELDS else []
            notes += [w["set"]] if f.name in contract.SET_FIELDS else []
            notes += [w["free"]] if f.free else []
            notes += [f"{w['id']} {derived}"] if f.name == contract.ID_FIELD[kind] else []
            span = f"{_number(f.lo)} – {_number(f.hi)}" if f.lo is not None and f.hi is not None else ""
            notes_text = ("；" if lang == "zh" else "; ").join(notes)
            out.append(f"| `{f.name}` | {f.type} | {w['yes'] if f.required else ''} | {span} | {notes_text} |")
        out.append("")
    out += [f"## {w['scale']}", "", f"| {w['scale']} | {w['lowest']} | {w['highest']} | {w['aliases']} |",
            "|---|---|---|---|"]
    for name, (lo, hi) in contract.SCALES.items():
        aliases = ", ".join(f"`{a}`" for a, to in contract.SCALE_ALIASES.items() if to == name and a != name)
        out.append(f"| `{name}` | {lo:g} | {hi:g} | {aliases} |")
    return "\n".join(out) + "\n"


def api_markdown(lang: str) -> str:
    """Every endpoint of the OpenAPI document (method, path, summary), from the app itself on an empty store."""
    from peakend.web.app import create_app

    document = create_app(":memory:", secret="docs").openapi()
    head = ("| method | path | what it does |" if lang == "en" else "| 方法 | 路径 | 作用（OpenAPI 摘要） |")
    out = [head, "|---|---|---|"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            out.append(f"| {method.upper()} | `{path}` | {_cell(operation.get('summary', ''))} |")
    return "\n".join(out) + "\n"


def _type(spec: dict[str, Any]) -> str:
    """A JSON-schema property's type as a reader says it: `string`, `integer | null`, `list of Moment`, …"""
    if "$ref" in spec:
        return f"[{spec['$ref'].rsplit('/', 1)[-1]}](#{spec['$ref'].rsplit('/', 1)[-1].lower()})"
    if "anyOf" in spec:
        return " \\| ".join(_type(s) for s in spec["anyOf"])
    if spec.get("type") == "array":
        return "list of " + _type(spec.get("items", {}))
    if spec.get("type") == "object" and "additionalProperties" in spec:
        return "map to " + _type(spec["additionalProperties"] or {})
    if "enum" in spec:
        return " / ".join(f"`{v}`" for v in spec["enum"])
    return str(spec.get("type", spec.get("const", "any")))


def _model_table(name: str, schema: dict[str, Any], words: dict[str, str]) -> list[str]:
    """One model of a schema: its description and a table of its fields."""
    required = set(schema.get("required", []))
    out = [f"### {name}", "", " ".join(schema.get("description", "").split()), "",
           f"| {words['field']} | {words['type']} | {words['required']} | {words['default']} |", "|---|---|---|---|"]
    for field, spec in schema.get("properties", {}).items():
        default = f"`{json.dumps(spec['default'], ensure_ascii=False)}`" if "default" in spec else ""
        out.append(f"| `{field}` | {_type(spec)} | {words['yes'] if field in required else ''} | {_cell(default)} |")
    return [*out, ""]


def schemas_markdown(lang: str) -> str:
    """The blueprint's and a mapping's YAML, field by field, from their pydantic models (so they cannot drift)."""
    from peakend.blueprint.model import Blueprint
    from peakend.ingest.mapping import Mapping

    words = HEAD[lang]
    out: list[str] = []
    for title, model in ((words["blueprint"], Blueprint), (words["mapping"], Mapping)):
        schema = model.model_json_schema()
        out += [f"## {title}", ""] + _model_table(model.__name__, schema, words)
        for name, sub in schema.get("$defs", {}).items():
            out += _model_table(name, sub, words)
    return "\n".join(out)


def command_names() -> list[str]:
    """Every command's full name (`peakend blueprint show`), groups included."""
    names: list[str] = []

    def walk(cmd: Any, path: list[str]) -> None:
        names.append(" ".join(path))
        for sub, child in _subcommands(cmd):
            walk(child, [*path, sub])

    walk(_root(), ["peakend"])
    return names[1:]


MAKERS = {"cli": cli_markdown, "settings": settings_markdown, "contract": contract_markdown, "api": api_markdown,
          "schemas": schemas_markdown}

if __name__ == "__main__":  # `reference.py cli zh` prints one part; `reference.py all zh` every part, as JSON
    what, lang = sys.argv[1], sys.argv[2]
    os.environ["PEAKEND_LANG"] = lang
    print(json.dumps({k: make(lang) for k, make in MAKERS.items()}) if what == "all" else MAKERS[what](lang))
