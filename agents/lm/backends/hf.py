"""transformers backend: batched ``generate`` on a Hugging Face model, optionally with LoRA.

This is the backend trainers use (its ``model`` and ``tokenizer`` are plain transformers /
peft objects). Chats are rendered with the tokenizer's chat template and left-padded so one
``generate`` call serves the whole batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from specgym.agents.lm.backends.base import Backend, Chat, Completion, chat_seeds
from specgym.agents.lm.chat import to_chat_messages
from specgym.agents.lm.sampling import SamplingConfig, cut_at_stop


class TransformersBackend(Backend):
    """Batched generation with a transformers causal LM.

    Args:
        model: a ``PreTrainedModel`` (or peft model) in eval or train mode.
        tokenizer: its tokenizer; must have a chat template.
        max_batch: chats per ``generate`` call.
    """

    name = "transformers"

    def __init__(self, model: Any, tokenizer: Any, max_batch: int = 16):
        if not isinstance(max_batch, int) or max_batch < 1:
            raise ValueError(f"max_batch must be an int >= 1, got {max_batch!r}")
        if not getattr(tokenizer, "chat_template", None):
            raise ValueError("the tokenizer has no chat template; chat models only")
        self.model = model
        self.tokenizer = tokenizer
        self.max_batch = max_batch
        eos = model.generation_config.eos_token_id
        if eos is None:
            eos = tokenizer.eos_token_id
        self.eos_ids = set(eos if isinstance(eos, list) else [eos])
        self.pad_id = (
            tokenizer.pad_token_id if tokenizer.pad_token_id is not None else min(self.eos_ids)
        )
        self.context_tokens = int(getattr(model.config, "max_position_embeddings", 2048))

    @classmethod
    def from_pretrained(
        cls,
        path: str | Path,
        lora: str | Path | Mapping[str, Any] | None = None,
        max_batch: int = 16,
        device: str = "cpu",
        dtype: str = "float32",
    ) -> TransformersBackend:
        """Load a checkpoint folder or locally cached hub id; never downloads.

        ``lora``: a saved peft adapter folder, or a mapping of ``peft.LoraConfig`` fields
        for a fresh trainable adapter (e.g. ``{"r": 8, "target_modules": "all-linear"}``).
        """
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if dtype not in ("float32", "bfloat16", "float16"):
            raise ValueError(f"dtype must be float32, bfloat16 or float16, got {dtype!r}")
        kwargs = {"local_files_only": True}
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(path), **kwargs)
            model = AutoModelForCausalLM.from_pretrained(
                str(path), dtype=getattr(torch, dtype), **kwargs
            )
        except OSError as err:
            raise FileNotFoundError(
                f"cannot load Hugging Face model {str(path)!r} from disk (no downloads at run "
                f"time: give a local folder or an id already in the hub cache): {err}"
            ) from err
        model = _with_lora(model, lora)
        model.to(device).eval()
        return cls(model, tokenizer, max_batch=max_batch)

    def render(self, chat: Chat) -> str:
        """The prompt text for ``chat``, ending where the assistant's reply begins."""
        return self.tokenizer.apply_chat_template(
            to_chat_messages(chat), tokenize=False, add_generation_prompt=True
        )

    def generate(
        self, chats: Sequence[Chat], sampling: SamplingConfig, seeds: Sequence[int] | None = None
    ) -> list[Completion]:
        seeds = chat_seeds(len(chats), sampling, seeds)
        out: list[Completion] = []
        for start in range(0, len(chats), self.max_batch):
            end = start + self.max_batch
            out += self._generate_batch(chats[start:end], sampling, seeds[start])
        return out

    def _generate_batch(
        self, chats: Sequence[Chat], sampling: SamplingConfig, seed: int
    ) -> list[Completion]:
        import torch

        texts = [self.render(c) for c in chats]
        ids = [self.tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts]
        results: list[Completion | None] = [None] * len(chats)
        fits = []
        for i, (t, p) in enumerate(zip(texts, ids, strict=True)):
            if len(p) + sampling.max_new_tokens > self.context_tokens:
                results[i] = Completion("", "context", t, list(p), [])
            else:
                fits.append(i)
        if fits:
            batch = self.tokenizer.pad(
                {"input_ids": [ids[i] for i in fits]},
                padding=True,
                padding_side="left",
                return_tensors="pt",
            ).to(self.model.device)
            gen: dict[str, Any] = {
                "max_new_tokens": sampling.max_new_tokens,
                "pad_token_id": self.pad_id,
                "eos_token_id": sorted(self.eos_ids),
            }
            if sampling.stop:
                gen.update(stop_strings=list(sampling.stop), tokenizer=self.tokenizer)
            if sampling.greedy:
                gen.update(do_sample=False, temperature=None, top_p=None, top_k=None)
            else:
                gen.update(
                    do_sample=True,
                    temperature=sampling.temperature,
                    top_p=sampling.top_p,
                    top_k=sampling.top_k or None,
                )
            torch.manual_seed(seed)
            with torch.no_grad():
                seqs = self.model.generate(**batch, **gen)
            new = seqs[:, batch["input_ids"].shape[1] :].tolist()
            for row, i in zip(new, fits, strict=True):
                results[i] = self._finish(texts[i], ids[i], row, sampling)
        return results  # type: ignore[return-value]

    def _finish(
        self, prompt: str, prompt_ids: list[int], row: list[int], sampling: SamplingConfig
    ) -> Completion:
        """Trim padding after the end of turn or stop string; decode the reply."""
        end = next((k + 1 for k, t in enumerate(row) if t in self.eos_ids), None)
        toks = row[:end] if end is not None else row
        text, hit = cut_at_stop(self._decode(toks), sampling.stop)
        if hit:  # shortest token prefix whose text holds the stop string
            k = next(
                k
                for k in range(1, len(toks) + 1)
                if cut_at_stop(self._decode(toks[:k]), sampling.stop)[1]
            )
            toks = toks[:k]
        reason = "stop" if (end is not None or hit) else "length"
        return Completion(text, reason, prompt, list(prompt_ids), toks)

    def _decode(self, toks: list[int]) -> str:
        return self.tokenizer.decode(toks, skip_special_tokens=True)


def _with_lora(model: Any, lora: str | Path | Mapping[str, Any] | None) -> Any:
    if lora is None:
        return model
    from peft import LoraConfig, PeftModel, get_peft_model

    if isinstance(lora, Mapping):
        return get_peft_model(model, LoraConfig(task_type="CAUSAL_LM", **lora))
    if not (Path(lora) / "adapter_config.json").is_file():
        raise FileNotFoundError(f"LoRA adapter folder {str(lora)!r} has no adapter_config.json")
    return PeftModel.from_pretrained(model, str(lora), is_trainable=True)
