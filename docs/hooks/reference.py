"""Reference pages generated from the code, so they cannot drift: every CLI command (from the Typer app, its help in
the page's language) and every setting (from `peakend.settings.SETTINGS`).

Run as a script: `python docs/hooks/reference.py cli zh` prints the command reference in Chinese (the CLI reads its
language when it is imported, so each language is generated in its own process). `docs/hooks/build.py` (an MkDocs
hook) puts the output in place of `<!-- generated: cli -->` and `<!-- generated: settings -->`.
"""

from __future__ import annotations

import os
import sys
from typing import Any

HEAD = {
    "en": {"usage": "Usage", "option": "option", "default": "default", "help": "what it does",
           "variable": "variable", "commands": "Commands", "args": "arguments", "env": "env"},
    "zh": {"usage": "用法", "option": "选项", "default": "默认值", "help": "作用",
           "variable": "环境变量", "commands": "子命令", "args": "参数", "env": "环境变量"},
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


def command_names() -> list[str]:
    """Every command's full name (`peakend blueprint show`), groups included."""
    names: list[str] = []

    def walk(cmd: Any, path: list[str]) -> None:
        names.append(" ".join(path))
        for sub, child in _subcommands(cmd):
            walk(child, [*path, sub])

    walk(_root(), ["peakend"])
    return names[1:]


if __name__ == "__main__":
    what, lang = sys.argv[1], sys.argv[2]
    os.environ["PEAKEND_LANG"] = lang
    print(cli_markdown(lang) if what == "cli" else settings_markdown(lang))
