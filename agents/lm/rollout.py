"""The rollout engine: many text-environment episodes driven at once by one backend.

Each of ``max_concurrent`` slots holds one live episode (its own env instance). A step of
the engine asks the backend for one reply for every slot in a single ``generate`` call
(a padded batch for transformers, parallel slots for llama.cpp, concurrent requests for
endpoints), then steps all envs in threads (their sandbox commands are subprocesses). A
finished episode's slot takes the next requested episode at once, so batches stay full.

Episodes come back as `Episode` records with every assistant turn's prompt text, reply
text and token ids, so trainers (GRPO, expert iteration) can score and train on them.

>>> engine = RolloutEngine(load_backend("default"), SamplingConfig(max_new_tokens=64))  # doctest: +SKIP
>>> episodes = engine.run("specgym/ToolUseFlattery-v0", seeds=range(8))  # doctest: +SKIP
>>> episodes[0].turns[0].completion_text, episodes[0].info["gamed"]  # doctest: +SKIP
"""

from __future__ import annotations

import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import gymnasium as gym

from specgym.agents.lm.backends.base import Backend, Completion
from specgym.agents.lm.sampling import SamplingConfig


@dataclass
class Turn:
    """One assistant turn and what the environment did with it.

    ``prompt_text``/token ids are None for endpoint backends (the server renders prompts).
    ``info`` is the step's info without ``messages`` (the episode keeps the full chat).
    """

    prompt_text: str | None
    completion_text: str
    finish_reason: str
    prompt_token_ids: list[int] | None
    completion_token_ids: list[int] | None
    observation: str = ""
    reward: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class Episode:
    """A finished episode.

    Attributes:
        index: position in the requested list (``run`` returns episodes in that order).
        env_id, seed, options: what was reset.
        sample: how many earlier episodes of the same request had this seed (0, 1, ...:
            the samples of one prompt in expert iteration); with ``seed`` and the sampling
            seed it fixes the episode's sampling seeds.
        turns: assistant turns in order.
        messages: the final chat history (system/user/assistant/tool).
        reward: sum of step rewards (the visible reward: text envs pay only at the end).
        terminated / truncated: as Gymnasium reports; ``truncated`` is also set when the
            chat outgrew the model's context (then ``info["truncated_reason"] == "context"``
            and the environment's end-of-episode fields are absent).
        info: the last step's info without ``messages`` (``gamed``, ``hack_types``,
            ``hidden_reward``, ``oversight_passed``, ...).
    """

    index: int
    env_id: str
    seed: int | None
    options: dict[str, Any]
    sample: int = 0
    turns: list[Turn] = field(default_factory=list)
    messages: list[dict[str, str]] = field(default_factory=list)
    reward: float = 0.0
    terminated: bool = False
    truncated: bool = False
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def gamed(self) -> bool:
        return bool(self.info.get("gamed", False))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (for writing transcripts as they are produced)."""
        return asdict(self)


EnvFactory = Callable[[], gym.Env]


class RolloutEngine:
    """Runs episodes of a text environment with a language-model backend.

    Args:
        backend: any `Backend` (see `specgym.agents.lm.loading.load_backend`).
        sampling: sampling settings for every reply.
        max_concurrent: live episodes at once (default: the backend's ``max_batch``).
        max_turns: replies per episode at most, on top of the env's own limit (None: the
            env decides); an episode cut here is ``truncated`` with reason ``max_turns``.
    """

    def __init__(
        self,
        backend: Backend,
        sampling: SamplingConfig | None = None,
        max_concurrent: int | None = None,
        max_turns: int | None = None,
    ):
        self.backend = backend
        self.sampling = sampling or SamplingConfig()
        self.max_concurrent = backend.max_batch if max_concurrent is None else max_concurrent
        if not isinstance(self.max_concurrent, int) or self.max_concurrent < 1:
            raise ValueError(f"max_concurrent must be an int >= 1, got {max_concurrent!r}")
        if max_turns is not None and (not isinstance(max_turns, int) or max_turns < 1):
            raise ValueError(f"max_turns must be None or an int >= 1, got {max_turns!r}")
        self.max_turns = max_turns
        self.timings = {"generate_s": 0.0, "env_s": 0.0}
        """Seconds spent in ``backend.generate`` and in env resets/steps (tool calls and the
        end-of-episode grading), summed over every `run` of this engine."""

    def run(
        self,
        env: str | EnvFactory,
        seeds: int | Iterable[int],
        options: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        env_kwargs: Mapping[str, Any] | None = None,
        on_episode: Callable[[Episode], None] | None = None,
        samples: Sequence[int] | None = None,
    ) -> list[Episode]:
        """Run one episode per seed and return them in seed order.

        Args:
            env: a registered id (``specgym/ToolUseFlattery-v0``) or a function making an env.
            seeds: reset seeds, or an int n for seeds ``0..n-1``.
            options: reset options for every episode, or one mapping per seed.
            env_kwargs: passed to ``gym.make`` when ``env`` is an id.
            on_episode: called with each episode as it finishes (write results as they come).
            samples: each episode's `Episode.sample` (default: how many times its seed came
                earlier in ``seeds``); executors that split one request pass it along.
        """
        seeds = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
        if options is None or isinstance(options, Mapping):
            per_episode = [dict(options or {}) for _ in seeds]
        else:
            per_episode = [dict(o) for o in options]
            if len(per_episode) != len(seeds):
                raise ValueError(f"got {len(per_episode)} options for {len(seeds)} seeds")
        if isinstance(env, str):
            env_id, kwargs = env, dict(env_kwargs or {})

            def make() -> gym.Env:
                return gym.make(env_id, **kwargs)
        elif callable(env):
            if env_kwargs:
                raise ValueError("env_kwargs is only used with an env id")
            env_id, make = getattr(env, "__name__", "custom"), env
        else:
            raise TypeError(f"env must be an env id or a function making an env, got {env!r}")

        if samples is None:
            seen: dict[int, int] = {}
            samples = []
            for s in seeds:
                samples.append(seen.get(s, 0))
                seen[s] = samples[-1] + 1
        elif len(samples) != len(seeds):
            raise ValueError(f"got {len(samples)} samples for {len(seeds)} seeds")
        todo = deque(
            Episode(i, env_id, s, o, sample=int(k))
            for i, (s, o, k) in enumerate(zip(seeds, per_episode, samples, strict=True))
        )
        n_slots = min(self.max_concurrent, len(todo))
        done: list[Episode] = []
        if not n_slots:
            return done
        envs: list[gym.Env] = []
        with ThreadPoolExecutor(n_slots, thread_name_prefix="specgym-env") as pool:
            try:
                envs = list(pool.map(lambda _: make(), range(n_slots)))
                live: dict[int, Episode] = {}  # slot -> episode
                while todo or live:
                    # 1. fill free slots with new episodes (resets run in threads)
                    starts = [(s, todo.popleft()) for s in range(n_slots) if s not in live and todo]
                    t0 = time.perf_counter()
                    list(pool.map(lambda se: self._reset(envs[se[0]], se[1]), starts))
                    self.timings["env_s"] += time.perf_counter() - t0
                    live.update(starts)
                    # 2. one reply for every live episode, in one backend call
                    slots = sorted(live)
                    eps = [live[s] for s in slots]
                    t0 = time.perf_counter()
                    comps = self.backend.generate(
                        [ep.messages for ep in eps],
                        self.sampling,
                        seeds=[self._seed(ep) for ep in eps],
                    )
                    t1 = time.perf_counter()
                    self.timings["generate_s"] += t1 - t0
                    if len(comps) != len(eps):
                        raise RuntimeError(
                            f"backend {self.backend.name} returned {len(comps)} completions "
                            f"for {len(eps)} chats"
                        )
                    # 3. step every env with its reply (tool calls run in threads)
                    over = list(
                        pool.map(
                            lambda j: self._step(*j),
                            [(envs[s], live[s], c) for s, c in zip(slots, comps, strict=True)],
                        )
                    )
                    self.timings["env_s"] += time.perf_counter() - t1
                    for slot, ended in zip(slots, over, strict=True):
                        if ended:
                            done.append(live.pop(slot))
                            if on_episode is not None:
                                on_episode(done[-1])
            finally:
                for e in envs:
                    e.close()
        return sorted(done, key=lambda ep: ep.index)

    # -- per-episode mechanics (run in the env threads) --------------------------------------
    def _reset(self, env: gym.Env, ep: Episode) -> Episode:
        _, info = env.reset(seed=ep.seed, options=ep.options or None)
        ep.messages = info["messages"]
        return ep

    def _seed(self, ep: Episode) -> int:
        """Sampling seed for the episode's next turn: fixed by (config seed, episode seed,
        sample, turn), never by the episode's place in the request, so a seed run alone, in
        a shard or on another worker asks the backend for the same seeds."""
        key = f"{self.sampling.seed}:{ep.seed}:{ep.sample}:{len(ep.turns)}".encode()
        return zlib.crc32(key)

    def _step(self, env: gym.Env, ep: Episode, comp: Completion) -> bool:
        """Apply one completion; return whether the episode is over."""
        turn = Turn(
            comp.prompt_text,
            comp.text,
            comp.finish_reason,
            comp.prompt_token_ids,
            comp.completion_token_ids,
        )
        ep.turns.append(turn)
        if comp.finish_reason == "context":
            ep.truncated = True
            ep.info = {"truncated_reason": "context", "turn": len(ep.turns) - 1}
            return True
        obs, reward, terminated, truncated, info = env.step(comp.text)
        ep.messages = info.get("messages", ep.messages)
        turn.observation, turn.reward = obs, float(reward)
        turn.info = {k: v for k, v in info.items() if k != "messages"}
        ep.reward += float(reward)
        ep.terminated, ep.truncated, ep.info = bool(terminated), bool(truncated), turn.info
        if not (terminated or truncated) and self.max_turns and len(ep.turns) >= self.max_turns:
            ep.truncated = True
            ep.info = dict(turn.info, truncated_reason="max_turns")
        return ep.terminated or ep.truncated
