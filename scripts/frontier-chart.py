#!/usr/bin/env python3
"""Sparsity-vs-perplexity frontier chart for docs/results.md, from docs/results-frontier.csv (plain SVG, no deps).

    python3 scripts/frontier-chart.py docs/results-frontier.csv docs/frontier.svg
"""
import csv, sys
from collections import OrderedDict

src, dst = sys.argv[1], sys.argv[2]
series = OrderedDict()
for r in csv.DictReader(open(src, encoding="utf-8")):
    series.setdefault(r["series"], []).append((float(r["sparsity"]), float(r["perplexity"]), r["label"], r["source"]))
W, H, L, R, T, B = 960, 540, 80, 260, 50, 60
xs = [p[0] for s in series.values() for p in s]; ys = [p[1] for s in series.values() for p in s]
x0, x1 = min(xs + [85]) - 2, max(xs + [95]) + 2
y0, y1 = min(ys + [90]) - 5, max(ys) + 5
X = lambda v: L + (v - x0) / (x1 - x0) * (W - L - R)
Y = lambda v: H - B - (v - y0) / (y1 - y0) * (H - T - B)
colors = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000"]
o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
     f'<rect width="{W}" height="{H}" fill="white"/>',
     f'<text x="{W/2}" y="24" text-anchor="middle" font-size="16">tiny-llama, 1,200 steps × 8×256 tokens: sparsity vs perplexity</text>']
# the tiny-90 goal region: sparsity >= 90 and perplexity <= 95
o.append(f'<rect x="{X(90)}" y="{Y(min(95, y1))}" width="{X(x1)-X(90)}" height="{Y(y0)-Y(min(95, y1))}" fill="#009e73" opacity="0.08"/>')
o.append(f'<text x="{X(90)+4}" y="{Y(y0)-6}" fill="#009e73">goal: ≥ 90 %, PPL ≤ 95</text>')
for v in range(int(x0) + 1, int(x1) + 1):
    if v % 2 == 0:
        o.append(f'<line x1="{X(v)}" y1="{Y(y0)}" x2="{X(v)}" y2="{Y(y1)}" stroke="#ddd"/><text x="{X(v)}" y="{H-B+16}" text-anchor="middle">{v}</text>')
for v in range(int(y0) + 1, int(y1) + 1):
    if v % 10 == 0:
        o.append(f'<line x1="{X(x0)}" y1="{Y(v)}" x2="{X(x1)}" y2="{Y(v)}" stroke="#ddd"/><text x="{L-6}" y="{Y(v)+4}" text-anchor="end">{v}</text>')
o.append(f'<text x="{(L+W-R)/2}" y="{H-16}" text-anchor="middle">sparsity of x1 on the 64×256 evaluation windows (%)</text>')
o.append(f'<text x="18" y="{(T+H-B)/2}" transform="rotate(-90 18 {(T+H-B)/2})" text-anchor="middle">perplexity</text>')
for i, (name, pts) in enumerate(series.items()):
    c = colors[i % len(colors)]
    pts = sorted(pts)
    ours = any(p[3] != "reference" for p in pts)
    if len(pts) > 1:
        o.append('<polyline fill="none" stroke="%s" stroke-width="2" %s points="%s"/>' % (c, "" if ours else 'stroke-dasharray="6 4"',
                 " ".join(f"{X(p[0]):.1f},{Y(p[1]):.1f}" for p in pts)))
    for p in pts:
        shape = (f'<rect x="{X(p[0])-5}" y="{Y(p[1])-5}" width="10" height="10" fill="{c}"/>' if ours
                 else f'<circle cx="{X(p[0])}" cy="{Y(p[1])}" r="5" fill="{c}"/>')
        o.append(shape + f'<text x="{X(p[0])+7}" y="{Y(p[1])-7}" fill="{c}">{p[2]}</text>')
    ly = T + 20 + 22 * i
    o.append(f'<circle cx="{W-R+20}" cy="{ly-4}" r="5" fill="{c}"/><text x="{W-R+32}" y="{ly}">{name}</text>')
o.append(f'<text x="{W-R+20}" y="{T+20+22*len(series)+10}" fill="#555">circles: reference runs; squares: this repo</text>')
o.append("</svg>")
open(dst, "w", encoding="utf-8").write("\n".join(o) + "\n")
