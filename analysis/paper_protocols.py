"""The original work's protocols on one policy, each written to its own JSON as it finishes.

Parts (each skipped when its JSON exists, so an interrupted run resumes):
- `start`: rollouts from the start square on the decision-square set (P(cheese), P(corner
  first), P(time-out); paper: 69.1% cheese) and the behavioural regression on their outcome
  (held-out accuracy vs base rate, coefficient signs; paper: 84.1% vs 71.4% on 5,239 mazes);
- `vectors`: cheese and top-right vectors, as medians over mazes of P(step towards the cheese |
  decision square) with and without (paper: 0.81 -> 0.03 for the cheese vector);
- `retarget`: top-k clamps of the goal-channel ranking against every other channel
  (k = 1) or random k-sets, maze-clustered bootstrap intervals.

>>> run_protocols(policy, "easy", Path("runs/paper/region5"))
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from specgym.analysis.behaviour_stats import behaviour_statistics
from specgym.analysis.retarget import retarget_experiment
from specgym.analysis.steering import steering_experiment

PARTS = ("start", "vectors", "retarget")
SIZES = {"start": 5000, "vectors": 2000, "retarget": 250}


def goal_ranking(policy, difficulty: str, layer: str, env: str, mazes: int = 40, seed: int = 2024):
    """The layer's channels ranked by how well they track the cheese (cheese sweep)."""
    from specgym.analysis.goal_channels import find_goal_channels
    from specgym.analysis.maze_datasets import cheese_sweep, sample_mazes

    sweep = cheese_sweep(sample_mazes(mazes, difficulty, seed, min_size=9))
    report = find_goal_channels(policy, sweep.states, sweep.cheese, layer, sweep.maze_id, env, seed=seed)
    return report["order"], report["top"]


def run_part(part: str, policy, difficulty: str, layer: str, env: str, size: int, seed: int) -> dict:
    if part == "start":
        return behaviour_statistics(policy, difficulty, env, mazes=size, max_steps=500, seed=seed)
    if part == "vectors":
        return steering_experiment(policy, layer, difficulty, env, mazes=size, coefficient=-1.0,
                                   max_steps=100, seed=seed)
    if part == "retarget":
        order, top = goal_ranking(policy, difficulty, layer, env)
        report = retarget_experiment(policy, layer, order, difficulty, env, mazes=size, seed=seed)
        report["discovered_top"] = top
        return report
    raise ValueError(f"part: expected one of {PARTS}, got {part!r}")


def run_protocols(policy, difficulty: str, out: Path, layer: str = "embedder.block1.res2.resadd_out",
                  env: str = "native", parts=PARTS, sizes: dict | None = None, seed: int = 2024,
                  log=print) -> dict[str, Path]:
    """Run the missing parts; returns {part: JSON path}."""
    sizes = {**SIZES, **(sizes or {})}
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for part in parts:
        path = out / f"{part}.json"
        if path.exists():
            log(f"{part}: {path} exists, skipped")
        else:
            start = time.time()
            report = run_part(part, policy, difficulty, layer, env, sizes[part], seed)
            report["wall_s"] = round(time.time() - start, 1)
            path.write_text(json.dumps(report, indent=2, default=float))
            log(f"{part}: {sizes[part]} mazes in {report['wall_s']} s -> {path}")
        written[part] = path
    return written


__all__ = ["PARTS", "SIZES", "goal_ranking", "run_part", "run_protocols"]
