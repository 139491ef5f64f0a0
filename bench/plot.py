#!/usr/bin/env python3
"""Render the scaling JSON (bench/scaling, Econtext.Bench --scaling-only) as an SVG and a Markdown table.

usage: bench/plot.py SCALING.json [OUT.svg]
Three panels against N (log x): wall time until every context answered (dashed: all connected),
the master's CPU time, the master's RSS with all connected (dashed: peak). One colour per kind.
The SVG is written by hand (no matplotlib). The table goes to stdout, with per-context costs.
"""
import json
import math
import sys

COLORS = {"local": "#1f77b4", "ssh": "#d62728", "tree": "#2ca02c", "ssh-tree": "#9467bd"}
KINDS = ["local", "ssh", "tree", "ssh-tree"]


def rows_of(data):
    return {k: [r for r in data[k] if "error" not in r or "connect_all_ms" in r] for k in KINDS if k in data}


def nice_max(v):
    if v <= 0:
        return 1
    e = 10 ** math.floor(math.log10(v))
    for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if v <= m * e:
            return m * e
    return 10 * e


def esc(s):
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def panel(x0, y0, w, h, title, ylabel, series, ns, out):
    """series: list of (kind, [(n, y)], dashed)."""
    ymax = nice_max(max([y for _, pts, _ in series for _, y in pts] + [0]))
    lo, hi = math.log10(min(ns)), math.log10(max(ns))
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    pad = 0.05 * (hi - lo)
    lo, hi = lo - pad, hi + pad

    def px(n):
        return x0 + (math.log10(n) - lo) / (hi - lo) * w

    def py(y):
        return y0 + h - y / ymax * h

    out.append(f'<text x="{x0 + w / 2}" y="{y0 - 12}" text-anchor="middle" font-size="12" font-weight="bold">{esc(title)}</text>')
    out.append(f'<rect x="{x0}" y="{y0}" width="{w}" height="{h}" fill="none" stroke="#333"/>')
    for i in range(6):
        y = ymax * i / 5
        yy = py(y)
        out.append(f'<line x1="{x0}" y1="{yy:.1f}" x2="{x0 + w}" y2="{yy:.1f}" stroke="#ddd"/>')
        label = f"{y:g}" if y < 1000 else f"{y:.0f}"
        out.append(f'<text x="{x0 - 6}" y="{yy + 4:.1f}" text-anchor="end" font-size="11">{label}</text>')
    for n in ns:
        xx = px(n)
        out.append(f'<line x1="{xx:.1f}" y1="{y0}" x2="{xx:.1f}" y2="{y0 + h}" stroke="#eee"/>')
        out.append(f'<text x="{xx:.1f}" y="{y0 + h + 16}" text-anchor="middle" font-size="11">{n}</text>')
    out.append(f'<text x="{x0 + w / 2}" y="{y0 + h + 34}" text-anchor="middle" font-size="12">contexts N (log scale)</text>')
    out.append(f'<text x="{x0 - 44}" y="{y0 + h / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 {x0 - 44} {y0 + h / 2})">{esc(ylabel)}</text>')
    for kind, pts, dashed in series:
        if not pts:
            continue
        c = COLORS.get(kind, "#000")
        d = " ".join(f"{px(n):.1f},{py(y):.1f}" for n, y in pts)
        dash = ' stroke-dasharray="5,4"' if dashed else ""
        out.append(f'<polyline points="{d}" fill="none" stroke="{c}" stroke-width="2"{dash}/>')
        if not dashed:
            for n, y in pts:
                out.append(f'<circle cx="{px(n):.1f}" cy="{py(y):.1f}" r="3" fill="{c}"/>')


