"""``pyds serve``: the real server (uvicorn on 127.0.0.1, a free port, the real Armenian model) driven by a plain
WebSocket client in the Vosk protocol and an HTTP client in the OpenAI protocol."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import REPO
from test_formats import parse_srt, parse_vtt

httpx = pytest.importorskip("httpx", reason="the test extra installs httpx")
websockets = pytest.importorskip("websockets", reason="the test extra installs websockets")
from websockets.asyncio.client import connect  # noqa: E402
from websockets.exceptions import ConnectionClosed, InvalidStatus  # noqa: E402

import pyds  # noqa: E402
from pyds import audio, pipeline  # noqa: E402

KEY = "test-key"
SAMPLE = REPO / "examples" / "hy-sample.wav"
FRAME_SECONDS = 0.25  # what Vosk's own client samples send (8000 bytes at 16 kHz)


# -- the server process -----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServerProcess:
    """A ``pyds serve`` subprocess on 127.0.0.1; ``log`` is its stderr file."""

    proc: subprocess.Popen
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def start_server(
    bundle: Path, log: Path, *args: str, wait: bool = True, timeout: float = 180, port: int | None = None
) -> ServerProcess:
    """Start ``python -m pyds serve --model BUNDLE ARGS`` and wait until ``/health`` says it is ready."""
    port = port or free_port()
    with open(log, "ab") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pyds", "serve", "--model", str(bundle), "--port", str(port), *args],
            stdout=err,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    server = ServerProcess(proc, port, log)
    if wait:
        deadline = time.monotonic() + timeout
        while True:
            assert proc.poll() is None, f"pyds serve exited with {proc.returncode}:\n{server.log_text()}"
            try:
                if httpx.get(server.url + "/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                server.stop()
                raise AssertionError(f"pyds serve not ready in {timeout} s:\n{server.log_text()}")
            time.sleep(0.2)
    return server


@pytest.fixture(scope="module")
def server(armenian_bundle, tmp_path_factory) -> Iterator[ServerProcess]:
    log = tmp_path_factory.mktemp("server") / "serve.log"
    proc = start_server(
        armenian_bundle,
        log,
        "--api-key",
        KEY,
        "--max-sessions",
        "4",
        "--max-upload-mb",
        "2",
        "--idle-timeout",
        "3",
    )
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def model(armenian_bundle) -> pyds.Model:
    return pyds.Model(armenian_bundle)


def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {KEY}"}


# -- clips ------------------------------------------------------------------------------------------------
def padded(samples: np.ndarray, rate: int, seconds: float = 1.0) -> np.ndarray:
    """``samples`` (int16) with ``seconds`` of digital silence at both ends."""
    pad = np.zeros(int(seconds * rate), dtype=np.int16)
    return np.concatenate([pad, samples, pad])


def sample_clip() -> np.ndarray:
    """examples/hy-sample.wav (16 kHz int16) with a second of silence at both ends."""
    samples, rate = sf.read(SAMPLE, dtype="int16")
    assert rate == 16000
    return padded(samples, rate)


def frames(samples: np.ndarray, rate: int, seconds: float = FRAME_SECONDS) -> list[bytes]:
    step = int(seconds * rate)
    return [samples[i : i + step].astype("<i2").tobytes() for i in range(0, samples.size, step)]


async def vosk_session(url: str, samples: np.ndarray, rate: int, config: dict | None = None) -> list[dict]:
    """Stream ``samples`` as Vosk's client samples do (config, then frame/reply pairs, then eof); all replies."""
    replies = []
    async with connect(url, additional_headers=auth(), max_size=None) as ws:
        await ws.send(json.dumps({"config": {"sample_rate": rate, **(config or {})}}))
        for frame in frames(samples, rate):
            await ws.send(frame)
            replies.append(json.loads(await ws.recv()))
        await ws.send('{"eof" : 1}')
        replies.append(json.loads(await ws.recv()))
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 10)
        assert ws.close_code == 1000
    return replies


def final_text(replies: list[dict]) -> str:
    return " ".join(r["text"] for r in replies if r.get("text"))


