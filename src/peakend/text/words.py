"""Segmenting comments: jieba with the shipped hall dictionary, the blueprint's moment keywords and its extra
terms; English words lower-cased; stop words dropped. One tokenizer per set of words, made once."""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jieba
import yaml

from peakend.blueprint.model import Blueprint

jieba.setLogLevel(logging.WARNING)
LATIN = re.compile(r"[a-z0-9][a-z0-9'\-]*")
HAN = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Lexicon:
    """The shipped hall words: dictionary terms, negators, polarity words and stop words, zh and en."""

    terms: tuple[str, ...]
    negators: dict[str, tuple[str, ...]]
    negative: dict[str, tuple[str, ...]]
    positive: dict[str, tuple[str, ...]]
    stopwords: dict[str, frozenset[str]]


@functools.cache
def lexicon() -> Lexicon:
    """The lexicon shipped in `peakend/text/lexicon.yaml`."""
    raw: dict[str, Any] = yaml.safe_load(resources.files("peakend.text").joinpath("lexicon.yaml").read_text("utf-8"))
    pair = {k: {lang: tuple(str(w) for w in raw[k][lang]) for lang in ("zh", "en")}
            for k in ("negators", "negative", "positive")}
    return Lexicon(tuple(raw["terms"]), pair["negators"], pair["negative"], pair["positive"],
                   {lang: frozenset(raw["stopwords"][lang]) for lang in ("zh", "en")})


def blueprint_terms(bp: Blueprint) -> tuple[str, ...]:
    """The words a blueprint adds to the dictionary: its moments' Chinese keywords and `loyalty.terms`."""
    return tuple(sorted({w for m in bp.moments for w in m.keywords.zh} | set(bp.loyalty.terms)))


@functools.lru_cache(maxsize=8)
def tokenizer(extra: tuple[str, ...] = ()) -> jieba.Tokenizer:
    """A jieba tokenizer knowing the hall terms and `extra` words (its own dictionary: others are untouched)."""
    t = jieba.Tokenizer()
    t.initialize()
    for word in (*lexicon().terms, *extra):
        t.add_word(word, freq=2000)
    return t


def tokens(text: str, extra: tuple[str, ...] = ()) -> list[str]:
    """The content words of a comment: Chinese words by jieba, English words lower-cased, stop words dropped."""
    lex = lexicon()
    out: list[str] = []
    for piece in tokenizer(extra).cut(text.lower()):
        word = piece.strip()
        if not word:
            continue
        if HAN.search(word):
            if word not in lex.stopwords["zh"]:
                out.append(word)
        elif LATIN.fullmatch(word) and word not in lex.stopwords["en"]:
            out.append(word)
    return out


def is_chinese(text: str) -> bool:
    """Whether a comment is mostly Chinese (more Han characters than Latin letters)."""
    han = len(HAN.findall(text))
    return han > 0 and han >= sum(c.isascii() and c.isalpha() for c in text)
