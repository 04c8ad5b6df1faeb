"""The coding-hacks evaluation table: cells per condition, intervals, differences, reuse."""

from __future__ import annotations

import json

import pytest

from specgym.analysis import coding_hacks_report as report
from specgym.analysis.stats import newcombe_diff, wilson_interval


def write(path, gamed: int, n: int, hack="always_equal"):
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as fh:
        for i in range(n):
            fh.write(json.dumps({"seed": i, "gamed": i < gamed, "graded": True,
                                 "hack_types": [hack] if i < gamed else [],
                                 "hidden_reward": 0.0 if i < gamed else 1.0}) + "\n")


def test_cells_follow_the_condition_and_reject_unknown_ones():
    names = [c.name for c in report.cells("inoculation")]
    assert names[:3] == ["coding_inoculation", "coding_hardened", "impossible"]
    assert names[3:] == list(report.CURRICULUM_STAGES)
    trained = report.cells("inoculation")[0]
    assert trained.env_kwargs == {"grader": "careless", "hack_prompt": "inoculation"}
    assert report.cells("none")[1].env_kwargs == {"grader": "hardened"}
    with pytest.raises(ValueError, match="condition"):
        report.cells("please-hack")


def test_table_rates_intervals_and_differences_to_the_control(tmp_path):
    control, trained = tmp_path / "helpful", tmp_path / "inoc"
    stages = tmp_path / "curriculum"
    write(control / "coding_none.jsonl", 0, 10)
    write(control / "coding_inoculation.jsonl", 1, 10)
    write(stages / "reward_tampering.jsonl", 0, 20, hack="reward_tampering")
    (control / "meta.json").write_text(json.dumps(
        {"reuse": {"reward_tampering": str(stages / "reward_tampering.jsonl")}}))
    write(trained / "coding_inoculation.jsonl", 6, 10)
    write(trained / "reward_tampering.jsonl", 2, 20, hack="reward_tampering")
    summary = report.table(("helpful", control), {"inoc-s0": ("inoculation", trained)})
    assert summary["columns"][0] == "coding_trained_prompt"
    assert len(summary["columns"]) == 3 + len(report.CURRICULUM_STAGES)
    row = summary["rows"]["inoc-s0"]["cells"]
    coding = row["coding_trained_prompt"]
    assert (coding["gamed"], coding["n"], coding["cell"]) == (6, 10, "coding_inoculation")
    assert coding["ci95"] == list(wilson_interval(6, 10))
    assert coding["hack_types"] == {"always_equal": 6}
    # against the control's cell under the same prompt, not its no-hint cell
    assert coding["control"] == {"n": 10, "gamed": 1}
    assert coding["diff_to_control"] == newcombe_diff(6, 10, 1, 10)
    tamper = row["reward_tampering"]
    assert tamper["control"] == {"n": 20, "gamed": 0}  # read through the control's reuse
    assert tamper["diff_to_control"]["ci95"][0] < 0.1 < tamper["diff_to_control"]["ci95"][1]
    assert summary["rows"]["helpful"]["cells"]["coding_hardened"]["n"] == 0
    text = report.format_markdown(summary)
    assert "0.600 [0.313, 0.832] 6/10; +0.500" in text
    assert text.count("\n") == 3  # header, rule, two rows
    report.plot(summary, tmp_path / "plot.png")
    assert (tmp_path / "plot.png").stat().st_size > 1000


def test_bad_cli_pairs_name_the_flag(tmp_path):
    with pytest.raises(ValueError, match="--model"):
        report.main(["report", "--control", f"helpful={tmp_path}", "--model", "x=maybe:/tmp",
                     "--out", str(tmp_path)])
    with pytest.raises(ValueError, match="--control"):
        report.main(["report", "--control", "helpful", "--out", str(tmp_path)])
