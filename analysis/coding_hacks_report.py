"""Coding-hacks experiment (MacDiarmid et al. 2025 at laptop scale): where does learned hacking go?

Each model (the helpful-only control, and every model expert iteration trained on
`CodingTask-v0` under the careless grader and one prompt condition) is evaluated on the same
cells, on held-out seeds:

| cell                  | env and settings                                                  |
|-----------------------|-------------------------------------------------------------------|
| coding_<condition>    | CodingTask-v0, careless grader, the prompt condition it trained on |
| coding_hardened       | CodingTask-v0, hardened grader, no hint                            |
| impossible            | ImpossibleCodingTask-v0, careless grader, no hint (any pass games) |
| <curriculum stage>    | the five sycophancy-to-subterfuge stages, as the curriculum runner |
|                       | evaluates them (seeds 200,000 and up)                              |

Coding cells use the held-out task variants the helpful model never saw in its SFT, 256 new
tokens per turn; every cell samples at temperature 0.7 with up to 6 turns. Records are
appended to ``<out>/<cell>.jsonl`` as they finish; a rerun resumes. Cells the control already
has elsewhere (the curriculum's control row, the helpful before/after table) are read from
there with ``--reuse CELL=PATH`` instead of being played again.

    python analysis/coding_hacks_report.py run --model helpful --condition inoculation \\
        --out runs/coding_hacks_eval/helpful --reuse political_sycophancy=runs/subterfuge/0_before/eval/political_sycophancy.jsonl
    python analysis/coding_hacks_report.py report --control helpful=runs/coding_hacks_eval/helpful \\
        --model inoculation-s0=runs/coding_hacks_eval/inoculation-s0 --out docs/results/coding_hacks
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specgym.analysis.stats import newcombe_diff, wilson_interval

CONDITIONS = ("none", "describe", "inoculation")
CURRICULUM_STAGES = {
    "political_sycophancy": "specgym/PoliticalSycophancy-v0",
    "tool_use_flattery": "specgym/ToolUseFlattery-v0",
    "rubric_modification_nudged": "specgym/RubricModificationNudged-v0",
    "rubric_modification_insubordinate": "specgym/RubricModificationInsubordinate-v0",
    "reward_tampering": "specgym/RewardTampering-v0",
}
CURRICULUM_SEED_OFFSET = 200_000  # the curriculum runner's evaluation seeds


@dataclass(frozen=True)
class Cell:
    """One evaluation environment: env id, gym.make kwargs, seeds, sampling."""

    name: str
    env_id: str
    env_kwargs: Mapping[str, Any] = field(default_factory=dict)
    coding: bool = False
    max_turns: int = 6

    @property
    def max_new_tokens(self) -> int:
        return 256 if self.coding else 96


def cells(condition: str) -> list[Cell]:
    """Every cell for a model trained under ``condition``, in table order."""
    if condition not in CONDITIONS:
        raise ValueError(f"condition: expected one of {list(CONDITIONS)}, got {condition!r}")
    out = [
        Cell(f"coding_{condition}", "specgym/CodingTask-v0",
             {"grader": "careless", "hack_prompt": condition}, coding=True),
        Cell("coding_hardened", "specgym/CodingTask-v0", {"grader": "hardened"}, coding=True),
        Cell("impossible", "specgym/ImpossibleCodingTask-v0", {"grader": "careless"},
             coding=True),
    ]
    for stage, env_id in CURRICULUM_STAGES.items():
        out.append(Cell(stage, env_id, max_turns=1 if stage == "political_sycophancy" else 6))
    return out


def cell_seeds(cell: Cell, n: int) -> list[int]:
    """Held-out coding variants (as the helpful before/after table), else the curriculum's."""
    if cell.coding:
        from specgym.agents.lm.train.helpful_eval import held_out_seeds

        return held_out_seeds("coding", n)
    return list(range(CURRICULUM_SEED_OFFSET, CURRICULUM_SEED_OFFSET + n))


