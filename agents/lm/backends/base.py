"""The one interface every backend implements: a batch of chats in, one completion each out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from specgym.agents.lm.sampling import SamplingConfig

Chat = Sequence[dict[str, str]]

FINISH_REASONS = ("stop", "length", "context")


@dataclass
class Completion:
    """One generated assistant turn.

    Attributes:
        text: the reply, cut just after a stop string if one was hit.
        finish_reason: ``stop`` (end of turn or stop string), ``length`` (``max_new_tokens``
            reached) or ``context`` (the prompt plus ``max_new_tokens`` does not fit the
            model's context; ``text`` is empty).
        prompt_text: the exact text the model was conditioned on (chat template applied),
            or None where the server applies the template (endpoints).
        prompt_token_ids / completion_token_ids: token ids of the prompt and of the reply
            (the reply's ids end with the end-of-turn token when the model emitted it), or
            None where the backend does not see tokens (endpoints).
    """

    text: str
    finish_reason: str
    prompt_text: str | None = None
    prompt_token_ids: list[int] | None = None
    completion_token_ids: list[int] | None = None


class Backend(ABC):
    """Generates replies for many chats at once.

    ``chats`` hold environment messages (roles system/user/assistant/tool, see
    `specgym.agents.lm.chat`). ``max_batch`` is how many chats a backend wants per call; the
    rollout engine keeps that many episodes in flight.
    """

    name: str = "backend"
    max_batch: int = 1

    @abstractmethod
    def generate(
        self, chats: Sequence[Chat], sampling: SamplingConfig, seeds: Sequence[int] | None = None
    ) -> list[Completion]:
        """One completion per chat, in order.

        ``seeds`` (one per chat; default ``sampling.seed + i``) make sampling reproducible.
        Backends that sample a batch from one random stream (transformers) seed it with
        the first; the others seed each chat.
        """

    def reset(self) -> None:
        """Forget state kept between calls (llama.cpp's prompt cache), so what follows does
        not depend on what came before; executors call it at the start of every shard."""
        return None

    def close(self) -> None:
        """Release model memory, threads or connections (nothing to release by default)."""
        return None

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def chat_seeds(n: int, sampling: SamplingConfig, seeds: Sequence[int] | None) -> list[int]:
    """The per-chat seeds for a call: ``seeds`` checked, or ``sampling.seed + i``."""
    if seeds is None:
        return [sampling.seed + i for i in range(n)]
    if len(seeds) != n:
        raise ValueError(f"got {len(seeds)} seeds for {n} chats")
    return [int(s) for s in seeds]
