"""The `peakend` command line: a thin adapter over the application layer (`peakend.service`).

Each command parses its options, opens a `Workspace`, calls one use case and prints the answer; commands live in
modules by group (blueprints, data, analysis, planning, serving). Every `PeakendError` is told once, here: its
message in the session language on stderr, and its exit code. `--help` texts come from the catalogue in the
language of `--lang` / `PEAKEND_LANG`. Commands import what they need when they run, so `--help` answers at once.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer.rich_utils
from rich.console import Console
from rich.table import Table
from rich.text import Text
from typer.models import CommandFunctionType

from peakend.errors import PeakendError
from peakend.i18n import HELP, read_lang
from peakend.settings import DEFAULT_DB

if TYPE_CHECKING:
    from peakend.service import Workspace
    from peakend.service.views import Shown


def _lang_from_argv(argv: list[str]) -> None:
    """`--lang zh` read before the commands are declared, so that their help is in that language too."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            os.environ["PEAKEND_LANG"] = read_lang(argv[i + 1])
        elif arg.startswith("--lang="):
            os.environ["PEAKEND_LANG"] = read_lang(arg.split("=", 1)[1])


_lang_from_argv(sys.argv[1:])


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


def opt(key: str, *names: str, **kwargs: Any) -> Any:
    """An option whose help is the catalogue's `key`."""
    return typer.Option(*names, help=H(key), **kwargs)


def day_opt(key: str, *names: str) -> Any:
    """A YYYY-MM-DD option whose help is the catalogue's `key`."""
    return typer.Option(*names, help=H(key), formats=["%Y-%m-%d"])


def first_sentence(text: str) -> str:
    """The first sentence of a help text, in either language (up to its "。" or its ". ")."""
    return re.split(r"(?<=。)|(?<=\.) (?=[A-Z`])", text, maxsplit=1)[0]


class App(typer.Typer):
    """A Typer app whose commands tell a `PeakendError` in the session language and exit with its code."""

    def command(self, name: str | None = None, **kwargs: Any) -> Callable[[CommandFunctionType], CommandFunctionType]:
        if kwargs.get("help") and "short_help" not in kwargs:  # click cuts at the first ". " — never at a "。"
            kwargs["short_help"] = first_sentence(kwargs["help"])
        register = super().command(name, **kwargs)

        def decorate(fn: CommandFunctionType) -> CommandFunctionType:
            @functools.wraps(fn)
            def run(*a: Any, **k: Any) -> Any:
                try:
                    return fn(*a, **k)
                except PeakendError as exc:  # told once: each line in the session language, on stderr
                    for line in exc.lines():
                        err.print(line, style="red", markup=False, highlight=False)
                    raise typer.Exit(exc.exit_code) from exc

            register(run)
            return fn

        return decorate

    def group(self, name: str) -> App:
        """A sub-command group `name` (its help: the catalogue's `group.<name>`)."""
        sub = App(help=H(f"group.{name}"), no_args_is_help=True)
        self.add_typer(sub, name=name)
        return sub


app = App(help=H("app"), no_args_is_help=True)
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
DbOpt = Annotated[str, opt("opt.db", "--db", envvar="PEAKEND_DB")]
BpOpt = Annotated[Path | None, opt("opt.blueprint", "--blueprint", "-b")]
SeedOpt = Annotated[int, opt("opt.seed")]
Who = Annotated[str, opt("opt.who")]


@app.callback()
def main(lang: Annotated[str | None, opt("opt.lang", "--lang")] = None) -> None:
    """Set the language of messages."""
    if lang:
        os.environ["PEAKEND_LANG"] = read_lang(lang)


@contextmanager
def workspace(db: str, blueprint: Path | None = None, create: bool = True, **kwargs: Any) -> Iterator[Workspace]:
    """The workspace of the store at `db` (`blueprint`: run that file instead of the store's blueprint in force,
    with a warning when they differ); the notes on the blueprint in force are printed first."""
    from peakend.service import Workspace

    with Workspace.open(db, blueprint, create, **kwargs) as ws:
        for note in ws.blueprint_notes():
            err.print(note, style="yellow", highlight=False, markup=False)
        yield ws


def show(message: str) -> None:
    """Print a line as it is (no markup, no highlighting)."""
    console.print(message, highlight=False, markup=False)


def tell_all(shown: Shown) -> None:
    """Print what a view shows (`service.views.Shown`): each line as it is, each (title, data frame) as a table
    (a missing value as an empty cell)."""
    from peakend.i18n import header
    from peakend.service.views import cell

    for item in shown:
        if isinstance(item, str):
            show(item)
            continue
        title, frame = item
        table = Table(*(header(str(c)) for c in frame.columns), title=title, box=None, padding=(0, 1))
        for row in frame.itertuples(index=False):
            table.add_row(*(cell(v) for v in row))
        console.print(table)


from peakend.cli import analysis, blueprints, data, hooks, planning, rosters, serving  # noqa: E402  (they add their commands)

__all__ = ["DEFAULT_DB", "analysis", "app", "blueprints", "data", "hooks", "planning", "rosters", "serving"]