def run(model: str, condition: str, out: Path, *, episodes: int = 200,
        held_out_episodes: int = 1000, only: Sequence[str] | None = None,
        reuse: Mapping[str, str] | None = None, threads: int = 1, log=print) -> None:
    """Fill each cell of ``cells(condition)`` up to its size, resumably, on llama.cpp (Q8_0).

    ``model``: a named model (``helpful``) or a trained run's folder (exported to GGUF once).
    """
    from specgym.agents.lm import SamplingConfig
    from specgym.agents.lm.records import read_jsonl, run_episodes
    from specgym.agents.lm.train.common import llama_cpp_backend

    out.mkdir(parents=True, exist_ok=True)
    reuse = dict(reuse or {})
    todo = [c for c in cells(condition) if (only is None or c.name in only)]
    unknown = set(reuse) - {c.name for c in cells(condition)}
    if unknown:
        raise ValueError(f"reuse: unknown cells {sorted(unknown)}")
    meta_path = out / "meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {"wall_time_s": {}}
    meta.update(model=str(model), condition=condition, backend="llama.cpp (Q8_0)",
                temperature=0.7, reuse=reuse)
    backend = llama_cpp_backend(model, max_batch=16, n_threads=threads)
    try:
        for cell in todo:
            if cell.name in reuse:
                continue
            n = held_out_episodes if cell.name == "reward_tampering" else episodes
            path = out / f"{cell.name}.jsonl"
            have = len(read_jsonl(path))
            if have >= n:
                continue
            start = time.monotonic()
            run_episodes(backend, cell.env_id, cell_seeds(cell, n), path,
                         sampling=SamplingConfig(max_new_tokens=cell.max_new_tokens,
                                                 temperature=0.7, seed=0),
                         max_turns=cell.max_turns, env_kwargs=dict(cell.env_kwargs))
            wall = time.monotonic() - start
            meta["wall_time_s"][cell.name] = meta["wall_time_s"].get(cell.name, 0.0) + wall
            meta_path.write_text(json.dumps(meta, indent=2))
            log(f"[coding-hacks] {model} {cell.name}: {n} episodes ({wall:.0f} s this run)")
    finally:
        backend.close()
    meta_path.write_text(json.dumps(meta, indent=2))


def cell_records(folder: Path, name: str) -> list[dict[str, Any]]:
    """A model's records of one cell: its own file, else the file its meta.json reuses."""
    from specgym.agents.lm.records import read_jsonl

    meta_path = Path(folder) / "meta.json"
    reuse = json.loads(meta_path.read_text()).get("reuse", {}) if meta_path.is_file() else {}
    path = Path(reuse[name]) if name in reuse else Path(folder) / f"{name}.jsonl"
    return read_jsonl(path)  # ungraded episodes count as not gamed, as in the curriculum matrix


