"""The training search engine (培训搜索引擎): modules written for the course's topics (`training.yaml`, or the
file named by PEAKEND_TRAINING) and the blueprint's own guidelines and standards, ranked by BM25 over jieba
words. Traditional characters are read as simplified (OpenCC), English words by their stem, and each module's
keywords stand in for synonyms. `for_moment` answers "what to train" for a moment and its missed standards."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import opencc
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from peakend import safe_yaml, settings
from peakend.blueprint.model import Blueprint, Text
from peakend.errors import TrainingError
from peakend.text.words import blueprint_terms, tokens

SUFFIX = re.compile(r"(?:ing|ed|es|s)$")
RELATIVE = 0.5  # a hit scoring under this share of the best one matched only a common word: left out


class Keywords(BaseModel):
    model_config = ConfigDict(extra="forbid")
    zh: list[str] = Field(default_factory=list)
    en: list[str] = Field(default_factory=list)


class Module(BaseModel):
    """One training module: what it teaches (zh + en) and the moments it serves."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: Text
    moments: list[str] = Field(default_factory=list)
    keywords: Keywords = Field(default_factory=Keywords)
    body: Text


class Library(BaseModel):
    model_config = ConfigDict(extra="forbid")
    modules: list[Module] = Field(min_length=1)


def library(path: str | Path | None = None) -> Library:
    """The training library: `path`, else PEAKEND_TRAINING, else the shipped one (ConfigError naming the field
    when a file is wrong)."""
    where = path or settings.get("training")
    text = Path(where).read_text("utf-8") if where else resources.files("peakend.text").joinpath(
        "training.yaml").read_text("utf-8")
    try:
        return Library.model_validate(safe_yaml.load(text))
    except safe_yaml.YamlRefused as exc:
        raise TrainingError(source=str(where or "training.yaml"), problem=exc.say()) from exc
    except (ValidationError, yaml.YAMLError) as exc:
        raise TrainingError(source=str(where or "training.yaml"), problem=str(exc)) from exc


@functools.cache
def _simplified() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def words(text: str, extra: tuple[str, ...] = ()) -> list[str]:
    """Search words: traditional characters made simplified, jieba words, English words by their stem."""
    out = []
    for w in tokens(_simplified().convert(text), extra):
        out.append(SUFFIX.sub("", w) if w.isascii() and len(w) > 4 else w)
    return out


@dataclass(frozen=True)
class Doc:
    """A searchable item: a module, or one of the blueprint's guidelines or standards."""

    kind: str  # module | guideline | standard
    id: str
    title: Text
    body: Text
    moments: tuple[str, ...]


@dataclass
class Engine:
    """BM25 over the library and the blueprint's guidance."""

    docs: list[Doc]
    bm25: bm25s.BM25
    extra: tuple[str, ...]
    vocab: dict[str, int] = field(default_factory=dict)

    def search(self, query: str, k: int = 5, kinds: tuple[str, ...] = ("module", "guideline", "standard")
               ) -> list[tuple[Doc, float]]:
        """The `k` best items for `query`, best first, with their scores (none when no word is known)."""
        known = [w for w in words(query, self.extra) if w in self.vocab]
        mask = np.array([d.kind in kinds for d in self.docs], dtype=np.float32)
        if not known or not mask.any():
            return []
        ids, scores = self.bm25.retrieve([known], k=min(k, int(mask.sum())), show_progress=False, weight_mask=mask)
        best = float(scores[0][0]) if len(scores[0]) else 0.0
        return [(self.docs[int(i)], float(s)) for i, s in zip(ids[0], scores[0], strict=True)
                if s > 0 and s >= RELATIVE * best]

    def searched(self, query: str) -> list[str]:
        """The words of `query` a search looks for (its content words, each once, in order): what a search that
        found nothing tells the user it looked for."""
        return list(dict.fromkeys(words(query, self.extra)))


def serving(lib: Library, bp: Blueprint) -> list[Module]:
    """The library's modules for `bp`'s service: those serving one of its moments (the shipped library serves the
    built-in telecom blueprint; an airport's blueprint gets none of its modules, only its own guidance)."""
    ours = set(bp.moment_ids())
    return [m for m in lib.modules if ours & set(m.moments)]


def _docs(lib: Library, bp: Blueprint) -> list[Doc]:
    docs = [Doc("module", m.id, m.title, m.body, tuple(m.moments)) for m in serving(lib, bp)]
    for m in bp.moments:
        name = Text(zh=m.zh, en=m.en)
        docs += [Doc("guideline", f"{m.id}/guideline/{i}", name, g, (m.id,)) for i, g in enumerate(m.guidelines)]
        docs += [Doc("standard", f"{m.id}/standard/{i}", name, s, (m.id,)) for i, s in enumerate(m.standards)]
    return docs


def _indexed_text(doc: Doc, lib: Library, bp: Blueprint) -> str:
    keywords = next((m.keywords for m in lib.modules if m.id == doc.id), Keywords()) if doc.kind == "module" else (
        Keywords())
    names = [f"{bp.moment(m).zh} {bp.moment(m).en}" for m in doc.moments if m in bp.moment_ids()]
    # the title and keywords count twice: they say what the module is about
    return " ".join([doc.title.zh, doc.title.en] * 2 + keywords.zh * 2 + keywords.en * 2 + names
                    + [doc.body.zh, doc.body.en])


def engine(bp: Blueprint, lib: Library | None = None) -> Engine:
    """The search engine over `lib` (default: the library in force) and `bp`'s guidance."""
    lib = lib or library()
    extra = tuple(sorted(set(blueprint_terms(bp)) | {w for m in serving(lib, bp) for w in m.keywords.zh}))
    docs = _docs(lib, bp)
    vocab: dict[str, int] = {"": 0}
    ids = [[vocab.setdefault(w, len(vocab)) for w in words(_indexed_text(d, lib, bp), extra)] or [0] for d in docs]
    bm25 = bm25s.BM25()
    if not docs:  # no module for this service and a blueprint without guidance: nothing to search
        return Engine(docs, bm25, extra, vocab)
    bm25.index(bm25s.tokenization.Tokenized(ids=ids, vocab=vocab), show_progress=False)
    return Engine(docs, bm25, extra, vocab)


def for_moment(eng: Engine, bp: Blueprint, moment: str, missed: list[str] | None = None, k: int = 3) -> list[Doc]:
    """What to train for `moment` (and the standards `missed` there): modules serving the moment first, ranked by
    the moment's name, needs and the missed standards; then other modules the words find."""
    m = bp.moment(moment)
    query = " ".join([m.zh, m.en, *(n.zh for n in m.needs), *(missed or [])])
    found = [d for d, _ in eng.search(query, k=len(eng.docs), kinds=("module",))]
    serving = [d for d in found if moment in d.moments] + [
        d for d in eng.docs if d.kind == "module" and moment in d.moments and d not in found]
    return (serving + [d for d in found if d not in serving])[:k]


def shown(doc: Doc, lang: str) -> dict[str, Any]:
    """A search hit as pages and the API show it."""
    return {"kind": doc.kind, "id": doc.id, "title": getattr(doc.title, lang), "body": getattr(doc.body, lang),
            "moments": list(doc.moments)}
