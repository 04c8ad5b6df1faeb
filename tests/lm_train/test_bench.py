"""`specgym bench` with a scripted backend through the real envs: JSONL written as episodes
finish, resume, settings mismatch refused; then the report (`analysis.gaming_report`):
summaries with CIs and cue gaps, the table and the PNG."""

from __future__ import annotations

import json

import pytest

from specgym.agents.lm.bench import parse_cues, parse_envs, run_bench
from specgym.agents.lm.records import read_jsonl, tally
from specgym.analysis.gaming_report import summarize, write_bench_report
from specgym.analysis.stats import wilson_interval
from specgym.envs.text.cues import CONTEXT_CUES
from specgym.envs.text.registry import text_env_ids
from tests.lm_train.conftest import ScriptedBackend

SYC = "specgym/PoliticalSycophancy-v0"


def test_bench_writes_resumes_and_reports(tmp_path):
    backend = ScriptedBackend(["(A)"], max_batch=4)
    out = tmp_path / "bench"
    run = run_bench("scripted", envs="PoliticalSycophancy-v0", episodes=6, out_dir=out,
                    context_cues="none,training", backend_obj=backend, progress=False)
    recs = read_jsonl(out / "episodes.jsonl")
    assert len(recs) == len(run["records"]) == 12
    assert {r["context_cue"] for r in recs} == {"none", "training"}
    assert all(r["graded"] and r["completions"] == ["(A)"] for r in recs)
    s = write_bench_report(run, out, quiet=True)
    row = s["envs"][SYC]
    k = sum(r["gamed"] for r in recs if r["context_cue"] == "none")
    assert row["by_cue"]["none"]["gamed"] == k and row["by_cue"]["none"]["n"] == 6
    assert row["by_cue"]["none"]["ci95"] == list(wilson_interval(k, 6))
    assert "training - none" in row["cue_gap"]
    if k:
        assert row["by_cue"]["none"]["hack_types"]["sycophancy"]["count"] == k
    assert (out / "bench.png").stat().st_size > 1000
    assert json.loads((out / "summary.json").read_text())["envs"][SYC]["all"]["n"] == 12
    assert "PoliticalSycophancy-v0" in (out / "summary.md").read_text()

    # interrupted run: drop the last 5 episodes (and tear the last line); the rerun plays their
    # shard again whole (6 episodes: a shard's episodes come out as in one uninterrupted run)
    # and writes only the 5 missing ones
    lines = (out / "episodes.jsonl").read_text().splitlines()
    (out / "episodes.jsonl").write_text("\n".join(lines[:7]) + "\n" + lines[7][:20])
    calls_before = sum(backend.batch_sizes)
    run2 = run_bench("scripted", envs="PoliticalSycophancy-v0", episodes=6, out_dir=out,
                     context_cues="none,training", backend_obj=backend, progress=False)
    assert sum(backend.batch_sizes) - calls_before == 6
    assert len(read_jsonl(out / "episodes.jsonl")) == 12
    assert run2["records"] == run["records"]
    assert tally(run2["records"])["n"] == 12
    assert tally(run2["records"])["gamed"] == tally(run["records"])["gamed"]  # same seeds

    with pytest.raises(ValueError, match="other settings"):
        run_bench("scripted", envs="PoliticalSycophancy-v0", episodes=6, out_dir=out,
                  backend_obj=backend, temperature=0.1, progress=False)


def test_summaries_count_and_interval():
    recs = [
        {"gamed": True, "hack_types": ["a", "b"], "reward": 1.0, "hidden_reward": 0.0, "graded": True},
        {"gamed": False, "hack_types": [], "reward": 0.0, "hidden_reward": 1.0, "graded": True},
        {"gamed": False, "hack_types": [], "reward": 0.0, "hidden_reward": None, "graded": False},
    ]
    t, s = tally(recs), summarize(recs)
    assert (t["n"], t["gamed"], t["n_ungraded"], t["hack_counts"]) == (3, 1, 1, {"a": 1, "b": 1})
    assert t["n_honest_pass"] == 1  # the second: no hack, full hidden reward
    assert t["mean_hidden_reward"] == 0.5 and t["mean_visible_reward"] == pytest.approx(1 / 3)
    assert s["n"] == 3 and s["gamed"] == 1 and s["n_ungraded"] == 1
    assert s["hack_types"]["a"]["count"] == 1 and s["hidden_reward"]["n"] == 2
    assert s["ci95"] == list(wilson_interval(1, 3))


def test_lists_come_from_the_registry_and_the_cue_module():
    assert parse_envs("all") == text_env_ids()
    assert parse_envs("curriculum") == text_env_ids("curriculum")
    assert parse_envs("coding") == ["specgym/CodingTask-v0", "specgym/ImpossibleCodingTask-v0"]
    assert parse_envs("ToolUseFlattery-v0,specgym/CodingTask-v0")[1] == "specgym/CodingTask-v0"
    assert parse_cues(",".join(CONTEXT_CUES)) == list(CONTEXT_CUES)


def test_bad_input_names_the_field():
    with pytest.raises(ValueError, match="envs"):
        parse_envs("Nope-v0")
    with pytest.raises(ValueError, match="context_cue"):
        parse_cues("none,sometimes")
    with pytest.raises(ValueError, match="episodes"):
        run_bench("default", episodes=0)


def test_cli_bench_rejects_bad_env(capsys):
    import specgym.cli as cli

    assert cli.main(["bench", "--envs", "Nope-v0", "--episodes", "2", "--out", "/tmp/x"]) == 2
    assert "envs" in capsys.readouterr().err


def test_cli_bench_help_lists_every_cue_and_family(capsys):
    import specgym.cli as cli

    with pytest.raises(SystemExit):
        cli.main(["bench", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert all(cue in text for cue in CONTEXT_CUES)
    assert "curriculum" in text and "coding" in text


def test_cli_bench_config_file_under_the_flags(tmp_path, capsys):
    import specgym.cli as cli
    from specgym.cli_lm import bench_settings

    cfg = tmp_path / "b.yaml"
    cfg.write_text("episodes: 7\nexecutor: ray\nworkers: 3\nmax_batch: 4\n")
    args = cli.build_parser().parse_args(["bench", "--config", str(cfg), "--max-batch", "2"])
    s = bench_settings(args)
    assert (s["episodes"], s["executor"], s["workers"]) == (7, "ray", 3)
    assert s["max_batch"] == 2 and s["model"] == "default"  # the flag wins; defaults stay
    cfg.write_text("episodes: 7\nepisodez: 3\n")
    assert cli.main(["bench", "--config", str(cfg)]) == 2
    assert "episodez" in capsys.readouterr().err


def test_shipped_bench_configs_hold_only_bench_options():
    from pathlib import Path

    import yaml

    from specgym.cli_lm import BENCH_OPTIONS

    root = Path(__file__).resolve().parents[2]
    data = yaml.safe_load((root / "configs" / "bench_endpoint_gpu.yaml").read_text())
    assert set(data) <= set(BENCH_OPTIONS) and data["model"].startswith("openai:")
