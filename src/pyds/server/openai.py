"""The OpenAI audio API: ``POST /v1/audio/transcriptions`` and ``GET /v1/models``.

An upload runs through the library's one long-audio pipeline (``pyds.pipeline.transcribe_source``: pause split
and the batch engine), so the server returns the same text, segments and timestamps as ``pyds transcribe``; the
subtitle and JSON bodies come from ``pyds.formats``. Errors are OpenAI-style JSON documents with the right
status: 400 bad request, 401 wrong key, 413 too large, 415 undecodable audio, 503 busy or loading.
"""

from __future__ import annotations

import functools
import json
import zlib
from collections.abc import AsyncIterator
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

from .. import audio, formats, pipeline
from ..errors import InvalidAudioError, PydsError
from .app import error_response, state_of

__all__ = ["RESPONSE_FORMATS", "list_models", "transcriptions", "verbose_json"]

#: response_format values and the media type of each body.
RESPONSE_FORMATS = {
    "json": "application/json",
    "text": "text/plain; charset=utf-8",
    "srt": "application/x-subrip; charset=utf-8",
    "vtt": "text/vtt; charset=utf-8",
    "verbose_json": "application/json",
}
GRANULARITIES = ("segment", "word")


class _TooLarge(Exception):
    pass


class _BadRequest(Exception):
    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


def _limited(request: Request, limit: int) -> Request:
    """``request`` whose body raises ``_TooLarge`` past ``limit`` bytes (chunked uploads have no length)."""
    received = 0
    receive = request.receive

    async def limited_receive() -> Any:
        nonlocal received
        message = await receive()
        received += len(message.get("body", b""))
        if received > limit:
            raise _TooLarge
        return message

    return Request(request.scope, limited_receive)


def _field(form: Any, name: str, default: str | None = None) -> str | None:
    value = form.get(name, default)
    if value is not None and not isinstance(value, str):
        raise _BadRequest(f"'{name}' must be a text field, not a file", name)
    return value


def _parse(form: Any) -> tuple[UploadFile, str, bool, tuple[str, ...]]:
    """file, response_format, stream, timestamp granularities; ``_BadRequest`` naming the field."""
    upload = form.get("file")
    if upload is None:
        raise _BadRequest("the 'file' field is missing: send the audio as multipart/form-data field 'file'", "file")
    if not isinstance(upload, UploadFile):
        raise _BadRequest("'file' must be a file upload, not a text field", "file")
    if not _field(form, "model"):
        raise _BadRequest("the 'model' field is missing (see GET /v1/models)", "model")
    fmt = _field(form, "response_format", "json") or "json"
    if fmt not in RESPONSE_FORMATS:
        raise _BadRequest(f"response_format {fmt!r} is not one of {', '.join(RESPONSE_FORMATS)}", "response_format")
    stream_text = (_field(form, "stream", "false") or "false").strip().lower()
    if stream_text not in ("true", "false"):
        raise _BadRequest(f"stream must be true or false, not {stream_text!r}", "stream")
    stream = stream_text == "true"
    if stream and fmt not in ("json", "text"):
        raise _BadRequest("stream=true works with response_format json or text", "stream")
    granularities = tuple(form.getlist("timestamp_granularities[]")) or ("segment",)
    for g in granularities:
        if g not in GRANULARITIES:
            raise _BadRequest(
                f"timestamp_granularities[] value {g!r} is not one of {', '.join(GRANULARITIES)}",
                "timestamp_granularities[]",
            )
    return upload, fmt, stream, granularities


def _compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    return round(len(data) / len(zlib.compress(data)), 4) if data else 0.0


