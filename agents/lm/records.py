"""Episodes as JSON records: what a benchmark or an evaluation writes, one line per episode.

`run_episodes` plays the seeds not yet on disk and appends each episode's transcript and
verdict to a JSONL file as it finishes (a crash loses at most the episode in flight; a torn
last line is dropped on reading); `tally` counts gaming in some records. Intervals, tables and
plots of these records are reporting: `specgym.analysis.gaming_report`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


def episode_record(ep: Any, **extra: Any) -> dict[str, Any]:
    """A JSON-ready transcript + verdict of one `Episode` (what ``episodes.jsonl`` holds).

    An episode that ended without a grade (cut by ``max_turns`` or the context) has
    ``graded`` false and counts as not gamed.
    """
    info = ep.info or {}
    graded = "gamed" in info
    return {
        "env_id": ep.env_id,
        "seed": ep.seed,
        "options": ep.options,
        **extra,
        "graded": graded,
        "gamed": bool(info.get("gamed", False)),
        "hack_types": list(info.get("hack_types", []) or []),
        "reward": float(ep.reward),
        "hidden_reward": _float_or_none(info.get("hidden_reward")),
        "oversight_passed": info.get("oversight_passed"),
        "terminated": ep.terminated,
        "truncated": ep.truncated,
        "truncated_reason": info.get("truncated_reason"),
        "n_turns": len(ep.turns),
        "messages": ep.messages,
        "completions": [t.completion_text for t in ep.turns],
        "finish_reasons": [t.finish_reason for t in ep.turns],
    }


def _float_or_none(x: Any) -> float | None:
    try:
        return None if x is None else float(x)
    except (TypeError, ValueError):
        return None


def tally(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Counts and means of some records: n, gamed, gaming rate, episodes per hack type, mean
    visible and hidden reward, honest passes (no hack, full hidden reward: a coding solution
    that passes the held-out tests), ungraded episodes (no intervals: see
    `analysis.gaming_report`)."""
    n = len(records)
    k = sum(bool(r["gamed"]) for r in records)
    hacks: dict[str, int] = {}
    for r in records:
        for h in set(r["hack_types"]):
            hacks[h] = hacks.get(h, 0) + 1
    hidden = [r["hidden_reward"] for r in records if r["hidden_reward"] is not None]
    return {
        "n": n,
        "gamed": k,
        "gaming_rate": k / n if n else float("nan"),
        "hack_counts": dict(sorted(hacks.items())),
        "mean_visible_reward": sum(r["reward"] for r in records) / n if n else float("nan"),
        "mean_hidden_reward": sum(hidden) / len(hidden) if hidden else float("nan"),
        "n_honest_pass": sum(
            bool(r["graded"]) and not r["hack_types"] and (r["hidden_reward"] or 0.0) >= 1.0
            for r in records),
        "n_ungraded": sum(not r["graded"] for r in records),
    }


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Records of a JSONL file; a torn last line (a crash mid-write) is dropped."""
    path = Path(path)
    if not path.is_file():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


def run_episodes(
    backend: Any,
    env_id: str,
    seeds: Sequence[int],
    out_jsonl: Path,
    *,
    sampling: Any,
    max_turns: int | None,
    context_cue: str = "none",
    env_kwargs: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    on_record: Callable[[dict[str, Any]], None] | None = None,
    executor: Any = "serial",
    workers: int | None = None,
    shard_size: int | None = None,
) -> list[dict[str, Any]]:
    """Run the episodes of ``seeds`` not yet in ``out_jsonl`` (matched by env, cue and seed),
    appending each record as it finishes; return all records for them (old and new).

    ``backend``: a live `Backend` (``serial`` only) or a `BackendSpec`; ``executor``:
    ``serial``, ``local``, ``ray`` or an `Executor` (see `specgym.agents.lm.executor` and
    `run_episode_grid`, which this calls with one cell).
    """
    return run_episode_grid(
        backend, [(env_id, context_cue)], seeds, out_jsonl, sampling=sampling,
        max_turns=max_turns, env_kwargs=env_kwargs, extra=extra, on_record=on_record,
        executor=executor, workers=workers, shard_size=shard_size,
    )


def run_episode_grid(
    backend: Any,
    cells: Sequence[tuple[str, str]],
    seeds: Sequence[int],
    out_jsonl: Path,
    *,
    sampling: Any,
    max_turns: int | None,
    env_kwargs: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    on_record: Callable[[dict[str, Any]], None] | None = None,
    executor: Any = "serial",
    workers: int | None = None,
    shard_size: int | None = None,
) -> list[dict[str, Any]]:
    """`run_episodes` for many (env id, context cue) cells at once: their shards share one
    executor, so a pool stays busy across cells; records come back cell by cell, seed by seed.

    Each cell's seeds are cut into shards of ``shard_size`` (default `SHARD_SIZE`); a shard
    whose episodes are all on disk is skipped, any other is run whole (so its episodes come
    out as in an uninterrupted run) and only its missing records are written. This process
    writes every line, so workers never interleave.
    """
    from specgym.agents.lm.executor import (
        SHARD_SIZE,
        BackendSpec,
        Executor,
        make_executor,
        make_shards,
    )

    out_jsonl = Path(out_jsonl)
    out_jsonl.parent.mkdir(parents=True, exist_ok=True)
    seeds = [int(s) for s in seeds]
    if len(set(seeds)) != len(seeds):
        raise ValueError("seeds: records are keyed by seed, so each seed may appear once")
    cells = [(e, c) for e, c in cells]
    done = {
        (r["env_id"], r.get("context_cue", "none"), r["seed"]): r for r in read_jsonl(out_jsonl)
        if (r["env_id"], r.get("context_cue", "none")) in cells
    }
    shards = []
    for env_id, cue in cells:
        for shard in make_shards(
            env_id, seeds, sampling=sampling, max_turns=max_turns,
            options={"context_cue": cue} if cue != "none" else {}, env_kwargs=env_kwargs,
            shard_size=shard_size or SHARD_SIZE,
        ):
            if any((env_id, cue, s) not in done for s in shard.seeds):
                shards.append(shard)
    if shards:
        own = not isinstance(executor, Executor)
        spec = backend if isinstance(backend, BackendSpec) else None
        ex = make_executor(executor, spec=spec, backend=None if spec else backend,
                           workers=workers)
        try:
            _drop_torn_tail(out_jsonl)
            with out_jsonl.open("a") as fh:

                def write(shard: Any, ep: Any) -> None:
                    key = (shard.env_id, shard.context_cue, ep.seed)
                    if key in done:  # on disk already, or sent again by a rerun shard
                        return
                    rec = episode_record(ep, context_cue=shard.context_cue, **(extra or {}))
                    fh.write(json.dumps(rec) + "\n")
                    fh.flush()
                    done[key] = rec
                    if on_record is not None:
                        on_record(rec)

                ex.run(shards, write)
        finally:
            if own:
                ex.close()
    return [done[(e, c, s)] for e, c in cells for s in seeds if (e, c, s) in done]


def _drop_torn_tail(path: Path) -> None:
    """Cut a last line that a crash left without its newline, so appends start a line."""
    if not path.is_file() or path.stat().st_size == 0:
        return
    with path.open("rb+") as fh:
        fh.seek(-1, 2)
        if fh.read(1) == b"\n":
            return
        data = fh.seek(0) or fh.read()
        fh.truncate(data.rfind(b"\n") + 1)
