"""The comment pipeline against jieba's bare segmentation of the same text, in the same run.

Comments: N (default 1,000,000) made of one or two sentences drawn from the demo's comment phrases and the
hand-labelled set, each with a random number so that no two are alike (no cache helps). Reference: jieba's
`cut` of every comment (the default dictionary). Pipeline: segment with the hall dictionary, tag moments,
read polarity (lexicon, SnowNLP where it says nothing) and build the BM25 index. Printed: comments per second
of each and the pipeline's throughput as a share of jieba's. No target: the ratio says what reading costs
beyond segmenting.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import jieba
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from common import append_result

from peakend.blueprint.load import load_blueprint
from peakend.simulate.comments import PHRASES
from peakend.text.comments import index, read_all

LABELLED = Path(__file__).parent.parent / "tests" / "data" / "comments_labelled.csv"


def comments(n: int, seed: int = 0) -> list[str]:
    """n distinct comments of one or two sentences."""
    pool = [p for group in PHRASES.values() for part in group for p in part]
    pool += list(pd.read_csv(LABELLED, keep_default_na=False)["text"])
    rng = np.random.default_rng(seed)
    first, second = rng.integers(0, len(pool), n), rng.integers(0, len(pool), n)
    two, number = rng.random(n) < 0.4, rng.integers(1, 60, n)
    return [f"{pool[a]}，{pool[b]}（{k}）" if t else f"{pool[a]}（{k}）"
            for a, b, t, k in zip(first, second, two, number, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    args = parser.parse_args()
    bp = load_blueprint(None)
    texts = comments(args.n)
    jieba.initialize()
    start = time.perf_counter()
    for t in texts:
        jieba.lcut(t)
    bare = time.perf_counter() - start
    frame = pd.DataFrame({"kind": "survey", "ref": range(len(texts)), "hall_id": "H", "visit_id": None,
                          "at": pd.Timestamp("2026-11-02"), "text": texts, "asked": None})
    start = time.perf_counter()
    read = read_all(frame, bp)
    index(read)
    full = time.perf_counter() - start
    ratio = bare / full
    print(f"{args.n:,} comments: jieba alone {args.n / bare:,.0f}/s; segment + tag + polarity + index "
          f"{args.n / full:,.0f}/s — {ratio:.2f}× jieba's throughput")
    append_result("text", {"comments": args.n, "jieba_per_s": round(args.n / bare), "pipeline_per_s":
                           round(args.n / full), "ratio": round(ratio, 3)})


if __name__ == "__main__":
    main()
