"""Linear probes on episode activations: do the model's activations say it is gaming?

Probes are scikit-learn estimators (``fit(X, y)``, ``decision_function(X)``):

==================  ===========================================================================
probe               what it is
==================  ===========================================================================
``logistic``        standardized features, L2 logistic regression (`LogisticRegression`)
``mean_diff``       `MeanDiffProbe`: score = x . (mean of gamed - mean of honest); no fitting
                    beyond two means, so it cannot overfit a small training set
``defection``       `FixedDirectionProbe` with the contrast-pair direction of
                    `specgym.analysis.lm.defection` (label-free: never sees a ``gamed`` label)
``shuffled``        ``logistic`` trained on permuted labels: the control a real probe must beat
==================  ===========================================================================

`evaluate_layers` trains every probe per layer on one set of episodes and scores another
(held-out environments), reporting AUROC and recall at 1% false positives, each with a
stratified bootstrap 95% interval over the test episodes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

PROBES = ("logistic", "mean_diff", "defection", "shuffled")


def episode_groups(labels: Sequence[Mapping[str, Any]]) -> list[tuple[Any, Any]]:
    """One (env, seed) key per episode: the copies of one question (several context cues or
    samples) share it, so splits keep them on one side."""
    return [(lab["env_id"], lab.get("seed")) for lab in labels]


def episode_labels(labels: Sequence[Mapping[str, Any]], target: str = "gamed") -> np.ndarray:
    """bool [N], the class each episode belongs to for a probe or a steering vector.

    ``gamed``: the environment's own verdict (paid and caught). ``hack:<type>[,<type>...]``:
    the episode shows any of those hack types, paid or not (e.g. ``hack:false_report``: a false
    "all done" that the paper's reward no longer pays, so it is never ``gamed`` on its own).
    """
    if target == "gamed":
        return np.array([bool(lab["gamed"]) for lab in labels])
    kinds = set(target[5:].split(",")) if target.startswith("hack:") else set()
    if kinds and "" not in kinds:
        return np.array([bool(kinds & set(lab.get("hack_types") or [])) for lab in labels])
    raise ValueError(f"label: 'gamed' or 'hack:<type>[,<type>...]' (e.g. hack:false_report), "
                     f"got {target!r}")


class MeanDiffProbe(ClassifierMixin, BaseEstimator):
    """Projection on the difference of class means (the direction ActAdd steers along).

    Attributes (after ``fit``): ``direction_`` [d] = mean(X[y=1]) - mean(X[y=0]);
    ``offset_`` = the projection of the midpoint of the two means.
    """

    def fit(self, X: np.ndarray, y: np.ndarray) -> MeanDiffProbe:
        X, y = np.asarray(X, dtype=np.float64), np.asarray(y).astype(bool)
        if y.all() or not y.any():
            raise ValueError("y: mean_diff needs both classes in the training set")
        mu1, mu0 = X[y].mean(0), X[~y].mean(0)
        self.direction_ = mu1 - mu0
        self.offset_ = float((mu1 + mu0) @ self.direction_ / 2)
        self.classes_ = np.array([False, True])
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X, dtype=np.float64) @ self.direction_ - self.offset_

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.decision_function(X) > 0


class FixedDirectionProbe(ClassifierMixin, BaseEstimator):
    """Score = x . direction, with a direction chosen without labels; ``fit`` learns nothing."""

    def __init__(self, direction: np.ndarray | None = None):
        self.direction = direction

    def fit(self, X: np.ndarray | None = None, y: np.ndarray | None = None) -> FixedDirectionProbe:
        if self.direction is None:
            raise ValueError("direction: FixedDirectionProbe needs a direction")
        self.classes_ = np.array([False, True])
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X, dtype=np.float64) @ np.asarray(self.direction, dtype=np.float64)


def logistic_probe(C: float = 0.01, seed: int = 0) -> Any:
    """Standardize, then L2 logistic regression (``C`` small: few episodes, 576 features)."""
    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=5000,
                                                              random_state=seed))


def recall_at_fpr(y: np.ndarray, scores: np.ndarray, fpr: float = 0.01) -> float:
    """Share of positives scored above the threshold that at most ``fpr`` of negatives exceed.

    The threshold is the ``1 - fpr`` quantile of the negatives' scores (with 100 negatives
    and fpr 0.01, the highest but one); ties at the threshold count as not flagged.
    """
    y = np.asarray(y).astype(bool)
    scores = np.asarray(scores, dtype=np.float64)
    neg, pos = scores[~y], scores[y]
    if not len(neg) or not len(pos):
        return float("nan")
    thr = np.quantile(neg, 1 - fpr, method="higher")
    return float((pos > thr).mean())


def auroc(y: np.ndarray, scores: np.ndarray) -> float:
    y = np.asarray(y).astype(bool)
    if y.all() or not y.any():
        return float("nan")
    return float(roc_auc_score(y, scores))


def bootstrap_metrics(
    y: np.ndarray, scores: np.ndarray, n_boot: int = 1000, seed: int = 0, fpr: float = 0.01
) -> dict[str, Any]:
    """AUROC and recall at ``fpr`` with stratified percentile-bootstrap 95% intervals."""
    y = np.asarray(y).astype(bool)
    scores = np.asarray(scores, dtype=np.float64)
    rng = np.random.default_rng(seed)
    pos, neg = np.flatnonzero(y), np.flatnonzero(~y)
    out: dict[str, Any] = {"n": int(len(y)), "n_pos": int(len(pos)),
                           "auroc": auroc(y, scores),
                           "recall_at_1pct_fpr": recall_at_fpr(y, scores, fpr)}
    if not len(pos) or not len(neg):
        out["auroc_ci95"] = out["recall_ci95"] = [float("nan")] * 2
        return out
    # stratified resamples, all at once: positives' and negatives' scores [n_boot, k]
    sp = scores[rng.choice(pos, (n_boot, len(pos)))]
    sn = scores[rng.choice(neg, (n_boot, len(neg)))]
    ranks = rankdata(np.concatenate([sp, sn], 1), axis=1)
    n1, n0 = len(pos), len(neg)
    aucs = (ranks[:, :n1].sum(1) - n1 * (n1 + 1) / 2) / (n1 * n0)
    thr = np.quantile(sn, 1 - fpr, axis=1, method="higher")
    recs = (sp > thr[:, None]).mean(1)
    out["auroc_ci95"] = [float(v) for v in np.percentile(aucs, [2.5, 97.5])]
    out["recall_ci95"] = [float(v) for v in np.percentile(recs, [2.5, 97.5])]
    return out


def make_probe(name: str, seed: int = 0, direction: np.ndarray | None = None, C: float = 0.01):
    if name in ("logistic", "shuffled"):
        return logistic_probe(C, seed)
    if name == "mean_diff":
        return MeanDiffProbe()
    if name == "defection":
        return FixedDirectionProbe(direction)
    raise ValueError(f"probe: {name!r}; allowed: {list(PROBES)}")


def evaluate_layers(
    X: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray,
    probes: Sequence[str] = ("logistic", "mean_diff", "shuffled"),
    directions: np.ndarray | None = None, layers: Sequence[int] | None = None,
    n_boot: int = 1000, seed: int = 0, C: float = 0.01,
    progress: Callable[[str], None] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Train each probe per layer on ``X[train]``, score ``X[test]``.

    Args:
        X: float [N, L, d] activations at one position; y: bool [N] (``gamed``).
        train, test: bool masks or index arrays over N.
        directions: float [L, d] contrast-pair directions (for ``defection``).
        layers: the layer index of each of the L slices (for the report).
    Returns ``{probe: [per-layer metrics dict]}``.
    """
    X, y = np.asarray(X), np.asarray(y).astype(bool)
    if X.ndim != 3 or len(X) != len(y):
        raise ValueError(f"X: expected [N, L, d] with N = len(y) = {len(y)}, got {X.shape}")
    bad = [p for p in probes if p not in PROBES]
    if bad:
        raise ValueError(f"probes: {bad}; allowed: {list(PROBES)}")
    if "defection" in probes and directions is None:
        raise ValueError("directions: the defection probe needs contrast-pair directions")
    layers = list(range(X.shape[1])) if layers is None else list(layers)
    ytr = y[train]
    rng = np.random.default_rng(seed)
    shuffled = rng.permutation(ytr)
    out: dict[str, list[dict[str, Any]]] = {p: [] for p in probes}
    for j, layer in enumerate(layers):
        if progress is not None:
            progress(f"layer {layer}")
        for p in probes:
            probe = make_probe(p, seed, None if directions is None else directions[j], C)
            probe.fit(X[train][:, j], shuffled if p == "shuffled" else ytr)
            scores = probe.decision_function(X[test][:, j])
            row = bootstrap_metrics(y[test], scores, n_boot, seed + j)
            row["layer"] = layer
            out[p].append(row)
    return out


