"""One frame per scored visit for the loyalty analyses: peak-end scores, the latest survey answers (if any),
the days to the customer's next visit (if known) and the experience e at each moment (`m_<moment>`)."""

from __future__ import annotations

import pandas as pd

from peakend.loyalty.returns import next_visits
from peakend.scoring.compare import survey_frame, with_moments
from peakend.store.db import Store

SCORES = ["visit_id", "hall_id", "segment", "day", "peak", "peak_moment", "end", "end_moment", "mean", "rei"]


def loyalty_frame(store: Store, halls: set[str] | None = None) -> pd.DataFrame:
    """Visits answered or of known customers (of `halls`, default all), one row each."""
    answered = survey_frame(store, halls)
    v, s, t = store.table("visits"), store.table("visit_scores"), store.table("touch_scores")
    known = v.filter(v.customer_key.notnull())
    if halls is not None:
        known = known.filter(known.hall_id.isin(sorted(halls)))
    with store.lock:
        who = known.select("visit_id", "customer_key", "arrival").to_pandas()
        everyone = v.filter(v.customer_key.notnull()).select("visit_id", "customer_key", "arrival").to_pandas()
        last = v.arrival.max().to_pandas()
        scores = s.filter(s.visit_id.isin(known.visit_id)).select(*SCORES).to_pandas()
        moments = (t.filter(t.visit_id.isin(known.visit_id)).group_by(["visit_id", "moment_id"]).agg(e=t.e.mean())
                   .to_pandas())
    returns = next_visits(everyone, scores, last)  # the next visit anywhere in the network
    returns = returns[returns["visit_id"].isin(who["visit_id"])]
    returns = with_moments(returns, moments)
    extra = ["customer_key", "gap_days", "seen_days"]
    frame = answered.merge(returns[["visit_id", *extra]], on="visit_id", how="left")
    rest = returns[~returns["visit_id"].isin(answered["visit_id"])]
    return pd.concat([frame, rest], ignore_index=True) if len(rest) else frame
