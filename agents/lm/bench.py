"""`specgym bench`: play every text environment with one model and record each episode.

Runs the registered text environments (`specgym.envs.text.registry`: ``all``, a family such as
``curriculum`` or ``coding``, or ids) under each context cue (`specgym.envs.text.cues`), and
appends every episode's transcript and verdict to ``episodes.jsonl`` as it finishes: an
interrupted benchmark resumes where it stopped (episodes on disk are not run again), and a
rerun with other sampling settings into the same folder is refused. Summaries, intervals, the
table and the plot are made from those records by `specgym.analysis.gaming_report`.

>>> run = run_bench("default", envs="all", episodes=8, out_dir="runs/bench")  # doctest: +SKIP
>>> len(run["records"]), run["meta"]["envs"][:1]  # doctest: +SKIP
(56, ['specgym/PoliticalSycophancy-v0'])
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from specgym.agents.lm.records import read_jsonl, run_episode_grid
from specgym.envs.text.cues import CONTEXT_CUES
from specgym.envs.text.registry import FAMILIES, text_env_ids

EPISODES_FILE = "episodes.jsonl"


def parse_envs(envs: str | Iterable[str]) -> list[str]:
    """``all``, a family (``curriculum``, ``coding``) or a comma-separated list of registered
    text-env ids (``specgym/`` optional), in registry order for ``all`` and families."""
    if isinstance(envs, str):
        if envs == "all":
            return text_env_ids()
        if envs in FAMILIES:
            return text_env_ids(envs)
        envs = [e.strip() for e in envs.split(",") if e.strip()]
    known = text_env_ids()
    out = []
    for e in envs:
        e = e if e.startswith("specgym/") else f"specgym/{e}"
        if e not in known:
            raise ValueError(f"envs: {e!r} is not a text environment; allowed: 'all', "
                             f"{', '.join(repr(f) for f in FAMILIES)} or ids from {known}")
        out.append(e)
    if not out:
        raise ValueError("envs: no environment given")
    return out


def parse_cues(cues: str | Iterable[str] | None) -> list[str]:
    """Comma-separated context cue names (the first is the reference of the gap)."""
    if cues is None:
        return ["none"]
    if isinstance(cues, str):
        cues = [c.strip() for c in cues.split(",") if c.strip()]
    cues = list(cues)
    for c in cues:
        if c not in CONTEXT_CUES:
            raise ValueError(f"context_cue: {c!r} is not allowed; allowed: {list(CONTEXT_CUES)}")
    if not cues or len(set(cues)) != len(cues):
        raise ValueError(f"context_cue: give one or more distinct cues from {list(CONTEXT_CUES)}")
    return cues


def bench_spec(model: str, backend: str, base_url: str | None, max_batch: int,
               threads: int | None) -> Any:
    """The `BackendSpec` a benchmark runs (each worker builds its backend from it): a saved
    training run (on transformers, or on llama.cpp after a GGUF export), or any model spec on
    any backend (llama.cpp with a 4096-token context)."""
    from specgym.agents.lm import resolve_backend
    from specgym.agents.lm.executor import BackendSpec
    from specgym.agents.lm.spec import parse_model_spec
    from specgym.agents.lm.train.common import DONE

    opts: dict[str, Any] = {}
    if (Path(model) / DONE).is_file():
        if backend == "llama.cpp":  # the curriculum's spec: exported to GGUF once, Q8_0
            from dataclasses import replace

            from specgym.agents.lm.train.common import backend_spec

            spec = backend_spec(model, "llama.cpp", max_batch, threads)
            return replace(spec, options={**spec.options, "context_tokens": 4096})
    elif resolve_backend(parse_model_spec(model, base_url), backend) == "llama.cpp":
        opts["context_tokens"] = 4096
    return BackendSpec(str(model), backend=backend, base_url=base_url, max_batch=max_batch,
                       threads=threads, options=opts)


def load_bench_backend(model: str, backend: str, base_url: str | None, max_batch: int,
                       threads: int | None) -> Any:
    """The backend a benchmark runs, built in this process (see `bench_spec`)."""
    return bench_spec(model, backend, base_url, max_batch, threads).build()


def run_bench(
    model: str = "default",
    envs: str | Iterable[str] = "all",
    episodes: int = 16,
    out_dir: str | Path = "runs/bench",
    context_cues: str | Iterable[str] | None = None,
    *,
    backend: str = "auto",
    base_url: str | None = None,
    max_new_tokens: int = 128,
    temperature: float = 0.7,
    max_turns: int = 4,
    max_batch: int = 16,
    threads: int | None = 1,
    seed: int = 0,
    backend_obj: Any = None,
    progress: bool = True,
    executor: str = "local",
    workers: int | None = None,
    ray_address: str | None = None,
    shard_size: int | None = None,
) -> dict[str, Any]:
    """Run the benchmark (resuming from ``out_dir``); return ``{"meta", "records"}``.

    ``backend_obj``: an already built `Backend` (then ``model``/``backend`` only label it,
    and the run is ``serial`` in this process). ``executor``: ``local`` (a process pool of
    ``workers``, default one per core, each with ``threads`` threads), ``serial`` or ``ray``
    (at ``ray_address``, or a Ray started here); see `specgym.agents.lm.executor`. The records
    are the same whichever runs them. Episode seeds are ``seed .. seed + episodes - 1`` for
    every env and cue, in shards of ``shard_size`` (default `SHARD_SIZE`). ``meta`` holds the
    settings that decide the records, the envs, cues, episodes per cell and this run's wall
    time and executor.
    """
    from specgym.agents.lm import SamplingConfig
    from specgym.agents.lm.executor import EXECUTORS, SHARD_SIZE, make_executor

    if not isinstance(episodes, int) or isinstance(episodes, bool) or episodes < 1:
        raise ValueError(f"episodes must be an int >= 1, got {episodes!r}")
    env_ids, cues = parse_envs(envs), parse_cues(context_cues)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sampling = SamplingConfig(max_new_tokens=max_new_tokens, temperature=temperature, seed=seed)
    if executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {list(EXECUTORS)}, got {executor!r}")
    shard_size = shard_size or SHARD_SIZE
    meta = {
        "model": str(model), "backend": backend if backend_obj is None else backend_obj.name,
        "max_new_tokens": max_new_tokens, "temperature": temperature, "max_turns": max_turns,
        "seed": seed,
        "max_batch": max_batch if backend_obj is None else backend_obj.max_batch,
        "shard_size": shard_size,
    }
    meta_path = out / "meta.json"
    if meta_path.is_file():
        old = json.loads(meta_path.read_text())
        # settings a folder's meta lacks (written before they were recorded) are not compared
        diff = {k: (old.get(k), v) for k, v in meta.items() if k in old and old[k] != v}
        if diff:
            raise ValueError(f"out_dir {str(out)!r} holds a benchmark with other settings "
                             f"{diff} (old, new); use another --out or the same settings")
    meta_path.write_text(json.dumps(meta, indent=2))
    if backend_obj is not None:
        executor = "serial"
    ex = make_executor(
        executor, spec=bench_spec(model, backend, base_url, max_batch, threads)
        if backend_obj is None else None, backend=backend_obj, workers=workers,
        address=ray_address,
    )
    seeds = list(range(seed, seed + episodes))
    path = out / EPISODES_FILE
    total = len(env_ids) * len(cues) * episodes
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, initial=min(len(read_jsonl(path)), total), desc="bench", unit="ep",
                   postfix=f"{ex.kind} x{ex.workers}")
    t0 = time.time()
    try:
        records = run_episode_grid(
            backend_obj, [(e, c) for e in env_ids for c in cues], seeds, path,
            sampling=sampling, max_turns=max_turns, extra={"model": str(model)},
            on_record=(lambda _r: bar.update(1)) if bar is not None else None,
            executor=ex, shard_size=shard_size,
        )
    finally:
        ex.close()
    if bar is not None:
        bar.close()
    meta = {**meta, "episodes_per_cell": episodes, "context_cues": cues, "envs": env_ids,
            "wall_s_this_run": round(time.time() - t0, 1), "executor": ex.kind,
            "workers": ex.workers}
    return {"meta": meta, "records": records}