def evaluate_layers_cv(
    X: np.ndarray, y: np.ndarray, mask: np.ndarray, folds: int = 5,
    probes: Sequence[str] = ("logistic", "mean_diff", "shuffled"),
    layers: Sequence[int] | None = None, n_boot: int = 1000, seed: int = 0, C: float = 0.01,
    groups: Sequence[Any] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Stratified k-fold within the episodes of ``mask``: out-of-fold scores pooled, then
    the same metrics. The in-distribution reference for the held-out-environment numbers.

    ``groups`` (one key per episode, e.g. env and seed) keeps every episode of a group in one
    fold: the same question asked under several cues must not be in train and test at once.
    """
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    X, y = np.asarray(X)[mask], np.asarray(y).astype(bool)[mask]
    layers = list(range(X.shape[1])) if layers is None else list(layers)
    if groups is None:
        cv = list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(X[:, 0], y))
    else:
        g = np.asarray([str(k) for k in groups])[mask]
        cv = list(StratifiedGroupKFold(folds, shuffle=True, random_state=seed)
                  .split(X[:, 0], y, g))
    shuffled = np.random.default_rng(seed).permutation(y)
    out: dict[str, list[dict[str, Any]]] = {p: [] for p in probes}
    for j, layer in enumerate(layers):
        for p in probes:
            scores = np.zeros(len(y))
            labels = shuffled if p == "shuffled" else y
            for tr, te in cv:
                probe = make_probe(p, seed, None, C).fit(X[tr, j], labels[tr])
                scores[te] = probe.decision_function(X[te, j])
            row = bootstrap_metrics(y, scores, n_boot, seed + j)
            row["layer"] = layer
            out[p].append(row)
    return out


def masks_by(labels: Sequence[Mapping[str, Any]], field: str, values: Sequence[Any]) -> np.ndarray:
    """bool [N]: episodes whose ``field`` is one of ``values``."""
    return np.array([lab.get(field) in values for lab in labels])


__all__ = ["FixedDirectionProbe", "MeanDiffProbe", "PROBES", "auroc", "bootstrap_metrics",
           "episode_groups", "episode_labels", "evaluate_layers", "evaluate_layers_cv", "logistic_probe", "make_probe", "masks_by", "recall_at_fpr"]
