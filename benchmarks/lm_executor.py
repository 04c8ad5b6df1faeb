"""Executors side by side: episodes per minute of `specgym bench` run serial, on the local
process pool and on Ray, on the same episodes (same envs, seeds, sampling settings).

==================  =========================================================================
serial              one process, ``--threads`` llama.cpp threads (the benchmark's default: 1)
serial-all-cores    one process, one llama.cpp thread per core (serial at its best)
local               ``--workers`` processes, ``--threads`` threads each
ray                 ``--workers`` Ray actors on a Ray started for the run (``num_cpus=workers``)
ray-cluster         with ``--cluster``: a head and ``--nodes - 1`` more nodes started on
                    loopback with ``ray start`` (one CPU each), ``--workers`` actors across them
==================  =========================================================================

Every mode's wall time includes starting its workers and loading the model (what a user
waits for); ``load_s`` is measured apart so the steady rate can be read too. The records of
every mode are compared with the serial run's (same records expected: see
`specgym.agents.lm.executor`). The load average is printed beside each run: on a shared
machine, read the ratios, not the absolute rates.

    python benchmarks/lm_executor.py --episodes 24 --cluster --json docs/results/lm_executor.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import specgym  # noqa: F401  (registers the ids)
from specgym.agents.lm.bench import bench_spec, run_bench
from specgym.agents.lm.executor import default_workers

MODES = ("serial", "serial-all-cores", "local", "ray", "ray-cluster")


def ray_cli() -> str:
    return str(Path(sys.executable).with_name("ray"))


def start_cluster(nodes: int, port: int) -> str:
    """A head and ``nodes - 1`` worker nodes on loopback, one CPU each; returns the address."""
    address = f"127.0.0.1:{port}"
    common = ["--num-cpus", "1", "--node-ip-address", "127.0.0.1", "--disable-usage-stats"]
    subprocess.run([ray_cli(), "start", "--head", "--port", str(port), "--include-dashboard",
                    "false", *common], check=True, capture_output=True)
    for _ in range(nodes - 1):
        subprocess.run([ray_cli(), "start", "--address", address, *common], check=True,
                       capture_output=True)
    return address


def stop_cluster() -> None:
    subprocess.run([ray_cli(), "stop", "--force"], capture_output=True)


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and its finished, waited-for children."""
    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))


def cluster_nodes() -> list[str]:
    import ray

    return sorted(n["NodeID"][:8] for n in ray.nodes() if n["Alive"])


