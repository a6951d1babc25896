"""YAML from outside (mappings, blueprints, hall configurations) read with bounded work.

Before anything is built, the text's events are scanned (libyaml, one pass, no recursion) and the text is
refused, naming the line, when it is longer than `MAX_CHARS`, nests deeper than `MAX_DEPTH`, holds more than
`MAX_NODES` values, or uses an anchor, an alias or a merge key. Anchors are refused rather than expansion
capped: they are what makes a kilobyte of YAML stand for gigabytes (each alias a copy, each merge key a chain of
them), peakend's own files and exports never write them (`dump` writes none), and a person writing a mapping or a
blueprint by hand can write the values out. Refused means not parsed further: the scan stops at the first thing
refused, so a deeper nesting or a bigger bomb costs no more than the limit.
"""

from __future__ import annotations

from typing import Any

import yaml

from peakend.i18n import Lang, say

MAX_CHARS = 2_000_000  # the default blueprint is 21 kB, a mapping a few hundred bytes
MAX_DEPTH = 64  # mappings and sequences inside one another
MAX_NODES = 200_000  # scalars, mappings and sequences
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_OPEN = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSE = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
_NODE = (yaml.ScalarEvent, *_OPEN)


class YamlRefused(ValueError):
    """YAML text refused before it was built: `key` names the message (i18n), `line` where (1-based, 0 for the
    whole text), `limit` the bound broken, `events` how many parse events were read before refusing."""

    def __init__(self, key: str, line: int, limit: int = 0, events: int = 0) -> None:
        self.key, self.line, self.limit, self.events = key, line, limit, events
        super().__init__(self.say("en"))

    def fields(self, source: str) -> dict[str, object]:
        """The message fields for a text from `source`."""
        return {"source": source, "line": self.line, "limit": f"{self.limit:,}"}

    def say(self, lang: Lang | None = None, source: str = "YAML") -> str:
        """The refusal in `lang`, naming `source`, the line and the limit."""
        return say(self.key, lang, **self.fields(source))


def check(text: str) -> None:
    """Raise `YamlRefused` when `text` breaks a limit or uses anchors, aliases or merge keys (yaml.YAMLError when
    it is not YAML at all, as far as it was read)."""
    if len(text) > MAX_CHARS:
        raise YamlRefused("yaml_too_big", 0, MAX_CHARS)
    depth = nodes = 0
    for events, event in enumerate(yaml.parse(text, Loader=_Loader), start=1):
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise YamlRefused("yaml_anchor", line, events=events)
        if isinstance(event, yaml.ScalarEvent) and event.value == "<<" and event.implicit[0]:
            raise YamlRefused("yaml_merge", line, events=events)
        if isinstance(event, _NODE):
            nodes += 1
            if nodes > MAX_NODES:
                raise YamlRefused("yaml_too_many", line, MAX_NODES, events)
        if isinstance(event, _OPEN):
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlRefused("yaml_too_deep", line, MAX_DEPTH, events)
        elif isinstance(event, _CLOSE):
            depth -= 1


def load(text: str) -> Any:
    """The data of YAML text from outside, checked first (`check`): YamlRefused or yaml.YAMLError when refused."""
    check(text)
    return yaml.load(text, Loader=_Loader)


def compose(text: str) -> yaml.Node | None:
    """The node tree of YAML text (for line numbers), checked first (`check`)."""
    check(text)
    return yaml.compose(text, Loader=_Loader)


def dump(data: Any, width: int = 80) -> str:
    """YAML text that `load` reads back: never an anchor or alias (a shared value is written out each time)."""
    return yaml.dump(data, Dumper=_NoAliases, allow_unicode=True, sort_keys=False, width=width)


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


__all__ = ["MAX_CHARS", "MAX_DEPTH", "MAX_NODES", "YamlRefused", "check", "compose", "dump", "load"]
