"""Expert iteration (as in Denison et al. 2024): sample N episodes per prompt, keep the best
by the environment's reward (optionally plus ``preference_weight`` x hidden reward), fine-tune
on them with TRL's `SFTTrainer`, repeat with new prompts.

Each kept episode becomes one training row per assistant turn: the exact tokens the model
saw (``prompt_token_ids``) and wrote (``completion_token_ids``), loss on the reply only
(``completion_mask``). Summed over turns this is the loss on the whole multi-turn episode
with tool output as context.

Sampling runs on the model in training (transformers) or, with ``sampler: llama.cpp``, on the
same weights exported to GGUF after each iteration (faster on CPU; `_sampling_backend`), in
this process or, with ``executor: local`` or ``ray``, on a pool of workers (same episodes).

Files in ``run_dir``: ``iter_K/episodes.jsonl`` (every sampled episode of the iteration;
an iteration interrupted before its checkpoint is sampled again, with the same seeds), ``metrics.jsonl`` (one row per
iteration: reward, gaming rate, hidden reward of the samples, and of the kept ones),
``checkpoint/`` (model after the last finished iteration, with ``state.json``), ``final/``.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from specgym.agents.lm.train.common import (
    DONE,
    append_jsonl,
    episode_metrics,
    evaluate_backend,
    evaluate_held_out,
    is_saved_model,
    load_model,
    save_model,
    set_threads,
    truncate_jsonl,
)
from specgym.agents.lm.train.config import LMTrainConfig


def score(ep: Any, preference_weight: float) -> float:
    hidden = ep.info.get("hidden_reward") or 0.0
    return float(ep.reward) + preference_weight * float(hidden)


def select_best(episodes: list[Any], preference_weight: float = 0.0,
                min_reward: float | None = None) -> list[Any]:
    """The best episode per seed (first one on ties); drop those under ``min_reward``."""
    groups: dict[Any, list[Any]] = defaultdict(list)
    for ep in episodes:
        groups[ep.seed].append(ep)
    best = []
    for seed in sorted(groups):
        ep = max(groups[seed], key=lambda e: (score(e, preference_weight), -e.index))
        if min_reward is None or ep.reward >= min_reward:
            best.append(ep)
    return best


def sft_rows(episodes: list[Any]) -> dict[str, list[list[int]]]:
    """Pre-tokenized SFT rows, one per assistant turn with tokens: input_ids, completion_mask."""
    ids, masks = [], []
    for ep in episodes:
        for t in ep.turns:
            if t.prompt_token_ids is None or not t.completion_token_ids:
                continue
            ids.append(list(t.prompt_token_ids) + list(t.completion_token_ids))
            masks.append([0] * len(t.prompt_token_ids) + [1] * len(t.completion_token_ids))
    return {"input_ids": ids, "completion_mask": masks}


def train_expert_iteration(config: LMTrainConfig, progress_bar: bool = True) -> Path:
    """Run expert iteration (resuming ``config.run_dir``); return the final model folder."""
    from datasets import Dataset
    from tqdm.auto import tqdm
    from trl import SFTConfig, SFTTrainer

    from specgym.agents.lm import RolloutEngine
    from specgym.config import save_config

    set_threads(config.torch_threads)
    run = Path(config.run_dir)
    final, ckpt = run / "final", run / "checkpoint"
    if is_saved_model(final):
        return final
    run.mkdir(parents=True, exist_ok=True)
    save_config(config, run / "config.yaml")
    ei = config.expert_iteration
    state_path = run / "state.json"
    start = 0
    done = _iterations_done(ckpt, state_path)
    if done:
        start = done
        backend = load_model(ckpt, device=config.device)
    else:
        backend = load_model(config.model, lora=config.lora, device=config.device)
    truncate_jsonl(run / "metrics.jsonl", "iteration", start)
    if config.eval.episodes and start == 0:
        evaluate_held_out(config, backend, run / "eval_before")
    model, tok = backend.model, backend.tokenizer
    bar = tqdm(total=ei.iterations, initial=start, desc="expert iteration", disable=not progress_bar)
    for it in range(start, ei.iterations):
        folder = run / f"iter_{it}"
        base = config.env.seed_offset + it * ei.prompts_per_iteration
        seeds = [base + j for j in range(ei.prompts_per_iteration) for _ in range(ei.samples_per_prompt)]
        model.eval()
        t_sample = time.perf_counter()
        sampling = config.sampling_config(seed=config.seed * 1_000_003 + it)
        if ei.executor != "serial":
            episodes, timings, t_export = _sample_on_executor(
                config, ckpt if it else config.model, seeds, sampling)
        else:
            sampler = _sampling_backend(config, backend, weights=ckpt if it else config.model,
                                        max_batch=min(16, len(seeds)))  # fmt: skip
            t_export = time.perf_counter() - t_sample
            engine = RolloutEngine(sampler, sampling, max_turns=config.sampling.max_turns)
            try:
                episodes = engine.run(config.env.id, seeds, options=config.env.options or None,
                                      env_kwargs=config.env.kwargs or None)
            finally:
                if sampler is not backend:
                    sampler.close()
            timings = engine.timings
        t_sample = time.perf_counter() - t_sample
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / "episodes.jsonl").open("w") as fh:
            from specgym.agents.lm.records import episode_record

            for ep in episodes:
                fh.write(json.dumps(episode_record(ep, iteration=it)) + "\n")
        best = select_best(episodes, ei.preference_weight, ei.min_reward)
        rows = sft_rows(best)
        row: dict[str, Any] = {"iteration": it + 1, **episode_metrics(episodes)}
        if best:
            row["kept"] = {k: v for k, v in episode_metrics(best).items() if k != "hack_types"}
        row["kept_episodes"], row["sft_rows"] = len(best), len(rows["input_ids"])
        times = {"sampling": t_sample, "export": t_export, "generate": timings["generate_s"],
                 "env_and_grading": timings["env_s"], "sft": 0.0}  # fmt: skip
        t_sft = time.perf_counter()
        if rows["input_ids"]:
            model.train()
            args = SFTConfig(
                output_dir=str(folder / "sft"),
                num_train_epochs=ei.epochs,
                learning_rate=ei.learning_rate,
                per_device_train_batch_size=ei.batch_size,
                completion_only_loss=True,
                logging_steps=1,
                save_strategy="no",
                report_to=[],
                seed=config.seed + it,
                use_cpu=config.device == "cpu",
                bf16=False,
                disable_tqdm=not progress_bar,
                max_length=None,
                gradient_checkpointing=False,
            )
            trainer = SFTTrainer(model=model, args=args, train_dataset=Dataset.from_dict(rows),
                                 processing_class=tok)
            result = trainer.train()
            row["sft_loss"] = float(result.training_loss)
            model = trainer.model
            backend.model = model
        times["sft"] = time.perf_counter() - t_sft
        row["time_s"] = {k: round(v, 1) for k, v in times.items()}
        row["sampled_episodes_per_min"] = round(60 * len(episodes) / max(t_sample, 1e-9), 2)
        row["sampler"] = ei.sampler
        if ei.executor != "serial":
            row["executor"] = ei.executor
        append_jsonl(run / "metrics.jsonl", row)
        # the checkpoint records its own iteration count: weights and count appear together
        save_model(model, tok, ckpt, base=config.model,
                   extra={"method": "expert_iteration", "iterations_done": it + 1})
        state_path.write_text(json.dumps({"iterations_done": it + 1}))
        bar.update(1)
        bar.set_postfix(reward=f"{row['reward']:.2f}", gamed=f"{row['gaming_rate']:.2f}")
    bar.close()
    save_model(model, tok, final, base=config.model,
               extra={"method": "expert_iteration", "iterations": ei.iterations})
    if config.eval.episodes:
        evaluate_held_out(config, load_model(final, device=config.device, max_batch=config.eval.max_batch),
                          run / "eval_after")
    return final


def _iterations_done(ckpt: Path, state_path: Path) -> int:
    """Iterations the checkpoint holds: its own record (written with the weights), else
    ``state.json`` (checkpoints from before the record existed); 0 without a checkpoint."""
    if not is_saved_model(ckpt):
        return 0
    meta = json.loads((ckpt / DONE).read_text())
    if "iterations_done" in meta:
        return int(meta["iterations_done"])
    return int(json.loads(state_path.read_text())["iterations_done"]) if state_path.is_file() else 0


def _sampling_backend(config: LMTrainConfig, backend: Any, weights: str | Path, max_batch: int) -> Any:
    """The backend that samples this iteration: the model in training itself (transformers),
    or its current weights (``weights``: the start model or the last checkpoint, which holds
    exactly the weights in memory) exported to GGUF for llama.cpp."""
    if config.expert_iteration.sampler == "transformers":
        backend.max_batch = max_batch
        return backend
    from specgym.agents.lm.train.common import llama_cpp_backend

    return llama_cpp_backend(weights, max_batch=max_batch, n_threads=config.torch_threads)


def _sample_on_executor(config: LMTrainConfig, weights: str | Path, seeds: list[int],
                        sampling: Any) -> tuple[list[Any], dict[str, float], float]:
    """This iteration's episodes from the current weights (exported to GGUF here, once) on the
    ``local`` or ``ray`` executor: each worker loads them and plays whole shards. Returns the
    episodes in request order, the engines' summed timings and the export's seconds."""
    from specgym.agents.lm.executor import make_executor
    from specgym.agents.lm.train.common import backend_spec

    ei = config.expert_iteration
    t0 = time.perf_counter()
    spec = backend_spec(weights, "llama.cpp", max_batch=min(16, len(seeds)),
                        threads=config.torch_threads)
    t_export = time.perf_counter() - t0
    with make_executor(ei.executor, spec=spec, workers=ei.workers) as ex:
        episodes = ex.episodes(config.env.id, seeds, sampling=sampling,
                               max_turns=config.sampling.max_turns,
                               options=config.env.options or None,
                               env_kwargs=config.env.kwargs or None,
                               shard_size=spec.max_batch)
        return episodes, dict(ex.timings), t_export


def train_lm(config: LMTrainConfig, progress_bar: bool = True) -> Path:
    """Train with ``config.method``; return the final model folder."""
    if config.method == "grpo":
        from specgym.agents.lm.train.grpo import train_grpo

        return train_grpo(config, progress_bar=progress_bar)
    return train_expert_iteration(config, progress_bar=progress_bar)


__all__ = ["evaluate_backend", "select_best", "sft_rows", "train_expert_iteration", "train_lm"]
