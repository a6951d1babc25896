"""The report's charts as Vega-Lite specs (built with Altair), one per language."""

from __future__ import annotations

import json
import math
from typing import Any

import altair as alt
import pandas as pd

from peakend.i18n import WORDS, Lang


def w(key: str, lang: Lang) -> str:
    """A chart word in `lang`."""
    return WORDS[key][lang]


def ranking(halls: pd.DataFrame, lang: Lang) -> alt.Chart:
    """Halls by mean REI with 95% interval, coloured by grade (the maturity grade where known)."""
    label = halls[f"maturity_{lang}"] if f"maturity_{lang}" in halls else halls[f"grade_{lang}"]
    df = halls[["hall_id", "rei", "rei_low", "rei_high", "visits"]].assign(grade_label=label)
    order = df.sort_values("rei", ascending=False).hall_id.tolist()
    base = alt.Chart(df).encode(y=alt.Y("hall_id:N", sort=order, title=w("hall", lang)))
    bars = base.mark_bar().encode(
        x=alt.X("rei:Q", title=w("rei_axis", lang), scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("grade_label:N", title=w("grade", lang)),
        tooltip=["hall_id", alt.Tooltip("rei:Q", format=".1f"), "visits", "grade_label"],
    )
    err = base.mark_errorbar(color="black").encode(x=alt.X("rei_low:Q", title=w("rei_axis", lang)), x2="rei_high:Q")
    return (bars + err).properties(width=520, height=24 * len(df))


def heatmap(moments: pd.DataFrame, order: list[str], lang: Lang) -> alt.Chart:
    """Hall × moment mean experience, moments in blueprint order."""
    df = moments.assign(label=moments[f"moment_{lang}"])
    labels = [m for m in order if m in set(df.label)]
    return (
        alt.Chart(df)
        .mark_rect()
        .encode(
            x=alt.X("label:N", sort=labels, title=w("moment", lang), axis=alt.Axis(labelAngle=-40)),
            y=alt.Y("hall_id:N", title=w("hall", lang)),
            color=alt.Color("mean_e:Q", title=w("mean_e_axis", lang),
                            scale=alt.Scale(scheme="redblue", domain=[-1, 1])),
            tooltip=["hall_id", "label", alt.Tooltip("mean_e:Q", format=".2f"), "touches"],
        )
        .properties(width=620, height=26 * df.hall_id.nunique())
    )


def peaks_and_ends(falls: pd.DataFrame, order: list[str], lang: Lang) -> alt.Chart:
    """Across the network: share of visits whose positive/negative peak and end fall on each moment."""
    df = falls.assign(label=falls[f"moment_{lang}"], kind_label=falls.kind.map(lambda k: w(k, lang)))
    labels = [m for m in order if m in set(df.label)]
    return (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("label:N", sort=labels, title=w("moment", lang), axis=alt.Axis(labelAngle=-40)),
            xOffset="kind_label:N",
            y=alt.Y("share:Q", title=w("share", lang), axis=alt.Axis(format="%")),
            color=alt.Color(  # one colour per kind in every language: the end blue, negative peaks red
                "kind_label:N", title=w("kind", lang),
                scale=alt.Scale(domain=[w(k, lang) for k in ("end", "neg_peak", "pos_peak")],
                                range=["#2166ac", "#b2182b", "#999999"])
            ),
            tooltip=["label", "kind_label", alt.Tooltip("share:Q", format=".1%")],
        )
        .properties(width=620, height=260)
    )


def lift_bars(top: pd.DataFrame, lang: Lang) -> alt.Chart:
    """The hall × moment pairs with the largest lift, each pair's name above its bar (whole on a wide screen, cut
    with "…" at the chart's width on a phone, in full in the tooltip); the hall left out when there is one."""
    name = top[f"moment_{lang}"].astype(str)
    pair = name if top.hall_id.nunique() <= 1 else top.hall_id.astype(str) + " · " + name
    df = top.assign(pair=pair)
    tip: list[Any] = [alt.Tooltip("pair:N", title=w("moment", lang)), alt.Tooltip("lift:Q", format=".2f"),
                      "affected_visits"]
    y = alt.Y("pair:N", sort=alt.EncodingSortField("lift", order="descending"), title=None, axis=None)
    base = alt.Chart(df).encode(y=y, tooltip=tip)
    bars = base.mark_bar(color="#b2182b", height=14, yOffset=9).encode(x=alt.X("lift:Q", title=w("lift_axis", lang)))
    labels = base.mark_text(align="left", baseline="bottom", dy=-1, fontSize=12,
                            limit=alt.ExprRef("max(width, 40)")).encode(x=alt.value(0), text="pair:N")
    return (bars + labels).properties(width=480, height=alt.Step(40))


def models(cmp: pd.DataFrame, lang: Lang) -> alt.Chart:
    """Model comparison: cross-validated score ± sd per model and target."""
    df = cmp.assign(
        label=cmp[f"name_{lang}"],
        lo=cmp.score - cmp.sd,
        hi=cmp.score + cmp.sd,
        target_label=cmp.get(f"target_{lang}", cmp.target) + " (" + cmp.metric.str.upper() + ")",
    )
    base = alt.Chart(df).encode(y=alt.Y("label:N", sort=None, title=w("model", lang)))
    bars = base.mark_bar().encode(
        x=alt.X("score:Q", title=w("score", lang)),
        color=alt.Color("target_label:N", title=w("target", lang)),
        yOffset="target_label:N",
        tooltip=[alt.Tooltip("label:N", title=w("model", lang)), alt.Tooltip("target_label:N", title=w("target", lang)),
                 alt.Tooltip("score:Q", title=w("score", lang), format=".3f")],
    )
    err = base.mark_errorbar(color="black").encode(x=alt.X("lo:Q", title=w("score", lang)), x2="hi:Q",
                                                   yOffset="target_label:N")  # one axis title: the score's
    return (bars + err).properties(width=480, height=220)