def svg(data, path):
    rows = rows_of(data)
    ns = sorted({r["contexts"] for rs in rows.values() for r in rs})
    W, H = 1200, 470
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{W / 2}" y="22" text-anchor="middle" font-size="15">Econtext master cost against the number of contexts '
           f'({esc(data.get("machine", ""))}, {esc(data.get("date", ""))}, at most {data.get("parallel_starts")} starts in flight)</text>']
    pw, ph, top = 300, 300, 70
    xs = [80, 480, 880]
    ok = {k: [r for r in rs if "connect_all_ms" in r] for k, rs in rows.items()}
    panel(xs[0], top, pw, ph, "wall time: all answered (dashed: connected)", "seconds",
          [(k, [(r["contexts"], r["answered_all_ms"] / 1000) for r in rs], False) for k, rs in ok.items()]
          + [(k, [(r["contexts"], r["connect_all_ms"] / 1000) for r in rs], True) for k, rs in ok.items()], ns, out)
    panel(xs[1], top, pw, ph, "master CPU time (starts + 2 rounds)", "seconds",
          [(k, [(r["contexts"], r["master_cpu_ms"] / 1000) for r in rs], False) for k, rs in ok.items()], ns, out)
    panel(xs[2], top, pw, ph, "master RSS, all connected (dashed: peak)", "MiB",
          [(k, [(r["contexts"], r["master_rss_all_kib"] / 1024) for r in rs], False) for k, rs in ok.items()]
          + [(k, [(r["contexts"], r["master_peak_rss_kib"] / 1024) for r in rs], True) for k, rs in ok.items()], ns, out)
    lx = 80
    for k in ok:
        out.append(f'<line x1="{lx}" y1="{H - 18}" x2="{lx + 24}" y2="{H - 18}" stroke="{COLORS.get(k, "#000")}" stroke-width="3"/>')
        out.append(f'<text x="{lx + 30}" y="{H - 14}" font-size="13">{esc(k)}</text>')
        lx += 110
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def table(data):
    rows = rows_of(data)
    lines = ["| kind | N | hops | failed | all connected (s) | all answered (s) | 2nd round (ms) | master CPU (ms) | CPU / context (ms) "
             "| master RSS all (MiB) | RSS growth / context (KiB) | peak RSS (MiB) | master threads |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for k, rs in rows.items():
        for r in rs:
            if "connect_all_ms" not in r:
                lines.append(f"| {k} | {r['contexts']} | | | error: {r.get('error')} | | | | | | | | |")
                continue
            n = r["contexts"]
            grow = (r["master_rss_all_kib"] - r["master_rss_before_kib"]) / n
            lines.append(f"| {k} | {n} | {r['hops']} | {r['failed']} | {r['connect_all_ms'] / 1000:.2f} | {r['answered_all_ms'] / 1000:.2f} "
                         f"| {r['second_round_ms']:.0f} | {r['master_cpu_ms']:.0f} | {r['master_cpu_ms'] / n:.1f} "
                         f"| {r['master_rss_all_kib'] / 1024:.1f} | {grow:.0f} | {r['master_peak_rss_kib'] / 1024:.1f} | {r['master_threads_all']} |")
    lines.append("")
    lines.append("Marginal cost between the smallest and the largest N (slope), per kind:")
    lines.append("")
    lines.append("| kind | N range | master CPU per context (ms) | master RSS per context (KiB) | wall per context to all answered (ms) | machine CPU per context (ms, all processes) |")
    lines.append("|---|---|---|---|---|---|")
    for k, rs in rows.items():
        rs = [r for r in rs if "connect_all_ms" in r]
        if len(rs) < 2:
            continue
        a, b = rs[0], rs[-1]
        dn = b["contexts"] - a["contexts"]
        if dn <= 0:
            continue
        lines.append(f"| {k} | {a['contexts']}–{b['contexts']} | {(b['master_cpu_ms'] - a['master_cpu_ms']) / dn:.1f} "
                     f"| {(b['master_rss_all_kib'] - a['master_rss_all_kib']) / dn:.0f} "
                     f"| {(b['answered_all_ms'] - a['answered_all_ms']) / dn:.0f} "
                     f"| {(b['machine_busy_cpu_ms'] - a['machine_busy_cpu_ms']) / dn:.0f} |")
    errors = [(k, r["contexts"], e) for k, rs in rows.items() for r in rs for e in r.get("errors", [])]
    if errors:
        lines.append("")
        lines.append("Errors:")
        lines.extend(f"- {k} N={n}: {e}" for k, n, e in errors)
    return "\n".join(lines)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        data = json.load(f)
    if "scaling" in data:
        data = data["scaling"]
    if len(sys.argv) > 2:
        svg(data, sys.argv[2])
        print(f"plot.py: wrote {sys.argv[2]}", file=sys.stderr)
    print(table(data))


if __name__ == "__main__":
    main()