# -- the Vosk WebSocket -----------------------------------------------------------------------------------
def test_vosk_final_text_equals_model_stt(server, model) -> None:
    clip = sample_clip()
    replies = asyncio.run(vosk_session(server.ws_url, clip, 16000))
    assert len(replies) == len(frames(clip, 16000)) + 1  # exactly one reply per binary frame, then eof's
    assert all(set(r) in ({"partial"}, {"text"}, {"text", "result"}) for r in replies), replies
    assert final_text(replies) == model.stt(clip)
    assert any(r.get("partial") for r in replies)  # partials appear while the utterance goes on
    words = [w for r in replies for w in r.get("result", [])]
    assert " ".join(w["word"] for w in words) == final_text(replies)
    duration = clip.size / 16000
    for w in words:
        assert set(w) == {"word", "start", "end", "conf"}
        assert 0 <= w["start"] <= w["end"] <= duration and w["conf"] == 1.0
    assert [w["start"] for w in words] == sorted(w["start"] for w in words)
    assert words[0]["start"] >= 0.9  # after the second of leading silence


def test_vosk_resamples_other_rates(server, model) -> None:
    samples = audio.load(SAMPLE, 48000, dither=False)
    pcm48 = padded(np.round(samples * 32767).astype(np.int16), 48000)
    replies = asyncio.run(vosk_session(server.ws_url, pcm48, 48000, {"words": 0, "max_alternatives": 0}))
    assert all("result" not in r for r in replies)
    # The server resamples frame by frame as pyds.audio does (soxr HQ, dithered onto the int16 grid).
    resampler = audio.Resampler(48000, 16000)
    reference = np.concatenate(
        [resampler(np.frombuffer(f, "<i2").astype(np.float32) / 32768) for f in frames(pcm48, 48000)]
    )
    assert final_text(replies) == model.stt(reference)
    assert final_text(replies)


def test_vosk_alternatives(server) -> None:
    replies = asyncio.run(vosk_session(server.ws_url, sample_clip(), 16000, {"max_alternatives": 3}))
    finals = [r for r in replies if "alternatives" in r]
    assert finals, replies
    best = next(r for r in finals if r["alternatives"] and r["alternatives"][0]["text"])
    alts = best["alternatives"]
    assert 1 <= len(alts) <= 3
    assert all({"text", "confidence"} <= set(a) for a in alts)
    assert [a["confidence"] for a in alts] == sorted((a["confidence"] for a in alts), reverse=True)


def test_vosk_pause_and_length_endpointing_and_reset(server, model) -> None:
    speech, _ = sf.read(SAMPLE, dtype="int16")
    gap = np.zeros(16000, dtype=np.int16)
    # Two utterances with a one-second pause: the pause ends the first before eof.
    two = np.concatenate([gap, speech, gap, speech, gap])
    replies = asyncio.run(vosk_session(server.ws_url, two, 16000))
    finals = [i for i, r in enumerate(replies[:-1]) if "text" in r and r["text"]]
    assert len(finals) == 2, replies
    # Speech without pauses for longer than the longest utterance (VadOptions.max_segment) is cut.
    limit = pyds.vad.VadOptions().max_segment
    reps = int(limit / (speech.size / 16000)) + 2
    long_speech = np.concatenate([speech] * reps)
    replies = asyncio.run(vosk_session(server.ws_url, long_speech, 16000))
    assert sum("text" in r for r in replies[:-1]) >= 1, "no utterance ended before eof"

    async def with_reset() -> list[dict]:
        out = []
        async with connect(server.ws_url, additional_headers=auth()) as ws:
            for frame in frames(speech, 16000):
                await ws.send(frame)
                out.append(json.loads(await ws.recv()))
            await ws.send('{ "reset":1 }')
            out.append(json.loads(await ws.recv()))
            for frame in frames(speech, 16000):
                await ws.send(frame)
                out.append(json.loads(await ws.recv()))
            await ws.send('{"eof": 1}')
            out.append(json.loads(await ws.recv()))
        return out

    out = asyncio.run(with_reset())
    n = len(frames(speech, 16000))
    # reset returns the final result (of what the pause detector had not ended yet) and the session goes on
    assert "text" in out[n] and "text" in out[-1]
    assert final_text(out[: n + 1]) == model.stt(speech)
    assert final_text(out[n + 1 :]) == model.stt(speech)


