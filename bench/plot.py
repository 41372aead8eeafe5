"""Plots the harness comparison (docs/bench/harness.json) into docs/img/: for each scenario, one
figure with wall time, peak memory and bytes sent per model request, BooCode highlighted.

    python3 bench/plot.py docs/bench/harness.json docs/img

scripts/bench-harness runs it with matplotlib from bench/requirements.txt.
"""

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PANELS = [
    ("wall_ms", "wall time, ms (log scale)", True),
    ("peak_rss_mib", "peak memory of the process tree, MiB (log scale)", True),
    ("answer_shown_ms", "model's last byte → answer shown, ms", False),
]
# Server mode: the wall time is for all sessions at once, and CPU replaces the last byte.
SERVER_PANELS = [
    ("wall_ms", "wall time for all sessions, ms (log scale)", True),
    ("peak_rss_mib", "peak memory of the server, MiB (log scale)", True),
    ("cpu_ms", "server CPU time, ms (log scale)", True),
]
OURS = "#d9480f"
# A long chat resumed: from starting the server to the answer.
RESUME_PANELS = [
    ("wall_ms", "server start → answer, ms (log scale)", True),
    ("peak_rss_mib", "peak memory of the server, MiB (log scale)", True),
    ("cpu_ms", "server CPU time, ms (log scale)", True),
]
# How the server scenarios name its two servers.
SERVER_NAMES = {"boocode": "boocode-server", "opencode": "opencode serve"}
THEIRS = "#868e96"


def median(figure):
    """A figure is [median, min, max] or a plain number."""
    return figure[0] if isinstance(figure, list) else figure


def plot_scenario(name, peers, out_dir, stamp):
    measured = {p: f for p, f in peers.items() if "error" not in f}
    if not measured:
        return []
    order = sorted(measured, key=lambda p: median(measured[p]["wall_ms"]))
    panels = {"sessions": SERVER_PANELS, "resume": RESUME_PANELS}.get(name, PANELS)
    fig, axes = plt.subplots(1, len(panels), figsize=(13, 0.45 * len(order) + 1.6))
    for ax, (key, title, log) in zip(axes, panels):
        values = [median(measured[p].get(key, 0)) for p in order]
        colors = [OURS if p == "boocode" else THEIRS for p in order]
        labels = [SERVER_NAMES.get(p, p) if name in ("sessions", "resume") else p for p in order]
        bars = ax.barh(labels, values, color=colors)
        ax.invert_yaxis()
        if log:
            ax.set_xscale("log")
        ax.set_title(title, fontsize=10)
        ax.bar_label(bars, labels=[f"{v:,.1f}" if v < 100 else f"{v:,.0f}" for v in values],
                     padding=3, fontsize=8)
        ax.margins(x=0.25)
        ax.tick_params(axis="y", labelsize=9)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    fig.suptitle(f"{name}: the same scripted model behind every harness ({stamp})", fontsize=11)
    fig.tight_layout()
    written = []
    for ext in ("png", "svg"):
        path = out_dir / f"harness-{name}.{ext}"
        fig.savefig(path, dpi=110)
        written.append(path)
    plt.close(fig)
    return written


def main():
    source, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
    stamp = sys.argv[3] if len(sys.argv) > 3 else "median of the runs"
    out_dir.mkdir(parents=True, exist_ok=True)
    figures = json.loads(source.read_text())
    for scenario, peers in figures.items():
        for path in plot_scenario(scenario, peers, out_dir, stamp):
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
