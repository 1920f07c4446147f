"""How many live sessions one ``pyds serve`` holds: N concurrent WebSocket clients (Vosk protocol) on loopback,
each streaming held-out clips in real time; per numerics mode, the largest N whose p95 lag stays within bounds.

Run: python benchmarks/bench_server.py [--modes fidelity fast] [--sessions 1 2 4 8 16 32 48 64] [--seconds 12]

A session's lag is how long its final result arrives after the end of its audio in real time (the client sends
160 ms frames on the wall clock and never waits for replies, as a microphone does). Each level runs N sessions
at once (starts spread over one second); levels go up until the p95 lag passes ``--max-lag`` (1.5 s). Clips:
../shared/data/armenian-tts (each followed by 0.6 s of silence, so utterances end at pauses as in speech),
or examples/hy-sample.wav without ../shared. Counts and durations are bounded (at most 128 sessions, 60 s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import DATA, armenian_model_and_bundle, read_wav  # noqa: E402

FRAME_SECONDS = 0.16
RATE = 16000
MAX_SESSIONS = 128
MAX_SECONDS = 60.0


def clips() -> list[np.ndarray]:
    """Held-out clips (int16, 16 kHz), each with 0.6 s of trailing silence."""
    paths = sorted(p for p in DATA.glob("s*.wav")) if DATA.is_dir() else []
    if not paths:
        paths = [REPO / "examples" / "hy-sample.wav"]
    pause = np.zeros(int(0.6 * RATE), dtype=np.int16)
    return [np.concatenate([read_wav(p), pause]) for p in paths]


def session_audio(pool: list[np.ndarray], seconds: float, seed: int) -> np.ndarray:
    rng = random.Random(seed)
    parts, total = [], 0
    while total < seconds * RATE:
        clip = pool[rng.randrange(len(pool))]
        parts.append(clip)
        total += clip.size
    return np.concatenate(parts)


async def one_session(url: str, samples: np.ndarray, delay: float) -> dict:
    """Stream ``samples`` in real time without waiting for replies; the lag of the final result."""
    from websockets.asyncio.client import connect

    await asyncio.sleep(delay)
    step = int(FRAME_SECONDS * RATE)
    replies = 0
    finals = 0
    async with connect(url, max_size=None, open_timeout=60) as ws:
        await ws.send(json.dumps({"config": {"sample_rate": RATE}}))
        done = asyncio.get_running_loop().create_future()

        async def receive() -> None:
            nonlocal replies, finals
            async for message in ws:
                doc = json.loads(message)
                replies += 1
                if "text" in doc:
                    finals += 1
                if replies == n_frames + 1:  # the eof reply: the session's final result
                    done.set_result(time.perf_counter())
                    return

        n_frames = (samples.size + step - 1) // step
        reader = asyncio.create_task(receive())
        start = time.perf_counter()
        for k, i in enumerate(range(0, samples.size, step)):
            await ws.send(samples[i : i + step].tobytes())
            # The microphone's clock: frame k+1 is available (k+1) frame periods after the start.
            wait = start + (k + 1) * FRAME_SECONDS - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
        audio_end = start + samples.size / RATE
        await ws.send('{"eof" : 1}')
        finished = await asyncio.wait_for(done, timeout=120)
        await reader
    return {"lag": finished - audio_end, "audio": samples.size / RATE, "finals": finals}


async def level(url: str, pool: list[np.ndarray], n: int, seconds: float, seed: int) -> list[dict]:
    rng = random.Random(seed)
    tasks = [one_session(url, session_audio(pool, seconds, seed * 1000 + i), rng.uniform(0.0, 1.0)) for i in range(n)]
    return list(await asyncio.gather(*tasks))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(bundle: Path, mode: str, log: Path, extra: list[str]) -> tuple[subprocess.Popen, int]:
    import httpx

    port = free_port()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pyds",
                "serve",
                "--model",
                str(bundle),
                "--port",
                str(port),
                "--numerics",
                mode,
                "--max-sessions",
                str(MAX_SESSIONS),
                *extra,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"pyds serve exited ({proc.returncode}); see {log}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200:
                return proc, port
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"pyds serve not ready in 300 s; see {log}")


def server_rtf(port: int) -> float:
    import httpx

    for line in httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text.splitlines():
        if line.startswith("pyds_real_time_factor "):
            return float(line.split()[1])
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bundle", type=Path, default=None, help="a pyds bundle (default: the Armenian model)")
    ap.add_argument("--modes", nargs="+", default=["fidelity", "fast"], choices=["fidelity", "fast"])
    ap.add_argument("--sessions", nargs="+", type=int, default=[1, 2, 4, 8, 16, 24, 32, 48, 64])
    ap.add_argument("--seconds", type=float, default=12.0, help="audio per session (s)")
    ap.add_argument("--max-lag", type=float, default=1.5, help="p95 lag bound (s)")
    ap.add_argument("--threads", type=int, default=None, help="inference threads per request (pyds serve --threads)")
    ap.add_argument("--log-dir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")))
    args = ap.parse_args()
    levels = sorted({n for n in args.sessions if 1 <= n <= MAX_SESSIONS})
    seconds = min(max(args.seconds, 2.0), MAX_SECONDS)
    bundle = args.bundle or armenian_model_and_bundle()[1]
    pool = clips()
    print(
        f"model {bundle}; {len(pool)} clips; {seconds:g} s of audio per session, {FRAME_SECONDS * 1000:g} ms frames; "
        f"inference threads {args.threads or 'default'}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(f"{'mode':9} {'N':>4} {'p50 lag':>8} {'p95 lag':>8} {'max lag':>8} {'server RTF':>10}  verdict")
    summary = {}
    for mode in args.modes:
        log = args.log_dir / f"bench_server_{mode}.log"
        proc, port = start_server(bundle, mode, log, [] if args.threads is None else ["--threads", str(args.threads)])
        url = f"ws://127.0.0.1:{port}/ws"
        best = 0
        try:
            asyncio.run(level(url, pool, 1, 3.0, seed=0))  # warm-up
            for n in levels:
                results = asyncio.run(level(url, pool, n, seconds, seed=n))
                lags = np.array([r["lag"] for r in results])
                p95 = float(np.percentile(lags, 95))
                ok = p95 <= args.max_lag
                print(
                    f"{mode:9} {n:>4} {np.median(lags):>7.2f}s {p95:>7.2f}s {lags.max():>7.2f}s "
                    f"{server_rtf(port):>10.3f}  {'ok' if ok else 'too slow'}",
                    flush=True,
                )
                if not ok:
                    break
                best = n
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        summary[mode] = best
    for mode, best in summary.items():
        print(f"{mode}: largest N with p95 lag <= {args.max_lag:g} s: {best}")


if __name__ == "__main__":
    main()