def test_vosk_bad_input_gets_errors_and_the_session_goes_on(server, model) -> None:
    clip = sample_clip()

    async def go() -> list[dict]:
        out = []
        async with connect(server.ws_url, additional_headers=auth()) as ws:
            for bad in ["not json", "[1, 2]", '{"hello": 1}', '{"config": {"sample_rate": 12.5}}',
                        '{"config": {"sample_rate": 1000000}}', '{"config": {"max_alternatives": -1}}',
                        '{"config": 5}', '{"eof": 2}']:  # fmt: skip
                await ws.send(bad)
                out.append(json.loads(await ws.recv()))
            await ws.send(b"\x01\x02\x03")  # an odd byte count
            out.append(json.loads(await ws.recv()))
            for frame in frames(clip, 16000):
                await ws.send(frame)
                out.append(json.loads(await ws.recv()))
            await ws.send('{"eof" : 1}')
            out.append(json.loads(await ws.recv()))
        return out

    out = asyncio.run(go())
    errors = out[:9]
    assert all(set(e) == {"error"} and e["error"] for e in errors), errors
    assert "JSON" in errors[0]["error"] and "sample_rate" in errors[3]["error"] and "odd" not in errors[3]["error"]
    assert "3 bytes" in errors[8]["error"]
    assert final_text(out[9:]) == model.stt(clip)  # nothing the errors did changed the recognition


def test_vosk_oversized_message_closes_with_1009(server) -> None:
    async def go() -> int | None:
        async with connect(server.ws_url, additional_headers=auth(), max_size=None) as ws:
            await ws.send(b"\x00" * ((1 << 20) + 2))
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 10)
            return ws.close_code

    assert asyncio.run(go()) == 1009


def test_ws_key_and_session_limit_refused_before_the_upgrade(server) -> None:
    async def status_of(url: str, headers: dict[str, str] | None = None) -> int:
        with pytest.raises(InvalidStatus) as info:
            async with connect(url, additional_headers=headers or {}):
                pass
        return info.value.response.status_code

    async def go() -> None:
        assert await status_of(server.ws_url) == 401
        assert await status_of(server.ws_url, {"Authorization": "Bearer wrong"}) == 401
        async with connect(server.ws_url + f"?api_key={KEY}") as ws:  # the browsers' way
            await ws.send(b"\x00\x00" * 1600)
            assert "partial" in json.loads(await ws.recv())
        held = [await connect(server.ws_url, additional_headers=auth()) for _ in range(4)]
        try:
            assert await status_of(server.ws_url, auth()) == 503
            r = httpx.post(
                server.url + "/v1/audio/transcriptions",
                headers=auth(),
                files={"file": ("a.wav", SAMPLE.read_bytes())},
                data={"model": "m"},
                timeout=60,
            )
            assert r.status_code == 503 and r.json()["error"]["message"]
        finally:
            for ws in held:
                await ws.close()
        await asyncio.sleep(0.5)
        async with connect(server.ws_url, additional_headers=auth()) as ws:  # capacity is back
            await ws.send('{"eof" : 1}')
            assert json.loads(await ws.recv()) == {"text": ""}

    asyncio.run(go())
    metrics = httpx.get(server.url + "/metrics", headers=auth(), timeout=10).text
    assert 'pyds_sessions_rejected_total{reason="limit"}' in metrics
    assert 'pyds_sessions_rejected_total{reason="auth"}' in metrics


def test_idle_sessions_are_closed(server) -> None:
    async def go() -> tuple[int | None, float]:
        async with connect(server.ws_url, additional_headers=auth()) as ws:
            started = time.monotonic()
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 30)
            return ws.close_code, time.monotonic() - started

    code, waited = asyncio.run(go())
    assert code == 1001 and 2.5 <= waited < 15
    assert "idle for 3 s" in server.log_text()


