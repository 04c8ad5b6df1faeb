"""llama.cpp backend: many sequences decoded together in one context (parallel slots).

llama-cpp-python's high-level ``Llama`` runs one sequence at a time, so this backend uses
it to load the GGUF, tokenize and render the chat template, and drives llama.cpp's batch
API itself: each chat gets its own sequence id (its own KV stream), prompts are prefilled
in chunks of ``n_batch`` tokens, then every step decodes one token for all live sequences in
a single ``llama_decode`` call, and each sequence samples with its own sampler chain.
Decoding 16 sequences together costs little more than one, which is where the speed-up
over one-at-a-time generation comes from.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from specgym.agents.lm.backends.base import Backend, Chat, Completion, chat_seeds
from specgym.agents.lm.chat import to_chat_messages
from specgym.agents.lm.sampling import SamplingConfig, cut_at_stop


def _import_llama_cpp() -> Any:
    try:
        import llama_cpp
    except ImportError:
        raise ImportError(
            "the llama.cpp backend needs llama-cpp-python: pip install llama-cpp-python"
        ) from None
    return llama_cpp


def default_threads() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def _model_params(**fields: Any) -> Iterator[None]:
    """Make ``Llama`` load its model with these ``llama_model_params`` fields set.

    ``Llama.__init__`` takes its model parameters from ``llama_model_default_params()`` and
    exposes no argument for these, so the defaults are wrapped for the duration of the load.
    """
    import llama_cpp.llama_cpp as low

    original = low.llama_model_default_params

    def patched() -> Any:
        params = original()
        for name, value in fields.items():
            setattr(params, name, value)
        return params

    low.llama_model_default_params = patched
    try:
        yield
    finally:
        low.llama_model_default_params = original


class LlamaCppBackend(Backend):
    """Batched CPU generation of a GGUF model with llama.cpp.

    Args:
        gguf_path: the model file.
        max_batch: sequences decoded together (parallel slots).
        context_tokens: KV cache length of each slot (prompt plus reply).
        n_threads: CPU threads (default: all cores this process may use).
        n_batch: tokens per ``llama_decode`` call while prefilling prompts.
        requantize: run a copy requantized to this type (``q8_0``, ``q4_0``, ``f16``),
            made once and cached (see `specgym.agents.lm.checkpoints.requantized_gguf`).
        extra_buffers: let llama.cpp repack weights into its extra CPU buffer types (AMX,
            interleaved). Off by default: where a CPU reports AMX but the hypervisor does not
            enable its tile state (the 2-core machines this project runs on), the first
            decode dies with SIGILL, which no Python code can catch.

    Each slot keeps its KV cache between calls, and a chat goes to the slot sharing the
    longest token prefix with it, so a multi-turn episode prefills only its new tokens.
    """

    name = "llama.cpp"

    def __init__(
        self,
        gguf_path: str | Path,
        max_batch: int = 16,
        context_tokens: int = 2048,
        n_threads: int | None = None,
        n_batch: int = 512,
        requantize: str | None = None,
        extra_buffers: bool = False,
    ):
        lc = _import_llama_cpp()
        for field, value in (
            ("max_batch", max_batch),
            ("context_tokens", context_tokens),
            ("n_batch", n_batch),
        ):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{field} must be an int >= 1, got {value!r}")
        if not Path(gguf_path).is_file():
            raise FileNotFoundError(f"GGUF file {str(gguf_path)!r} does not exist")
        if requantize is not None:
            from specgym.agents.lm.checkpoints import requantized_gguf

            gguf_path = requantized_gguf(gguf_path, requantize)
        self._lc = lc
        self.gguf_path = str(gguf_path)
        self.max_batch = max_batch
        self.n_threads = n_threads or default_threads()
        # The Llama object only loads weights, tokenizes and holds metadata; its own tiny
        # context is never used for generation.
        with _model_params(use_extra_bufts=extra_buffers):
            self.llm = lc.Llama(self.gguf_path, n_ctx=64, n_threads=self.n_threads, verbose=False)
        train_ctx = lc.llama_model_n_ctx_train(self.llm.model)
        self.context_tokens = min(context_tokens, train_ctx)
        self._vocab = lc.llama_model_get_vocab(self.llm.model)
        self._formatter = self._chat_formatter()
        params = lc.llama_context_default_params()
        params.n_ctx = self.context_tokens * max_batch
        n_batch = max(n_batch, max_batch)  # a decode step holds one token per slot
        params.n_batch = params.n_ubatch = n_batch
        params.n_seq_max = max_batch
        params.n_threads = params.n_threads_batch = self.n_threads
        params.kv_unified = False  # one KV stream per sequence: no cross-sequence attention
        self._ctx = lc.llama_init_from_model(self.llm.model, params)
        if not self._ctx:
            raise RuntimeError(f"llama.cpp could not create a context for {self.gguf_path}")
        self.n_batch = n_batch
        self._batch = lc.llama_batch_init(n_batch, 0, 1)
        self._piece = ctypes.create_string_buffer(256)
        self._cached: list[list[int]] = [[] for _ in range(max_batch)]  # tokens in each slot

    def _chat_formatter(self) -> Any:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        template = self.llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise ValueError(f"{self.gguf_path} has no chat template in its metadata")
        lc, model = self._lc, self.llm._model
        eos, bos = lc.llama_vocab_eos(self._vocab), lc.llama_vocab_bos(self._vocab)
        return Jinja2ChatFormatter(
            template=template,
            eos_token=model.token_get_text(eos) if eos != -1 else "",
            bos_token=model.token_get_text(bos) if bos != -1 else "",
        )

    def render(self, chat: Chat) -> str:
        """The prompt text for ``chat`` from the GGUF's own chat template."""
        return self._formatter(messages=to_chat_messages(chat)).prompt

    def generate(
        self, chats: Sequence[Chat], sampling: SamplingConfig, seeds: Sequence[int] | None = None
    ) -> list[Completion]:
        seeds = chat_seeds(len(chats), sampling, seeds)
        out: list[Completion] = []
        for start in range(0, len(chats), self.max_batch):
            end = start + self.max_batch
            out += self._generate_batch(chats[start:end], sampling, seeds[start:end])
        return out

    # -- the batched decode loop ------------------------------------------------------------
    def _generate_batch(
        self, chats: Sequence[Chat], sampling: SamplingConfig, seeds: Sequence[int]
    ) -> list[Completion]:
        lc = self._lc
        texts = [self.render(c) for c in chats]
        prompts = [self.llm.tokenize(t.encode(), add_bos=False, special=True) for t in texts]
        results: list[Completion | None] = [None] * len(chats)
        fits = []
        for i, p in enumerate(prompts):
            if not p or len(p) + sampling.max_new_tokens > self.context_tokens:
                results[i] = Completion("", "context", texts[i], list(p), [])
            else:
                fits.append(i)
        slot = self._assign_slots({i: prompts[i] for i in fits})
        samplers = {i: self._sampler(sampling, seeds[i]) for i in fits}
        generated: dict[int, list[int]] = {i: [] for i in fits}
        pieces: dict[int, bytearray] = {i: bytearray() for i in fits}
        try:
            # Prefill what each slot's cache lacks, in chunks of at most n_batch tokens;
            # logits only at each prompt's last token.
            pending = []
            for i in fits:
                keep = self._reuse(slot[i], prompts[i])
                pending += [(i, j) for j in range(keep, len(prompts[i]))]
            for start in range(0, len(pending), self.n_batch):
                chunk = pending[start : start + self.n_batch]
                ends = {k: i for k, (i, j) in enumerate(chunk) if j == len(prompts[i]) - 1}
                self._decode(
                    [(slot[i], prompts[i][j], j, k in ends) for k, (i, j) in enumerate(chunk)]
                )
                for k, i in ends.items():
                    self._accept(i, k, samplers[i], generated, pieces)
            # Decode: one token per live sequence per step.
            live = list(fits)
            while True:
                live = [i for i in live if self._running(i, generated, pieces, sampling)]
                if not live:
                    break
                step = []
                for i in live:
                    tok = generated[i][-1]
                    step.append((slot[i], tok, len(self._cached[slot[i]]), True))
                    self._cached[slot[i]].append(tok)
                self._decode(step)
                for k, i in enumerate(live):
                    self._accept(i, k, samplers[i], generated, pieces)
        except BaseException:
            self._forget()
            raise
        finally:
            for s in samplers.values():
                lc.llama_sampler_free(s)
        for i, toks in generated.items():
            text = pieces[i].decode("utf-8", errors="replace")
            text, hit = cut_at_stop(text, sampling.stop)
            eog = bool(toks) and lc.llama_vocab_is_eog(self._vocab, toks[-1])
            reason = "stop" if (hit or eog) else "length"
            results[i] = Completion(text, reason, texts[i], list(prompts[i]), toks)
        return results  # type: ignore[return-value]

    # -- prompt cache: each slot keeps its KV entries for the next call -----------------------
    def _assign_slots(self, prompts: dict[int, list[int]]) -> dict[int, int]:
        """Give each prompt the free slot whose cached tokens share the longest prefix.

        A multi-turn episode's next prompt extends its previous one, so its slot's cache
        covers all but the new tokens; a new episode still reuses the shared system prompt.
        """
        free = set(range(self.max_batch))
        slot = {}
        for i, p in prompts.items():
            best = max(sorted(free), key=lambda s: _common_prefix(self._cached[s], p))
            slot[i] = best
            free.remove(best)
        return slot

    def _reuse(self, seq: int, prompt: list[int]) -> int:
        """Drop the slot's cache after its common prefix with ``prompt``; return its length.

        The prompt's last token is always decoded again, for its logits.
        """
        keep = min(_common_prefix(self._cached[seq], prompt), len(prompt) - 1)
        mem = self._lc.llama_get_memory(self._ctx)
        if not self._lc.llama_memory_seq_rm(mem, seq, keep, -1):
            self._lc.llama_memory_seq_rm(mem, seq, -1, -1)
            keep = 0
        self._cached[seq] = list(prompt)
        return keep

    def reset(self) -> None:
        """Empty every slot's cache (see `Backend.reset`)."""
        self._forget()

    def _forget(self) -> None:
        """Clear every slot (after an error the cache contents are unknown)."""
        self._lc.llama_memory_clear(self._lc.llama_get_memory(self._ctx), True)
        self._cached = [[] for _ in range(self.max_batch)]

    def _running(self, i: int, generated: dict, pieces: dict, sampling: SamplingConfig) -> bool:
        toks = generated[i]
        if len(toks) >= sampling.max_new_tokens or self._lc.llama_vocab_is_eog(
            self._vocab, toks[-1]
        ):
            return False
        if sampling.stop:
            tail = pieces[i][-256:].decode("utf-8", errors="ignore")
            return not any(s in tail for s in sampling.stop)
        return True

    def _decode(self, tokens: list[tuple[int, int, int, bool]]) -> None:
        """One ``llama_decode`` of (sequence, token, position, wants_logits) entries."""
        b = self._batch
        b.n_tokens = len(tokens)
        for k, (seq, tok, pos, logits) in enumerate(tokens):
            b.token[k] = tok
            b.pos[k] = pos
            b.n_seq_id[k] = 1
            b.seq_id[k][0] = seq
            b.logits[k] = logits
        rc = self._lc.llama_decode(self._ctx, b)
        if rc != 0:
            raise RuntimeError(f"llama_decode failed with code {rc} (KV cache full?)")

    def _accept(self, i: int, k: int, sampler: Any, generated: dict, pieces: dict) -> None:
        """Sample sequence ``i`` from the logits at batch row ``k`` and record the token."""
        lc = self._lc
        tok = lc.llama_sampler_sample(sampler, self._ctx, k)
        generated[i].append(int(tok))
        if not lc.llama_vocab_is_eog(self._vocab, tok):
            n = lc.llama_token_to_piece(self._vocab, tok, self._piece, len(self._piece), 0, False)
            pieces[i] += self._piece.raw[: max(n, 0)]

    def _sampler(self, sampling: SamplingConfig, seed: int) -> Any:
        lc = self._lc
        chain = lc.llama_sampler_chain_init(lc.llama_sampler_chain_default_params())
        if sampling.greedy:
            lc.llama_sampler_chain_add(chain, lc.llama_sampler_init_greedy())
            return chain
        if sampling.top_k:
            lc.llama_sampler_chain_add(chain, lc.llama_sampler_init_top_k(sampling.top_k))
        if sampling.top_p < 1:
            lc.llama_sampler_chain_add(chain, lc.llama_sampler_init_top_p(sampling.top_p, 1))
        lc.llama_sampler_chain_add(chain, lc.llama_sampler_init_temp(sampling.temperature))
        lc.llama_sampler_chain_add(chain, lc.llama_sampler_init_dist(seed & 0xFFFFFFFF))
        return chain

    def close(self) -> None:
        lc = self._lc
        if getattr(self, "_batch", None) is not None:
            lc.llama_batch_free(self._batch)
            self._batch = None
        if getattr(self, "_ctx", None):
            lc.llama_free(self._ctx)
            self._ctx = None
        if getattr(self, "llm", None) is not None:
            self.llm.close()
            self.llm = None

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = min(len(a), len(b))
    for k in range(n):
        if a[k] != b[k]:
            return k
    return n
