"""Executors: where the episodes of an evaluation run — here, on a local process pool, on Ray.

An evaluation is cut into **shards**: consecutive blocks of ``shard_size`` of the requested
seeds of one (environment, context cue). `run_shard` plays one shard with the
`RolloutEngine` on a backend whose cache was just emptied; that plain function is the unit of
distribution, and the executors differ only in where it runs:

==========  ===================================================================================
``serial``  this process, shard after shard, on one backend (a live object or a spec)
``local``   a pool of worker processes on this machine (one per core by default); each loads
            its own backend from a picklable `BackendSpec` and runs its own sandboxes
``ray``     one Ray actor per worker, on a Ray cluster (``ray start`` on each machine, or a
            local one started here); needs ``pip install 'specgym[dist]'``
==========  ===================================================================================

Every executor streams each finished episode back to the calling process, which alone writes
``episodes.jsonl`` (`specgym.agents.lm.records.run_episode_grid`); a worker that dies has its
shard run again on a fresh worker, and what it had already sent is kept, not counted twice.

Same answers at any scale: an episode's record depends on its seed, its shard's seeds and
the settings, never on the executor, the number of workers or what a worker ran before. (The
shard is the unit because batched decoding is not bitwise batch-invariant: llama.cpp and
transformers give a sequence slightly different logits beside other sequences, which at
temperature 0 can change a greedy choice. So results do depend on ``shard_size`` and
``max_batch``, which a benchmark records.)

>>> spec = BackendSpec("default", backend="llama.cpp", max_batch=16, threads=1)  # doctest: +SKIP
>>> with make_executor("local", spec, workers=2) as ex:  # doctest: +SKIP
...     eps = ex.episodes("specgym/ToolUseFlattery-v0", range(64), sampling=SamplingConfig())

Warning: a ``local`` or ``ray`` worker loads the model itself, so it needs a `BackendSpec`;
a model held in memory (one being trained) can only run ``serial``, or be saved first and
named by its folder.
"""

from __future__ import annotations

import importlib
import os
import queue
import signal
import threading
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing import connection as mp_connection
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from specgym.agents.lm.backends.base import Backend
from specgym.agents.lm.rollout import Episode, RolloutEngine
from specgym.agents.lm.sampling import SamplingConfig

EXECUTORS = ("serial", "local", "ray")
SHARD_SIZE = 16
"""Default episodes per shard (the default ``max_batch``: a shard fills one batch)."""


