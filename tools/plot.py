#!/usr/bin/python3
"""tools/plot.py -- pictures of evsim's outputs (python3-matplotlib only).

  tools/plot.py sweep DIR/results.csv --out PLOTDIR
      pareto.png/.svg: latency vs energy of every point that ran, the
      Pareto front (no other point is both faster and cheaper) marked and
      its points labelled by their parameters; param_<key>.png/.svg: for
      each swept parameter, latency and energy against its values.
  tools/plot.py report REPORT.json --out PLOTDIR
      energy.png/.svg: the run's energy by component; utilisation.png/.svg:
      each core's busy share of the run.

Exit status: 0 written, 1 unreadable input, 2 usage error.
"""
import argparse
import csv
import json
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# Reproducible files: no date in the SVG / PNG metadata, fixed hash salt.
plt.rcParams["svg.hashsalt"] = "evsim"
META_SVG = {"Date": None}
META_PNG = {"Software": None}
LABEL_ALL_UP_TO = 16  # more points than this: only the front is labelled


DPI = [100]  # --dpi sets it (PNG only)


def save(fig, out, name):
    os.makedirs(out, exist_ok=True)
    fig.tight_layout()
    fig.savefig(os.path.join(out, name + ".png"), dpi=DPI[0], metadata=META_PNG)
    fig.savefig(os.path.join(out, name + ".svg"), metadata=META_SVG)
    plt.close(fig)
    return [name + ".png", name + ".svg"]


def read_sweep(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
        f.seek(0)
        header = next(csv.reader(f))
    if "point" not in header or "status" not in header:
        raise ValueError(f"{path}: not an evsim sweep's results.csv (no point/status columns)")
    params = header[1 : header.index("status")]
    ok = [r for r in rows if r["status"] == "ok" and r["latency_us"] and r["energy_uj"]]
    return params, rows, ok


def label(row, params):
    """the point's values, in parameter order: "4/8/1" """
    return "/".join(re.sub(r"\.ya?ml$", "", os.path.basename(row[p])) for p in params)


def legend_of(params):
    return "/".join(p.split(".")[-1] for p in params)


def pareto(points):
    """Indices of the points no other point beats on both axes (minimised)."""
    order = sorted(range(len(points)), key=lambda i: (points[i][0], points[i][1]))
    front, best = [], float("inf")
    for i in order:
        if points[i][1] < best:
            front.append(i)
            best = points[i][1]
    return front


def annotate_apart(ax, items):
    """Labels of points that nearly coincide on screen (two VC counts of
    one design) are stacked downwards instead of printed over each other."""
    ax.autoscale_view()
    placed = []  # (x px, y px) of the labels' anchors so far
    for (x, y), text, hot in items:
        px, py = ax.transData.transform((x, y))
        k = sum(1 for qx, qy in placed if abs(qx - px) < 80 and abs(qy - py) < 10)
        placed.append((px, py - 11 * k))
        ax.annotate(text, (x, y), textcoords="offset points", xytext=(4, 3 - 9 * k),
                    fontsize=7, color="tab:red" if hot else "0.35")


def plot_pareto(params, ok, out):
    xy = [(float(r["latency_us"]), float(r["energy_uj"])) for r in ok]
    front = pareto(xy)
    fig, ax = plt.subplots(figsize=(8, 5.5))
    ax.scatter([p[0] for p in xy], [p[1] for p in xy], s=18, color="0.6", label="points")
    fx = [xy[i][0] for i in front]
    fy = [xy[i][1] for i in front]
    ax.step(fx, fy, where="post", color="tab:red", linewidth=1)
    ax.scatter(fx, fy, s=36, color="tab:red", zorder=3, label=f"Pareto front ({len(front)})")
    # values over more than a decade: log axes, or the small ones merge
    if min(p[0] for p in xy) > 0 and max(p[0] for p in xy) > 10 * min(p[0] for p in xy):
        ax.set_xscale("log")
    if min(p[1] for p in xy) > 0 and max(p[1] for p in xy) > 10 * min(p[1] for p in xy):
        ax.set_yscale("log")
    labelled = range(len(ok)) if len(ok) <= LABEL_ALL_UP_TO else front
    annotate_apart(ax, [(xy[i], label(ok[i], params), i in front) for i in labelled])
    ax.set_xlabel("latency (us)")
    ax.set_ylabel("energy (uJ)")
    ax.set_title(f"{len(ok)} points: latency vs energy\nlabels: {legend_of(params)}", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return save(fig, out, "pareto")


def values_in_order(rows, p):
    seen = []
    for r in rows:
        if r[p] not in seen:
            seen.append(r[p])
    return seen


def plot_param(p, rows, ok, out):
    vals = values_in_order(rows, p)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.8))
    for ax, col, unit in ((axes[0], "latency_us", "latency (us)"), (axes[1], "energy_uj", "energy (uJ)")):
        xs = [vals.index(r[p]) for r in ok]
        ys = [float(r[col]) for r in ok]
        ax.scatter(xs, ys, s=14, color="tab:blue", alpha=0.6)
        best = [min((y for x, y in zip(xs, ys) if x == k), default=None) for k in range(len(vals))]
        bx = [k for k in range(len(vals)) if best[k] is not None]
        ax.plot(bx, [best[k] for k in bx], color="tab:red", marker="o", markersize=4, label="best")
        ax.set_xticks(range(len(vals)))
        ax.set_xticklabels(vals, rotation=30 if max(len(v) for v in vals) > 6 else 0, fontsize=8)
        ax.set_xlabel(p)
        ax.set_ylabel(unit)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"{p}: every point and the best per value", fontsize=10)
    return save(fig, out, "param_" + re.sub(r"[^A-Za-z0-9_]+", "_", p).strip("_"))


