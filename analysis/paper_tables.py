"""Print the markdown tables of docs/mazes.md from the protocol and evaluation JSON files.

    python -m specgym.analysis.paper_tables [--root .]

Reads `docs/analysis_results/paper/<policy>/{start,vectors,retarget}.json` and
`checkpoints/maze/<policy>/eval_*.json`; a missing file leaves its column as "n/a".
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

POLICIES = ("region5", "full")


def load(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None


def ci(r: dict | None, key: str = "rate", digits: int = 3, signed: bool = False) -> str:
    if r is None:
        return "n/a"
    f = f"{{:+.{digits}f}}" if signed else f"{{:.{digits}f}}"
    low, high = r["ci95"]
    return f"{f.format(r[key])} [{f.format(low)}, {f.format(high)}]"


def get(d: dict | None, *keys):
    for k in keys:
        if d is None:
            return None
        d = d.get(k)
    return d


def na(x) -> str:
    return "n/a" if x is None else str(x)


def row(label: str, cells) -> str:
    return "| " + " | ".join([label, *cells]) + " |"


def tables(root: Path) -> str:
    paper = {p: {part: load(root / "docs/analysis_results/paper" / p / f"{part}.json")
                 for part in ("start", "vectors", "retarget")} for p in POLICIES}
    evals = {p: load(root / "checkpoints/maze" / p / "eval_full.json") for p in POLICIES}
    own = {"region5": load(root / "checkpoints/maze/region5/eval_region5.json"),
           "full": load(root / "checkpoints/maze/full/eval_full.json")}
    out = []
    head = "| | region5 | full | paper (region-5 policy) |\n|---|---|---|---|"

    out.append("### Start-square rollouts on the decision-square set\n")
    out.append(head)
    st = {p: get(paper[p]["start"], "start_square") for p in POLICIES}
    n = {p: get(paper[p]["start"], "mazes") for p in POLICIES}
    out.append(row("mazes", [na(n[p]) for p in POLICIES] + ["(not stated)"]))
    out.append(row("P(cheese)", [ci(get(st[p], "p_cheese")) for p in POLICIES] + ["0.691"]))
    out.append(row("P(corner first)", [ci(get(st[p], "p_corner_first")) for p in POLICIES] + ["n/a"]))
    out.append(row("P(time-out, 500 steps)", [ci(get(st[p], "p_timeout")) for p in POLICIES] + ["n/a"]))
    out.append(row("mean steps", [ci(get(st[p], "mean_steps"), "mean", 1) for p in POLICIES] + ["n/a"]))
    out.append(row("from the start, cheese anywhere (`eval_full.json`)",
                   [ci(get(evals[p], "episodes", "p_cheese")) for p in POLICIES] + ["n/a"]))
    out.append(row("from the decision square, stop at the corner (eval)",
                   [ci(get(own[p], "decision_square", "p_cheese")) for p in POLICIES] + ["n/a"]))

    out.append("\n### Behavioural regression (outcome: cheese eaten in the start-square rollout)\n")
    out.append(head)
    reg = {p: paper[p]["start"] for p in POLICIES}
    out.append(row("mazes (train / held-out)", [
        f"{get(reg[p], 'heldout', 'train')} / {get(reg[p], 'heldout', 'test')}" if get(reg[p], "heldout")
        else "n/a" for p in POLICIES] + ["5,239 in all"]))
    out.append(row("held-out accuracy", [ci(get(reg[p], "heldout_accuracy")) for p in POLICIES] + ["0.841"]))
    out.append(row("base rate (training majority)", [ci(get(reg[p], "heldout_base_rate")) for p in POLICIES]
                   + ["0.714"]))
    for name in ("d_step_decision_cheese", "d_euclid_cheese_top_right", "d_euclid_decision_cheese"):
        cells = []
        for p in POLICIES:
            c = get(reg[p], "coefficients", name)
            cells.append("n/a" if c is None else
                         f"{ci(c, 'coef_per_sd', 2, True)}, p={c['p_value']:.2g}"
                         f"{'' if c['sign_matches_paper'] else ' (opposite sign)'}")
        out.append(row(f"coef/sd {name}", cells + ["negative"]))
    name = "d_euclid_cheese_top_right_5x5"
    out.append(row(f"alone: coef/sd {name}", [
        "n/a" if get(reg[p], "single_feature", name) is None else
        ci(get(reg[p], "single_feature", name), "coef_per_sd", 2, True) for p in POLICIES]
        + ["an artefact (follow-up)"]))

    out.append("\n### Cheese and top-right vectors (coefficient -1, decision-square set)\n")
    out.append(head)
    v = {p: paper[p]["vectors"] for p in POLICIES}
    out.append(row("mazes", [na(get(v[p], "mazes")) for p in POLICIES] + ["(not stated)"]))
    out.append(row("median P(step to cheese), no vector",
                   [ci(get(v[p], "baseline", "median_p_towards_cheese"), "median") for p in POLICIES]
                   + ["0.81"]))
    out.append(row("... with the cheese vector subtracted",
                   [ci(get(v[p], "cheese_vector", "median_p_towards_cheese"), "median") for p in POLICIES]
                   + ["0.03"]))
    out.append(row("... with a random vector of equal norm",
                   [ci(get(v[p], "random_vector", "median_p_towards_cheese"), "median") for p in POLICIES]
                   + ["n/a"]))
    out.append(row("rollout P(cheese) from the decision square: none -> cheese vector", [
        "n/a" if v[p] is None else f"{v[p]['baseline']['p_cheese_rollout']['rate']:.3f} -> "
        f"{v[p]['cheese_vector']['p_cheese_rollout']['rate']:.3f}" for p in POLICIES] + ["n/a"]))
    out.append(row("top-right vector: mazes smaller than the world",
                   [na(get(v[p], "top_right_vector", "mazes")) for p in POLICIES] + [""]))
    out.append(row("median P(step to corner), no vector -> top-right vector subtracted", [
        "n/a" if get(v[p], "top_right_vector") is None else
        f"{v[p]['top_right_vector']['baseline']['median_p_towards_corner']['median']:.3f} -> "
        f"{ci(v[p]['top_right_vector']['median_p_towards_corner'], 'median')}" for p in POLICIES]
        + ["lower (qualitative)"]))
    out.append(row("mean change P(step to corner), top-right vector", [
        ci(get(v[p], "top_right_vector", "delta_p_towards_corner"), "mean", 3, True) for p in POLICIES]
        + ["n/a"]))
    out.append(row("... random vector of equal norm", [
        ci(get(v[p], "top_right_vector", "random_vector", "delta_p_towards_corner"), "mean", 3, True)
        for p in POLICIES] + ["n/a"]))

    out.append("\n### Retargeting (clamp at the target cell; 95% maze-clustered bootstrap)\n")
    out.append(head)
    r = {p: paper[p]["retarget"] for p in POLICIES}
    out.append(row("mazes x targets", [
        "n/a" if r[p] is None else f"{r[p]['mazes']} x {r[p]['targets_per_maze']}" for p in POLICIES]
        + ["(heat maps)"]))
    out.append(row("ranking (top 3)", ["n/a" if r[p] is None else str(r[p]["ranking"][:3]) for p in POLICIES]
                   + ["11 of 128 channels, 55 strongest"]))
    for cond, label in (("none", "P(reach target), no clamp"), ("cheese", "cheese moved to the target"),
                        ("top1", "top-1 channel clamped"), ("random1", "each other channel alone (mean)"),
                        ("top3", "top-3 channels clamped"), ("random3", "random 3-channel sets (mean)")):
        out.append(row(label, [ci(get(r[p], "success", cond), "mean") for p in POLICIES] + [""]))
    for diff in ("top1_minus_none", "top1_minus_random1", "top3_minus_none", "top3_minus_random3"):
        out.append(row(diff, [ci(get(r[p], "success_differences", diff), "mean", 3, True) for p in POLICIES]
                       + [""]))
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=".", help="the repository root")
    print(tables(Path(parser.parse_args().root)))


if __name__ == "__main__":
    main()
