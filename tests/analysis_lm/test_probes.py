"""Probes recover a direction planted in a tiny model; metrics match their definitions."""

from __future__ import annotations

import numpy as np
import pytest

from specgym.analysis.lm.activations import capture_episodes
from specgym.analysis.lm.probe_report import env_splits, run_probes
from specgym.analysis.lm.probes import (
    MeanDiffProbe,
    bootstrap_metrics,
    evaluate_layers,
    recall_at_fpr,
)
from tests.analysis_lm.conftest import episode, plant_gaming_direction, unit


@pytest.fixture
def planted(model, tokenizer, tmp_path):
    d = unit(7)
    plant_gaming_direction(model, d, alpha=1.0)
    rng = np.random.default_rng(0)
    recs = [episode(s, bool(rng.random() < 0.4), f"specgym/E{s % 3}-v0") for s in range(150)]
    acts = capture_episodes(model, tokenizer, recs, [0, 1, 2, 3], tmp_path, batch_size=16,
                            progress=False)
    return d.numpy(), acts


def test_probes_recover_the_planted_direction(planted):
    d, acts = planted
    y = np.array([lab["gamed"] for lab in acts["labels"]])
    splits = env_splits(acts["labels"])
    assert len(splits) == 3  # every env held out once
    report = run_probes(acts, splits, directions=np.stack([d] * 4), n_boot=200, cv_folds=5)
    cv = report.pop("within envs, 5-fold CV")
    assert cv["n_test"] == 150
    assert all(r["auroc"] > 0.99 for r in cv["positions"]["reply_mean"]["logistic"])
    assert all(0.2 < r["auroc"] < 0.8 for r in cv["positions"]["prompt_end"]["mean_diff"])
    for split, rep in report.items():
        reply = rep["positions"]["reply_mean"]
        for layer in range(4):
            assert reply["logistic"][layer]["auroc"] > 0.99, (split, layer)
            assert reply["mean_diff"][layer]["auroc"] > 0.99, (split, layer)
            assert reply["defection"][layer]["auroc"] > 0.99, (split, layer)
            assert reply["mean_diff"][layer]["recall_at_1pct_fpr"] > 0.9
        # the prompt says nothing about the label: its probes are at chance
        prompt = rep["positions"]["prompt_end"]
        assert all(0.2 < r["auroc"] < 0.8 for r in prompt["logistic"])
    # permuted labels keep only chance correlation with the truth: far below the real probe
    shuffled = [r["auroc"] for rep in report.values()
                for r in rep["positions"]["reply_mean"]["shuffled"]]
    assert np.mean(shuffled) < 0.8
    # the mean difference points along d (the residual stream carries it through layers)
    X = acts["X"]["reply_mean"]
    for layer in range(4):
        w = MeanDiffProbe().fit(X[:, layer], y).direction_
        assert w @ d / np.linalg.norm(w) > 0.9
    # so does the logistic probe's weight vector (in the raw feature space)
    from specgym.analysis.lm.probes import logistic_probe

    pipe = logistic_probe(C=1.0).fit(X[:, 1], y)
    w = pipe[-1].coef_[0] / pipe[0].scale_
    assert w @ d / np.linalg.norm(w) > 0.5


def test_shuffled_control_and_no_signal_are_at_chance():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((300, 2, 20))
    y = rng.random(300) < 0.5
    train = np.arange(300) < 200
    out = evaluate_layers(X, y, train, ~train, n_boot=200)
    for probe in ("logistic", "mean_diff", "shuffled"):
        for row in out[probe]:
            assert row["auroc_ci95"][0] < 0.5 < row["auroc_ci95"][1] or abs(row["auroc"] - .5) < .15