def verbose_json(result: formats.FileResult, language: str | None, granularities: tuple[str, ...]) -> dict[str, Any]:
    """OpenAI's ``verbose_json`` document: duration, text, and segments and/or words as asked."""
    doc: dict[str, Any] = {
        "task": "transcribe",
        "language": language or "",
        "duration": round(result.duration, 3),
        "text": result.text,
    }
    if "segment" in granularities:
        doc["segments"] = [
            {
                "id": i,
                "seek": 0,
                "start": round(s.start, 3),
                "end": round(s.end, 3),
                "text": s.text,
                "tokens": [],
                "temperature": 0.0,
                # DeepSpeech's confidence is the beam's log probability: per emitted character here.
                "avg_logprob": round(s.confidence / max(1, len(s.tokens)), 6),
                "compression_ratio": _compression_ratio(s.text),
                "no_speech_prob": 0.0,  # segments are what the voice-activity detector found to be speech
            }
            for i, s in enumerate(result.segments)
        ]
    if "word" in granularities:
        doc["words"] = [{"word": w.text, "start": round(w.start, 3), "end": round(w.end, 3)} for w in result.words]
    return doc


def _events(result: formats.FileResult) -> AsyncIterator[str]:
    async def gen() -> AsyncIterator[str]:
        first = True
        for segment in result.segments:
            text = segment.text.strip()
            if not text:
                continue
            delta = text if first else " " + text
            first = False
            yield "data: " + json.dumps({"type": "transcript.text.delta", "delta": delta}, ensure_ascii=False) + "\n\n"
        done = {"type": "transcript.text.done", "text": result.text}
        yield "data: " + json.dumps(done, ensure_ascii=False) + "\n\n"

    return gen()


def _render(
    result: formats.FileResult, fmt: str, stream: bool, language: str | None, granularities: tuple[str, ...]
) -> Response:
    if stream:
        return StreamingResponse(_events(result), media_type="text/event-stream; charset=utf-8")
    if fmt == "json":
        return JSONResponse({"text": result.text})
    if fmt == "verbose_json":
        return JSONResponse(verbose_json(result, language, granularities))
    return PlainTextResponse(formats.format_result(result, fmt), media_type=RESPONSE_FORMATS[fmt])


async def transcriptions(request: Request) -> Response:
    """``POST /v1/audio/transcriptions``: multipart ``file`` and ``model``; ``response_format``, ``stream``,
    ``timestamp_granularities[]`` (``language``, ``prompt`` and ``temperature`` are accepted and ignored)."""
    state = state_of(request)
    refusal = state.admit(request)
    if refusal is not None:
        status, message, code = refusal
        return error_response(status, message, code)
    limit = state.options.max_upload_bytes
    too_large = f"the upload exceeds the server's limit of {limit} bytes"
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        return error_response(413, too_large, "file_too_large", "file")
    with state.session("http"):
        try:
            form = await _limited(request, limit).form(max_files=1, max_fields=64)
        except _TooLarge:
            return error_response(413, too_large, "file_too_large", "file")
        try:
            upload, fmt, stream, granularities = _parse(form)
            data = await upload.read()
            if not data:
                raise _BadRequest("the uploaded file is empty", "file")
            name = upload.filename or "upload"
            try:
                run = functools.partial(
                    pipeline.transcribe_source,
                    name=name,
                    model_name=state.options.model_name,
                    vad_options=state.options.vad,
                    progress=False,
                )
                result = await state.infer("http", run, state.model, data)
            except PydsError as exc:
                # The library names the source "<bytes>"; the client knows its file by the name it sent.
                detail = str(exc).replace(audio.source_name(data), name, 1)
                if isinstance(exc, InvalidAudioError):
                    return error_response(
                        415, f"cannot decode the uploaded audio: {detail}", "unsupported_audio", "file"
                    )
                return error_response(400, detail, "invalid_audio", "file")
            state.metrics.audio_seconds["http"] += result.duration
            return _render(result, fmt, stream, state.language, granularities)
        except _BadRequest as exc:
            return error_response(400, str(exc), "invalid_request", exc.param)
        finally:
            await form.close()


async def list_models(request: Request) -> Response:
    """``GET /v1/models``: the one model this server holds."""
    from .app import authorized

    state = state_of(request)
    if not authorized(request, state.options.api_key):
        return error_response(401, "missing or wrong API key", "invalid_api_key")
    created = 0
    if state.model is not None:
        created = int((state.model.bundle_dir / "pyds.json").stat().st_mtime)
    entry = {"id": state.options.model_name, "object": "model", "created": created, "owned_by": "pyds"}
    return JSONResponse({"object": "list", "data": [entry]})
