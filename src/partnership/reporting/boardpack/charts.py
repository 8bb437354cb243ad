"""The board pack's charts, drawn as SVG by this code (no JavaScript, no screenshots).

Each function returns a complete ``<svg>`` element as :class:`markupsafe.Markup`; every
piece of text in it is escaped here, so the template can place it as it is. The charts
print sharp at any size and WeasyPrint draws them into the PDF as vectors.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from markupsafe import Markup, escape

#: colours per public status and per indicator status (also used by the stylesheet)
COLOURS = {
    "on track": "#1a7f37", "on-track": "#1a7f37",
    "at risk": "#b35900", "at-risk": "#b35900",
    "off track": "#c62828", "off-track": "#c62828",
    "needs a rethink": "#6a1b9a",
    "not measured": "#6b7280", "": "#6b7280",
}
#: the most points drawn per line (a long weekly series is thinned evenly, ends kept)
MAX_POINTS = 400


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _label(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}" if value != int(value) else f"{int(value)}"


def _thin(points: Sequence[tuple[dt.date, float]]) -> list[tuple[dt.date, float]]:
    if len(points) <= MAX_POINTS:
        return list(points)
    step = (len(points) - 1) / (MAX_POINTS - 1)
    return [points[round(i * step)] for i in range(MAX_POINTS)]


def indicator_chart(ind: dict[str, Any], *, width: int = 420, height: int = 170) -> Markup:
    """The curve of one indicator: its figures, the straight path from baseline to target
    (dashed), the target (a ring on its date) and the latest figure, labelled."""
    title = str(ind.get("title") or ind["indicator"])
    unit = str(ind.get("unit") or "")
    obs = [(dt.date.fromisoformat(o["date"]), float(o["value"])) for o in ind.get("observations", [])]
    baseline = (dt.date.fromisoformat(ind["baseline_date"]), float(ind["baseline"]))
    target = (dt.date.fromisoformat(ind["target_date"]), float(ind["target"]))
    colour = COLOURS.get(str(ind.get("status") or ""), COLOURS[""])
    left, right, top, bottom = 48, 14, 12, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    dates = [baseline[0], target[0], *(d for d, _ in obs)]
    values = [baseline[1], target[1], *(v for _, v in obs)]
    d0, d1 = min(dates).toordinal(), max(dates).toordinal()
    v0, v1 = min(values), max(values)
    if v1 == v0:
        v0, v1 = v0 - 1, v1 + 1
    pad = (v1 - v0) * 0.08
    v0, v1 = v0 - pad, v1 + pad
    span = max(d1 - d0, 1)

    def x(d: dt.date) -> float:
        return left + (d.toordinal() - d0) / span * plot_w

    def y(v: float) -> float:
        return top + (v1 - v) / (v1 - v0) * plot_h

    label = f"{title}: {len(obs)} figure{'s' if len(obs) != 1 else ''}, baseline {_label(baseline[1])}, " \
            f"target {_label(target[1])} {unit} by {target[0].isoformat()}"
    parts = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" role="img" aria-label="{escape(label)}">',
             f"<title>{escape(label)}</title>",
             f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fafafa" '
             f'stroke="#d0d0d0"/>']
    # value gridlines: bottom, middle, top
    for v in (v0 + pad, (v0 + v1) / 2, v1 - pad):
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{_num(y(v))}" y2="{_num(y(v))}" '
                     f'stroke="#e3e3e3"/>')
        parts.append(f'<text x="{left - 6}" y="{_num(y(v) + 4)}" text-anchor="end" font-size="11" '
                     f'fill="#555">{escape(_label(v))}</text>')
    # date labels: first and last date, and each new year between
    years = sorted({d.year for d in dates})
    ticks = [min(dates)] + [dt.date(yr, 1, 1) for yr in years[1:]] + [max(dates)]
    shown: list[float] = []
    for d in ticks:
        if any(abs(x(d) - s) < 60 for s in shown):
            continue
        shown.append(x(d))
        text = d.isoformat() if d in (min(dates), max(dates)) else str(d.year)
        anchor = "start" if d == min(dates) else ("end" if d == max(dates) else "middle")
        parts.append(f'<text x="{_num(x(d))}" y="{height - 10}" text-anchor="{anchor}" font-size="11" '
                     f'fill="#555">{escape(text)}</text>')
    # the path to the target: baseline to target, dashed
    parts.append(f'<line class="path-to-target" x1="{_num(x(baseline[0]))}" y1="{_num(y(baseline[1]))}" '
                 f'x2="{_num(x(target[0]))}" y2="{_num(y(target[1]))}" stroke="#888" '
                 f'stroke-dasharray="5 4"/>')
    parts.append(f'<circle class="target" cx="{_num(x(target[0]))}" cy="{_num(y(target[1]))}" r="5" '
                 f'fill="#fff" stroke="#333" stroke-width="2"><title>target {escape(_label(target[1]))} '
                 f'{escape(unit)} by {target[0].isoformat()}</title></circle>')
    if obs:
        drawn = _thin(obs)
        points = " ".join(f"{_num(x(d))},{_num(y(v))}" for d, v in drawn)
        parts.append(f'<polyline class="figures" points="{points}" fill="none" stroke="{colour}" '
                     f'stroke-width="2.5" stroke-linejoin="round"/>')
        last_d, last_v = obs[-1]
        parts.append(f'<circle cx="{_num(x(last_d))}" cy="{_num(y(last_v))}" r="4" fill="{colour}"/>')
        anchor = "end" if x(last_d) > left + plot_w * 0.8 else "start"
        dx = -8 if anchor == "end" else 8
        parts.append(f'<text x="{_num(x(last_d) + dx)}" y="{_num(y(last_v) - 8)}" text-anchor="{anchor}" '
                     f'font-size="12" font-weight="bold" fill="{colour}">'
                     f'{escape(_label(last_v))} {escape(unit)}</text>')
    else:
        parts.append(f'<text x="{left + plot_w / 2}" y="{top + plot_h / 2}" text-anchor="middle" '
                     f'font-size="13" fill="#555">no figures yet</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def status_bar(counts: dict[str, int], order: Sequence[str], *, width: int = 640, height: int = 26) -> Markup:
    """One bar split by how many outcomes have each public status."""
    total = sum(counts.values())
    label = ", ".join(f"{counts.get(w, 0)} {w}" for w in order)
    # a legend line under the bar: on paper a segment too narrow for its words has no
    # tooltip, so every status present is named there with its count and colour
    legend = [w for w in order if counts.get(w, 0)]
    full = height + (22 if legend else 0)
    parts = [f'<svg class="status-bar" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {full}" '
             f'width="{width}" height="{full}" role="img" aria-label="{escape(label)}">',
             f"<title>{escape(label)}</title>"]
    step = width / max(len(legend), 1)
    for i, word in enumerate(legend):
        x = i * step
        parts.append(f'<rect x="{_num(x)}" y="{height + 8}" width="11" height="11" '
                     f'fill="{COLOURS.get(word, "#999")}"/>'
                     f'<text x="{_num(x + 15)}" y="{height + 18}" font-size="12" fill="#1b1b1b">'
                     f'{escape(f"{counts[word]} {word}")}</text>')
    at = 0.0
    for word in order:
        n = counts.get(word, 0)
        if not n or not total:
            continue
        w = n / total * width
        parts.append(f'<rect x="{_num(at)}" y="0" width="{_num(w)}" height="{height}" '
                     f'fill="{COLOURS.get(word, "#999")}"><title>{n} {escape(word)}</title></rect>')
        text = f"{n} {word}" if w > 9 * len(f"{n} {word}") else (str(n) if w > 18 else "")
        if text:
            parts.append(f'<text x="{_num(at + w / 2)}" y="{height / 2 + 5}" text-anchor="middle" '
                         f'font-size="13" font-weight="bold" fill="#fff">{escape(text)}</text>')
        at += w
    parts.append("</svg>")
    return Markup("".join(parts))


def ledger_chart(rows: Sequence[dict[str, Any]], *, width: int = 640, bar: int = 18) -> Markup:
    """Per partner, a bar of its promises: kept, kept late, open, overdue, withdrawn."""
    parts_of = [("kept", "#1a7f37"), ("kept_late", "#7cb342"), ("open", "#9e9e9e"),
                ("overdue", "#c62828"), ("withdrawn", "#6a1b9a")]
    shown = [r for r in rows if r.get("made")]
    most = max((r["made"] for r in shown), default=1)
    label_w, gap = 250, 6
    height = max(len(shown), 1) * (bar + gap) + 24
    parts = [f'<svg class="ledger-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" role="img" aria-label="Promises per partner">',
             "<title>Promises per partner: kept, kept late, open, overdue, withdrawn</title>"]
    for n, r in enumerate(shown):
        top = n * (bar + gap)
        name = str(r.get("partner_name") or r["partner"])
        parts.append(f'<text x="{label_w - 8}" y="{top + bar - 5}" text-anchor="end" font-size="12">'
                     f'{escape(name if len(name) <= 38 else name[:37] + chr(0x2026))}</text>')
        at = float(label_w)
        for key, colour in parts_of:
            k = int(r.get(key) or 0)
            if not k:
                continue
            w = k / most * (width - label_w - 10)
            parts.append(f'<rect x="{_num(at)}" y="{top}" width="{_num(w)}" height="{bar}" fill="{colour}">'
                         f'<title>{k} {key.replace("_", " ")}</title></rect>')
            at += w
    legend_y = height - 6
    at = float(label_w)
    for key, colour in parts_of:
        parts.append(f'<rect x="{_num(at)}" y="{legend_y - 10}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{_num(at + 14)}" y="{legend_y}" font-size="11">'
                     f'{key.replace("_", " ")}</text>')
        at += 80
    parts.append("</svg>")
    return Markup("".join(parts))