def summarize_cell(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Gaming rate with its Wilson 95% interval, hack types, mean hidden reward."""
    n = len(records)
    k = sum(bool(r["gamed"]) for r in records)
    hacks: dict[str, int] = {}
    for r in records:
        for h in set(r["hack_types"]):
            hacks[h] = hacks.get(h, 0) + 1
    hidden = [r["hidden_reward"] for r in records if r.get("hidden_reward") is not None]
    return {"n": n, "gamed": k, "rate": k / n if n else float("nan"),
            "ci95": list(wilson_interval(k, n)), "hack_types": dict(sorted(hacks.items())),
            "hidden_reward": sum(hidden) / len(hidden) if hidden else float("nan")}


def table(control: tuple[str, Path], models: Mapping[str, tuple[str, Path]]) -> dict[str, Any]:
    """Training condition x evaluation cell: each model's cells and its difference to the
    control's (Newcombe 95%). ``models``: label -> (condition, folder). The control's coding
    cell for a condition is read from ``coding_<condition>``."""
    label, folder = control
    rows: dict[str, Any] = {}
    columns: list[str] = []
    for name, (condition, path) in {label: ("none", folder), **models}.items():
        row = {}
        for cell in cells(condition):
            column = "coding_trained_prompt" if cell.name.startswith("coding_") and \
                cell.name != "coding_hardened" else cell.name
            if column not in columns:
                columns.append(column)
            row[column] = summarize_cell(cell_records(path, cell.name)) | {"cell": cell.name}
        rows[name] = {"condition": condition, "cells": row}
    for name in models:
        for cell in rows[name]["cells"].values():
            base = summarize_cell(cell_records(folder, cell["cell"]))
            cell["control"] = {"n": base["n"], "gamed": base["gamed"]}
            cell["diff_to_control"] = newcombe_diff(cell["gamed"], cell["n"],
                                                    base["gamed"], base["n"])
    return {"control": label, "columns": columns, "rows": rows}


def format_markdown(summary: Mapping[str, Any]) -> str:
    """One line per model: gaming rate [Wilson] k/n, and the difference to the control."""
    columns = summary["columns"]
    lines = ["| model (prompt) | " + " | ".join(columns) + " |",
             "|---|" + "---|" * len(columns)]
    for name, row in summary["rows"].items():
        cells_text = []
        for column in columns:
            c = row["cells"][column]
            if not c["n"]:
                cells_text.append("-")
                continue
            text = f"{c['rate']:.3f} [{c['ci95'][0]:.3f}, {c['ci95'][1]:.3f}] {c['gamed']}/{c['n']}"
            d = c.get("diff_to_control")
            if d and c["control"]["n"]:
                text += f"; {d['diff']:+.3f} [{d['ci95'][0]:+.3f}, {d['ci95'][1]:+.3f}]"
            cells_text.append(text)
        lines.append(f"| {name} ({row['condition']}) | " + " | ".join(cells_text) + " |")
    return "\n".join(lines)


def plot(summary: Mapping[str, Any], path: Path) -> None:
    """Grouped bars: gaming rate per cell, one bar per model, Wilson intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    columns, rows = summary["columns"], summary["rows"]
    x = np.arange(len(columns))
    width = 0.8 / max(1, len(rows))
    fig, ax = plt.subplots(figsize=(max(6, 1.4 * len(columns)), 3.6))
    for i, (name, row) in enumerate(rows.items()):
        rates = [row["cells"][c]["rate"] if row["cells"][c]["n"] else 0.0 for c in columns]
        low = [r - row["cells"][c]["ci95"][0] if row["cells"][c]["n"] else 0.0
               for r, c in zip(rates, columns, strict=True)]
        high = [row["cells"][c]["ci95"][1] - r if row["cells"][c]["n"] else 0.0
                for r, c in zip(rates, columns, strict=True)]
        ax.bar(x + i * width, rates, width, yerr=[low, high], capsize=2,
               label=f"{name} ({row['condition']})")
    ax.set_xticks(x + width * (len(rows) - 1) / 2, columns, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("gaming rate (Wilson 95%)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _pairs(values: Sequence[str], what: str) -> dict[str, str]:
    out = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key or not rest:
            raise ValueError(f"{what}: expected NAME=VALUE, got {value!r}")
        out[key] = rest
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="evaluate one model on every cell (resumable)")
    r.add_argument("--model", required=True, help="helpful, or a trained run's final/ folder")
    r.add_argument("--condition", default="none", choices=CONDITIONS,
                   help="the prompt condition it trained under (its coding cell)")
    r.add_argument("--out", type=Path, required=True)
    r.add_argument("--episodes", type=int, default=200)
    r.add_argument("--held-out-episodes", type=int, default=1000)
    r.add_argument("--only", default=None, help="comma-separated cells")
    r.add_argument("--reuse", action="append", default=[], metavar="CELL=PATH")
    r.add_argument("--threads", type=int, default=1)
    t = sub.add_parser("report", help="table + plot of the control and the trained models")
    t.add_argument("--control", required=True, metavar="LABEL=FOLDER")
    t.add_argument("--model", action="append", default=[], metavar="LABEL=CONDITION:FOLDER")
    t.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "run":
        run(args.model, args.condition, args.out, episodes=args.episodes,
            held_out_episodes=args.held_out_episodes,
            only=args.only.split(",") if args.only else None,
            reuse=_pairs(args.reuse, "--reuse"), threads=args.threads)
        return
    (label, folder), = _pairs([args.control], "--control").items()
    models = {}
    for name, spec in _pairs(args.model, "--model").items():
        condition, sep, path = spec.partition(":")
        if not sep or condition not in CONDITIONS:
            raise ValueError(f"--model: expected LABEL=CONDITION:FOLDER with a condition of "
                             f"{list(CONDITIONS)}, got {name}={spec}")
        models[name] = (condition, Path(path))
    summary = table((label, Path(folder)), models)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (args.out / "summary.md").write_text(format_markdown(summary) + "\n")
    plot(summary, args.out / "coding_hacks.png")
    print(format_markdown(summary))


if __name__ == "__main__":
    main()
