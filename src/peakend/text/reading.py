"""Reading one comment: its clauses, the blueprint moments each names, and the polarity of each and of the whole.

A comment splits into clauses at punctuation and at contrast words (但是, 不过, but, however…); a clause after a
contrast counts double ("long wait, but the staff were lovely" leans to its second half). A clause names a moment
when it holds one of the moment's keywords (Chinese: as written; English: a word starting with the keyword).
Polarity comes from the shipped hall lexicon — longest word first, flipped by a negator just before it
(不快, not friendly) — and, for a Chinese comment the lexicon says nothing about, from SnowNLP's sentiment model
(shipped inside the package: nothing is downloaded).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from peakend.blueprint.model import Blueprint
from peakend.text.words import is_chinese, lexicon, tokenizer

CONTRAST = ("但是", "但", "不过", "可是", "可惜", "然而", "but", "however", "though")
SPLIT = re.compile(r"[，,。.!！?？;；、\n]+|(?=但是|(?<!是)但|不过|可是|可惜|然而)|(?=\bbut\b|\bhowever\b|\bthough\b)",
                   re.IGNORECASE)
LETTER = re.compile("[A-Za-z]")
SNOW_NEGATIVE, SNOW_POSITIVE = 0.35, 0.65  # SnowNLP's probability of positive, read as negative / positive


@dataclass(frozen=True)
class Clause:
    text: str
    moments: tuple[str, ...]
    polarity: float  # summed signs of the lexicon words in it (0: none), × 2 after a contrast word


@dataclass(frozen=True)
class Reading:
    """A comment read: its clauses, the moments it names (in the order first named) and its polarity in −1…1."""

    clauses: tuple[Clause, ...]
    moments: tuple[str, ...]
    polarity: float
    label: str  # neg, neu or pos

    def about(self, moment: str) -> float:
        """The polarity of what the comment says about `moment` (its clauses naming it; else the whole)."""
        mine = [c.polarity for c in self.clauses if moment in c.moments and c.polarity]
        return _squash(sum(mine)) if mine else self.polarity


@functools.lru_cache(maxsize=16)
def _keywords(bp_key: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]) -> tuple[
        list[tuple[str, str]], list[tuple[re.Pattern[str], str]]]:
    zh = sorted(((w.lower(), mid) for mid, ws, _ in bp_key for w in ws), key=lambda x: -len(x[0]))
    en = [(re.compile(r"\b" + re.escape(w.lower()), re.IGNORECASE), mid) for mid, _, ws in bp_key for w in ws]
    return zh, en


def keyword_key(bp: Blueprint) -> tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]:
    """The blueprint's keywords as a hashable key (moment, zh words, en words)."""
    return tuple((m.id, tuple(m.keywords.zh), tuple(m.keywords.en)) for m in bp.moments)


def moments_named(clause: str, key: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]) -> tuple[str, ...]:
    """The moments whose keywords appear in `clause`, in blueprint order."""
    zh, en = _keywords(key)
    low = clause.lower()
    found = {mid for word, mid in zh if word in low}
    if LETTER.search(clause):  # English keywords only where there are letters to match
        found |= {mid for pattern, mid in en if pattern.search(clause)}
    return tuple(m for m, _, _ in key if m in found)


@functools.cache
def _zh_words() -> tuple[dict[str, int], int, tuple[str, ...]]:
    lex = lexicon()
    signs = {w: -1 for w in lex.negative["zh"]} | {w: 1 for w in lex.positive["zh"]}
    return signs, max(map(len, signs)), lex.negators["zh"]


NOT_NEGATION = ("特别", "区别", "分别", "告别", "无论", "不过", "不管", "不但", "不仅", "无比")  # 别/无/不 not negating
NUMERALS = set("一二两三四五六七八九十百半几0123456789")


