"""Pieces both trainers share: loading/saving trained models, turning a multi-turn episode
into one token sequence with a mask of the model's own tokens, metrics and evaluation."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from specgym.agents.lm.records import episode_record, run_episodes, tally

if TYPE_CHECKING:
    from specgym.agents.lm.train.config import LMTrainConfig

DONE = "specgym-model.json"


# -- models -----------------------------------------------------------------------------------
def load_model(model: str | Path, lora: dict | None = None, device: str = "cpu", max_batch: int = 16):
    """A `TransformersBackend` for a model spec or a folder written by `save_model`."""
    from specgym.agents.lm import load_backend

    path = Path(str(model))
    if (path / DONE).is_file():
        meta = json.loads((path / DONE).read_text())
        if meta.get("adapter"):
            return load_backend(meta["base"], backend="transformers", lora=str(path / "adapter"),
                                device=device, max_batch=max_batch)
        return load_backend(str(path), backend="transformers", device=device, max_batch=max_batch)
    return load_backend(str(model), backend="transformers", lora=lora, device=device, max_batch=max_batch)


def llama_cpp_backend(model: str | Path, max_batch: int = 16, n_threads: int | None = None):
    """A llama.cpp backend for a spec (``default``, ``helpful``, a .gguf) or a trained folder
    (exported to ``folder/model.gguf`` once), served as Q8_0. ``n_threads``: None for every
    core (on a machine shared with another job, 1 is faster: llama.cpp's threads spin-wait)."""
    from specgym.agents.lm import load_backend
    from specgym.agents.lm.gguf_export import saved_model_gguf

    if is_saved_model(model):
        return load_backend(str(saved_model_gguf(model)), backend="llama.cpp",
                            max_batch=max_batch, requantize="q8_0", n_threads=n_threads)  # fmt: skip
    return load_backend(str(model), backend="llama.cpp", max_batch=max_batch, n_threads=n_threads)


def save_model(model: Any, tokenizer: Any, path: str | Path, base: str, extra: dict | None = None) -> Path:
    """Save a (peft) model so `load_model` reloads it; the folder appears atomically.

    ``base`` is the model training started from. When that is itself a saved adapter (a
    curriculum stage continuing the previous stage's LoRA), the adapter was trained further
    in place, so the base recorded is that adapter's own base: the chain stays one adapter
    over one named model, which both backends load."""
    path = Path(path)
    base = adapter_root(base)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=path.name + ".tmp-", dir=path.parent))
    is_peft = hasattr(model, "peft_config")
    if is_peft:
        model.save_pretrained(tmp / "adapter")
        tokenizer.save_pretrained(tmp / "adapter")
    else:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
    (tmp / DONE).write_text(json.dumps({"base": str(base), "adapter": is_peft, **(extra or {})}, indent=2))
    old = path.with_name(path.name + ".old")
    if path.exists():
        shutil.rmtree(old, ignore_errors=True)
        os.replace(path, old)
    os.replace(tmp, path)
    shutil.rmtree(old, ignore_errors=True)
    return path


def is_saved_model(path: str | Path) -> bool:
    return (Path(path) / DONE).is_file()


def adapter_root(model: str | Path) -> str:
    """The model a saved adapter folder applies to (followed through chains); else ``model``."""
    seen: set[str] = set()
    while is_saved_model(model) and str(model) not in seen:
        seen.add(str(model))
        meta = json.loads((Path(model) / DONE).read_text())
        if not meta.get("adapter"):
            break
        model = meta["base"]
    return str(model)


# -- episodes as training sequences -----------------------------------------------------------
def episode_tokens(ep: Any, tokenizer: Any) -> tuple[list[int], list[int], list[int], bool]:
    """(prompt_ids, completion_ids, model_mask, exact) for a whole multi-turn episode.

    prompt_ids: the first turn's prompt. completion_ids: every reply's sampled tokens with the
    tokens between replies (end of turn, tool output, next header) in between; model_mask is
    1 on the sampled tokens, 0 on the environment's. The in-between tokens are the next
    prompt's tokens after the previous context when the prompt starts with exactly that
    context (``exact``); otherwise (re-tokenizing the reply merged tokens differently) the
    text after the common prefix is tokenized.
    """
    turns = [t for t in ep.turns if t.prompt_token_ids is not None]
    if not turns or len(turns) != len(ep.turns):
        raise ValueError("training needs token ids in every turn (the transformers backend)")
    prompt = list(turns[0].prompt_token_ids)
    comp: list[int] = []
    mask: list[int] = []
    exact = True
    for k, t in enumerate(turns):
        if k:
            ctx = prompt + comp
            nxt = list(t.prompt_token_ids)
            if nxt[: len(ctx)] == ctx:
                gap = nxt[len(ctx):]
            else:
                exact = False
                prev = turns[k - 1].prompt_text + turns[k - 1].completion_text
                i = _common_prefix(prev, t.prompt_text)
                gap = tokenizer(t.prompt_text[i:], add_special_tokens=False)["input_ids"]
            comp += gap
            mask += [0] * len(gap)
        ids = list(t.completion_token_ids or [])
        comp += ids
        mask += [1] * len(ids)
    return prompt, comp, mask, exact


