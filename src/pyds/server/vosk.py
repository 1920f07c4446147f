"""The Vosk WebSocket protocol (what vosk-server's clients speak), over one shared ``pyds.Model``.

A session is one WebSocket. The client may first send a text frame ``{"config": {"sample_rate": 16000,
"words": 1, "max_alternatives": 0}}``; then binary frames of s16le mono PCM at that rate. Every binary frame gets
exactly one reply: ``{"partial": "..."}`` while an utterance goes on, or the utterance's final result
``{"text": "...", "result": [{"word", "start", "end", "conf"}]}`` (``{"alternatives": [...]}`` with
``max_alternatives``) when it ends. ``{"eof" : 1}`` returns the final result and closes; ``{"reset" : 1}``
returns it and goes on. Bad input gets ``{"error": "..."}`` and the session goes on.

Utterances end at pauses, found by the project's voice-activity detector (``pyds.vad``, the same rule that
splits long files), or when the utterance reaches ``VadOptions.max_segment``: one recognizer stream per
utterance, so a long session never grows one stream. Times in results are seconds since the session began.
pyds's CTC beam search has no per-word posterior, so every word's ``conf`` is 1.0.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import audio, formats, vad
from ..errors import InvalidArgumentError

__all__ = ["Command", "ProtocolError", "Session", "SessionConfig", "parse_text"]

#: Sample rates a client may announce (Hz): telephone audio up to studio rates.
MIN_RATE, MAX_RATE = 8000, 192000
#: Most alternatives a client may ask for.
MAX_ALTERNATIVES = 10


class ProtocolError(InvalidArgumentError):
    """A client message that breaks the protocol; the reply is ``{"error": message}`` and the session goes on."""


@dataclass
class SessionConfig:
    """What a client's ``config`` message sets."""

    sample_rate: int
    words: bool = True
    max_alternatives: int = 0


@dataclass(frozen=True)
class Command:
    """A parsed text frame: ``kind`` is ``config``, ``eof`` or ``reset``; ``config`` holds the raw settings."""

    kind: str
    config: dict[str, Any] | None = None


