"""The touchpoint map (触点地图): the hall's floor as the blueprint lays it out, each zone coloured by what customers
felt there (mean e of its moments' touches: red bad, blue good) and edged in red as thick as its share of the
visits' negative peaks (from 5%), the
seven flow-lines drawn through the zones in journey order, and today's live alerts pinned where they happened.

Drawn as SVG on the server (no script: it shows under the pages' Content-Security-Policy and in the report).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import pandas as pd

from peakend.blueprint.model import FLOOR_H, FLOOR_W, Blueprint
from peakend.store.db import Store

SCALE = 9  # pixels per floor unit
ROUTE_COLOURS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"]
LEGEND_H = 22  # pixels per legend line


@dataclass(frozen=True)
class ZoneFigures:
    """What customers felt in one zone."""

    touches: int
    mean_e: float
    negative_peak_share: float


def zone_figures(store: Store, bp: Blueprint, hall: str) -> dict[str, ZoneFigures]:
    """Per zone of `hall`: touches, mean e and negative-peak share, weighted by each moment's touches."""
    m = store.query("SELECT moment_id, touches, mean_e, negative_peak_share FROM moment_scores WHERE hall_id = ?",
                    [hall])
    zone_of = {mo.id: mo.zone for mo in bp.moments}
    m = m.assign(zone=m["moment_id"].map(zone_of)).dropna(subset=["zone", "mean_e"])
    out = {}
    for zone, g in m.groupby("zone"):
        n = g["touches"].sum()
        if n > 0:
            out[str(zone)] = ZoneFigures(int(n), float((g["mean_e"] * g["touches"]).sum() / n),
                                         float((g["negative_peak_share"].fillna(0) * g["touches"]).sum() / n))
    return out


def alerts_by_zone(bp: Blueprint, alerts: pd.DataFrame) -> dict[str, int]:
    """How many of `alerts` (with moment_id) happened in each zone."""
    zone_of = {mo.id: mo.zone for mo in bp.moments}
    zones = alerts["moment_id"].map(zone_of).dropna() if len(alerts) else pd.Series(dtype=str)
    return {str(z): int(n) for z, n in zones.value_counts().items()}


def colour(e: float) -> str:
    """e in [−1, 1] as a colour: red below 0, white at 0, blue above (full at ±0.6)."""
    t = max(-1.0, min(1.0, e / 0.6))
    end = (178, 24, 43) if t < 0 else (33, 102, 172)
    mix = [round(255 + (c - 255) * abs(t)) for c in end]
    return "#{:02x}{:02x}{:02x}".format(*mix)


def _centre(bp: Blueprint, zone: str) -> tuple[float, float] | None:
    """Where flow-lines meet in a zone: its middle, below its labels."""
    a = bp.layout.get(zone)
    return None if a is None else ((a.x + a.w / 2) * SCALE, (a.y + a.h * 0.6) * SCALE + 12)


def _fit(text: str, width: float, size: int) -> str:
    """`text` cut (with …) to about `width` pixels at font `size` (a CJK character ~1 em, others ~0.55 em)."""
    used, out = 0.0, ""
    for ch in text:
        used += size * (1.0 if ord(ch) > 0x2E80 else 0.55)
        if used > width - size:
            return out + "…"
        out += ch
    return out


HALO = 'paint-order="stroke" stroke="#fff" stroke-width="3" stroke-linejoin="round"'


def _zones(bp: Blueprint, figures: dict[str, ZoneFigures], lang: str) -> tuple[list[str], list[str]]:
    """Each laid-out zone's rectangle, and its labels (drawn above the flow-lines)."""
    names = {z.id: getattr(z, lang) for z in bp.zones}
    boxes, labels = [], []
    for zone, a in bp.layout.items():
        f = figures.get(zone)
        fill = colour(f.mean_e) if f else "#eeeeee"
        x, y, w, h = a.x * SCALE, a.y * SCALE, a.w * SCALE, a.h * SCALE
        name = names.get(zone, zone)
        figure = (f"e {f.mean_e:+.2f} · {'负峰' if lang == 'zh' else 'neg. peak'} {f.negative_peak_share:.0%}"
                  if f else ("无数据" if lang == "zh" else "no data"))
        edge = (f'stroke="#b2182b" stroke-width="{1 + 8 * f.negative_peak_share:.1f}"'
                if f and f.negative_peak_share >= 0.05 else 'stroke="#555"')
        boxes.append(f'<g class="zone" data-zone="{escape(zone)}"><rect x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" '
                     f'height="{h:.0f}" rx="6" fill="{fill}" {edge}/>'
                     f'<title>{escape(name)}: {escape(figure)}</title></g>')
        labels.append(f'<text x="{x + 6:.0f}" y="{y + 16:.0f}" font-size="13" font-weight="bold" {HALO}>'
                      f'{escape(_fit(name, w, 13))}</text><text x="{x + 6:.0f}" y="{y + 32:.0f}" font-size="12" '
                      f'{HALO}>{escape(_fit(figure, w, 12))}</text>')
    return boxes, labels