def quadrant(drivers: pd.DataFrame, names: dict[str, str], lang: Lang) -> alt.Chart:
    """Importance × performance: each moment's share of the explained variance against its mean e, split at
    the average importance and the average performance (the quadrants of `loyalty.drivers`)."""
    from peakend.loyalty.drivers import QUADRANTS

    df = drivers.assign(label=drivers["moment"].map(names).fillna(drivers["moment"]),
                        group=drivers["quadrant"].map(lambda q: QUADRANTS[q][0 if lang == "zh" else 1]))
    x = alt.X("performance:Q", title=w("mean_e_axis", lang))
    base = alt.Chart(df).encode(x=x)
    points = base.mark_circle(size=90).encode(
        y=alt.Y("importance:Q", title=w("importance_axis", lang)), color=alt.Color("group:N", title=w("kind", lang)),
        tooltip=["label", alt.Tooltip("importance:Q", format=".1f"), alt.Tooltip("performance:Q", format=".2f")])
    labels = alt.Chart(df[df["importance"] >= 1]).mark_text(align="left", dx=7).encode(x=x, y="importance:Q",
                                                                                        text="label:N")
    bars = base.mark_errorbar().encode(y=alt.Y("low:Q", title=w("importance_axis", lang)), y2="high:Q")
    across = alt.Chart(pd.DataFrame({"y": [100 / max(len(df), 1)]})).mark_rule(strokeDash=[4, 4]).encode(y="y:Q")
    down = alt.Chart(pd.DataFrame({"x": [df["performance"].mean()]})).mark_rule(strokeDash=[4, 4]).encode(x="x:Q")
    return (points + bars + labels + across + down).properties(width=480, height=300)


def visit_timeline(touches: pd.DataFrame, lang: Lang) -> alt.Chart:
    """One visit's touches in journey order with their e; the peak and the end are marked."""
    df = touches.reset_index(drop=True)
    df = df.assign(
        step=df.index + 1,
        label=df[f"moment_{lang}"],
        mark=[
            " / ".join(w(k, lang) for k, on in (("peak", p), ("end", en)) if on)
            for p, en in zip(df.get("is_peak", False), df.get("is_end", False), strict=True)
        ],
    )
    base = alt.Chart(df).encode(
        x=alt.X("step:O", title=w("step", lang)),
        y=alt.Y("e:Q", title=w("e", lang), scale=alt.Scale(domain=[-1, 1])),
        tooltip=["step", "label", alt.Tooltip("e:Q", format=".2f"), "mark"],
    )
    line = base.mark_line(color="#888")
    dots = base.mark_circle(size=160).encode(
        color=alt.Color("e:Q", scale=alt.Scale(scheme="redblue", domain=[-1, 1]), legend=None)
    )
    text = base.mark_text(dy=-16).encode(text="label:N")
    marks = base.transform_filter("datum.mark != ''").mark_text(dy=18, fontWeight="bold").encode(text="mark:N")
    return (line + dots + text + marks).properties(width=620, height=260)


def distribution(df: pd.DataFrame, lang: Lang) -> alt.Chart:
    """How experience values at one moment are spread (touches per bin of e)."""
    return (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("bin:O", title=w("e", lang)),
            y=alt.Y("touches:Q", title=w("touches_axis", lang)),
            color=alt.Color("bin:Q", scale=alt.Scale(scheme="redblue", domain=[-1, 1]), legend=None),
            tooltip=["bin", "touches"],
        )
        .properties(width=480, height=220)
    )


def whatif_waits(hours: pd.DataFrame, lang: Lang) -> alt.Chart:
    """Mean wait per hour: the day as it happened, the fitted model now and the changed hall (± 95% CI)."""
    names = {k: w(f"series_{k}", lang) for k in ("today", "now", "whatif")}
    df = hours.assign(label=hours.series.map(names), lo=hours.wait - hours.wait_ci.fillna(0),
                      hi=hours.wait + hours.wait_ci.fillna(0))
    colour = alt.Color("label:N", title=w("series", lang), sort=list(names.values()),
                       scale=alt.Scale(range=["#999999", "#2166ac", "#b2182b"]))
    hour = alt.X("hour:O", title=w("hour", lang), axis=alt.Axis(labelExpr="datum.value + ':00'"))
    base = alt.Chart(df).encode(x=hour, color=colour)
    lines = base.mark_line(point=True).encode(
        y=alt.Y("wait:Q", title=w("mean_wait", lang)),
        tooltip=["label", "hour", alt.Tooltip("wait:Q", format=".1f"), alt.Tooltip("visits:Q", format=".0f")])
    bands = base.mark_errorbar().encode(y=alt.Y("lo:Q", title=w("mean_wait", lang)), y2="hi:Q")
    return (bands + lines).properties(width=560, height=260)


def _finite(value: Any) -> Any:
    """`value` with every NaN or infinity made null (JSON has neither; a browser refuses the whole spec)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def script_json(chart: alt.TopLevelMixin) -> str:
    """A chart's Vega-Lite spec as JSON safe inside a <script> element: no `<` at all, so no tag and no comment;
    missing numbers as null."""
    return json.dumps(_finite(chart.to_dict()), ensure_ascii=False, allow_nan=False).replace("<", "\\u003c")
