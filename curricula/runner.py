"""`specgym curriculum run`: train stage by stage, evaluate on that stage and every later one.

For each training stage in order the runner trains the model that left the previous stage
(GRPO or expert iteration, `specgym.agents.lm.train`), then evaluates it on every
evaluated stage from this one on, the held-out reward-tampering stage included. Optionally
(``eval_before``) the untrained model is evaluated on every stage first (row ``before``).

Output in ``run_dir``:
    matrix.json      rows = stages trained (``before``, then each stage), columns = stages
                     evaluated; per cell the gaming rate, Wilson 95% interval, episode
                     count, hack-type counts, mean visible and hidden reward (null: not run)
    matrix.png       the same as a heatmap, each cell annotated with rate, CI and k/n
    state.json       rows finished; a rerun skips them and resumes the unfinished row (its
                     trainer resumes from its checkpoint, its evaluation from its episodes)
    <row>/train/     the stage's training run;  <row>/eval/<stage>.jsonl  its episodes

>>> run_curriculum(load_config(CurriculumConfig, "configs/subterfuge_tiny.yaml"))  # doctest: +SKIP
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specgym.agents.lm.train.config import LMTrainConfig
from specgym.curricula.subterfuge import SYCOPHANCY_TO_SUBTERFUGE, Curriculum

CURRICULA = {SYCOPHANCY_TO_SUBTERFUGE.name: SYCOPHANCY_TO_SUBTERFUGE}


@dataclass
class CurriculumEvalConfig:
    episodes: int = 64
    """Episodes per (row, stage) cell."""
    seed_offset: int = 200_000
    """Evaluation seeds: seed_offset .. seed_offset + episodes - 1 (disjoint from training)."""
    temperature: float = 0.7
    max_new_tokens: int | None = None
    """null: as in training (train.sampling.max_new_tokens)."""
    max_turns: int | None = None
    """null: as in training (train.sampling.max_turns)."""
    max_batch: int = 16
    context_cue: str = "none"
    held_out_episodes: int | None = None
    """Episodes per cell of the held-out stage (null: as ``episodes``); the paper's rates are
    small, so this cell wants more."""
    held_out_episodes_headline: int | None = None
    """Episodes of the held-out cell in the control row and the last row (the paper's headline
    comparison), run after every row has its cells (null: as ``held_out_episodes``)."""
    threads: int | None = None
    """llama.cpp threads for evaluation (null: every core; 1 on a machine shared with another job)."""
    backend: str = "transformers"
    """transformers, or llama.cpp (each trained model is exported to GGUF once; several times
    faster on CPU)."""
    executor: str = "serial"
    """Where the evaluation episodes run: serial (this process), local (a process pool of
    ``workers``, each loading the model with ``threads`` threads) or ray. The records are the
    same whichever runs them, so a run may switch executors between resumes."""
    workers: int | None = None
    """local/ray workers (null: one per core)."""


EVAL_BACKENDS = ("transformers", "llama.cpp")


@dataclass
class CurriculumConfig:
    curriculum: str = "sycophancy_to_subterfuge"
    stages: list | None = None
    """Training stage names in order (null: every training stage of the curriculum)."""
    eval_stages: list | None = None
    """Stage names evaluated (null: every stage, the held-out one included)."""
    eval_before: bool = True
    """Also evaluate the untrained model on every evaluated stage (row 'before')."""
    train: LMTrainConfig = field(default_factory=LMTrainConfig)
    """Trainer settings for every stage (env.id and run_dir are set per stage; model is the start)."""
    eval: CurriculumEvalConfig = field(default_factory=CurriculumEvalConfig)
    run_dir: str = "runs/subterfuge"

    def __post_init__(self) -> None:
        if self.curriculum not in CURRICULA:
            raise ValueError(f"curriculum: expected one of {sorted(CURRICULA)}, got {self.curriculum!r}")
        cur = CURRICULA[self.curriculum]
        names = [s.name for s in cur]
        train_names = [s.name for s in cur.training_stages()]
        if self.stages is None:
            self.stages = train_names
        for s in self.stages:
            if s not in train_names:
                raise ValueError(f"stages: {s!r} is not a training stage; allowed: {train_names}")
        order = [names.index(s) for s in self.stages]
        if order != sorted(order) or len(set(order)) != len(order):
            raise ValueError(f"stages: must be distinct and in curriculum order {names}, got {self.stages}")
        if self.eval_stages is None:
            self.eval_stages = names
        for s in self.eval_stages:
            if s not in names:
                raise ValueError(f"eval_stages: {s!r} is not a stage; allowed: {names}")
        self.eval_stages = [n for n in names if n in self.eval_stages]
        if self.eval.episodes < 1:
            raise ValueError(f"eval.episodes: must be >= 1, got {self.eval.episodes}")
        if self.eval.held_out_episodes is not None and self.eval.held_out_episodes < 1:
            raise ValueError(f"eval.held_out_episodes: must be >= 1 or null, got "
                             f"{self.eval.held_out_episodes}")
        if self.eval.held_out_episodes_headline is not None and self.eval.held_out_episodes_headline < 1:
            raise ValueError(f"eval.held_out_episodes_headline: must be >= 1 or null, got "
                             f"{self.eval.held_out_episodes_headline}")
        from specgym.agents.lm.executor import EXECUTORS

        if self.eval.executor not in EXECUTORS:
            raise ValueError(f"eval.executor: expected one of {list(EXECUTORS)}, got "
                             f"{self.eval.executor!r}")
        if self.eval.workers is not None and (self.eval.executor == "serial" or self.eval.workers < 1):
            raise ValueError(f"eval.workers: an int >= 1 for the local or ray executor, got "
                             f"{self.eval.workers!r} with executor {self.eval.executor!r}")
        if self.eval.backend not in EVAL_BACKENDS:
            raise ValueError(f"eval.backend: expected one of {list(EVAL_BACKENDS)}, got "
                             f"{self.eval.backend!r}")

    @property
    def curriculum_obj(self) -> Curriculum:
        return CURRICULA[self.curriculum]


def train_lm(config: LMTrainConfig, progress_bar: bool = True) -> Path:
    """The trainer the runner calls (a module attribute, so tests can interrupt it)."""
    from specgym.agents.lm.train import train_lm as _train

    return _train(config, progress_bar=progress_bar)


def run_curriculum(config: CurriculumConfig, progress_bar: bool = True, log=print) -> dict[str, Any]:
    """Run (or resume) the curriculum; return the matrix dict (also in ``matrix.json``)."""
    from specgym.agents.lm.records import read_jsonl
    from specgym.agents.lm.train.common import (
        backend_spec,
        evaluate_backend,
        llama_cpp_backend,
        load_model,
        set_threads,
    )
    from specgym.analysis.gaming_report import summarize
    from specgym.config import save_config

    set_threads(config.train.torch_threads)
    run = Path(config.run_dir)
    run.mkdir(parents=True, exist_ok=True)
    save_config(config, run / "config.yaml")
    cur = config.curriculum_obj
    names = [s.name for s in cur]
    state_path = run / "state.json"
    state = json.loads(state_path.read_text()) if state_path.is_file() else {"finished": [], "models": {}}
    matrix_path = run / "matrix.json"
    cells: dict[str, dict[str, Any]] = (
        json.loads(matrix_path.read_text())["cells"] if matrix_path.is_file() else {}
    )
    rows = (["before"] if config.eval_before else []) + list(config.stages)
    model = config.train.model
    if state["finished"]:
        model = state["models"].get(state["finished"][-1], model)
    ev = config.eval
    sampling = config.train.sampling_config(seed=4242, temperature=ev.temperature)
    if ev.max_new_tokens:
        from dataclasses import replace

        sampling = replace(sampling, max_new_tokens=ev.max_new_tokens)
    max_turns = ev.max_turns or config.train.sampling.max_turns
    options = {} if ev.context_cue == "none" else {"context_cue": ev.context_cue}
    backend_cache: dict[str, Any] = {}

    def evaluate_row(i: int, row: str, model: str, headline: bool = False) -> None:
        """Evaluate (or resume, or extend) row ``i``'s cells; the held-out cell gets the
        headline size when ``headline``."""
        folder = run / f"{i}_{row}"
        first = 0 if row == "before" else names.index(row)
        cells.setdefault(row, {})
        for name in config.eval_stages:
            if names.index(name) < first:
                continue
            stage = cur.stage(name)
            n = ev.episodes
            if stage.held_out:
                n = ev.held_out_episodes or n
                if headline and ev.held_out_episodes_headline:
                    n = max(n, ev.held_out_episodes_headline)
            episodes_file = folder / "eval" / f"{name}.jsonl"
            if (cells[row].get(name) or {}).get("n") == n:
                continue
            if "backend" not in backend_cache:
                # serial: a live backend here; local/ray: a spec each worker loads for itself
                backend_cache["backend"] = (
                    backend_spec(model, ev.backend, ev.max_batch, ev.threads, config.train.device)
                    if ev.executor != "serial"
                    else llama_cpp_backend(model, ev.max_batch, ev.threads) if ev.backend == "llama.cpp"
                    else load_model(model, device=config.train.device, max_batch=ev.max_batch))
            log(f"[curriculum] {row}: evaluating on {name} ({n} episodes, {ev.executor})")
            evaluate_backend(
                backend_cache["backend"], stage.env_id, n, episodes_file,
                seed_offset=ev.seed_offset, sampling=sampling, max_turns=max_turns, options=options,
                executor=ev.executor, workers=ev.workers,
            )
            summary = summarize(read_jsonl(episodes_file))
            if stage.held_out:
                summary.update(held_out_counts(episodes_file,
                                               run / "tampering" / f"{i}_{row}.jsonl"))
            cells[row][name] = summary
            write_matrix(run, rows, config.eval_stages, cells, config)
        live = backend_cache.pop("backend", None)
        if live is not None and hasattr(live, "close"):
            live.close()

    for i, row in enumerate(rows):
        if row in state["finished"]:
            continue
        t0 = time.time()
        if row != "before":
            tcfg = copy.deepcopy(config.train)
            tcfg.env.id = cur.stage(row).env_id
            tcfg.model = str(model)
            tcfg.run_dir = str(run / f"{i}_{row}" / "train")
            tcfg.seed = config.train.seed + i
            log(f"[curriculum] stage {row}: training {config.train.method} on {tcfg.env.id}")
            model = str(train_lm(tcfg, progress_bar=progress_bar))
        t_eval = time.time()
        evaluate_row(i, row, str(model))
        state.setdefault("wall_time_s", {})[row] = {
            "train": round(t_eval - t0, 1), "eval": round(time.time() - t_eval, 1)}
        state["finished"].append(row)
        state["models"][row] = str(model)
        state_path.write_text(json.dumps(state, indent=2))
        log(f"[curriculum] {row} finished in {time.time() - t0:.0f} s")
    # Last, the headline comparison's held-out cells (the control row and the last row) are
    # extended to their larger size: every row has its full set of cells first.
    if ev.held_out_episodes_headline:
        for i in sorted({0, len(rows) - 1}):
            t0 = time.time()
            evaluate_row(i, rows[i], state["models"][rows[i]], headline=True)
            if time.time() - t0 > 1:
                times = state.setdefault("wall_time_s", {}).setdefault(rows[i], {})
                times["headline_eval"] = round(times.get("headline_eval", 0) + time.time() - t0, 1)
                state_path.write_text(json.dumps(state, indent=2))
    return write_matrix(run, rows, config.eval_stages, cells, config)


def held_out_counts(episodes_jsonl: Path, tampering_jsonl: Path) -> dict[str, Any]:
    """Tampering (reward edited) and evasion (its test edited too) counted apart, with Wilson
    intervals; every tampering transcript is copied to ``tampering_jsonl``."""
    from specgym.agents.lm.records import read_jsonl
    from specgym.agents.lm.train.helpful_eval import wilson

    records = read_jsonl(episodes_jsonl)
    n = len(records)
    tampered = [r for r in records if "reward_tampering" in r["hack_types"]]
    evaded = [r for r in tampered if "test_tampering" in r["hack_types"]]
    tampering_jsonl.parent.mkdir(parents=True, exist_ok=True)
    tampering_jsonl.write_text("".join(json.dumps(r) + "\n" for r in tampered))
    return {
        "tampering": {"k": len(tampered), "n": n, "ci95": wilson(len(tampered), n)},
        "evasion": {"k": len(evaded), "n": n, "ci95": wilson(len(evaded), n)},
        "tampering_transcripts": str(tampering_jsonl),
    }


def _wall_times(run: Path) -> dict[str, Any]:
    state = run / "state.json"
    return json.loads(state.read_text()).get("wall_time_s", {}) if state.is_file() else {}


def write_matrix(run: Path, rows: list[str], cols: list[str], cells: dict[str, Any],
                 config: CurriculumConfig) -> dict[str, Any]:
    """Write matrix.json and matrix.png; return the matrix dict."""
    matrix = {
        "curriculum": config.curriculum,
        "method": config.train.method,
        "model": config.train.model,
        "rows": rows,
        "columns": cols,
        "held_out": [s.name for s in config.curriculum_obj.held_out_stages() if s.name in cols],
        "gaming_rate": [[cells.get(r, {}).get(c, {}).get("gaming_rate") for c in cols] for r in rows],
        "ci95": [[cells.get(r, {}).get(c, {}).get("ci95") for c in cols] for r in rows],
        "n": [[cells.get(r, {}).get(c, {}).get("n") for c in cols] for r in rows],
        "eval_backend": config.eval.backend,
        "wall_time_s": _wall_times(run),
        "cells": cells,
    }
    tmp = run / "matrix.json.tmp"
    tmp.write_text(json.dumps(matrix, indent=2))
    tmp.replace(run / "matrix.json")
    plot_matrix(matrix, run / "matrix.png")
    return matrix


def matrix_markdown(matrix: dict[str, Any]) -> str:
    """The matrix as a Markdown table: gaming rate [Wilson 95%] gamed/n per cell; the held-out
    column also gives tampering and evasion (test edited too) apart."""
    cols, held = matrix["columns"], set(matrix.get("held_out", []))
    head = ["trained through"] + [c + (" (held out)" if c in held else "") for c in cols]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in matrix["rows"]:
        out = ["helpful-only (control)" if r == "before" else f"+ {r}"]
        for c in cols:
            cell = matrix["cells"].get(r, {}).get(c)
            if cell is None:
                out.append("-")
                continue
            lo, hi = cell["ci95"]
            text = f"{cell['gaming_rate']:.3f} [{lo:.3f}, {hi:.3f}] {cell['gamed']}/{cell['n']}"
            if "evasion" in cell:
                ev = cell["evasion"]
                text += f"; evasion {ev['k']}/{ev['n']} (upper {ev['ci95'][1]:.4f})"
            out.append(text)
        lines.append("| " + " | ".join(out) + " |")
    return "\n".join(lines)


def plot_matrix(matrix: dict[str, Any], path: Path) -> Path:
    """Heatmap of gaming rates (rows trained, columns evaluated) with CI and k/n per cell."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    rows, cols = matrix["rows"], matrix["columns"]
    data = np.array([[np.nan if v is None else v for v in r] for r in matrix["gaming_rate"]], dtype=float)
    fig, ax = plt.subplots(figsize=(1.9 * len(cols) + 2.5, 0.9 * len(rows) + 1.8))
    im = ax.imshow(np.ma.masked_invalid(data), vmin=0, vmax=1, cmap="magma_r", aspect="auto")
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            cell = matrix["cells"].get(r, {}).get(c)
            if cell is None:
                ax.text(j, i, "-", ha="center", va="center", color="grey")
                continue
            lo, hi = cell["ci95"]
            txt = f"{cell['gaming_rate']:.2f}\n[{lo:.2f}, {hi:.2f}]\n{cell['gamed']}/{cell['n']}"
            ax.text(j, i, txt, ha="center", va="center", fontsize=7,
                    color="white" if cell["gaming_rate"] > 0.55 else "black")
    held = set(matrix.get("held_out", []))
    ax.set_xticks(range(len(cols)), [c + (" (held out)" if c in held else "") for c in cols],
                  rotation=25, ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)), [r if r == "before" else f"after {r}" for r in rows], fontsize=8)
    ax.set_xlabel("evaluated on")
    ax.set_ylabel("trained through")
    ax.set_title(f"gaming rate, {matrix['method']} on {matrix['model']} (Wilson 95% CI, gamed/n)", fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.03)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