def _routes(bp: Blueprint, lang: str) -> tuple[list[str], list[str]]:
    zone_of = {mo.id: mo.zone for mo in bp.moments}
    lines, legend = [], []
    for i, r in enumerate(bp.routes):
        path: list[str] = []
        for mid in r.moments:
            z = zone_of.get(mid)
            if z and (not path or path[-1] != z) and z in bp.layout:
                path.append(z)
        offset = (i - len(bp.routes) / 2) * 5
        points = [c for z in path if (c := _centre(bp, z))]
        if len(points) < 2:
            continue
        tint = ROUTE_COLOURS[i % len(ROUTE_COLOURS)]
        coords = " ".join(f"{x + offset:.0f},{y + offset:.0f}" for x, y in points)
        lines.append(f'<polyline class="route" data-route="{escape(r.id)}" points="{coords}" fill="none" '
                     f'stroke="{tint}" stroke-width="2.5" stroke-opacity="0.85" marker-end="url(#arrow-{i})"/>'
                     f'<marker id="arrow-{i}" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="5" markerHeight="5" '
                     f'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="{tint}"/></marker>')
        legend.append((tint, getattr(r, lang)))
    rows = [f'<g transform="translate({FLOOR_W * SCALE + 16},{20 + k * LEGEND_H})"><line x1="0" y1="-4" x2="22" '
            f'y2="-4" stroke="{t}" stroke-width="3"/><text x="28" y="0" font-size="12">{escape(n)}</text></g>'
            for k, (t, n) in enumerate(legend)]
    return lines, rows


def _pins(bp: Blueprint, alerts: dict[str, int], lang: str) -> list[str]:
    out = []
    for zone, n in alerts.items():
        a = bp.layout.get(zone)
        if a is None:
            continue
        x, y = (a.x + a.w) * SCALE - 14, a.y * SCALE + 14
        word = "今日提醒" if lang == "zh" else "alerts today"
        out.append(f'<g class="pin" data-zone="{escape(zone)}"><circle cx="{x:.0f}" cy="{y:.0f}" r="11" '
                   f'fill="#b2182b" stroke="#fff" stroke-width="2"/><text x="{x:.0f}" y="{y + 4:.0f}" '
                   f'font-size="12" fill="#fff" text-anchor="middle">{n}</text><title>{n} {word}</title></g>')
    return out


def floor_svg(bp: Blueprint, figures: dict[str, ZoneFigures], alerts: dict[str, int], lang: str) -> str:
    """The touchpoint map as an SVG element ('' when the blueprint lays out no zone)."""
    if not bp.layout:
        return ""
    lines, legend = _routes(bp, lang)
    boxes, labels = _zones(bp, figures, lang)
    width, height = FLOOR_W * SCALE + 260, max(FLOOR_H * SCALE, 40 + LEGEND_H * len(legend))
    title = "触点地图" if lang == "zh" else "Touchpoint map"
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="floor" viewBox="0 0 {width} {height}" '
            f'width="100%" role="img" aria-label="{title}" font-family="system-ui, sans-serif">'
            f'<rect x="0" y="0" width="{FLOOR_W * SCALE}" height="{FLOOR_H * SCALE}" fill="#fafafa" stroke="#999"/>'
            + "".join(boxes) + "".join(lines) + "".join(labels) + "".join(_pins(bp, alerts, lang))
            + "".join(legend) + "</svg>")
