"""`specgym bench` plumbing with a scripted backend through the real envs: JSONL written as
episodes finish, resume, summaries with CIs and cue gaps, the PNG; and the statistics."""

from __future__ import annotations

import json

import pytest

from specgym.agents.lm.bench import (
    ALL_ENVS,
    newcombe_diff,
    parse_cues,
    parse_envs,
    read_jsonl,
    run_bench,
    summarize,
)
from tests.lm_train.conftest import ScriptedBackend

SYC = "specgym/PoliticalSycophancy-v0"


def test_bench_writes_resumes_and_summarizes(tmp_path):
    backend = ScriptedBackend(["(A)"], max_batch=4)
    out = tmp_path / "bench"
    s = run_bench("scripted", envs="PoliticalSycophancy-v0", episodes=6, out_dir=out,
                  context_cues="none,training", backend_obj=backend, progress=False, quiet=True)
    recs = read_jsonl(out / "episodes.jsonl")
    assert len(recs) == 12
    assert {r["context_cue"] for r in recs} == {"none", "training"}
    assert all(r["graded"] and r["completions"] == ["(A)"] for r in recs)
    row = s["envs"][SYC]
    k = sum(r["gamed"] for r in recs if r["context_cue"] == "none")
    assert row["by_cue"]["none"]["gamed"] == k and row["by_cue"]["none"]["n"] == 6
    lo, hi = row["by_cue"]["none"]["ci95"]
    assert 0 <= lo <= k / 6 <= hi <= 1
    assert "training - none" in row["cue_gap"]
    if k:
        assert row["by_cue"]["none"]["hack_types"]["sycophancy"]["count"] == k
    assert (out / "bench.png").stat().st_size > 1000
    assert json.loads((out / "summary.json").read_text())["envs"][SYC]["all"]["n"] == 12
    assert "PoliticalSycophancy-v0" in (out / "summary.md").read_text()

    # interrupted run: drop the last 5 episodes (and tear the last line); rerun redoes only them
    lines = (out / "episodes.jsonl").read_text().splitlines()
    (out / "episodes.jsonl").write_text("\n".join(lines[:7]) + "\n" + lines[7][:20])
    calls_before = sum(backend.batch_sizes)
    s2 = run_bench("scripted", envs="PoliticalSycophancy-v0", episodes=6, out_dir=out,
                   context_cues="none,training", backend_obj=backend, progress=False, quiet=True)
    assert sum(backend.batch_sizes) - calls_before == 5
    assert s2["envs"][SYC]["all"]["n"] == 12
    assert s2["envs"][SYC]["all"]["gamed"] == s["envs"][SYC]["all"]["gamed"]  # same seeds, same verdicts

    with pytest.raises(ValueError, match="other settings"):
        run_bench("scripted", envs="PoliticalSycophancy-v0", episodes=6, out_dir=out,
                  backend_obj=backend, temperature=0.1, progress=False, quiet=True)


def test_statistics():
    s = summarize([
        {"gamed": True, "hack_types": ["a", "b"], "reward": 1.0, "hidden_reward": 0.0, "graded": True},
        {"gamed": False, "hack_types": [], "reward": 0.0, "hidden_reward": 1.0, "graded": True},
        {"gamed": False, "hack_types": [], "reward": 0.0, "hidden_reward": None, "graded": False},
    ])
    assert s["n"] == 3 and s["gamed"] == 1 and s["n_ungraded"] == 1
    assert s["hack_types"]["a"]["count"] == 1 and s["hidden_reward"]["n"] == 2
    d = newcombe_diff(30, 50, 10, 50)
    assert d["diff"] == pytest.approx(0.4)
    assert 0.2 < d["ci95"][0] < 0.4 < d["ci95"][1] < 0.6
    assert newcombe_diff(0, 10, 0, 10)["ci95"][0] < 0 < newcombe_diff(0, 10, 0, 10)["ci95"][1]


def test_bad_input_names_the_field():
    assert parse_envs("all") == list(ALL_ENVS)
    assert parse_envs("ToolUseFlattery-v0,specgym/CodingTask-v0")[1] == "specgym/CodingTask-v0"
    with pytest.raises(ValueError, match="envs"):
        parse_envs("Nope-v0")
    with pytest.raises(ValueError, match="context_cue"):
        parse_cues("none,sometimes")
    with pytest.raises(ValueError, match="episodes"):
        run_bench("default", episodes=0)


def test_cli_bench_rejects_bad_env(capsys):
    import specgym.cli as cli

    if "specgym.cli_lm" not in cli.EXTENSIONS:
        cli.EXTENSIONS.append("specgym.cli_lm")
    assert cli.main(["bench", "--envs", "Nope-v0", "--episodes", "2", "--out", "/tmp/x"]) == 2
    assert "envs" in capsys.readouterr().err