def cmd_sweep(a):
    params, rows, ok = read_sweep(a.input)
    if not ok:
        raise ValueError(f"{a.input}: no point ran to completion (status ok): nothing to plot")
    files = plot_pareto(params, ok, a.out)
    for p in params:
        files += plot_param(p, rows, ok, a.out)
    return files


def report_energy(d):
    e = d.get("energy_pj", {})
    parts = [(k, float(v)) for k, v in e.items() if k not in ("total", "mapper_top_level_not_added")]
    if not parts:
        raise ValueError("the report has no energy_pj components")
    return parts


def report_util(d):
    end = float(d.get("latency_ps") or d.get("end_ps") or 0)
    out = []
    for i, c in enumerate(d.get("cores", [])):
        u = c.get("utilisation")
        if u is None:
            u = float(c.get("busy_ps", 0)) / end if end else 0.0
        out.append((str(c.get("id", i)), float(u)))
    return out


def cmd_report(a):
    with open(a.input) as f:
        d = json.load(f)
    if not isinstance(d, dict) or "scenario" not in d:
        raise ValueError(f"{a.input}: not an evsim run report (no scenario key)")
    parts = report_energy(d)
    total = sum(v for _, v in parts)
    fig, ax = plt.subplots(figsize=(7, 4))
    bars = ax.bar([k for k, _ in parts], [v * 1e-6 for _, v in parts], color="tab:blue")
    for b, (_, v) in zip(bars, parts):
        ax.annotate(f"{100 * v / total:.1f}%" if total else "", (b.get_x() + b.get_width() / 2, b.get_height()),
                    ha="center", va="bottom", fontsize=8)
    ax.set_ylabel("energy (uJ)")
    ax.set_title(f"{d['scenario']}: energy by component, {total * 1e-6:.3f} uJ in all")
    ax.tick_params(axis="x", labelrotation=20, labelsize=8)
    ax.grid(True, axis="y", alpha=0.3)
    files = save(fig, a.out, "energy")
    util = report_util(d)
    fig, ax = plt.subplots(figsize=(max(4, 0.5 * len(util) + 2), 3.5))
    ax.bar([k for k, _ in util], [100 * u for _, u in util], color="tab:green")
    ax.set_ylim(0, 105)
    ax.set_xlabel("core")
    ax.set_ylabel("busy (% of the run)")
    ax.set_title(f"{d['scenario']}: per-core utilisation")
    ax.grid(True, axis="y", alpha=0.3)
    return files + save(fig, a.out, "utilisation")


def main(argv):
    ap = argparse.ArgumentParser(prog="tools/plot.py", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name, what in (("sweep", "a sweep's results.csv"), ("report", "a run's JSON report")):
        p = sub.add_parser(name, help=f"plot {what}")
        p.add_argument("input")
        p.add_argument("--out", required=True, help="folder for the PNG and SVG files")
        p.add_argument("--dpi", type=int, default=100, help="PNG resolution (default 100)")
    a = ap.parse_args(argv)
    DPI[0] = a.dpi
    try:
        files = cmd_sweep(a) if a.cmd == "sweep" else cmd_report(a)
    except (OSError, ValueError, KeyError, json.JSONDecodeError, csv.Error) as e:
        print(f"plot.py {a.cmd}: {e}", file=sys.stderr)
        return 1
    for f in files:
        print(os.path.join(a.out, f))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
