"""A scripted backend: known replies, drawn with the sampling seeds a real model would get.

Not a model: it lets the machinery around one (the rollout engine, the executors, the
records) be checked through the real environments and sandboxes, in any process, with
answers known in advance. Turn ``k`` of every chat replies ``script[k]`` (the last entry
repeats); an entry that is a list of replies gives one of them, drawn with the chat's
sampling seed for that turn, so two runs agree exactly when they pass the same seeds.

>>> b = ScriptedBackend([["(A)", "(B)"]])
>>> chat = [{"role": "user", "content": "?"}]
>>> b.generate([chat, chat], SamplingConfig(), seeds=[7, 7])[0].text == \\
...     b.generate([chat], SamplingConfig(), seeds=[7])[0].text
True
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence

from specgym.agents.lm.backends.base import Backend, Chat, Completion, chat_seeds
from specgym.agents.lm.sampling import SamplingConfig


class ScriptedBackend(Backend):
    """Replies from a script, one entry per assistant turn.

    Args:
        script: per turn, a reply or a list of replies to draw from with the turn's seed.
        max_batch: chats per call the rollout engine keeps in flight.
        delay_s: seconds each ``generate`` call sleeps (a stand-in for a model's time, for
            tests that must catch a worker mid-run).
    """

    name = "scripted"

    def __init__(self, script: Sequence[str | Sequence[str]], max_batch: int = 16,
                 delay_s: float = 0.0):
        if isinstance(script, str) or not script:
            raise ValueError(f"script must be a non-empty list of replies, got {script!r}")
        self.script = [[s] if isinstance(s, str) else list(s) for s in script]
        if not all(entry and all(isinstance(r, str) for r in entry) for entry in self.script):
            raise ValueError(f"script entries must be strings or non-empty lists of strings, "
                             f"got {script!r}")
        if not isinstance(max_batch, int) or max_batch < 1:
            raise ValueError(f"max_batch must be an int >= 1, got {max_batch!r}")
        if not delay_s >= 0:
            raise ValueError(f"delay_s must be >= 0, got {delay_s!r}")
        self.max_batch = max_batch
        self.delay_s = float(delay_s)
        self.calls = 0

    def generate(
        self, chats: Sequence[Chat], sampling: SamplingConfig, seeds: Sequence[int] | None = None
    ) -> list[Completion]:
        seeds = chat_seeds(len(chats), sampling, seeds)
        self.calls += 1
        if self.delay_s:
            time.sleep(self.delay_s)
        out = []
        for chat, seed in zip(chats, seeds, strict=True):
            k = sum(m["role"] == "assistant" for m in chat)
            entry = self.script[min(k, len(self.script) - 1)]
            out.append(Completion(random.Random(seed).choice(entry), "stop"))
        return out
