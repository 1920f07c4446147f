"""``pyds serve``: the Starlette application — routes, limits, metrics — and the uvicorn runner.

One process holds one ``pyds.Model`` (loaded in the background: ``/health`` answers 503 until it is ready) and
shares it across every session: one recognizer stream per WebSocket utterance, one pipeline run per uploaded
file. Inference runs in worker threads (the C++ core releases the GIL), never on the event loop; the engine
batches the live streams of the one model by itself.

Routes: ``/`` (the live-captions page) and ``/static/*``; ``/ws`` (Vosk protocol, ``vosk.py``);
``POST /v1/audio/transcriptions`` and ``GET /v1/models`` (OpenAI protocol, ``openai.py``); ``/health``;
``/metrics`` (Prometheus text). ``/ws``, ``/v1/*`` and ``/metrics`` need the API key when one is set (an
``Authorization: Bearer`` header, or ``?api_key=`` since browsers cannot set WebSocket headers).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket

from .. import vad

__all__ = ["Metrics", "ServerOptions", "ServerState", "create_app", "serve"]

log = logging.getLogger("pyds.server")
STATIC = Path(__file__).parent / "static"
T = TypeVar("T")


@dataclass(frozen=True)
class ServerOptions:
    """Limits and names of one server; every default is defined here."""

    model_name: str = "pyds"  # the id /v1/models reports (the --model the server was started with)
    api_key: str | None = None  # required on /ws, /v1/* and /metrics when set
    max_sessions: int = 64  # concurrent WebSocket sessions plus file transcriptions; more get 503
    max_message_bytes: int = 1 << 20  # one WebSocket message (1 MiB = 32 s of 16 kHz s16le)
    max_upload_bytes: int = 25_000_000  # one uploaded file (OpenAI's own limit, 25 MB)
    idle_timeout: float = 60.0  # seconds a WebSocket may stay silent before the server closes it
    vad: vad.VadOptions = field(default_factory=vad.VadOptions)  # endpointing: pauses and the utterance limit

    def validate(self) -> None:
        """Raise ``InvalidArgumentError`` for limits that cannot work."""
        from ..errors import InvalidArgumentError

        for name in ("max_sessions", "max_message_bytes", "max_upload_bytes"):
            if int(getattr(self, name)) < 1:
                raise InvalidArgumentError(f"ServerOptions.{name} must be at least 1, not {getattr(self, name)!r}")
        if not self.idle_timeout > 0:
            raise InvalidArgumentError(f"ServerOptions.idle_timeout must be positive, not {self.idle_timeout!r}")
        self.vad.validate()


class Metrics:
    """Counters and gauges for ``/metrics``. Changed on the event loop only (no lock needed)."""

    def __init__(self) -> None:
        self.sessions_active = 0
        self.sessions_total: dict[str, int] = {"ws": 0, "http": 0}
        self.rejected_total: dict[str, int] = {"limit": 0, "auth": 0, "loading": 0}
        self.audio_seconds: dict[str, float] = {"ws": 0.0, "http": 0.0}
        self.busy_seconds: dict[str, float] = {"ws": 0.0, "http": 0.0}
        self.queue_depth = 0  # inference calls submitted to the worker threads and not finished
        self.responses: dict[int, int] = {}

    def render(self, model_loaded: bool) -> str:
        """The Prometheus text exposition."""
        lines: list[str] = []

        def metric(name: str, kind: str, help_text: str, samples: dict[str, float] | float) -> None:
            lines.append(f"# HELP {name} {help_text}")
            lines.append(f"# TYPE {name} {kind}")
            if isinstance(samples, dict):
                for labels, value in samples.items():
                    lines.append(f"{name}{{{labels}}} {value:g}")
            else:
                lines.append(f"{name} {samples:g}")

        audio = sum(self.audio_seconds.values())
        busy = sum(self.busy_seconds.values())
        metric("pyds_model_loaded", "gauge", "1 once the model is loaded", float(model_loaded))
        metric("pyds_sessions_active", "gauge", "WebSocket sessions and file transcriptions now", self.sessions_active)
        metric(
            "pyds_sessions_total",
            "counter",
            "sessions accepted",
            {f'endpoint="{k}"': v for k, v in self.sessions_total.items()},
        )
        metric(
            "pyds_sessions_rejected_total",
            "counter",
            "sessions refused",
            {f'reason="{k}"': v for k, v in self.rejected_total.items()},
        )
        metric(
            "pyds_audio_seconds_total",
            "counter",
            "seconds of audio received",
            {f'endpoint="{k}"': v for k, v in self.audio_seconds.items()},
        )
        metric(
            "pyds_inference_seconds_total",
            "counter",
            "worker-thread seconds spent recognizing",
            {f'endpoint="{k}"': v for k, v in self.busy_seconds.items()},
        )
        metric(
            "pyds_real_time_factor",
            "gauge",
            "inference seconds per second of audio, since start",
            busy / audio if audio else 0.0,
        )
        metric("pyds_queue_depth", "gauge", "inference calls waiting or running in worker threads", self.queue_depth)
        metric(
            "pyds_http_responses_total",
            "counter",
            "HTTP responses by status",
            {f'code="{k}"': v for k, v in sorted(self.responses.items())},
        )
        return "\n".join(lines) + "\n"


class ServerState:
    """The model (once loaded), the worker threads, the session count and the metrics of one server."""

    def __init__(self, load_model: Callable[[], Any], options: ServerOptions) -> None:
        options.validate()
        self.options = options
        self.model: Any = None
        self.language: str | None = None
        self.load_error: BaseException | None = None
        self.metrics = Metrics()
        self._load_model = load_model
        # One thread per possible session: a thread waiting on the engine's batched inference is not busy.
        self.executor = ThreadPoolExecutor(max_workers=options.max_sessions + 2, thread_name_prefix="pyds-infer")
        self.on_load_error: Callable[[BaseException], None] | None = None
        self._next_id = 0

    # -- model ----------------------------------------------------------------------------------------------
    def start_loading(self) -> threading.Thread:
        """Load the model in a background thread (``/health`` answers 503 meanwhile)."""
        thread = threading.Thread(target=self._load, name="pyds-load", daemon=True)
        thread.start()
        return thread

    def _load(self) -> None:
        started = time.perf_counter()
        try:
            model = self._load_model()
            language = getattr(model.bundle, "language", None)
        except BaseException as exc:  # reported by /health and the log; the CLI stops the server
            self.load_error = exc
            log.error("cannot load the model: %s", exc)
            if self.on_load_error is not None:
                self.on_load_error(exc)
            return
        self.language = language or None
        self.model = model
        log.info("model %s loaded in %.1f s", self.options.model_name, time.perf_counter() - started)

    # -- sessions -------------------------------------------------------------------------------------------
    def admit(self, conn: HTTPConnection) -> tuple[int, str, str] | None:
        """``None`` when a new session may start, else (status, message, OpenAI error code) to refuse it."""
        if not authorized(conn, self.options.api_key):
            self.metrics.rejected_total["auth"] += 1
            return 401, "missing or wrong API key (Authorization: Bearer KEY, or ?api_key=KEY)", "invalid_api_key"
        if self.model is None:
            self.metrics.rejected_total["loading"] += 1
            if self.load_error is not None:
                return 503, f"the model failed to load: {self.load_error}", "model_not_loaded"
            return 503, "the model is still loading; retry shortly", "model_loading"
        if self.metrics.sessions_active >= self.options.max_sessions:
            self.metrics.rejected_total["limit"] += 1
            return 503, f"the server is at its limit of {self.options.max_sessions} sessions; retry later", "busy"
        return None

    @contextlib.contextmanager
    def session(self, endpoint: str):
        """Count one admitted session while it runs; yields its number (for the log)."""
        self.metrics.sessions_active += 1
        self.metrics.sessions_total[endpoint] += 1
        self._next_id += 1
        try:
            yield self._next_id
        finally:
            self.metrics.sessions_active -= 1

    async def infer(self, endpoint: str, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` in a worker thread; its time counts as ``endpoint``'s inference time."""

        def timed() -> tuple[T, float]:
            started = time.perf_counter()
            try:
                return fn(*args), time.perf_counter() - started
            except BaseException as exc:
                exc.__pyds_busy__ = time.perf_counter() - started  # type: ignore[attr-defined]
                raise

        self.metrics.queue_depth += 1
        try:
            result, busy = await asyncio.get_running_loop().run_in_executor(self.executor, timed)
        except BaseException as exc:
            self.metrics.busy_seconds[endpoint] += getattr(exc, "__pyds_busy__", 0.0)
            raise
        finally:
            self.metrics.queue_depth -= 1
        self.metrics.busy_seconds[endpoint] += busy
        return result