def run_mode(mode: str, args: argparse.Namespace, out: Path, address: str | None) -> dict:
    """One benchmark run of ``mode`` into a fresh folder; its rate and records."""
    folder = out / f"{mode}-{time.monotonic_ns()}"
    shutil.rmtree(folder, ignore_errors=True)
    executor = {"serial": "serial", "serial-all-cores": "serial", "local": "local",
                "ray": "ray", "ray-cluster": "ray"}[mode]
    threads = default_workers() if mode == "serial-all-cores" else args.threads
    workers = None if executor == "serial" else args.workers
    t = time.perf_counter()
    bench_spec("default", "llama.cpp", None, args.max_batch, threads).build().close()
    load_s = time.perf_counter() - t
    load_before = os.getloadavg()[0]
    cpu0 = cpu_seconds()
    t = time.perf_counter()
    run = run_bench("default", envs=args.envs, episodes=args.episodes, out_dir=folder,
                    backend="llama.cpp", max_new_tokens=args.max_new_tokens,
                    temperature=args.temperature, max_turns=args.max_turns,
                    max_batch=args.max_batch, threads=threads, seed=args.seed,
                    progress=False, executor=executor, workers=workers,
                    ray_address=address if mode == "ray-cluster" else None,
                    shard_size=args.shard_size)
    wall = time.perf_counter() - t
    cpu = cpu_seconds() - cpu0
    nodes = None
    if mode == "ray-cluster":
        import ray

        ray.init(address=address, log_to_driver=False, configure_logging=False)
        nodes = cluster_nodes()
        ray.shutdown()
    recs = run["records"]
    turns = sum(len(r["completions"]) for r in recs)
    return {
        "mode": mode, "executor": executor, "workers": run["meta"]["workers"],
        "threads_per_worker": threads, "episodes": len(recs), "turns": turns,
        "wall_s": round(wall, 2), "episodes_per_min": round(60 * len(recs) / wall, 2),
        "model_load_s": round(load_s, 2),
        # this process and its waited-for children (pool workers, sandboxes); Ray's actors
        # are the raylet's children, so a Ray row counts only the driver and nothing else
        "cpu_s_per_episode": round(cpu / len(recs), 3) if executor != "ray" else None,
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "gamed": sum(r["gamed"] for r in recs), "nodes": nodes, "records": recs,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--envs", default="ToolUseFlattery-v0,PoliticalSycophancy-v0")
    p.add_argument("--episodes", type=int, default=24, help="episodes per env")
    p.add_argument("--max-new-tokens", type=int, default=96)
    p.add_argument("--temperature", type=float, default=0.7)
    p.add_argument("--max-turns", type=int, default=3)
    p.add_argument("--max-batch", type=int, default=8)
    p.add_argument("--threads", type=int, default=1, help="llama.cpp threads per worker")
    p.add_argument("--shard-size", type=int, default=8,
                   help="episodes per shard (several shards per worker keep a pool busy)")
    p.add_argument("--workers", type=int, default=default_workers())
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--modes", default="serial,serial-all-cores,local,ray")
    p.add_argument("--cluster", action="store_true",
                   help="also run on a loopback Ray cluster started with `ray start`")
    p.add_argument("--nodes", type=int, default=2, help="nodes of the loopback cluster")
    p.add_argument("--port", type=int, default=6391)
    p.add_argument("--repeat", type=int, default=1,
                   help="rounds of every mode, interleaved; the table shows medians")
    p.add_argument("--json", default=None, help="write the results here")
    args = p.parse_args()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if args.cluster:
        modes.append("ray-cluster")
    bad = sorted(set(modes) - set(MODES))
    if bad:
        p.error(f"--modes: unknown {bad}; allowed: {list(MODES)}")
    runs = []
    with tempfile.TemporaryDirectory(prefix="specgym-exec-bench-") as tmp:
        for round_ in range(args.repeat):
            for mode in modes:
                address = None
                if mode == "ray-cluster":
                    stop_cluster()
                    address = start_cluster(args.nodes, args.port)
                try:
                    runs.append(run_mode(mode, args, Path(tmp), address) | {"round": round_})
                finally:
                    if address:
                        stop_cluster()
                r = runs[-1]
                print(f"  round {round_} {mode:17s} {r['episodes_per_min']:7.1f} episodes/min  "
                      f"(wall {r['wall_s']:.1f} s, load average {r['load_average']})", flush=True)
    base = next((r for r in runs if r["mode"] == "serial"), runs[0])
    for r in runs:
        r["same_records_as_serial"] = r["records"] == base["records"]
    rows = []
    for mode in modes:
        mine = [r for r in runs if r["mode"] == mode]
        row = dict(mine[0])
        for key in ("episodes_per_min", "wall_s"):
            row[key] = round(statistics.median(r[key] for r in mine), 2)
        cpus = [r["cpu_s_per_episode"] for r in mine if r["cpu_s_per_episode"] is not None]
        row["cpu_s_per_episode"] = round(statistics.median(cpus), 3) if cpus else None
        row["load_average"] = [min(r["load_average"][0] for r in mine),
                               max(r["load_average"][1] for r in mine)]
        row["same_records_as_serial"] = all(r["same_records_as_serial"] for r in mine)
        row["runs"] = len(mine)
        # ratios within each round (runs side by side), then their median
        for ref in ("serial", "local"):
            ratios = [r["episodes_per_min"] / o["episodes_per_min"] for r in mine for o in runs
                      if o["mode"] == ref and o["round"] == r["round"]]
            if ratios:
                row[f"vs_{ref}"] = round(statistics.median(ratios), 2)
        rows.append(row)
    print(f"\n{args.episodes} episodes x {len(args.envs.split(','))} envs ({args.envs}), "
          f"{args.max_new_tokens} new tokens, temperature {args.temperature}, max_turns "
          f"{args.max_turns}, max_batch {args.max_batch}; {platform.processor() or 'cpu'}, "
          f"{os.cpu_count()} cores; medians of {args.repeat} round(s)")
    print(f"{'mode':17s} {'workers':>7s} {'thr':>3s} {'ep/min':>7s} {'wall s':>7s} "
          f"{'x serial':>8s} {'x local':>7s} {'cpu s/ep':>8s} {'load avg':>12s} {'same':>5s} nodes")
    for r in rows:
        print(f"{r['mode']:17s} {r['workers']:7d} {r['threads_per_worker']:3d} "
              f"{r['episodes_per_min']:7.1f} {r['wall_s']:7.1f} "
              f"{r.get('vs_serial', float('nan')):8.2f} "
              f"{r.get('vs_local', float('nan')):7.2f} "
              f"{r['cpu_s_per_episode'] if r['cpu_s_per_episode'] is not None else '-':>8} "
              f"{str(r['load_average']):>12s} "
              f"{'yes' if r['same_records_as_serial'] else 'NO':>5s} {r['nodes'] or ''}")
    if args.json:
        out = {"settings": {k: v for k, v in vars(args).items() if k != "json"},
               "cores": os.cpu_count(),
               "rows": [{k: v for k, v in r.items() if k != "records"} for r in rows],
               "runs": [{k: v for k, v in r.items() if k != "records"} for r in runs]}
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
