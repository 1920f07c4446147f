"""Faults against the real server: clients that vanish mid-utterance, garbage frames, ten times the session limit
knocking at once. The good sessions keep getting the right transcripts, nothing crashes, and after each round the
server's memory comes back to its baseline."""

from __future__ import annotations

import asyncio
import json
import os
import random
from pathlib import Path

import httpx
import pytest
from test_server import final_text, frames, sample_clip, start_server, vosk_session
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

MAX_SESSIONS = 4
ROUNDS = 4
ROUND_TIMEOUT = 120.0  # seconds: a round that takes longer is a hang
MEMORY_SLACK_MB = 40.0  # allocator noise allowed between rounds


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc")


@pytest.fixture(scope="module")
def server(armenian_bundle, tmp_path_factory):
    if not Path("/proc/self/status").exists():
        pytest.skip("memory is read from /proc (Linux)")
    log = tmp_path_factory.mktemp("faults") / "serve.log"
    proc = start_server(armenian_bundle, log, "--max-sessions", str(MAX_SESSIONS), "--idle-timeout", "5")
    yield proc
    proc.stop()


async def vanishing_client(url: str, clip_frames: list[bytes], rng: random.Random) -> None:
    """Stream part of an utterance, then drop the TCP connection without a close handshake."""
    try:
        async with connect(url) as ws:
            for frame in clip_frames[: rng.randint(1, len(clip_frames) - 1)]:
                await ws.send(frame)
                if rng.random() < 0.5:  # some wait for their replies, some do not
                    await ws.recv()
            ws.transport.abort()
    except (InvalidStatus, ConnectionClosed, OSError):
        pass  # refused at the limit, or our own abort surfacing


async def garbage_client(url: str, rng: random.Random) -> list[dict]:
    """Odd-length and random binary frames, junk text; every reply must be JSON (partial or error)."""
    replies = []
    try:
        async with connect(url) as ws:
            for _ in range(8):
                kind = rng.choice(["odd", "noise", "text", "json"])
                if kind == "odd":
                    await ws.send(os.urandom(2 * rng.randint(0, 2000) + 1))
                elif kind == "noise":
                    await ws.send(os.urandom(2 * rng.randint(1, 4000)))
                elif kind == "text":
                    await ws.send("".join(chr(rng.randint(32, 0x2FFF)) for _ in range(rng.randint(1, 200))))
                else:
                    await ws.send(json.dumps({"config": {"sample_rate": rng.choice([-1, 0, "x", 3.5, None])}}))
                replies.append(json.loads(await ws.recv()))
            await ws.send('{"eof" : 1}')
            replies.append(json.loads(await ws.recv()))
    except InvalidStatus:
        pass  # refused at the limit
    return replies


async def knocking_client(url: str) -> int:
    """Try to open a session; the HTTP status it got (101 when admitted)."""
    try:
        async with connect(url, open_timeout=30) as ws:
            await ws.send('{"eof" : 1}')
            await ws.recv()
            return 101
    except InvalidStatus as exc:
        return exc.response.status_code


async def fault_round(url: str, clip, expected: str, seed: int) -> tuple[list[str], list[int], list[list[dict]]]:
    rng = random.Random(seed)
    clip_frames = frames(clip, 16000)
    good = [asyncio.create_task(vosk_session(url, clip, 16000)) for _ in range(2)]
    await asyncio.sleep(0.2)  # the good sessions are in before the crowd
    bad = [asyncio.create_task(vanishing_client(url, clip_frames, rng)) for _ in range(4)]
    junk = [asyncio.create_task(garbage_client(url, rng)) for _ in range(2)]
    knocks = [asyncio.create_task(knocking_client(url)) for _ in range(10 * MAX_SESSIONS)]
    texts = [final_text(r) for r in await asyncio.gather(*good)]
    statuses = await asyncio.gather(*knocks)
    await asyncio.gather(*bad)
    junk_replies = await asyncio.gather(*junk)
    return texts, list(statuses), list(junk_replies)


def active_sessions(server) -> float:
    text = httpx.get(server.url + "/metrics", timeout=10).text
    line = next(x for x in text.splitlines() if x.startswith("pyds_sessions_active "))
    return float(line.split()[1])


def wait_idle(server, timeout: float = 30.0) -> None:
    async def poll() -> None:
        while active_sessions(server) != 0:
            await asyncio.sleep(0.2)

    asyncio.run(asyncio.wait_for(poll(), timeout))


def test_faults_do_not_hurt_good_sessions_or_leak(server) -> None:
    clip = sample_clip()
    expected = final_text(asyncio.run(vosk_session(server.ws_url, clip, 16000)))
    assert expected
    memory = []
    for seed in range(ROUNDS):
        texts, statuses, junk = asyncio.run(
            asyncio.wait_for(fault_round(server.ws_url, clip, expected, seed), ROUND_TIMEOUT)
        )
        assert texts == [expected, expected], f"round {seed}: good sessions got {texts!r}, expected {expected!r}"
        assert statuses.count(503) >= len(statuses) - MAX_SESSIONS, statuses  # the crowd is refused...
        assert set(statuses) <= {101, 503}, statuses  # ...with 503 before the upgrade, never anything else
        for replies in junk:
            assert all(set(r) <= {"partial", "error", "text", "result"} for r in replies), replies
        assert server.proc.poll() is None, server.log_text()
        wait_idle(server)
        memory.append(rss_mb(server.proc.pid))
    assert httpx.get(server.url + "/health", timeout=10).status_code == 200
    # The first round warms the allocator and the worker threads; after it, memory stays at that baseline.
    baseline = memory[0]
    assert max(memory[1:]) <= baseline + MEMORY_SLACK_MB, memory
    log = server.log_text()
    assert "Traceback" not in log and "Exception in ASGI application" not in log, log[-4000:]
    assert "client vanished" in log or "client closed (1006)" in log
