"""Executors (serial, local pool, Ray) through the real envs and sandboxes: the same records
at any scale, resume, a killed worker survived; then the real default model at temperature 0.

The scripted backend draws its replies with the sampling seeds the engine passes, so these
tests fail if an episode's seeds or records depend on where, beside what, or after what it ran.
"""

from __future__ import annotations

import importlib.util
import os
import signal

import pytest

from specgym.agents.lm import SamplingConfig
from specgym.agents.lm.executor import (
    BackendSpec,
    LocalExecutor,
    SerialExecutor,
    make_executor,
    make_shards,
)
from specgym.agents.lm.records import read_jsonl, run_episode_grid, run_episodes
from tests.lm.conftest import FLATTERY, SYCOPHANCY, needs_bwrap

needs_ray = pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                               reason="needs ray (pip install 'specgym[dist]')")

SCRIPT = [
    ["<bash>cat poem.txt</bash>", "<bash>ls</bash>", "(A)", "(B)"],
    ["<bash>echo 5 > rating.txt</bash>", "<bash>echo 2 > rating.txt</bash>", "done"],
    ["I rated it.", "done"],
]
SAMPLING = SamplingConfig(max_new_tokens=16, temperature=0.7, seed=3)


def scripted(delay_s: float = 0.0, max_batch: int = 4) -> BackendSpec:
    return BackendSpec(factory="specgym.agents.lm.backends.scripted:ScriptedBackend",
                       max_batch=max_batch, options={"script": SCRIPT, "delay_s": delay_s})


def strip(records):
    """Records as a comparable set of JSON texts."""
    import json

    return sorted(json.dumps(r, sort_keys=True) for r in records)


@needs_bwrap
def test_an_episode_does_not_depend_on_the_others_in_its_request(tmp_path):
    spec = scripted()
    many = run_episodes(spec, FLATTERY, range(8), tmp_path / "many.jsonl", sampling=SAMPLING,
                        max_turns=3, shard_size=3)
    alone = run_episodes(spec, FLATTERY, [5], tmp_path / "alone.jsonl", sampling=SAMPLING,
                         max_turns=3)
    assert alone == [many[5]]
    assert len({tuple(r["completions"]) for r in many}) > 2  # the seeds do choose the replies


def test_repeats_of_a_seed_keep_their_sample_number_across_shards():
    shards = make_shards(SYCOPHANCY, [4, 4, 4, 9], sampling=SAMPLING, max_turns=1, shard_size=2)
    assert [s.samples for s in shards] == [(0, 1), (2, 0)]
    with SerialExecutor(spec=scripted()) as ex:
        eps = ex.episodes(SYCOPHANCY, [4, 4, 4, 9], sampling=SAMPLING, max_turns=1, shard_size=2)
        one = ex.episodes(SYCOPHANCY, [4, 4, 4, 9], sampling=SAMPLING, max_turns=1, shard_size=4)
    assert [(e.seed, e.sample, e.index) for e in eps] == [(4, 0, 0), (4, 1, 1), (4, 2, 2), (9, 0, 3)]
    assert ex.timings["env_s"] > 0 and set(ex.timings) == {"generate_s", "env_s"}
    assert [e.turns[0].completion_text for e in eps] == [e.turns[0].completion_text for e in one]


@needs_bwrap
def test_serial_and_local_pool_write_the_same_records(tmp_path):
    cells = [(FLATTERY, "none"), (FLATTERY, "training"), (SYCOPHANCY, "none")]
    kw = {"sampling": SAMPLING, "max_turns": 3, "shard_size": 4, "extra": {"model": "s"}}
    serial = run_episode_grid(scripted(), cells, range(10), tmp_path / "s.jsonl", **kw)
    local = run_episode_grid(scripted(), cells, range(10), tmp_path / "l.jsonl",
                             executor="local", workers=2, **kw)
    assert len(serial) == 30 and serial == local  # same records, in request order
    assert strip(read_jsonl(tmp_path / "l.jsonl")) == strip(serial)  # each written once


def test_a_killed_worker_is_survived(tmp_path):
    spec = scripted(delay_s=0.15, max_batch=2)
    kw = {"sampling": SAMPLING, "max_turns": 1, "shard_size": 4}
    want = run_episodes(spec, SYCOPHANCY, range(16), tmp_path / "serial.jsonl", **kw)
    killed = []
    with LocalExecutor(spec, workers=2) as ex:

        def kill_one(_rec):
            if not killed:  # after the first episode comes back, kill a worker mid-shard
                killed.append(ex.pids()[0])
                os.kill(killed[0], signal.SIGKILL)

        got = run_episodes(spec, SYCOPHANCY, range(16), tmp_path / "pool.jsonl",
                           executor=ex, on_record=kill_one, **kw)
        assert ex.restarts >= 1 and killed[0] not in ex.pids()
        assert ex.timings["generate_s"] > 0
    assert got == want
    lines = read_jsonl(tmp_path / "pool.jsonl")
    assert sorted(r["seed"] for r in lines) == list(range(16))  # none lost, none twice