# -- HTTP: health, metrics, the OpenAI API ---------------------------------------------------------------
def test_health_models_metrics(server) -> None:
    r = httpx.get(server.url + "/health", timeout=10)
    assert r.status_code == 200 and r.json()["status"] == "ok"
    r = httpx.get(server.url + "/v1/models", headers=auth(), timeout=10)
    assert r.status_code == 200
    (entry,) = r.json()["data"]
    assert entry["object"] == "model" and entry["id"] and entry["owned_by"] == "pyds"
    r = httpx.get(server.url + "/metrics", headers=auth(), timeout=10)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    for name in (
        "pyds_sessions_active",
        "pyds_sessions_total",
        "pyds_sessions_rejected_total",
        "pyds_audio_seconds_total",
        "pyds_real_time_factor",
        "pyds_queue_depth",
    ):
        assert f"# TYPE {name} " in r.text
    r = httpx.get(server.url + "/", timeout=10)
    assert r.status_code == 200 and 'id="record"' in r.text and 'id="transcript"' in r.text
    for path in ("/static/app.js", "/static/resampler-worklet.js", "/static/style.css"):
        assert httpx.get(server.url + path, timeout=10).status_code == 200


def transcribe(server: ServerProcess, data: bytes, name: str = "a.wav", **fields: str | list[str]) -> httpx.Response:
    return httpx.post(
        server.url + "/v1/audio/transcriptions",
        headers=auth(),
        files={"file": (name, data)},
        data={"model": "armspeech", **fields},
        timeout=120,
    )


def test_openai_formats(server, model) -> None:
    data = SAMPLE.read_bytes()
    expected = pipeline.transcribe_source(model, SAMPLE)
    assert expected.text == model.stt(audio.load(SAMPLE, 16000))

    r = transcribe(server, data)
    assert r.status_code == 200 and r.json() == {"text": expected.text}
    r = transcribe(server, data, response_format="text")
    assert r.status_code == 200 and r.text.strip() == expected.text
    r = transcribe(server, data, response_format="srt")
    cues = parse_srt(r.text)
    assert r.status_code == 200 and " ".join(" ".join(c.lines) for c in cues) == expected.text
    r = transcribe(server, data, response_format="vtt")
    cues_vtt = parse_vtt(r.text)
    assert [(c.start, c.end) for c in cues_vtt] == [(c.start, c.end) for c in cues]
    r = transcribe(server, data, response_format="verbose_json", **{"timestamp_granularities[]": ["word", "segment"]})
    doc = r.json()
    assert doc["text"] == expected.text and doc["language"] == model.bundle.language
    assert abs(doc["duration"] - expected.duration) < 1e-3
    assert [w["word"] for w in doc["words"]] == [w.text for w in expected.words]
    assert [(s["start"], s["end"], s["text"]) for s in doc["segments"]] == [
        (round(s.start, 3), round(s.end, 3), s.text) for s in expected.segments
    ]
    r = transcribe(server, data, response_format="verbose_json", **{"timestamp_granularities[]": "word"})
    assert "words" in r.json() and "segments" not in r.json()

    r = transcribe(server, data, stream="true")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = [json.loads(line[len("data: ") :]) for line in r.text.splitlines() if line.startswith("data: ")]
    assert [e["type"] for e in events[:-1]] == ["transcript.text.delta"] * (len(events) - 1)
    assert events[-1] == {"type": "transcript.text.done", "text": expected.text}
    assert "".join(e["delta"] for e in events[:-1]) == expected.text


def test_openai_long_file_uses_the_pipeline(server, model, tmp_path) -> None:
    speech, _ = sf.read(SAMPLE, dtype="int16")
    gap = np.zeros(12000, dtype=np.int16)
    long_clip = np.concatenate([np.concatenate([speech, gap])] * 8)  # 28 s: longer than one segment
    path = tmp_path / "long.flac"
    sf.write(path, long_clip, 16000)
    expected = pipeline.transcribe_source(model, path)
    assert len(expected.segments) > 1
    r = transcribe(server, path.read_bytes(), "long.flac", response_format="verbose_json")
    doc = r.json()
    assert r.status_code == 200 and doc["text"] == expected.text
    assert len(doc["segments"]) == len(expected.segments)
    r = transcribe(server, path.read_bytes(), "long.flac", response_format="srt")
    assert r.text == pyds.formats.to_srt(expected)


