"""Loyalty tables and sentences as people read them (CLI, report, hall page), in zh or en."""

from __future__ import annotations

import numpy as np
import pandas as pd

from peakend.i18n import Lang, say

KIND = {"end": {"en": "ended badly", "zh": "结束得不好"}, "peak": {"en": "had a bad peak", "zh": "峰值为负"}}
OUTCOME = {"returned": {"en": "came back within {days} days", "zh": "{days} 天内回访"},
           "promoter": {"en": "were promoters", "zh": "成为推荐者"},
           "repurchase": {"en": "meant to buy again", "zh": "有再次购买意向"}}
OUTCOME_NAMES = {"returned": {"en": "back within {days} days", "zh": "{days} 天内回访"},
                 "promoter": {"en": "promoter (recommend 9–10)", "zh": "推荐者（推荐意愿 9–10）"},
                 "repurchase": {"en": "repurchase intent 4–5", "zh": "再购意向 4–5"}}


def _span(mid: float, lo: float, hi: float, fmt: str) -> str:
    if not np.isfinite(mid):
        return "—"
    inner = f" ({lo:{fmt}}–{hi:{fmt}})" if np.isfinite(lo) and np.isfinite(hi) else ""
    return f"{mid:{fmt}}{inner}"


def _spans(mid: pd.Series, lo: pd.Series, hi: pd.Series, fmt: str, scale: float = 1.0) -> list[str]:
    return [_span(scale * m, scale * a, scale * b, fmt) for m, a, b in zip(mid, lo, hi, strict=True)]


def halls_shown(table: pd.DataFrame, lang: Lang) -> pd.DataFrame:
    """The per-hall table with intervals written beside each figure."""
    def col(name: str, default: float = np.nan) -> pd.Series:
        return table[name] if name in table else pd.Series(default, index=table.index)

    zh = lang == "zh"
    return pd.DataFrame({
        "厅" if zh else "hall": table["hall_id"].replace({"*": "全部" if zh else "all"}),
        "回答" if zh else "answers": col("answers", 0).fillna(0).astype(int),
        "忠诚度指数" if zh else "loyalty index": _spans(col("loyalty"), col("loyalty_low"), col("loyalty_high"), ".1f"),
        "NPS": _spans(col("nps"), col("nps_low"), col("nps_high"), "+.0f"),
        "推荐/中立/贬损" if zh else "promoters/passives/detractors": [
            "—" if not np.isfinite(p) else f"{p:.0%}/{q:.0%}/{d:.0%}"
            for p, q, d in zip(col("promoters"), col("passives"), col("detractors"), strict=True)],
        "已知客户来访" if zh else "known visits": table["known_visits"].fillna(0).astype(int),
        "回访 %" if zh else "back %": _spans(table["return_share"], table["return_low"], table["return_high"], ".0f",
                                             100),
        "流失常客" if zh else "lapsed regulars": [f"{int(n)}/{int(r)}" if r else "—"
                                               for n, r in zip(table["lapsed"], table["regulars"], strict=True)],
    })


SCORE_NAMES = {"rei": {"zh": "记忆体验指数", "en": "REI"}, "peak": {"zh": "峰值", "en": "peak"},
               "end": {"zh": "终点", "en": "end"}, "mean": {"zh": "平均", "en": "mean"}}


def models_shown(models: pd.DataFrame, lang: Lang, days: int) -> pd.DataFrame:
    """Per outcome and score: visits, odds ratio per 10 points (95%), AUC, detectable or not."""
    zh = lang == "zh"
    return pd.DataFrame({
        "结果" if zh else "outcome": models["outcome"].map(lambda o: OUTCOME_NAMES[o][lang].format(days=days)),
        "分数" if zh else "score": models["predictor"].map(lambda x: SCORE_NAMES.get(x, {}).get(lang, x)),
        "来访" if zh else "visits": models["visits"],
        "比例" if zh else "share": models["share"].map("{:.0%}".format),
        "每 10 分优势比" if zh else "OR / 10 pts": _spans(models["odds_ratio"], models["low"], models["high"], ".2f"),
        "AUC": models["auc"].map("{:.3f}".format),
        "影响" if zh else "effect": np.where(models["detectable"], "✓",
                                            "无可检测影响" if zh else "no detectable effect"),
    })


def effect_sentence(row: object, names: dict[str, str], days: int, lang: Lang) -> str:
    """One moment effect in words: how much less (or more) often, with its interval, or no detectable effect."""
    r = row  # a row of `moment_effects` (itertuples)
    fields = {"kind": KIND[r.kind][lang], "moment": names.get(r.moment, r.moment),  # type: ignore[attr-defined]
              "outcome": OUTCOME[r.outcome][lang].format(days=days),  # type: ignore[attr-defined]
              "low": 100 * r.low, "high": 100 * r.high, "n_bad": r.n_bad, "n_rest": r.n_rest}  # type: ignore[attr-defined]
    if not r.detectable:  # type: ignore[attr-defined]
        return say("loyalty_no_effect", lang, **fields)
    less = r.change < 0  # type: ignore[attr-defined]
    way = ("低" if less else "高") if lang == "zh" else ("less" if less else "more")
    return say("loyalty_effect", lang, **fields, pct=abs(100 * r.change), way=way, bad=r.bad,  # type: ignore[attr-defined]
               rest=r.rest)  # type: ignore[attr-defined]


def ranked_effects(moments: pd.DataFrame, each: int = 5) -> pd.DataFrame:
    """Moment effects per outcome (returns first), the detectable ones first, the largest losses first; at most
    `each` per outcome."""
    order = {"returned": 0, "promoter": 1, "repurchase": 2}
    ranked = moments.assign(_o=moments["outcome"].map(order), _d=~moments["detectable"]).sort_values(
        ["_o", "_d", "change"])
    return ranked.groupby("_o").head(each).drop(columns=["_o", "_d"])
