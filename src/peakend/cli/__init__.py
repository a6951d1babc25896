"""The `peakend` command line, a thin adapter: each command parses its options, calls a use case of its store's
`Workspace` (`peakend.service`) and returns what to print; `App.command` opens the workspace, prints the answer and
tells a `PeakendError` (stderr, exit code). Help is the catalogue's in the language of `--lang` / `PEAKEND_LANG`;
the service is imported when a command runs, so `--help` answers at once."""

from __future__ import annotations

import functools
import importlib
import inspect
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias

import typer._click.core
import typer._click.formatting
import typer.main
import typer.rich_utils
from rich.console import Console
from rich.table import Table
from rich.text import Text
from typer.models import CommandFunctionType as Fn

from peakend.errors import PeakendError
from peakend.i18n import HELP, click_said, header, read_lang
from peakend.settings import DEFAULT_DB

if TYPE_CHECKING:
    from peakend import service
    from peakend.service import Workspace, views
    from peakend.service.views import Shown
Ws: TypeAlias = "Workspace"  # a command's workspace, its parameter `ws` (see `App.command`)
Said: TypeAlias = "str | Shown | None"  # what a command prints: a line, or what a view shows


for _arg, _value in zip(sys.argv[1:], [*sys.argv[2:], ""], strict=False):  # `--lang zh` read before the commands
    if _arg.startswith("--lang=") or (_arg == "--lang" and _value):  # are declared: their help in it too
        os.environ["PEAKEND_LANG"] = read_lang(_arg[7:] or _value)


def H(key: str) -> str:
    """A command's or option's help in the session language."""
    return HELP[key][read_lang(os.environ.get("PEAKEND_LANG", "en"))]
for _word in [key[5:] for key in HELP if key.startswith("rich.")]:  # the help's own words (Options, default…)
    setattr(typer.rich_utils, _word, H("rich." + _word))
_rich_text = typer.rich_utils._make_rich_text


def _folded(*args: Any, **kwargs: Any) -> Any:
    """Help text that wraps Chinese between characters (rich breaks only at spaces, and cut zh help with "…")."""
    text = _rich_text(*args, **kwargs)
    if isinstance(text, Text):
        text.overflow = "fold"
    return text


typer.rich_utils._make_rich_text = _folded
_write_usage = typer._click.formatting.HelpFormatter.write_usage
_help_option = typer._click.core.Command.get_help_option
_completion = typer.main.get_install_completion_arguments


def _usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
    """The usage line headed in the session language ("Usage:" is fixed in Click)."""
    _write_usage(self, prog, args, H("help.usage") if prefix is None else prefix)


def _help_said(self: Any, ctx: Any) -> Any:
    """`--help` described in the session language."""
    found = _help_option(self, ctx)
    if found is not None:
        found.help = H("help.help")
    return found


def _completion_said() -> Any:
    """`--install-completion` and `--show-completion` described in the session language."""
    install, show_ = _completion()
    install.help, show_.help = H("help.install"), H("help.show")  # type: ignore[attr-defined]
    return install, show_


_format_error = typer.rich_utils.rich_format_error


def _error_said(self: Any) -> None:
    """Click's usage errors (no such file, a missing argument, an option not known…) in the session language."""
    message = click_said(self.format_message(), read_lang(os.environ.get("PEAKEND_LANG", "en")))
    self.format_message = lambda: message
    _format_error(self)


typer.rich_utils.rich_format_error = _error_said
typer._click.formatting.HelpFormatter.write_usage = _usage  # type: ignore[method-assign]
typer._click.core.Command.get_help_option = _help_said  # type: ignore[method-assign]
typer.main.get_install_completion_arguments = _completion_said


def opt(key: str, *names: str, day: bool = False, **kwargs: Any) -> Any:
    """An option whose help is the catalogue's `key` (`day`: a YYYY-MM-DD date)."""
    if day:
        kwargs["formats"] = ["%Y-%m-%d"]
    return typer.Option(*names, help=H(key), **kwargs)


def arg(key: str, **kwargs: Any) -> Any:
    """An argument whose help is the catalogue's `key`."""
    return typer.Argument(help=H(key), **kwargs)