@pytest.mark.parametrize(
    ("fields", "status", "param"),
    [
        ({"response_format": "docx"}, 400, "response_format"),
        ({"timestamp_granularities[]": "sentence", "response_format": "verbose_json"}, 400, None),
        ({"stream": "maybe"}, 400, "stream"),
        ({"stream": "true", "response_format": "srt"}, 400, "stream"),
    ],
)
def test_openai_bad_fields(server, fields, status, param) -> None:
    r = transcribe(server, SAMPLE.read_bytes(), **fields)
    assert r.status_code == status
    error = r.json()["error"]
    assert error["type"] == "invalid_request_error" and error["message"]
    if param:
        assert error["param"] == param


def test_openai_errors(server) -> None:
    url = server.url + "/v1/audio/transcriptions"
    data = SAMPLE.read_bytes()

    def check(r: httpx.Response, status: int, needle: str) -> None:
        assert r.status_code == status, r.text
        error = r.json()["error"]
        assert needle in error["message"] and {"message", "type", "param", "code"} <= set(error)

    check(httpx.post(url, files={"file": ("a.wav", data)}, data={"model": "m"}, timeout=30), 401, "API key")
    check(httpx.get(server.url + "/v1/models", timeout=30), 401, "API key")
    check(httpx.post(url, headers=auth(), data={"model": "m"}, timeout=30), 400, "'file'")
    check(httpx.post(url, headers=auth(), files={"file": ("a.wav", data)}, timeout=30), 400, "'model'")
    check(httpx.post(url, headers=auth(), data={"model": "m", "file": "text"}, timeout=30), 400, "'file'")
    check(transcribe(server, b""), 400, "empty")
    check(transcribe(server, b"RIFF\x00\x00garbage" * 100, "junk.wav"), 415, "junk.wav")
    check(transcribe(server, os.urandom(3 << 20)), 413, "limit")

    def chunked():  # no Content-Length: the limit applies while reading
        boundary = b"--xyz\r\n"
        yield boundary + b'Content-Disposition: form-data; name="model"\r\n\r\nm\r\n'
        yield boundary + b'Content-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\n'
        for _ in range(40):
            yield b"\x00" * 100_000
        yield b"\r\n--xyz--\r\n"

    r = httpx.post(
        url, headers={**auth(), "Content-Type": "multipart/form-data; boundary=xyz"}, content=chunked(), timeout=30
    )
    check(r, 413, "limit")
    check(httpx.get(url, headers=auth(), timeout=30), 405, "")
    r = httpx.post(url, headers={**auth(), "Content-Type": "application/json"}, content=b"{}", timeout=30)
    assert r.status_code == 400 and "error" in r.json()


# -- the command ------------------------------------------------------------------------------------------
def test_serve_without_the_extra_says_how_to_install_it(tmp_path) -> None:
    shim = tmp_path / "shim" / "starlette"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text("raise ImportError(\"No module named 'starlette'\", name='starlette')\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "shim")}
    done = subprocess.run([sys.executable, "-m", "pyds", "serve"], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 2 and done.stdout == ""
    assert "pip install 'pyds[server]'" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--port", "70000"), "--port"),
        (("--max-sessions", "0"), "max_sessions"),
        (("--idle-timeout", "-1"), "idle_timeout"),
        (("--numerics", "exact"), "invalid choice"),
    ],
)
def test_serve_usage_errors(tmp_path, args, needle) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pyds", "serve", "--model", str(tmp_path), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and needle in done.stderr and "Traceback" not in done.stderr


def test_health_is_503_while_the_model_loads(armenian_bundle, tmp_path) -> None:
    server = start_server(armenian_bundle, tmp_path / "serve.log", wait=False)
    seen: list[tuple[int, str]] = []
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and (not seen or seen[-1][0] != 200):
            assert server.proc.poll() is None, server.log_text()
            try:
                r = httpx.get(server.url + "/health", timeout=5)
                seen.append((r.status_code, r.json()["status"]))
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    finally:
        server.stop()
    assert seen[0] == (503, "loading") and seen[-1] == (200, "ok"), seen
    assert set(seen) == {(503, "loading"), (200, "ok")}


def test_serve_with_a_model_that_cannot_load_exits_2(tmp_path) -> None:
    server = start_server(tmp_path / "no-such-model.tflite", tmp_path / "serve.log", wait=False)
    try:
        rc = server.proc.wait(timeout=120)
    finally:
        server.stop()
    assert rc == 2
    assert "cannot load the model" in server.log_text() and "no-such-model.tflite" in server.log_text()