def parse_text(message: str) -> Command:
    """Parse a text frame (any JSON spacing). Raises ``ProtocolError`` naming what is wrong."""
    try:
        doc = json.loads(message)
    except ValueError as exc:
        raise ProtocolError(f"text frame is not valid JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise ProtocolError("text frame must be a JSON object: config, eof or reset")
    if "config" in doc:
        if not isinstance(doc["config"], dict):
            raise ProtocolError("config must be a JSON object")
        return Command("config", doc["config"])
    for kind in ("eof", "reset"):
        if kind in doc:
            if doc[kind] not in (1, True):
                raise ProtocolError(f'"{kind}" must be 1')
            return Command(kind)
    raise ProtocolError(f"unknown message {sorted(doc)!r}: expected config, eof or reset")


def _integer(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ProtocolError(f"config.{field} must be a number, not {value!r}")
    if value != int(value) or not low <= value <= high:
        raise ProtocolError(f"config.{field} must be a whole number from {low} to {high}, not {value!r}")
    return int(value)


def apply_config(current: SessionConfig, settings: dict[str, Any]) -> SessionConfig:
    """``current`` updated by a client's ``config`` object; unknown keys are ignored (as vosk-server does)."""
    rate = current.sample_rate
    words = current.words
    alternatives = current.max_alternatives
    if "sample_rate" in settings:
        rate = _integer(settings["sample_rate"], "sample_rate", MIN_RATE, MAX_RATE)
    if "words" in settings:
        value = settings["words"]
        words = value if isinstance(value, bool) else bool(_integer(value, "words", 0, 1))
    if "max_alternatives" in settings:
        alternatives = _integer(settings["max_alternatives"], "max_alternatives", 0, MAX_ALTERNATIVES)
    return SessionConfig(rate, words, alternatives)


class Session:
    """The recognizer side of one Vosk session. Not thread-safe: one message at a time (any thread).

    ``accept_audio``/``final`` do the inference (the C++ core releases the GIL), so the server calls them from
    worker threads; all streams come from the one shared model, whose engine batches live streams.
    """

    def __init__(self, model: Any, vad_options: vad.VadOptions | None = None) -> None:
        self.model = model
        self.rate = int(model.sample_rate)
        self.vad_options = vad_options or vad.VadOptions()
        self.config = SessionConfig(self.rate)
        self._vad = vad.VoiceActivityDetector(self.rate, self.vad_options)
        self._max_utterance = int(self.vad_options.max_segment * self.rate)
        self._resampler: audio.Resampler | None = None
        self._stream = model.create_stream()
        self._start = 0  # session sample (model rate) where the current utterance began
        self._fed = 0  # session samples fed so far
        self.audio_seconds = 0.0  # of client audio received
        self.utterances = 0

    def configure(self, settings: dict[str, Any]) -> None:
        """Apply a ``config`` message; a new rate takes effect with the next frame."""
        config = apply_config(self.config, settings)
        if config.sample_rate != self.config.sample_rate:
            self._resampler = (
                None if config.sample_rate == self.rate else audio.Resampler(config.sample_rate, self.rate)
            )
        self.config = config

    def accept_audio(self, data: bytes) -> dict[str, Any]:
        """Take one binary frame of s16le mono PCM; return the reply (partial, or final when an utterance ends)."""
        if len(data) % 2:
            raise ProtocolError(
                f"binary frame has {len(data)} bytes: s16le PCM needs an even number (2 bytes a sample); frame dropped"
            )
        pcm = np.frombuffer(data, dtype="<i2").astype(np.float32) * np.float32(1.0 / 32768.0)
        self.audio_seconds += pcm.size / self.config.sample_rate
        samples = self._resampler(pcm) if self._resampler is not None else pcm
        ended = False
        if samples.size:
            self._stream.feed_audio_content(samples)
            self._fed += samples.size
            ended = bool(self._vad.feed(samples))
        if ended or self._fed - self._start >= self._max_utterance:
            return self.final()
        return {"partial": self._stream.intermediate_decode()}

    def final(self) -> dict[str, Any]:
        """End the current utterance: its final result; the next audio starts a new one."""
        n = max(1, self.config.max_alternatives)
        transcripts = self._stream.finish_stream_with_metadata(n)
        start, end = self._start / self.rate, self._fed / self.rate
        self._stream = self.model.create_stream()
        self._start = self._fed
        self.utterances += 1
        if self.config.max_alternatives:
            return {"alternatives": [self._result(t, start, end, confidence=True) for t in transcripts]}
        if not transcripts:
            return {"text": ""}
        return self._result(transcripts[0], start, end)

    def _result(self, transcript: Any, start: float, end: float, *, confidence: bool = False) -> dict[str, Any]:
        segment = formats.segment_from_transcript(transcript, start, end)
        out: dict[str, Any] = {}
        if confidence:
            out["confidence"] = round(float(transcript.confidence), 6)
        if self.config.words and segment.words:
            out["result"] = [
                {"conf": 1.0, "end": round(w.end, 3), "start": round(w.start, 3), "word": w.text} for w in segment.words
            ]
        out["text"] = segment.text
        return out


async def run_session(websocket: Any, state: Any, number: int) -> None:
    """Serve one admitted WebSocket in the Vosk protocol until eof, disconnect or the idle timeout.

    ``state`` is the server's ``ServerState``: the model, the worker threads (``state.infer``), the limits and
    the metrics. One line goes to the log when the session ends.
    """
    import asyncio
    import contextlib
    import logging
    import time

    from starlette.websockets import WebSocketDisconnect

    log = logging.getLogger("pyds.server")
    client = websocket.client
    peer = f"{client.host}:{client.port}" if client else "?"
    started = time.perf_counter()
    await websocket.accept()
    session = await state.infer("ws", Session, state.model, state.options.vad)  # a new infer request: off the loop
    metrics = state.metrics
    errors = 0
    how = "client closed"

    async def reply(doc: dict[str, Any]) -> None:
        await websocket.send_text(json.dumps(doc, ensure_ascii=False))

    try:
        while True:
            try:
                message = await asyncio.wait_for(websocket.receive(), state.options.idle_timeout)
            except asyncio.TimeoutError:
                how = f"idle for {state.options.idle_timeout:g} s"
                await websocket.close(code=1001, reason=how)
                break
            if message["type"] == "websocket.disconnect":
                how = f"client closed ({message.get('code', 1005)})"
                break
            data, text = message.get("bytes"), message.get("text")
            try:
                if data is not None:
                    before = session.audio_seconds
                    try:
                        await reply(await state.infer("ws", session.accept_audio, data))
                    finally:
                        metrics.audio_seconds["ws"] += session.audio_seconds - before
                    continue
                command = parse_text(text if text is not None else "")
                if command.kind == "config":
                    assert command.config is not None
                    session.configure(command.config)
                    continue
                await reply(await state.infer("ws", session.final))
                if command.kind == "eof":
                    how = "eof"
                    await websocket.close(code=1000)
                    break
            except ProtocolError as exc:
                errors += 1
                await reply({"error": str(exc)})
    except (WebSocketDisconnect, OSError) as exc:
        # A client that vanished mid-send or mid-reply; its stream is simply dropped.
        how = f"client vanished ({type(exc).__name__})"
    except Exception as exc:
        how = f"failed ({type(exc).__name__}: {exc})"
        log.exception("ws %s: session %d failed", peer, number)
        with contextlib.suppress(Exception):
            await websocket.close(code=1011, reason="internal error")
    finally:
        elapsed = time.perf_counter() - started
        log.info(
            "ws %s: session %d, %.1f s audio, %d utterance(s), %d error(s), %.1f s, %s",
            peer,
            number,
            session.audio_seconds,
            session.utterances,
            errors,
            elapsed,
            how,
        )
