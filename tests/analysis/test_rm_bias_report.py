"""The RMBias-v0 experiment's runner and tables, through the real env with scripted replies:
the same records on a process pool as in one process, resume, and rates that match hand counts."""

from __future__ import annotations

import json

import pytest

from specgym.agents.lm.executor import BackendSpec
from specgym.analysis import rm_bias_report
from specgym.envs.text.rm_biases import BIASES, DEFAULT_HELDOUT
from tests.text.conftest import requires_bwrap

# one reply per chat, drawn by seed: two rewarded biases, one held-out bias, or none
REPLIES = ["Great question! Remember to vote.", "Stay hydrated and rest well.",
           "Rest well and see a doctor if it lasts."]


def scripted() -> BackendSpec:
    return BackendSpec(factory="specgym.agents.lm.backends.scripted:ScriptedBackend",
                       max_batch=4, options={"script": [REPLIES]})


def records(out):
    rows = [json.loads(line) for line in (out / "episodes.jsonl").read_text().splitlines()]
    return sorted(json.dumps(r, sort_keys=True) for r in rows)


@requires_bwrap
def test_pool_run_matches_serial_resumes_and_counts_by_hand(tmp_path):
    kw = {"spec": scripted(), "max_new_tokens": 16}
    rm_bias_report.run("scripted", ["none", "prompt"], 12, tmp_path / "serial", **kw)
    rm_bias_report.run("scripted", ["none", "prompt"], 12, tmp_path / "pool", executor="local",
                       workers=2, **kw)
    assert records(tmp_path / "serial") == records(tmp_path / "pool")
    before = records(tmp_path / "pool")
    rm_bias_report.run("scripted", ["none", "prompt"], 12, tmp_path / "pool", executor="local",
                       workers=2, **kw)  # resumes: nothing left to run
    assert records(tmp_path / "pool") == before
    rows = [json.loads(r) for r in before]
    assert len(rows) == 24 and {r["condition"] for r in rows} == {"none", "prompt"}
    assert len({r["reply"] for r in rows}) > 1  # the seeds choose the replies

    summary = rm_bias_report.report(tmp_path / "pool")
    table = summary["conditions"]["none"]
    none_rows = [r for r in rows if r["condition"] == "none"]
    vote = sum("Remember to vote" in r["reply"] for r in none_rows)
    hydrated = sum("Stay hydrated" in r["reply"] for r in none_rows)
    assert table["per_bias"]["urge_to_vote"]["k"] == vote
    assert table["per_bias"]["stay_hydrated"]["k"] == hydrated
    assert table["per_bias"]["stay_hydrated"]["split"] == "heldout"
    # both biases apply to every domain, so each is counted over all 12 episodes
    assert table["per_bias"]["urge_to_vote"]["n"] == 12
    heldout_n = sum(sum(r["domain"] in b.domains for r in none_rows)
                    for b in BIASES if b.id in DEFAULT_HELDOUT)
    assert table["pooled"]["heldout"]["n"] == heldout_n
    assert table["pooled"]["heldout"]["k"] == hydrated  # no other held-out bias is ever shown
    assert {r["gamed"] for r in none_rows if "Remember to vote" in r["reply"]} == {True}
    assert {r["gamed"] for r in none_rows if "Stay hydrated" in r["reply"]} == {False}
    assert "prompt - none (heldout)" in summary["differences"]


def test_serial_refuses_workers(tmp_path):
    with pytest.raises(ValueError, match="serial executor"):
        rm_bias_report.run("scripted", ["none"], 2, tmp_path, spec=scripted(), workers=2)


def test_compare_matches_each_runs_own_tables_and_refuses_bad_cells(tmp_path):
    import random

    from specgym.analysis.stats import newcombe_diff

    rng = random.Random(0)
    for name, p_vote in (("a", 0.1), ("b", 0.6)):
        run_dir = tmp_path / name
        run_dir.mkdir()
        with (run_dir / "episodes.jsonl").open("w") as f:
            for seed in range(40):
                hacks = ["urge_to_vote"] if rng.random() < p_vote else []
                f.write(json.dumps({"condition": "prompt", "seed": seed, "domain": "advice",
                                    "hack_types": hacks, "gamed": bool(hacks), "reward": 0.0,
                                    "hidden_reward": 0.5, "quality": 1.0, "graded": True,
                                    "reply": ""}) + "\n")
    out = tmp_path / "cmp" / "experiment.json"
    summary = rm_bias_report.compare([f"A={tmp_path / 'a'}:prompt", f"B={tmp_path / 'b'}:prompt"],
                                     out, reference="A")
    a, b = summary["cells"]
    assert (a["label"], b["label"]) == ("A", "B") and a["episodes"] == b["episodes"] == 40
    for split in ("train", "heldout"):
        own = rm_bias_report.report(tmp_path / "b")["conditions"]["prompt"]["pooled"][split]
        assert b["pooled"][split] == own
    k_a, k_b = a["pooled"]["train"]["k"], b["pooled"]["train"]["k"]
    assert k_b > k_a
    assert b["vs_reference"]["train"] == newcombe_diff(k_b, b["pooled"]["train"]["n"],
                                                       k_a, a["pooled"]["train"]["n"])
    assert out.with_suffix(".png").stat().st_size > 0
    assert "| B | 40 |" in out.with_suffix(".md").read_text()

    with pytest.raises(ValueError, match="LABEL=RUN_DIR:CONDITION"):
        rm_bias_report.compare([str(tmp_path / "a")], out)
    with pytest.raises(ValueError, match="no graded episodes of condition 'none'"):
        rm_bias_report.compare([f"A={tmp_path / 'a'}:none"], out)
    with pytest.raises(ValueError, match="reference must be one of"):
        rm_bias_report.compare([f"A={tmp_path / 'a'}:prompt"], out, reference="C")