def authorized(conn: HTTPConnection, api_key: str | None) -> bool:
    """True when no key is set, or the request carries it (Bearer header or ``api_key`` query parameter)."""
    if not api_key:
        return True
    header = conn.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    given = token.strip() if scheme.lower() == "bearer" else conn.query_params.get("api_key", "")
    return hmac.compare_digest(given.encode("utf-8"), api_key.encode("utf-8"))


def error_body(status: int, message: str, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    """An OpenAI-style error document."""
    kind = "invalid_request_error" if status < 500 else "server_error"
    if status == 401:
        kind = "authentication_error"
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def error_response(status: int, message: str, code: str | None = None, param: str | None = None) -> JSONResponse:
    """An OpenAI-style JSON error response (never a 200)."""
    assert status >= 400
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(error_body(status, message, code, param), status_code=status, headers=headers)


# -- routes -----------------------------------------------------------------------------------------------
def state_of(conn: HTTPConnection) -> ServerState:
    """The ``ServerState`` of the app serving ``conn``."""
    return conn.app.state.pyds


async def index(request: Request) -> Response:
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")


async def health(request: Request) -> Response:
    state = state_of(request)
    if state.model is not None:
        return JSONResponse({"status": "ok", "model": state.options.model_name})
    if state.load_error is not None:
        return JSONResponse({"status": "error", "error": str(state.load_error)}, status_code=503)
    return JSONResponse({"status": "loading"}, status_code=503)


async def metrics(request: Request) -> Response:
    state = state_of(request)
    if not authorized(request, state.options.api_key):
        return error_response(401, "missing or wrong API key", "invalid_api_key")
    return PlainTextResponse(
        state.metrics.render(state.model is not None), media_type="text/plain; version=0.0.4; charset=utf-8"
    )


async def websocket_endpoint(websocket: WebSocket) -> None:
    from . import vosk

    state = state_of(websocket)
    refusal = state.admit(websocket)
    if refusal is not None:
        status, message, code = refusal
        await deny(websocket, status, message, code)
        return
    with state.session("ws") as number:
        await vosk.run_session(websocket, state, number)


async def deny(websocket: WebSocket, status: int, message: str, code: str) -> None:
    """Refuse a WebSocket before the upgrade with an HTTP status (or, where the server cannot, a close code)."""
    peer = _peer(websocket)
    log.info("ws %s: refused (%d %s)", peer, status, message)
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(error_response(status, message, code))
    else:  # 1008 policy violation for a wrong key, 1013 try again later for a full server
        await websocket.close(code=1008 if status == 401 else 1013, reason=message[:120])


def _peer(conn: HTTPConnection) -> str:
    client = conn.client
    return f"{client.host}:{client.port}" if client else "?"


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error_response(exc.status_code, str(exc.detail), None)


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("%s %s failed", request.method, request.url.path, exc_info=exc)
    return error_response(500, f"internal error: {type(exc).__name__}", "internal_error")


class _CountResponses:
    """ASGI middleware counting HTTP responses by status for ``/metrics``."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def counting_send(message: dict) -> None:
            if message["type"] == "http.response.start":
                responses = scope["app"].state.pyds.metrics.responses
                responses[message["status"]] = responses.get(message["status"], 0) + 1
            await send(message)

        await self.app(scope, receive, counting_send)


def create_app(load_model: Callable[[], Any], options: ServerOptions | None = None) -> Starlette:
    """The ASGI app: ``load_model()`` runs in a background thread at startup and returns a ``pyds.Model``."""
    from starlette.middleware import Middleware

    from . import openai

    state = ServerState(load_model, options or ServerOptions())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state.start_loading()
        try:
            yield
        finally:
            state.executor.shutdown(wait=False, cancel_futures=True)

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/health", health),
            Route("/metrics", metrics),
            Route("/v1/audio/transcriptions", openai.transcriptions, methods=["POST"]),
            Route("/v1/models", openai.list_models),
            WebSocketRoute("/ws", websocket_endpoint),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        middleware=[Middleware(_CountResponses)],
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
        lifespan=lifespan,
    )
    app.state.pyds = state
    return app


def serve(
    load_model: Callable[[], Any],
    *,
    host: str = "127.0.0.1",
    port: int = 2700,
    options: ServerOptions | None = None,
    log_level: str = "info",
) -> int:
    """Run the server until interrupted; returns 0, or 2 when the model cannot be loaded."""
    import uvicorn

    options = options or ServerOptions()
    app = create_app(load_model, options)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        # The per-session queue is bounded: a session takes one message at a time, and uvicorn stops reading the
        # socket until the message it holds is taken (TCP backpressure on the client); a message is at most this.
        ws_max_size=options.max_message_bytes,
        ws_ping_interval=20.0,
        ws_ping_timeout=20.0,
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    state: ServerState = app.state.pyds

    def stop(_: BaseException) -> None:
        server.should_exit = True

    state.on_load_error = stop
    logging.basicConfig(level=getattr(logging, log_level.upper(), logging.INFO), format="%(levelname)s:  %(message)s")
    logging.getLogger("uvicorn.error").addFilter(_denial_noise)
    try:
        server.run()
    except KeyboardInterrupt:  # uvicorn re-raises the signal after its graceful shutdown
        pass
    return 2 if state.load_error is not None else 0


def _denial_noise(record: logging.LogRecord) -> bool:
    """Drop uvicorn's error line after a refusal: its websockets-sansio and wsproto protocols log "returned without
    completing handshake" even when the app answered the upgrade with an HTTP response (401/503) as ASGI allows."""
    return record.getMessage() != "ASGI callable returned without completing handshake."
