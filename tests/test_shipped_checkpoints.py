"""The shipped maze checkpoints load without SB3 and `specgym eval maze` reproduces their numbers.

Each `checkpoints/maze/*/eval_*.json` was written by `specgym eval maze --json`; rerunning the same
evaluation from the shipped `policy.pt` must land inside the stored 95% intervals (bit-identical on
the machine that wrote them; a different CPU may round convolutions differently and flip a rare
sampled action, hence intervals rather than equality).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from specgym.agents import load_policy
from specgym.analysis.maze_report import evaluate_maze

ROOT = Path(__file__).resolve().parents[1]
REPORTS = sorted((ROOT / "checkpoints" / "maze").glob("*/eval_*.json"))


def test_every_shipped_checkpoint_is_small_and_complete():
    folders = sorted({p.parent for p in (ROOT / "checkpoints" / "maze").glob("*/policy.pt")})
    assert {f.name for f in folders} >= {"region5"}
    for folder in folders:
        assert (folder / "policy.pt").stat().st_size <= 20_000_000
        for name in ("policy.json", "config.yaml", "curve.png"):
            assert (folder / name).exists(), folder / name
        policy, meta = load_policy(folder)
        assert meta["timesteps"] > 0 and policy.config.input == "grid"


@pytest.mark.slow
@pytest.mark.parametrize("report_path", REPORTS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_eval_reproduces_the_shipped_numbers(report_path):
    stored = json.loads(report_path.read_text())
    policy, _ = load_policy(report_path.parent)
    episodes = stored["episodes"]
    decision = stored.get("decision_square")
    report = evaluate_maze(
        policy, stored["difficulty"], episodes["cheese_region"], episodes["p_cheese"]["n"],
        decision["mazes"] if decision else 0, seed=stored.get("seed", 10_000), env=stored["env"],
    )
    pairs = [("episodes", "p_cheese"), ("episodes", "p_corner_first")]
    if decision:
        pairs += [("decision_square", "p_cheese"), ("decision_square", "p_corner")]
    for section, key in pairs:
        low, high = stored[section][key]["ci95"]
        assert low <= report[section][key]["rate"] <= high, (section, key, report[section][key])