def _negated(text: str, start: int, at: int, negators: tuple[str, ...]) -> bool:
    """Whether a negator stands in the three characters before `at` (not before `start`), outside compounds
    where 不/别/无 do not negate (特别好 is good)."""
    window = text[max(start, at - 5):at]
    for compound in NOT_NEGATION:
        window = window.replace(compound, " " * len(compound))
    return any(n in window[-3:] for n in negators)


def _zh_polarity(text: str) -> float:
    """Lexicon words of a Chinese clause, longest first at each place, each flipped by a negator just before.
    快 before a number means "almost" (等了快一个小时), not fast."""
    signs, longest, negators = _zh_words()
    total, i, free = 0.0, 0, 0  # free: where unconsumed text starts (a negator must lie there)
    while i < len(text):
        for n in range(min(longest, len(text) - i), 0, -1):
            word = text[i:i + n]
            sign = signs.get(word)
            if sign is not None:
                if not (word == "快" and text[i + 1:i + 2] in NUMERALS):
                    total += -sign if _negated(text, free, i, negators) else sign
                i += n
                free = i
                break
        else:
            i += 1
    return total


@functools.cache
def _en_patterns() -> tuple[list[tuple[re.Pattern[str], int]], re.Pattern[str]]:
    lex = lexicon()
    words = [(w, -1) for w in lex.negative["en"]] + [(w, 1) for w in lex.positive["en"]]
    words.sort(key=lambda x: -len(x[0]))
    patterns = [(re.compile(r"\b" + re.escape(w) + r"(?:s|es|ed|d|ing|ly)?\b", re.IGNORECASE), s) for w, s in words]
    negator = re.compile(r"\b(?:" + "|".join(re.escape(n) for n in lex.negators["en"] if n != "n't") + r")\b|n't\b",
                         re.IGNORECASE)
    return patterns, negator


def _en_polarity(text: str) -> float:
    """Lexicon words and phrases of an English clause, longest first, each flipped by a negator up to three words
    before it."""
    patterns, negator = _en_patterns()
    taken: list[tuple[int, int]] = []
    total = 0.0
    for pattern, sign in patterns:
        for m in pattern.finditer(text):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            taken.append((m.start(), m.end()))
            before = " ".join(text[:m.start()].split()[-3:])
            total += -sign if negator.search(before) else sign
    return total


def _squash(x: float) -> float:
    """A summed polarity into −1…1 (one word: ±0.5, two: ±0.67…)."""
    return x / (abs(x) + 1)


def _label(p: float) -> str:
    return "pos" if p > 0 else "neg" if p < 0 else "neu"


@functools.lru_cache(maxsize=4096)
def _snow(text: str) -> float:
    """SnowNLP's probability that a Chinese text is positive, its naive Bayes model fed jieba's words (SnowNLP's
    own segmenter is ten times slower and reads one of the 204 labelled comments better)."""
    from snownlp import normal
    from snownlp.sentiment import classifier

    words = normal.filter_stop([w for w in tokenizer().cut(text) if w.strip()])
    kind, prob = classifier.classifier.classify(words)
    return float(prob if kind == "pos" else 1 - prob)


def read(text: str, bp: Blueprint) -> Reading:
    """Read one comment against `bp`'s moment keywords."""
    key = keyword_key(bp)
    clauses = []
    for part in SPLIT.split(text):
        part = part.strip()
        if not part:
            continue
        weight = 2.0 if part.lower().startswith(CONTRAST) else 1.0
        zh = is_chinese(part)
        clauses.append(Clause(part, moments_named(part, key), weight * (_zh_polarity(part) if zh else
                                                                        _en_polarity(part.lower()))))
    total = sum(c.polarity for c in clauses)
    if not total and is_chinese(text) and not any(c.polarity for c in clauses):
        p = _snow(text)
        total = -1.0 if p < SNOW_NEGATIVE else 1.0 if p > SNOW_POSITIVE else 0.0
    named = tuple(dict.fromkeys(m for c in clauses for m in c.moments))
    return Reading(tuple(clauses), named, _squash(total), _label(total))
