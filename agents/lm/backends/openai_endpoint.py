"""OpenAI-compatible chat endpoint backend: concurrent requests, one per chat.

Works with any server speaking ``/v1/chat/completions`` (vLLM, llama.cpp's server,
llama-cpp-python's server, hosted APIs). The key is read from ``SPECGYM_API_KEY`` or
``OPENAI_API_KEY``; local servers usually need none.

Warning: the server applies its own chat template, so ``Completion.prompt_text`` and the
token ids are None. Servers drop the stop string from the reply; it is put back when the
reply ends inside an unclosed ``<bash>`` call (the default stop), so replies read the same
as with the local backends.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from specgym.agents.lm.backends.base import Backend, Chat, Completion, chat_seeds
from specgym.agents.lm.chat import to_chat_messages
from specgym.agents.lm.sampling import TOOL_STOP, SamplingConfig

API_KEY_VARS = ("SPECGYM_API_KEY", "OPENAI_API_KEY")


def api_key_from_env() -> str:
    """The first key set in `API_KEY_VARS`, else a placeholder local servers accept."""
    return next((os.environ[v] for v in API_KEY_VARS if os.environ.get(v)), "not-needed")


class OpenAIBackend(Backend):
    """Chat completions from an OpenAI-compatible server.

    Args:
        model: the model name the server knows.
        base_url: e.g. ``http://127.0.0.1:8000/v1``.
        max_batch: requests in flight at once.
        timeout_s: per-request timeout.
        api_key: overrides the environment variables.
        max_retries: retries of a failed request (the openai client backs off between them).
    """

    name = "openai"

    def __init__(
        self,
        model: str,
        base_url: str,
        max_batch: int = 8,
        timeout_s: float = 120.0,
        api_key: str | None = None,
        max_retries: int = 2,
    ):
        try:
            import openai
        except ImportError:
            raise ImportError(
                "the endpoint backend needs the openai client: pip install openai"
            ) from None
        if not isinstance(max_batch, int) or max_batch < 1:
            raise ValueError(f"max_batch must be an int >= 1, got {max_batch!r}")
        self.model = model
        self.base_url = base_url
        self.max_batch = max_batch
        self.client = openai.OpenAI(
            base_url=base_url,
            api_key=api_key or api_key_from_env(),
            timeout=timeout_s,
            max_retries=max_retries,
        )
        self._pool = ThreadPoolExecutor(max_batch, thread_name_prefix="specgym-openai")

    def generate(
        self, chats: Sequence[Chat], sampling: SamplingConfig, seeds: Sequence[int] | None = None
    ) -> list[Completion]:
        seeds = chat_seeds(len(chats), sampling, seeds)
        jobs = [
            self._pool.submit(self._one, c, sampling, s) for c, s in zip(chats, seeds, strict=True)
        ]
        return [j.result() for j in jobs]

    def _one(self, chat: Chat, sampling: SamplingConfig, seed: int) -> Completion:
        import openai

        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": to_chat_messages(chat),
            "max_tokens": sampling.max_new_tokens,
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "seed": seed,
        }
        if sampling.stop:
            kwargs["stop"] = list(sampling.stop)
        if sampling.top_k:
            kwargs["extra_body"] = {"top_k": sampling.top_k}
        try:
            resp = self.client.chat.completions.create(**kwargs)
        except openai.BadRequestError as err:
            if "context" in str(err).lower():
                return Completion("", "context")
            raise
        choice = resp.choices[0]
        text = choice.message.content or ""
        reason = "length" if choice.finish_reason == "length" else "stop"
        if reason == "stop" and TOOL_STOP in sampling.stop and _unclosed_call(text):
            text += TOOL_STOP
        return Completion(text, reason)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.client.close()


def _unclosed_call(text: str) -> bool:
    return text.rfind("<bash>") > text.rfind(TOOL_STOP)
