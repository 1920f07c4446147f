"""Ray scale-out vs the local command: files per second and × real time of ``pyds transcribe --ray`` on a local
multi-node Ray cluster and of ``pyds transcribe`` on the same files, in the same run.

Run: python benchmarks/bench_ray.py [DIR] [--bundle DIR] [--nodes 2] [--cpus-per-node 1] [--repeat 1] [--out FILE]
(default: ../shared/data/armenian-tts, the 40 short clips and the 2 long files, with the tests' Armenian model).

The cluster is ``ray.cluster_utils.Cluster``: a head with 0 CPUs and ``--nodes`` worker nodes, each running one
actor with ``--cpus-per-node`` OpenVINO threads (``--workers nodes --threads cpus-per-node``). Its start is timed
apart (the command is meant for a cluster that is already up). Both commands are timed end to end as a user runs
them (process start, model load, every file, outputs written), alternately when ``--repeat`` > 1, and the best
of each is kept; outputs are compared byte for byte. On one machine the cluster shares the local command's cores:
the ratio measures what Ray costs, not what more machines give.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import soundfile as sf
from run import DATA, armenian_model_and_bundle

RAY_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, env=env, timeout=3600)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr.decode()[-2000:]}")
    return seconds


def same_outputs(a: Path, b: Path) -> bool:
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    return bool(files) and all(filecmp.cmp(a / f, b / f, shallow=False) for f in files)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir", nargs="?", type=Path, default=DATA, help="a folder of audio files (searched recursively)")
    ap.add_argument("--bundle", type=Path, default=None, help="a pyds bundle (default: the Armenian model)")
    ap.add_argument("--nodes", type=int, default=2, help="worker nodes of the local cluster")
    ap.add_argument("--cpus-per-node", type=int, default=1, help="CPUs of each worker node = threads of its actor")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each command; the best is kept")
    ap.add_argument("--out", type=Path, default=None, help="also write the figures here as JSON")
    args = ap.parse_args()

    os.environ.update(RAY_ENV)  # before ray is imported
    os.environ.pop("RAY_ADDRESS", None)
    from ray.cluster_utils import Cluster

    from pyds import audio

    bundle = args.bundle or armenian_model_and_bundle()[1]
    files = sorted(p for p in args.dir.rglob("*") if p.is_file() and p.suffix.lower() in audio.AUDIO_EXTENSIONS)
    audio_s = sum(sf.info(p).duration for p in files)
    print(f"{len(files)} files, {audio_s:.1f} s of audio; model {bundle}")

    env = dict(os.environ)
    local_s, ray_s = [], []
    start = time.perf_counter()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    try:
        for _ in range(args.nodes):
            cluster.add_node(num_cpus=args.cpus_per_node)
        cluster.wait_for_nodes(timeout=300)
        cluster_start = time.perf_counter() - start
        print(
            f"local cluster: head (0 CPUs) + {args.nodes} nodes x {args.cpus_per_node} CPU, up in {cluster_start:.1f} s"
        )
        with tempfile.TemporaryDirectory() as tmp:
            base = [sys.executable, "-m", "pyds", "transcribe", str(args.dir), "--model", str(bundle), "--no-progress"]
            base += ["--format", "json"]
            for i in range(args.repeat):
                local_out, ray_out = Path(tmp) / f"local{i}", Path(tmp) / f"ray{i}"
                local_s.append(timed([*base, "--output-dir", str(local_out)], env))
                ray_args = ["--output-dir", str(ray_out), "--ray", cluster.address]
                ray_args += ["--workers", str(args.nodes), "--threads", str(args.cpus_per_node)]
                ray_s.append(timed([*base, *ray_args], env))
                identical = same_outputs(local_out, ray_out)
    finally:
        cluster.shutdown()

    rows = {"local": min(local_s), "ray": min(ray_s)}
    print("\n| command | wall s | files/s | x real time |\n|---|---|---|---|")
    for name, seconds in rows.items():
        label = "pyds transcribe" if name == "local" else f"pyds transcribe --ray ({args.nodes} nodes)"
        print(f"| {label} | {seconds:.1f} | {len(files) / seconds:.2f} | {audio_s / seconds:.1f} |")
    print(f"\nray / local throughput: {rows['local'] / rows['ray']:.2f}; outputs byte-identical: {identical}")
    if args.out:
        from pyds import _files

        doc = {
            "files": len(files),
            "audio_s": audio_s,
            "nodes": args.nodes,
            "cpus_per_node": args.cpus_per_node,
            "cluster_start_s": cluster_start,
            "local_s": local_s,
            "ray_s": ray_s,
            "identical": identical,
        }
        _files.write_atomic(args.out, (json.dumps(doc, indent=2) + "\n").encode())


if __name__ == "__main__":
    main()
