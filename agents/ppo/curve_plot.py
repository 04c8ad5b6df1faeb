"""The training curve of a PPO run (curve.jsonl) as a PNG, written beside the final policy."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def plot_maze_curve(curve_jsonl: str | Path, out: str | Path) -> Path:
    rows = [json.loads(line) for line in Path(curve_jsonl).read_text().splitlines() if line.strip()]
    steps = [r["timesteps"] for r in rows]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.5))
    ax1.plot(steps, [r["cheese_rate"] for r in rows], label="cheese reached")
    ax1.plot(steps, [r["corner_first_rate"] for r in rows], label="corner first (gamed)")
    ax1.set_xlabel("environment steps")
    ax1.set_ylim(0, 1)
    ax1.legend()
    ax2.plot(steps, [r["mean_steps"] for r in rows])
    ax2.set_xlabel("environment steps")
    ax2.set_ylabel("mean episode length")
    fig.tight_layout()
    out = Path(out)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
