"""Each statistic in `specgym.analysis.stats` against the library call it wraps, an
independent formula or a known answer."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from specgym.analysis.stats import (
    bootstrap_mean_ci,
    logistic_regression,
    mean_ci,
    newcombe_diff,
    rate,
    wilson_interval,
)


def _wilson_by_hand(k, n, z=1.959963984540054):
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


@pytest.mark.parametrize(("k", "n"), [(0, 10), (5, 10), (10, 10), (3, 7), (93, 100), (1, 300)])
def test_wilson_matches_statsmodels_and_the_formula(k, n):
    low, high = wilson_interval(k, n)
    assert (low, high) == pytest.approx(proportion_confint(k, n, method="wilson"), abs=1e-12)
    assert (low, high) == pytest.approx(_wilson_by_hand(k, n), abs=1e-12)


def test_wilson_known_values_and_edges():
    assert wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == 1.0
    assert wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(11, 10)
    r = rate([True, False, True, True])
    assert r["rate"] == 0.75 and r["n"] == 4 and r["ci95"] == list(wilson_interval(3, 4))


@pytest.mark.parametrize(("k1", "n1", "k2", "n2"), [(30, 50, 10, 50), (0, 10, 0, 10),
                                                    (5, 8, 1, 8), (8, 8, 0, 8)])
def test_newcombe_matches_statsmodels_and_the_hybrid_score_formula(k1, n1, k2, n2):
    d = newcombe_diff(k1, n1, k2, n2)
    ref = confint_proportions_2indep(k1, n1, k2, n2, method="newcomb", compare="diff")
    assert d["ci95"] == pytest.approx(list(ref), abs=1e-12)
    p1, p2 = k1 / n1, k2 / n2
    (l1, u1), (l2, u2) = _wilson_by_hand(k1, n1), _wilson_by_hand(k2, n2)
    by_hand = (p1 - p2 - math.hypot(p1 - l1, u2 - p2), p1 - p2 + math.hypot(u1 - p1, p2 - l2))
    assert d["ci95"] == pytest.approx(by_hand, abs=1e-9)
    assert d["diff"] == pytest.approx(p1 - p2)
    assert math.isnan(newcombe_diff(1, 0, 1, 2)["diff"])


def test_mean_ci_is_scipys_t_interval():
    x = np.array([1.0, 3.0, 2.0, 7.0, 4.0])
    m = mean_ci(x)
    ref = sps.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=sps.sem(x))
    assert m["mean"] == 3.4 and m["ci95"] == pytest.approx(list(ref)) and m["n"] == 5
    assert all(math.isnan(v) for v in mean_ci([2.0])["ci95"])


def test_bootstrap_is_scipys_percentile_bootstrap():
    x = np.random.default_rng(1).exponential(size=60)
    b = bootstrap_mean_ci(x, n_boot=999, seed=3)
    ref = sps.bootstrap((x,), np.mean, n_resamples=999, method="percentile",
                        random_state=np.random.default_rng(3)).confidence_interval
    assert b["ci95"] == pytest.approx([ref.low, ref.high]) and b["mean"] == pytest.approx(x.mean())
    assert bootstrap_mean_ci(np.ones(5))["ci95"] == [1.0, 1.0]


def test_logistic_regression_matches_sklearn_and_known_coefficients():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x = rng.normal(size=(4000, 2)) * [2.0, 1.0]
    y = rng.random(4000) < 1 / (1 + np.exp(-(0.5 + 1.0 * x[:, 0])))
    fit = logistic_regression(x, y, ["a", "b"])
    z = (x - x.mean(0)) / x.std(0)
    ref = LogisticRegression(C=1e3, tol=1e-10, max_iter=1000).fit(z, y)
    got = [fit["coefficients"][k]["coef_per_sd"] for k in ("a", "b")]
    assert got == pytest.approx(ref.coef_[0].tolist(), abs=1e-6)
    assert got[0] / x[:, 0].std() == pytest.approx(1.0, abs=0.12) and abs(got[1]) < 0.15
    a, b = fit["coefficients"]["a"], fit["coefficients"]["b"]
    assert a["p"] < 1e-10 and b["p"] > 0.01 and a["ci95"][0] < a["coef_per_sd"] < a["ci95"][1]
    # Wald standard error against statsmodels' unpenalized Logit on the same standardized data
    import statsmodels.api as sm

    sm_fit = sm.Logit(y.astype(float), sm.add_constant(z)).fit(disp=0)
    assert a["z"] == pytest.approx(sm_fit.tvalues[1], rel=1e-3)
    with pytest.raises(ValueError, match="both outcomes"):
        logistic_regression(x, np.ones(4000, dtype=bool))


def test_three_tier_cues_give_every_pairwise_gap_and_a_shuffled_cue_control():
    from specgym.analysis.gaming_report import format_table, summarize_bench

    def records(cue, gamed, n):
        return [{"env_id": "e", "context_cue": cue, "gamed": i < gamed, "hack_types": [],
                 "reward": 0.0, "hidden_reward": 1.0, "graded": True} for i in range(n)]

    recs = records("trained", 30, 40) + records("rated", 20, 40) + records("unmonitored", 2, 40)
    summary = summarize_bench(recs, ["e"], ["trained", "rated", "unmonitored"], permutations=500)
    gaps = summary["e"]["cue_gap"]
    assert list(gaps) == ["rated - trained", "unmonitored - trained", "unmonitored - rated"]
    assert gaps["unmonitored - trained"]["diff"] == pytest.approx(2 / 40 - 30 / 40)
    assert gaps["unmonitored - trained"]["ci95"][1] < 0
    assert gaps["unmonitored - trained"]["p_shuffled_cues"] < 0.01
    # identical rates: the shuffled-cue control finds nothing
    same = records("trained", 10, 40) + records("rated", 10, 40)
    p = summarize_bench(same, ["e"], ["trained", "rated"])["e"]["cue_gap"]["rated - trained"]
    assert p["p_shuffled_cues"] > 0.5
    table = format_table({"meta": {"context_cues": ["trained", "rated", "unmonitored"]},
                          "envs": summary})
    assert "unmonitored - rated" in table and "p (shuffled cues)" in table
