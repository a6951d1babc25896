"""Every comment the store holds — survey comments (the text after an SMS score among them), case notes and
audit notes — read against the blueprint, grouped into themes and indexed for search.

Phone numbers are masked when a comment is read out (ingest masks them already; this is the second lock).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import bm25s
import numpy as np
import pandas as pd

from peakend.blueprint.model import Blueprint
from peakend.ingest.privacy import mask_phones_in
from peakend.store.db import Store
from peakend.text.reading import read
from peakend.text.words import blueprint_terms, tokens

COLUMNS = ["kind", "ref", "hall_id", "visit_id", "at", "text", "asked"]
# asked: the moment an SMS survey asked about (the visit's peak); its reply is about that moment
SOURCES = {
    "survey": "SELECT 'survey' AS kind, s.survey_id AS ref, v.hall_id, s.visit_id, s.answered_at AS at, "
              "s.comment AS text, CASE WHEN s.source = 'sms' THEN q.asked_moment END AS asked FROM surveys s "
              "JOIN visits v ON v.visit_id = s.visit_id LEFT JOIN sms_surveys q ON q.visit_id = s.visit_id "
              "WHERE s.comment IS NOT NULL AND trim(s.comment) <> ''",
    "case": "SELECT 'case' AS kind, e.case_id || '#' || CAST(e.seq AS VARCHAR) AS ref, c.hall_id, c.visit_id, "
            "e.happened_at AS at, e.detail AS text, CAST(NULL AS VARCHAR) AS asked FROM case_events e "
            "JOIN cases c ON c.case_id = e.case_id WHERE e.action IN ('comment', 'resolve') AND e.detail IS NOT NULL",
    "audit": "SELECT 'audit' AS kind, a.audit_id AS ref, a.hall_id, CAST(NULL AS VARCHAR) AS visit_id, "
             "a.audited_at AS at, a.note AS text, CAST(NULL AS VARCHAR) AS asked FROM audits a "
             "WHERE a.note IS NOT NULL AND trim(a.note) <> ''",
}


def gathered(store: Store, halls: set[str] | None = None) -> pd.DataFrame:
    """Every comment of `halls` (default all), phone numbers masked: kind, ref, hall_id, visit_id, at, text."""
    frames = [store.query(sql) for sql in SOURCES.values()]
    out = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else (
        pd.DataFrame(columns=COLUMNS))
    if halls is not None:
        out = out[out["hall_id"].isin(sorted(halls))]
    return out.assign(text=out["text"].map(lambda t: mask_phones_in(str(t)) or "")).reset_index(drop=True)


def read_all(frame: pd.DataFrame, bp: Blueprint) -> pd.DataFrame:
    """Each comment with the moments it names (the one its survey asked about first), its polarity (−1…1), label
    (neg/neu/pos) and search tokens."""
    extra = blueprint_terms(bp)
    readings = [read(t, bp) for t in frame["text"]]
    asked = frame["asked"] if "asked" in frame else pd.Series(None, index=frame.index, dtype=object)
    about = []
    for r, a in zip(readings, asked, strict=True):
        said = {m: r.about(m) for m in r.moments}
        about.append({a: r.about(a), **said} if isinstance(a, str) and a not in said else said)
    return frame.assign(moments=[list(a) for a in about], polarity=[r.polarity for r in readings],
                        label=[r.label for r in readings], about=about,
                        tokens=[tokens(t, extra) for t in frame["text"]])


def peak_answers(read: pd.DataFrame, store: Store) -> pd.DataFrame:
    """Replies to the survey's question about the visit's peak, against that touch's own experience: per moment
    the replies, how many lean each way, the touch's mean e behind each lean, and the share where reply and
    touch agree in sign (a neutral reply agrees with nothing)."""
    asked = read[read["asked"].notna()] if "asked" in read else read.iloc[:0]
    if asked.empty:
        return pd.DataFrame(columns=["moment", "replies", "positive", "negative", "e_positive", "e_negative",
                                     "agree"])
    t = store.query("SELECT t.visit_id, t.moment_id, avg(t.e) AS e FROM touch_scores t JOIN sms_surveys q "
                    "ON q.visit_id = t.visit_id AND q.asked_moment = t.moment_id GROUP BY t.visit_id, t.moment_id")
    e = t.set_index(["visit_id", "moment_id"])["e"]
    pairs = asked.assign(e=[e.get((v, m), float("nan")) for v, m in zip(asked["visit_id"], asked["asked"],
                                                                          strict=True)],
                         said=[a[m] for a, m in zip(asked["about"], asked["asked"], strict=True)])
    rows = []
    for moment, g in pairs.groupby("asked"):
        pos, neg = g[g["said"] > 0], g[g["said"] < 0]
        agree = ((g["said"] > 0) & (g["e"] > 0)) | ((g["said"] < 0) & (g["e"] < 0))
        rows.append({"moment": moment, "replies": len(g), "positive": len(pos), "negative": len(neg),
                     "e_positive": pos["e"].mean(), "e_negative": neg["e"].mean(),
                     "agree": float(agree[g["e"].notna()].mean()) if g["e"].notna().any() else float("nan")})
    return pd.DataFrame(rows)


def mentions(read: pd.DataFrame) -> pd.DataFrame:
    """One row per comment and moment it names, with the polarity of what it says about that moment."""
    rows = [{"row": i, "moment": m, "about": p} for i, about in read["about"].items() for m, p in about.items()]
    if not rows:
        return read.iloc[:0].assign(moment=pd.Series(dtype=object), about=pd.Series(dtype=float))
    m = pd.DataFrame(rows)
    return read.loc[m["row"]].reset_index(drop=True).assign(moment=m["moment"].to_numpy(),
                                                            about=m["about"].to_numpy())


def themes(read: pd.DataFrame, bp: Blueprint, top: int = 3, examples: int = 2) -> pd.DataFrame:
    """Recurring complaints per hall and moment: among what was said against a moment, its most frequent words
    (the moment's own keywords aside) with how many comments use each and the sharpest quotes."""
    said = mentions(read)
    said = said[said["about"] < 0]
    out = []
    for (hall, moment), g in said.groupby(["hall_id", "moment"]):
        own = {w.lower() for w in bp.moment(str(moment)).keywords.zh + bp.moment(str(moment)).keywords.en}
        counts = Counter(w for ws in g["tokens"] for w in set(ws) if w not in own and len(w) > 1)
        for word, n in counts.most_common(top):
            quotes = (g[g["tokens"].map(lambda ws, w=word: w in ws)].sort_values("about")["text"].drop_duplicates()
                      .head(examples))
            out.append({"hall_id": hall, "moment": moment, "negative": len(g), "theme": word, "comments": n,
                        "examples": list(quotes)})
    return pd.DataFrame(out, columns=["hall_id", "moment", "negative", "theme", "comments", "examples"])


@dataclass
class Index:
    """BM25 over the comments' tokens (bm25s); `rows` is the read frame the hits point into."""

    rows: pd.DataFrame
    bm25: bm25s.BM25 | None

    def search(self, query: str, halls: set[str] | None, bp: Blueprint, k: int = 20) -> pd.DataFrame:
        """The `k` comments of `halls` (None: all) that best match `query`, best first, with their score."""
        words = tokens(query, blueprint_terms(bp))
        if self.bm25 is None or not words or not len(self.rows):
            return self.rows.iloc[:0].assign(score=[])
        mask = None if halls is None else self.rows["hall_id"].isin(sorted(halls)).to_numpy().astype(np.float32)
        allowed = len(self.rows) if mask is None else int(mask.sum())
        if not allowed:
            return self.rows.iloc[:0].assign(score=[])
        vocab = self.bm25.vocab_dict
        known = [[w for w in words if w in vocab]]
        if not known[0]:
            return self.rows.iloc[:0].assign(score=[])
        ids, scores = self.bm25.retrieve(known, k=min(k, allowed), show_progress=False, weight_mask=mask)
        hits = [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if s > 0]
        return self.rows.iloc[[i for i, _ in hits]].assign(score=[s for _, s in hits])


def index(read: pd.DataFrame) -> Index:
    """A BM25 index of the read comments (None inside when there is nothing to index)."""
    docs = list(read["tokens"])
    if not any(docs):
        return Index(read, None)
    bm25 = bm25s.BM25()
    bm25.index(_tokenized(docs), show_progress=False)
    return Index(read, bm25)


def _tokenized(docs: list[list[str]]) -> bm25s.tokenization.Tokenized:
    """Our own tokens in bm25s's form (ids and a vocabulary); an empty comment indexes as one empty token."""
    vocab: dict[str, int] = {"": 0}
    ids = [[vocab.setdefault(w, len(vocab)) for w in ws] or [0] for ws in docs]
    return bm25s.tokenization.Tokenized(ids=ids, vocab=vocab)