class App(typer.Typer):
    """A Typer app whose commands get their store's workspace, print what they return and tell a `PeakendError`."""

    key = "cmd."  # a command's help is the catalogue's "cmd.<name>" ("cmd.<group>.<name>" in a group)

    def command(self, name: str | None = None, *, ws: str = "", **kwargs: Any) -> Callable[[Fn], Fn]:
        """A command, its help the catalogue's `cmd.<name>` unless given. With `ws` ("read": the store is not made if
        missing, "write": it is; "+bp": and `--blueprint` runs that file), its parameter `ws` is the store's
        workspace, given by `--db` in its place."""

        def decorate(fn: Fn) -> Fn:
            @functools.wraps(fn)
            def run(**k: Any) -> None:
                try:
                    if not ws:
                        return show(fn(**k))
                    bp = k.pop("blueprint") if ws.endswith("+bp") else None
                    with workspace(k.pop("db"), bp, ws.startswith("write")) as k["ws"]:
                        said = fn(**k)
                    show(said)
                except PeakendError as exc:  # told once: each line in the session language, on stderr
                    for line in exc.lines():
                        warn(line, "red")
                    raise typer.Exit(exc.exit_code) from exc

            run.__signature__ = _options(fn, ws)  # type: ignore[attr-defined]
            run.__annotations__ = {p.name: p.annotation for p in run.__signature__.parameters.values()}  # type: ignore
            text = kwargs.pop("help", None) or H(self.key + (name or fn.__name__).replace("-", "_"))
            first = re.split(r"(?<=。)|(?<=\.) (?=[A-Z`])", text, maxsplit=1)[0]  # click cut at ". ", never at "。"
            typer.Typer.command(self, name, help=text, short_help=first, **kwargs)(run)
            return fn

        return decorate

    def group(self, name: str) -> App:
        """A sub-command group `name` (its help: the catalogue's `group.<name>`)."""
        sub = App(help=H(f"group.{name}"), no_args_is_help=True)
        sub.key = f"cmd.{name}."
        self.add_typer(sub, name=name)
        return sub


def _options(fn: Callable[..., Any], ws: str) -> inspect.Signature:
    """What typer reads of `fn`: its parameters (keyword-only), `ws` replaced by `--db` (and `--blueprint`)."""
    store = [("db", Db, DEFAULT_DB)] + ([("blueprint", Bp, None)] if ws.endswith("+bp") else [])
    params = []
    for p in inspect.signature(fn, eval_str=True).parameters.values():
        got = [(p.name, p.annotation, p.default)] if p.name != "ws" else store
        params += [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, annotation=a, default=d) for n, a, d in got]
    return inspect.Signature(params)


class _Later:
    """A package or module imported when first used (the service's take seconds; `--help` need not wait)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __getattr__(self, attr: str) -> Any:
        found = importlib.import_module(self.name)
        return getattr(found, attr) if hasattr(found, attr) else importlib.import_module(f"{self.name}.{attr}")


if not TYPE_CHECKING:
    service, views = _Later("peakend.service"), _Later("peakend.service.views")
app = App(help=H("app"), no_args_is_help=True)
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
Db = Annotated[str, opt("opt.db", "--db", envvar="PEAKEND_DB")]
Bp = Annotated[Path | None, opt("opt.blueprint", "--blueprint", "-b")]
Seed = Annotated[int, opt("opt.seed")]
Who = Annotated[str, opt("opt.who")]
Halls = Annotated[list[str] | None, opt("opt.hall")]
Limit = Annotated[int, opt("opt.limit", min=1)]


@app.callback()
def main(lang: Annotated[str | None, opt("opt.lang", "--lang")] = None) -> None:
    """Set the language of messages."""
    if lang:
        os.environ["PEAKEND_LANG"] = read_lang(lang)


@contextmanager
def workspace(db: str, blueprint: Path | None = None, create: bool = True) -> Iterator[Workspace]:
    """The workspace of the store at `db` (`blueprint`: a file run instead), its blueprint's notes printed first."""
    with service.Workspace.open(db, blueprint, create) as ws:
        for note in ws.blueprint_notes():
            warn(note)
        yield ws


def show(said: Said) -> None:
    """Print a line, or what a view shows (`service.views.Shown`): each line as it is (no markup, no highlighting;
    an `Aside` on stderr, a `Note` there in yellow), each (title, data frame) as a table (a missing value as an
    empty cell)."""
    for item in [said] if isinstance(said, str) else said or []:
        if isinstance(item, str):
            style = "yellow" if isinstance(item, views.Note) else None
            (err if isinstance(item, views.Aside) else console).print(item, style=style, highlight=False, markup=False)
            continue
        title, frame = item
        table = Table(*(header(str(c)) for c in frame.columns), title=title, box=None, padding=(0, 1))
        for row in frame.itertuples(index=False):
            table.add_row(*(views.cell(v) for v in row))
        console.print(table)


def warn(line: str, style: str = "yellow") -> None:
    """Print a line on stderr as it is, in `style`."""
    err.print(line, style=style, highlight=False, markup=False)


from peakend.cli import analysis, blueprints, data, hooks, planning, rosters, serving  # noqa: E402, F401  (they add their commands)