def default_workers() -> int:
    """Cores this process may use (one worker per core)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class BackendSpec:
    """How a worker builds its own backend: picklable, so it travels to processes and nodes.

    Attributes:
        model: a model spec (``default``, ``helpful``, ``openai:NAME``, a .gguf file, a
            Hugging Face folder or id; see `specgym.agents.lm.spec`) or a folder saved by
            ``specgym train lm``.
        backend: ``auto``, ``llama.cpp``, ``transformers`` or ``openai``.
        base_url: endpoint URL for ``openai:NAME``.
        max_batch: chats generated together in one worker.
        threads: CPU threads per worker (llama.cpp threads, torch threads); None: all cores.
        options: more keyword arguments for the backend (``context_tokens``, ``timeout_s``...).
        factory: ``"module:function"`` returning a `Backend` from ``max_batch=`` and
            ``options`` instead of `load_backend` (the scripted backend of the tests).
    """

    model: str = "default"
    backend: str = "auto"
    base_url: str | None = None
    max_batch: int = 16
    threads: int | None = 1
    options: Mapping[str, Any] = field(default_factory=dict)
    factory: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.max_batch, int) or self.max_batch < 1:
            raise ValueError(f"max_batch must be an int >= 1, got {self.max_batch!r}")
        if self.threads is not None and (not isinstance(self.threads, int) or self.threads < 1):
            raise ValueError(f"threads must be None or an int >= 1, got {self.threads!r}")
        if self.factory is not None and ":" not in self.factory:
            raise ValueError(f"factory must read 'module:function', got {self.factory!r}")
        object.__setattr__(self, "options", dict(self.options))

    def build(self) -> Backend:
        """Load the backend in this process (what each worker does once)."""
        if self.factory is not None:
            module, name = self.factory.split(":", 1)
            return getattr(importlib.import_module(module), name)(
                max_batch=self.max_batch, **self.options)
        from specgym.agents.lm import load_backend, resolve_backend
        from specgym.agents.lm.spec import parse_model_spec
        from specgym.agents.lm.train.common import DONE, load_model

        if (Path(self.model) / DONE).is_file():  # saved by `specgym train lm` (maybe an adapter)
            if self.backend not in ("auto", "transformers"):
                raise ValueError(f"backend: a saved training run {self.model!r} runs on "
                                 f"'transformers' (or 'auto'), got {self.backend!r}")
            self._torch_threads()
            return load_model(self.model, max_batch=self.max_batch, **self.options)
        spec = parse_model_spec(self.model, self.base_url)
        name = resolve_backend(spec, self.backend)
        opts = dict(self.options)
        if name == "llama.cpp":
            opts.setdefault("n_threads", self.threads)
        elif name == "transformers":
            self._torch_threads()
        return load_backend(spec, backend=name, max_batch=self.max_batch, **opts)

    def _torch_threads(self) -> None:
        if self.threads:
            import torch

            torch.set_num_threads(self.threads)


@dataclass(frozen=True)
class Shard:
    """A block of episodes of one environment, run together on one backend.

    ``samples`` number the repeats of a seed in the whole request (`Episode.sample`), so a
    shard boundary between two samples of one seed changes nothing.
    """

    env_id: str
    seeds: tuple[int, ...]
    samples: tuple[int, ...]
    sampling: SamplingConfig
    max_turns: int | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    env_kwargs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def context_cue(self) -> str:
        return str(self.options.get("context_cue", "none"))


def make_shards(
    env_id: str, seeds: Iterable[int], *, sampling: SamplingConfig, max_turns: int | None,
    options: Mapping[str, Any] | None = None, env_kwargs: Mapping[str, Any] | None = None,
    shard_size: int = SHARD_SIZE,
) -> list[Shard]:
    """Consecutive blocks of ``shard_size`` of ``seeds`` (as requested, repeats allowed)."""
    if not isinstance(shard_size, int) or shard_size < 1:
        raise ValueError(f"shard_size must be an int >= 1, got {shard_size!r}")
    seeds = [int(s) for s in seeds]
    seen: dict[int, int] = {}
    samples = []
    for s in seeds:
        samples.append(seen.get(s, 0))
        seen[s] = samples[-1] + 1
    return [
        Shard(env_id, tuple(seeds[i:i + shard_size]), tuple(samples[i:i + shard_size]),
              sampling, max_turns, dict(options or {}), dict(env_kwargs or {}))
        for i in range(0, len(seeds), shard_size)
    ]


def run_shard(backend: Backend, shard: Shard, emit: Callable[[Episode], None]) -> dict[str, float]:
    """Play one shard on ``backend`` (its cache emptied first), calling ``emit`` with each
    episode as it finishes: the function every executor runs. Returns the engine's timings
    (seconds in ``generate`` and in env resets and steps)."""
    backend.reset()
    engine = RolloutEngine(backend, shard.sampling, max_turns=shard.max_turns)
    engine.run(shard.env_id, list(shard.seeds), options=dict(shard.options) or None,
               env_kwargs=dict(shard.env_kwargs) or None, on_episode=emit,
               samples=list(shard.samples))
    return dict(engine.timings)


OnEpisode = Callable[[Shard, Episode], None]


class Executor:
    """Runs shards somewhere and streams every finished episode to ``on_episode``.

    ``on_episode(shard, episode)`` is called in this process, one call at a time, as episodes
    finish (in no fixed order across shards). After a worker died, episodes of its shard may
    arrive again (the shard is rerun whole, so they are the same): callers key them.
    """

    kind = "executor"
    workers = 1
    timings: dict[str, float]
    """Seconds in ``generate`` and in env resets/steps, summed over every finished shard and
    worker (`RolloutEngine.timings`); a shard lost with its worker is not counted."""

    def _add_timings(self, t: Mapping[str, float]) -> None:
        for k, v in t.items():
            self.timings[k] = self.timings.get(k, 0.0) + float(v)

    def run(self, shards: Sequence[Shard], on_episode: OnEpisode) -> None:
        raise NotImplementedError

    def episodes(
        self, env_id: str, seeds: Iterable[int], *, sampling: SamplingConfig,
        max_turns: int | None = None, options: Mapping[str, Any] | None = None,
        env_kwargs: Mapping[str, Any] | None = None, shard_size: int = SHARD_SIZE,
    ) -> list[Episode]:
        """Every requested episode as an `Episode` (token ids included), in request order:
        what a trainer's sampler wants (expert iteration keeps the best and trains on them)."""
        shards = make_shards(env_id, seeds, sampling=sampling, max_turns=max_turns,
                             options=options, env_kwargs=env_kwargs, shard_size=shard_size)
        got: dict[tuple[int, int], Episode] = {}
        self.run(shards, lambda _s, ep: got.setdefault((ep.seed, ep.sample), ep))
        out = []
        for i, (s, k) in enumerate((s, k) for sh in shards for s, k in zip(sh.seeds, sh.samples,
                                                                           strict=True)):
            ep = got[(s, k)]
            ep.index = i
            out.append(ep)
        return out

    def close(self) -> None:
        return None

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialExecutor(Executor):
    """Shards one after the other in this process, on ``backend`` or one built from ``spec``."""

    kind = "serial"

    def __init__(self, backend: Backend | None = None, spec: BackendSpec | None = None):
        if (backend is None) == (spec is None):
            raise ValueError("SerialExecutor needs exactly one of backend, spec")
        self.spec = spec
        self._backend = backend
        self._owned = backend is None
        self.timings = {"generate_s": 0.0, "env_s": 0.0}

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            assert self.spec is not None
            self._backend = self.spec.build()
        return self._backend

    def run(self, shards: Sequence[Shard], on_episode: OnEpisode) -> None:
        for shard in shards:
            self._add_timings(run_shard(self.backend, shard,
                                        lambda ep, sh=shard: on_episode(sh, ep)))

    def close(self) -> None:
        if self._owned and self._backend is not None:
            self._backend.close()
            self._backend = None