def test_resume_reruns_a_partial_shard_whole_and_writes_only_what_is_missing(tmp_path):
    spec = scripted()
    kw = {"sampling": SAMPLING, "max_turns": 1, "shard_size": 4}
    path = tmp_path / "e.jsonl"
    first = run_episodes(spec, SYCOPHANCY, range(8), path, **kw)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:5]) + "\n" + lines[5][:30])  # seeds 5.. lost, one torn
    ran = []
    again = run_episodes(spec, SYCOPHANCY, range(8), path, on_record=ran.append, **kw)
    assert again == first
    assert sorted(r["seed"] for r in ran) == [5, 6, 7]
    assert sorted(r["seed"] for r in read_jsonl(path)) == list(range(8))


def test_a_failing_shard_stops_the_run_and_the_pool_is_not_reused_dirty(tmp_path):
    kw = {"sampling": SAMPLING, "max_turns": 1, "shard_size": 2}
    with LocalExecutor(scripted(delay_s=0.05), workers=2) as ex:
        with pytest.raises(RuntimeError, match="failed in worker"):
            run_episodes(scripted(), SYCOPHANCY, range(8), tmp_path / "x.jsonl", executor=ex,
                         env_kwargs={"no_such_option": 1}, **kw)
        assert ex.pids() == []  # closed: no busy worker left to leak into the next run
        good = run_episodes(scripted(), SYCOPHANCY, range(4), tmp_path / "y.jsonl",
                            executor=ex, **kw)
    assert [r["seed"] for r in good] == [0, 1, 2, 3]


def test_bad_executor_input_names_the_field():
    with pytest.raises(ValueError, match="executor"):
        make_executor("threads", spec=scripted())
    with pytest.raises(ValueError, match="BackendSpec"):
        make_executor("local", backend=object())
    with pytest.raises(ValueError, match="workers"):
        make_executor("serial", spec=scripted(), workers=4)
    with pytest.raises(ValueError, match="max_batch"):
        BackendSpec(max_batch=0)
    with pytest.raises(ValueError, match="shard_size"):
        make_shards(SYCOPHANCY, [1], sampling=SAMPLING, max_turns=1, shard_size=0)


@needs_ray
@needs_bwrap
def test_ray_writes_the_same_records_and_survives_a_killed_actor(tmp_path):
    from specgym.agents.lm.executor import RayExecutor

    cells = [(FLATTERY, "none"), (SYCOPHANCY, "none")]
    kw = {"sampling": SAMPLING, "max_turns": 3, "shard_size": 4}
    serial = run_episode_grid(scripted(), cells, range(12), tmp_path / "s.jsonl", **kw)
    killed = []
    with RayExecutor(scripted(delay_s=0.1), workers=2) as ex:

        def kill_one(_rec):
            if not killed:
                killed.append(ex.pids()[0])
                os.kill(killed[0], signal.SIGKILL)

        got = run_episode_grid(scripted(), cells, range(12), tmp_path / "r.jsonl",
                               executor=ex, on_record=kill_one, **kw)
        assert ex.restarts >= 1 and ex.timings["generate_s"] > 0  # delay_s in every call
    assert got == serial
    assert strip(read_jsonl(tmp_path / "r.jsonl")) == strip(serial)


@pytest.mark.slow
@needs_bwrap
def test_the_default_model_at_temperature_0_gives_the_same_records_everywhere(tmp_path):
    pytest.importorskip("llama_cpp")
    spec = BackendSpec("default", backend="llama.cpp", max_batch=4, threads=1,
                       options={"context_tokens": 2048})
    cells = [(FLATTERY, "none"), (SYCOPHANCY, "none")]
    kw = {"sampling": SamplingConfig(max_new_tokens=32, temperature=0.0), "max_turns": 2,
          "shard_size": 4}
    runs = {"serial": run_episode_grid(spec, cells, range(8), tmp_path / "s.jsonl", **kw),
            "local": run_episode_grid(spec, cells, range(8), tmp_path / "l.jsonl",
                                      executor="local", workers=2, **kw)}
    if importlib.util.find_spec("ray") is not None:
        runs["ray"] = run_episode_grid(spec, cells, range(8), tmp_path / "r.jsonl",
                                       executor="ray", workers=2, **kw)
    assert len(runs["serial"]) == 16
    for name, recs in runs.items():
        assert recs == runs["serial"], name


def test_trainers_evaluation_takes_a_spec_and_an_executor(tmp_path):
    from specgym.agents.lm.train.common import backend_spec, evaluate_backend

    kw = {"seed_offset": 100, "sampling": SAMPLING, "max_turns": 1}
    with make_executor("local", spec=scripted(), workers=2) as ex:
        pooled = evaluate_backend(scripted(), SYCOPHANCY, 6, tmp_path / "p.jsonl", executor=ex,
                                  **kw)
    serial = evaluate_backend(scripted().build(), SYCOPHANCY, 6, tmp_path / "s.jsonl", **kw)
    assert pooled == serial and pooled["n"] == 6
    spec = backend_spec("default", backend="llama.cpp", max_batch=8, threads=1)
    assert (spec.model, spec.backend, spec.max_batch, spec.threads) == ("default", "llama.cpp", 8, 1)
    with pytest.raises(ValueError, match="backend"):
        backend_spec("default", backend="vllm")
