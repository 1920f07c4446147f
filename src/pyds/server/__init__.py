"""``pyds serve``: a streaming speech server (extra ``server``: ``pip install 'pyds[server]'``).

One process, one shared ``pyds.Model``: a Vosk-compatible WebSocket (``/ws``), the OpenAI audio API
(``/v1/audio/transcriptions``, ``/v1/models``), ``/health``, ``/metrics`` and a live-captions page at ``/``.
``create_app`` builds the ASGI app (for tests or another ASGI server); ``serve`` runs it under uvicorn.
"""

from __future__ import annotations

try:
    import python_multipart  # noqa: F401
    import starlette  # noqa: F401
    import uvicorn  # noqa: F401
except ImportError as exc:  # the optional extra is not installed
    raise ImportError(f"pyds serve needs the server extra ({exc.name} is missing): pip install 'pyds[server]'") from exc

from .app import ServerOptions, create_app, serve

__all__ = ["ServerOptions", "create_app", "serve"]
