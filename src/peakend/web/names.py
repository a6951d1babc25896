"""Ids as pages name them: survey answers, the blueprint's lanes, stages and zones, and halls in charts, each in
the page's language (a zh page shows no English id, an en page no Chinese name)."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from peakend.blueprint.model import Blueprint
from peakend.i18n import WORDS, Lang
from peakend.scoring.compare import Verdict


def answer_name(answer: str, lang: Lang) -> str:
    """A survey answer (`overall`, `switch_resist`, `promoter`, …) by its name in `lang` (WORDS `answer_<id>`);
    an answer without one by its id."""
    found = WORDS.get(f"answer_{answer}")
    return found[lang] if found else answer


def named_verdicts(found: list[Verdict] | None, lang: Lang) -> list[Verdict] | None:
    """Verdicts whose target reads as the answer's name in `lang` (for their sentences, `Verdict.say`)."""
    return None if found is None else [replace(v, target=answer_name(v.target, lang)) for v in found]


def part_name(bp: Blueprint, part: str, lang: Lang) -> str:
    """A lane, stage, zone or flow of the blueprint by its name in `lang`, else by its id."""
    names = {x.id: x for x in [*bp.zones, *bp.lanes, *bp.stages, *bp.flows]}
    return str(getattr(names[part], lang)) if part in names else part


def for_chart(df: pd.DataFrame, halls: dict[str, str], lang: Lang) -> pd.DataFrame:
    """A table about to become a chart: halls by their names in `lang` and the other language's columns left out
    (a chart's data travels with the page)."""
    other = "en" if lang == "zh" else "zh"
    out = df.drop(columns=[c for c in df.columns if str(c).endswith(f"_{other}")])
    if "hall_id" in out:
        out = out.assign(hall_id=out["hall_id"].map(lambda h: halls.get(h, h)))
    return out
