"""The probe experiment: every probe, every layer, every position, on held-out environments.

Splits: ``leave_one_env_out`` trains on all environments but one and tests on that one (for
every environment with both gamed and honest episodes), so a probe is always scored on a
setting (and hack type) it never saw, as in the defection-probe and deception-probe papers.
``--train-envs/--test-envs`` gives one explicit split instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from specgym.analysis.lm.probes import (
    episode_groups,
    episode_labels,
    evaluate_layers,
    evaluate_layers_cv,
    masks_by,
)


def env_splits(labels: Sequence[Mapping[str, Any]], train_envs: Sequence[str] | None = None,
               test_envs: Sequence[str] | None = None, min_class: int = 5,
               allow_none: bool = False, label: str = "gamed"
               ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{name: (train mask, test mask)}`` over episodes (ungraded ones never used).

    ``allow_none``: return ``{}`` instead of failing when no environment can be held out
    (one environment's episodes, probed by k-fold CV only)."""
    graded = np.array([bool(lab.get("graded", True)) for lab in labels])
    y = episode_labels(labels, label)
    envs = sorted({lab["env_id"] for lab in labels})

    def usable(mask: np.ndarray) -> bool:
        return (y[mask].sum() >= min_class) and ((~y[mask]).sum() >= min_class)

    if train_envs or test_envs:
        if not (train_envs and test_envs):
            raise ValueError("train_envs and test_envs: give both or neither")
        unknown = [e for e in [*train_envs, *test_envs] if e not in envs]
        if unknown:
            raise ValueError(f"envs: {unknown} have no episodes here; present: {envs}")
        train = masks_by(labels, "env_id", train_envs) & graded
        test = masks_by(labels, "env_id", test_envs) & graded
        for name, m in (("train", train), ("test", test)):
            if not usable(m):
                raise ValueError(f"{name} envs need >= {min_class} episodes in and out of "
                                 f"label {label!r}")
        short = lambda es: "+".join(e.split("/")[-1].replace("-v0", "") for e in es)  # noqa: E731
        return {f"{short(train_envs)} -> {short(test_envs)}": (train, test)}
    out = {}
    for env in envs:
        test = masks_by(labels, "env_id", [env]) & graded
        train = ~masks_by(labels, "env_id", [env]) & graded
        if usable(test) and usable(train):
            out[f"held out {env.split('/')[-1].replace('-v0', '')}"] = (train, test)
    if not out and not allow_none:
        raise ValueError(f"no environment has >= {min_class} episodes in and out of label "
                         f"{label!r} with another such environment to train on; run more "
                         "episodes")
    return out


def run_probes(acts: Mapping[str, Any], splits: Mapping[str, tuple[np.ndarray, np.ndarray]],
               directions: np.ndarray | None, n_boot: int = 1000, seed: int = 0,
               C: float = 0.01, cv_folds: int = 0, label: str = "gamed") -> dict[str, Any]:
    """``{split: {position: {probe: [per-layer metrics]}}}`` plus counts.

    ``cv_folds`` > 1 adds a ``within envs, k-fold CV`` entry: every graded episode, stratified
    folds grouped by (env, seed), out-of-fold scores (no environment held out: the
    in-distribution reference).
    """
    y = episode_labels(acts["labels"], label)
    probes = ["logistic", "mean_diff", "shuffled"] + (["defection"] if directions is not None
                                                       else [])
    out: dict[str, Any] = {}
    for split, (train, test) in splits.items():
        out[split] = {"n_train": int(train.sum()), "n_train_gamed": int(y[train].sum()),
                      "n_test": int(test.sum()), "n_test_gamed": int(y[test].sum()),
                      "positions": {}}
        for pos, X in acts["X"].items():
            out[split]["positions"][pos] = evaluate_layers(
                X, y, train, test, probes, directions, acts["layers"], n_boot, seed, C)
    if cv_folds > 1:
        graded = np.array([bool(lab.get("graded", True)) for lab in acts["labels"]])
        groups = episode_groups(acts["labels"])
        n_pos, n_neg = int(y[graded].sum()), int((~y[graded]).sum())
        n_groups = len({g for g, ok in zip(groups, graded, strict=True) if ok})
        if min(n_pos, n_neg) < cv_folds or n_groups < cv_folds:
            raise ValueError(f"label {label!r}: {n_pos} positive and {n_neg} negative graded "
                             f"episodes in {n_groups} (env, seed) groups; {cv_folds}-fold CV "
                             f"needs at least {cv_folds} of each")
        name = f"within envs, {cv_folds}-fold CV"
        out[name] = {"n_train": int(graded.sum()), "n_train_gamed": int(y[graded].sum()),
                     "n_test": int(graded.sum()), "n_test_gamed": int(y[graded].sum()),
                     "positions": {}}
        for pos, X in acts["X"].items():
            out[name]["positions"][pos] = evaluate_layers_cv(
                X, y, graded, cv_folds, ["logistic", "mean_diff", "shuffled"], acts["layers"],
                n_boot, seed, C, groups=groups)
    return out


def plot_layers(report: Mapping[str, Any], path: str | Path) -> Path:
    """AUROC (bootstrap 95% band) against layer: a row per split, a column per position."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    splits = list(report)
    positions = list(report[splits[0]]["positions"])
    fig, axes = plt.subplots(len(splits), len(positions), squeeze=False,
                             figsize=(4.2 * len(positions), 3.2 * len(splits)))
    for r, split in enumerate(splits):
        for c, pos in enumerate(positions):
            ax = axes[r][c]
            for probe, rows in report[split]["positions"][pos].items():
                layers = [row["layer"] for row in rows]
                ax.plot(layers, [row["auroc"] for row in rows], label=probe)
                ax.fill_between(layers, [row["auroc_ci95"][0] for row in rows],
                                [row["auroc_ci95"][1] for row in rows], alpha=0.15)
            ax.axhline(0.5, color="grey", lw=0.8, ls=":")
            ax.set_ylim(0, 1)
            ax.set_title(f"{split}\n{pos} (n={report[split]['n_test']}, "
                         f"{report[split]['n_test_gamed']} gamed)", fontsize=8)
            ax.set_xlabel("layer")
            ax.set_ylabel("test AUROC")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def table(report: Mapping[str, Any], layer: int) -> str:
    """Markdown: per split and position, each probe at ``layer`` and at its best layer."""
    lines = [f"| held-out split | position | probe | AUROC @ layer {layer} [95% CI] | "
             "recall@1%FPR [95% CI] | best layer (AUROC) |", "|---|---|---|---|---|---|"]
    for split, rep in report.items():
        for pos, probes in rep["positions"].items():
            for probe, rows in probes.items():
                at = next(r for r in rows if r["layer"] == layer)
                best = max(rows, key=lambda r: -1 if r["auroc"] != r["auroc"] else r["auroc"])
                lines.append(
                    f"| {split} (n={rep['n_test']}, {rep['n_test_gamed']} gamed) | {pos} | "
                    f"{probe} | {at['auroc']:.3f} [{at['auroc_ci95'][0]:.3f}, "
                    f"{at['auroc_ci95'][1]:.3f}] | {at['recall_at_1pct_fpr']:.3f} "
                    f"[{at['recall_ci95'][0]:.3f}, {at['recall_ci95'][1]:.3f}] | "
                    f"{best['layer']} ({best['auroc']:.3f}) |")
    return "\n".join(lines)


__all__ = ["env_splits", "plot_layers", "run_probes", "table"]