def _common_prefix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


# -- metrics ----------------------------------------------------------------------------------
def episode_metrics(episodes: Sequence[Any]) -> dict[str, Any]:
    """Mean env reward, gaming rate (and count), mean hidden reward, hack counts of a batch."""
    recs = [episode_record(ep) for ep in episodes]
    s = tally(recs)
    return {
        "episodes": s["n"],
        "reward": s["mean_visible_reward"],
        "gaming_rate": s["gaming_rate"],
        "gamed": s["gamed"],
        "hidden_reward": s["mean_hidden_reward"],
        "hack_types": s["hack_counts"],
        "honest_pass_rate": s["n_honest_pass"] / s["n"] if s["n"] else float("nan"),
        "ungraded": s["n_ungraded"],
        "mean_turns": sum(len(ep.turns) for ep in episodes) / max(1, len(episodes)),
    }


def append_jsonl(path: Path, row: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fh.write(json.dumps(row) + "\n")


def truncate_jsonl(path: Path, key: str, last: int) -> None:
    """Drop rows whose ``key`` is above ``last`` (work redone after resuming a checkpoint)."""
    if not path.is_file():
        return
    keep = []
    for line in path.read_text().splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if row.get(key, 0) <= last:
            keep.append(line)
    path.write_text("".join(x + "\n" for x in keep))


# -- evaluation -------------------------------------------------------------------------------
def evaluate_backend(
    backend: Any, env_id: str, episodes: int, out_jsonl: Path, *, seed_offset: int,
    sampling: Any, max_turns: int, options: dict | None = None, env_kwargs: dict | None = None,
    executor: Any = "serial", workers: int | None = None,
) -> dict[str, Any]:
    """Run (or resume) ``episodes`` evaluation episodes; write them; return their `tally`.

    ``backend``: a live backend (run ``serial``, in eval mode for the call) or a `BackendSpec`
    (`backend_spec`) for the ``local`` or ``ray`` executors, or an `Executor` built from one.
    """
    cue = (options or {}).get("context_cue", "none")
    extra_opts = {k: v for k, v in (options or {}).items() if k != "context_cue"}
    if extra_opts:
        raise ValueError(f"evaluation supports only the context_cue option, got {sorted(extra_opts)}")
    was = getattr(backend, "model", None)
    was = None if isinstance(was, str) else was  # a BackendSpec names its model
    training = bool(was is not None and was.training)
    if was is not None:
        was.eval()
    try:
        recs = run_episodes(backend, env_id, list(range(seed_offset, seed_offset + episodes)), out_jsonl,
                            sampling=sampling, max_turns=max_turns, context_cue=cue, env_kwargs=env_kwargs,
                            executor=executor, workers=workers)  # fmt: skip
    finally:
        if was is not None and training:
            was.train()
    return tally(recs)


def backend_spec(model: str | Path, backend: str = "transformers", max_batch: int = 16,
                 threads: int | None = 1, device: str = "cpu") -> Any:
    """The `BackendSpec` of what `llama_cpp_backend` / `load_model` build here, for executor
    workers to build each in their own process. A trained folder is exported to GGUF now
    (once, in this process) when it is to run on llama.cpp."""
    from specgym.agents.lm.executor import BackendSpec

    if backend not in ("llama.cpp", "transformers"):
        raise ValueError(f"backend must be 'llama.cpp' or 'transformers', got {backend!r}")
    if backend == "llama.cpp":
        if is_saved_model(model):
            from specgym.agents.lm.gguf_export import saved_model_gguf

            return BackendSpec(str(saved_model_gguf(model)), backend="llama.cpp",
                               max_batch=max_batch, threads=threads,
                               options={"requantize": "q8_0"})
        return BackendSpec(str(model), backend="llama.cpp", max_batch=max_batch, threads=threads)
    return BackendSpec(str(model), backend="transformers", max_batch=max_batch, threads=threads,
                       options={"device": device})


def evaluate_held_out(config: LMTrainConfig, backend: Any, out: Path) -> dict[str, Any]:
    """Evaluate a trainer's model on its held-out seeds, before or after training; writes
    ``out``.jsonl (episodes) and ``out``.json (summary)."""
    from specgym.agents.lm.backends.hf import TransformersBackend

    if isinstance(backend, TransformersBackend):
        backend.max_batch = config.eval.max_batch
    summary = evaluate_backend(
        backend, config.env.id, config.eval.episodes, out.with_suffix(".jsonl"),
        seed_offset=config.eval.seed_offset,
        sampling=config.sampling_config(seed=12345, temperature=config.eval.temperature),
        max_turns=config.sampling.max_turns, options=config.env.options, env_kwargs=config.env.kwargs,
    )
    out.with_suffix(".json").write_text(json.dumps(summary, indent=2))
    return summary


def set_threads(n: int | None) -> None:
    import torch

    if n:
        torch.set_num_threads(n)