class WorkerLost(RuntimeError):
    """A shard lost its worker more often than ``max_retries`` allows."""


# -- local process pool -----------------------------------------------------------------------
def _local_worker(conn: Any, spec: BackendSpec) -> None:
    """A pool worker: load the backend once, then run the shards it is sent, streaming
    ("episode", shard id, Episode) messages and ("done", shard id) after each."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when work stops
    try:
        backend = spec.build()
    except BaseException:
        conn.send(("failed", None, traceback.format_exc()))
        return
    conn.send(("ready", None, os.getpid()))
    try:
        while True:
            try:
                msg = conn.recv()
            except EOFError:
                break
            if msg is None:
                break
            sid, shard = msg
            try:
                t = run_shard(backend, shard, lambda ep, sid=sid: conn.send(("episode", sid, ep)))
            except Exception:
                conn.send(("error", sid, traceback.format_exc()))
            else:
                conn.send(("done", sid, t))
    finally:
        backend.close()


@dataclass
class _Worker:
    process: Any
    conn: Any
    shard: int | None = None
    ready: bool = False


class LocalExecutor(Executor):
    """A pool of ``workers`` processes on this machine, each with its own backend.

    Workers start on the first `run` (each loads the model once) and stay for later runs
    until `close`. A worker that dies (killed, out of memory, a crash in native code) is
    replaced, and its shard is rerun on another worker, up to ``max_retries`` times per shard.
    A Python exception inside a shard is a bug, not a lost worker: it is raised here.
    """

    kind = "local"

    def __init__(self, spec: BackendSpec, workers: int | None = None, max_retries: int = 2,
                 start_method: str = "spawn"):
        if not isinstance(spec, BackendSpec):
            raise TypeError(f"the local executor needs a BackendSpec (each worker loads its own "
                            f"model), got {type(spec).__name__}")
        workers = default_workers() if workers is None else workers
        if not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be an int >= 1, got {workers!r}")
        self.spec, self.workers, self.max_retries = spec, workers, max_retries
        self._ctx = get_context(start_method)
        self._pool: list[_Worker] = []
        self.restarts = 0
        """Workers started to replace dead ones, over this executor's life."""
        self.timings = {"generate_s": 0.0, "env_s": 0.0}

    def pids(self) -> list[int]:
        """Process ids of the live workers (a test kills one)."""
        return [w.process.pid for w in self._pool]

    def _start(self) -> None:
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(target=_local_worker, args=(child, self.spec), daemon=True,
                                 name=f"specgym-worker-{len(self._pool)}")
        proc.start()
        child.close()
        self._pool.append(_Worker(proc, parent))

    def run(self, shards: Sequence[Shard], on_episode: OnEpisode) -> None:
        try:
            self._run(shards, on_episode)
        except BaseException:
            self.close()  # busy workers would send this run's episodes into the next one
            raise

    def _run(self, shards: Sequence[Shard], on_episode: OnEpisode) -> None:
        todo = deque(range(len(shards)))
        lost = [0] * len(shards)
        while len(self._pool) < self.workers:
            self._start()
        deaths_unready = 0
        while todo or any(w.shard is not None for w in self._pool):
            for w in self._pool:
                if w.shard is None and todo:
                    w.shard = todo.popleft()
                    w.conn.send((w.shard, shards[w.shard]))
            for conn in mp_connection.wait([w.conn for w in self._pool]):
                w = next(x for x in self._pool if x.conn is conn)
                try:
                    kind, sid, payload = conn.recv()
                except (EOFError, OSError):
                    # the worker died: rerun its shard elsewhere, start a replacement
                    w.process.join(timeout=10)
                    self._pool.remove(w)
                    conn.close()
                    code = w.process.exitcode
                    if w.shard is not None:
                        lost[w.shard] += 1
                        if lost[w.shard] > self.max_retries:
                            raise WorkerLost(f"shard {w.shard} ({shards[w.shard].env_id}, "
                                             f"seeds {shards[w.shard].seeds[0]}..) lost its "
                                             f"worker {lost[w.shard]} times (last exit code "
                                             f"{code})") from None
                        todo.appendleft(w.shard)
                    if not w.ready:
                        deaths_unready += 1
                        if deaths_unready > self.max_retries:
                            raise WorkerLost(f"workers died before loading the backend "
                                             f"{deaths_unready} times (exit code {code})") from None
                    self.restarts += 1
                    self._start()
                    continue
                if kind == "episode":
                    on_episode(shards[sid], payload)
                elif kind == "done":
                    w.shard = None
                    self._add_timings(payload)
                elif kind == "ready":
                    w.ready = True
                elif kind == "failed":
                    raise RuntimeError(f"a worker could not load its backend:\n{payload}")
                else:  # "error"
                    raise RuntimeError(f"shard {sid} ({shards[sid].env_id}) failed in worker "
                                       f"{w.process.pid}:\n{payload}")

    def close(self) -> None:
        for w in self._pool:
            try:
                w.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        for w in self._pool:
            w.process.join(timeout=10 if w.shard is None else 0)
            if w.process.is_alive():
                w.process.terminate()
                w.process.join(timeout=5)
            w.conn.close()
        self._pool = []

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass


# -- Ray --------------------------------------------------------------------------------------
class _RayShardWorker:
    """The body of a Ray actor: one backend, shards streamed back episode by episode."""

    def __init__(self, spec: BackendSpec):
        self.backend = spec.build()

    def pid(self) -> int:
        return os.getpid()

    def run(self, shard: Shard) -> Any:
        out: queue.Queue = queue.Queue()

        def work() -> None:
            try:
                out.put(("timings", run_shard(self.backend, shard,
                                              lambda ep: out.put(("episode", ep)))))
            except BaseException as err:  # handed to the generator, raised there
                out.put(("error", err))

        threading.Thread(target=work, daemon=True).start()
        while True:
            kind, item = out.get()
            if kind == "error":
                raise item
            yield kind, item  # ("episode", Episode) ..., then ("timings", dict)
            if kind == "timings":
                return


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ImportError("the ray executor needs Ray: pip install 'specgym[dist]'") from None
    return ray


class RayExecutor(Executor):
    """One Ray actor per worker (``num_cpus`` each), on the cluster at ``address``.

    ``address``: a running cluster (``ray start --head`` printed it; ``auto`` finds a local
    one; ``RAY_ADDRESS`` is read too); None starts a private Ray on this machine with
    ``workers`` CPUs. ``workers`` defaults to the cluster's CPUs / ``num_cpus``. Every node
    needs specgym installed (and bubblewrap, for the sandboxes). A lost actor is replaced and
    its shard rerun, up to ``max_retries`` times per shard.
    """

    kind = "ray"

    def __init__(self, spec: BackendSpec, workers: int | None = None, address: str | None = None,
                 max_retries: int = 2, num_cpus: float = 1):
        if not isinstance(spec, BackendSpec):
            raise TypeError(f"the ray executor needs a BackendSpec (each worker loads its own "
                            f"model), got {type(spec).__name__}")
        if workers is not None and (not isinstance(workers, int) or workers < 1):
            raise ValueError(f"workers must be an int >= 1, got {workers!r}")
        ray = self._ray = _import_ray()
        self.spec, self.max_retries = spec, max_retries
        self._started = False
        if not ray.is_initialized():
            address = address or os.environ.get("RAY_ADDRESS")
            quiet = {"include_dashboard": False, "log_to_driver": False,
                     "configure_logging": False}
            if address:
                try:
                    ray.init(address=address, **quiet)
                except ConnectionError as err:
                    raise ValueError(f"ray_address: no Ray cluster at {address!r} ({err}); start "
                                     f"one with `ray start --head`, or give no address to start "
                                     f"a Ray for this run") from None
            else:
                ray.init(num_cpus=workers or default_workers(), **quiet)
            self._started = True
        cpus = ray.cluster_resources().get("CPU", 1)
        self.workers = workers or max(1, int(cpus // num_cpus))
        self._actor = ray.remote(num_cpus=num_cpus, max_restarts=0)(_RayShardWorker)
        self._actors: list[Any] = []
        self.restarts = 0
        self.timings = {"generate_s": 0.0, "env_s": 0.0}

    def pids(self) -> list[int]:
        """Process ids of the actors (on their nodes)."""
        return self._ray.get([a.pid.remote() for a in self._actors])

    def run(self, shards: Sequence[Shard], on_episode: OnEpisode) -> None:
        try:
            self._run(shards, on_episode)
        except BaseException:
            for a in self._actors:  # busy actors would stream into the next run
                self._ray.kill(a)
            self._actors = []
            raise

    def _run(self, shards: Sequence[Shard], on_episode: OnEpisode) -> None:
        ray = self._ray
        dead = (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError)
        while len(self._actors) < self.workers:
            self._actors.append(self._actor.remote(self.spec))
        todo = deque(range(len(shards)))
        lost = [0] * len(shards)
        idle = list(self._actors)
        running: dict[Any, tuple[Any, int]] = {}  # generator -> (actor, shard id)
        while todo or running:
            while idle and todo:
                actor, sid = idle.pop(), todo.popleft()
                gen = actor.run.options(num_returns="streaming").remote(shards[sid])
                running[gen] = (actor, sid)
            [gen], _ = ray.wait(list(running), num_returns=1)
            actor, sid = running[gen]
            try:
                ref = next(gen)
                kind, item = ray.get(ref)
            except StopIteration:
                del running[gen]
                idle.append(actor)
                continue
            except dead as err:
                del running[gen]
                lost[sid] += 1
                if lost[sid] > self.max_retries:
                    raise WorkerLost(f"shard {sid} ({shards[sid].env_id}) lost its actor "
                                     f"{lost[sid]} times") from err
                todo.appendleft(sid)
                self._actors.remove(actor)
                ray.kill(actor)
                fresh = self._actor.remote(self.spec)
                self._actors.append(fresh)
                idle.append(fresh)
                self.restarts += 1
                continue
            if kind == "timings":
                self._add_timings(item)
            else:
                on_episode(shards[sid], item)

    def close(self) -> None:
        for a in self._actors:
            self._ray.kill(a)
        self._actors = []
        if self._started and self._ray.is_initialized():
            self._ray.shutdown()
            self._started = False


def make_executor(kind: str | Executor = "serial", spec: BackendSpec | None = None,
                  backend: Backend | None = None, workers: int | None = None,
                  address: str | None = None) -> Executor:
    """An executor by name (`EXECUTORS`); an `Executor` passes through unchanged.

    ``serial`` takes a live ``backend`` or a ``spec``; ``local`` and ``ray`` need a ``spec``.
    """
    if isinstance(kind, Executor):
        return kind
    if kind not in EXECUTORS:
        raise ValueError(f"executor must be one of {list(EXECUTORS)}, got {kind!r}")
    if kind == "serial":
        if workers not in (None, 1):
            raise ValueError(f"workers: the serial executor runs in one process, got {workers}; "
                             f"use the local or ray executor")
        return SerialExecutor(backend=backend, spec=None if backend is not None else spec)
    if spec is None:
        raise ValueError(f"the {kind} executor needs a BackendSpec: its workers load their own "
                         f"model (a backend object in this process cannot be shipped to them)")
    if kind == "local":
        return LocalExecutor(spec, workers=workers)
    return RayExecutor(spec, workers=workers, address=address)