def test_metric_definitions():
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1], bool)
    s = np.array([0.1, 0.2, 0.3, 0.9, 0.4, 0.5, 0.95, 0.99])
    assert recall_at_fpr(y, s, 0.01) == 0.5  # threshold = the top negative (0.9)
    m = bootstrap_metrics(y, s, n_boot=500)
    assert m["auroc"] == pytest.approx(14 / 16)  # pairs ranked right: 3 + 3 + 4 + 4
    assert m["auroc_ci95"][0] <= m["auroc"] <= m["auroc_ci95"][1]
    perfect = bootstrap_metrics(y, np.arange(8.0), n_boot=100)
    assert perfect["auroc"] == 1.0 and perfect["auroc_ci95"] == [1.0, 1.0]
    assert perfect["recall_at_1pct_fpr"] == 1.0


def test_bad_input_is_explained():
    with pytest.raises(ValueError, match="probes"):
        evaluate_layers(np.zeros((4, 1, 2)), np.array([0, 1, 0, 1]), [0, 1], [2, 3], ["svm"])
    with pytest.raises(ValueError, match="directions"):
        evaluate_layers(np.zeros((4, 1, 2)), np.array([0, 1, 0, 1]), [0, 1], [2, 3],
                        ["defection"])
    with pytest.raises(ValueError, match="both classes"):
        MeanDiffProbe().fit(np.zeros((3, 2)), np.zeros(3))
    labels = [{"env_id": "a", "gamed": i % 2 == 0} for i in range(20)]
    with pytest.raises(ValueError, match="run more episodes"):
        env_splits(labels)
    with pytest.raises(ValueError, match="no episodes"):
        env_splits(labels, ["a"], ["b"])


def test_grouped_cv_stops_a_question_leaking_across_folds():
    """Each question (group) is asked three times with the same label; the features carry only
    the question's identity. Ungrouped folds put its copies on both sides and score high;
    folds grouped by question have nothing to learn from and sit at chance."""
    from specgym.analysis.lm.probes import evaluate_layers_cv

    rng = np.random.default_rng(2)
    n_q = 120
    identity = rng.standard_normal((n_q, 1, 256))
    label = rng.random(n_q) < 0.4
    X = np.repeat(identity, 3, axis=0) + 0.05 * rng.standard_normal((3 * n_q, 1, 256))
    y = np.repeat(label, 3)
    groups = np.repeat(np.arange(n_q), 3)
    mask = np.ones(3 * n_q, bool)
    leaky = evaluate_layers_cv(X, y, mask, 5, ["logistic"], n_boot=100, C=1.0)
    grouped = evaluate_layers_cv(X, y, mask, 5, ["logistic"], n_boot=100, C=1.0, groups=groups)
    assert leaky["logistic"][0]["auroc"] > 0.8
    assert abs(grouped["logistic"][0]["auroc"] - 0.5) < 0.15


def test_one_environment_is_probed_by_cv_only(planted):
    d, acts = planted
    labels = [dict(lab, env_id="specgym/E0-v0") for lab in acts["labels"]]
    with pytest.raises(ValueError, match="no environment has"):
        env_splits(labels)
    assert env_splits(labels, allow_none=True) == {}
    report = run_probes(dict(acts, labels=labels), {}, None, n_boot=100, cv_folds=5)
    assert list(report) == ["within envs, 5-fold CV"]
    assert all(r["auroc"] > 0.99 for r in report["within envs, 5-fold CV"]["positions"]
               ["reply_mean"]["logistic"])


def test_episode_labels_read_the_verdict_or_a_hack_type():
    from specgym.analysis.lm.probes import episode_labels

    labels = [{"gamed": False, "hack_types": ["false_report"]},
              {"gamed": True, "hack_types": ["false_report", "rubric_edit"]},
              {"gamed": False, "hack_types": []}, {"gamed": False}]
    assert episode_labels(labels).tolist() == [False, True, False, False]
    assert episode_labels(labels, "hack:false_report").tolist() == [True, True, False, False]
    assert episode_labels(labels, "hack:rubric_edit").tolist() == [False, True, False, False]
    assert episode_labels(labels + [{"gamed": True, "hack_types": ["sycophancy"]}],
                          "hack:false_report,sycophancy").tolist() == [True, True, False, False, True]
    for bad in ("hack:", "false_report", "paid", "hack:a,"):
        with pytest.raises(ValueError, match="label"):
            episode_labels(labels, bad)
