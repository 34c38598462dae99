"""`customer-sentiment serve`: a model as an HTTP service, on 127.0.0.1 unless --host says otherwise.

Every flag's default and help come from `ServeSettings` (serve/settings.py), typed once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from ..console import console
from ..serve.settings import ServeSettings, is_loopback
from .common import ModelDir, RuntimeName

DEFAULT, HELP = ServeSettings.defaults(), ServeSettings.help()


RUNTIME = RuntimeName(DEFAULT["runtime"])


def _option(name: str, **more):
    return typer.Option(help=HELP[name], **more)


def serve(
    model_dir: ModelDir,
    host: Annotated[str, _option("host")] = DEFAULT["host"],
    port: Annotated[int, _option("port")] = DEFAULT["port"],
    api_key_file: Annotated[Path | None, typer.Option(
        help="A file holding the API key on its first line; requests to /v1/*, /metrics and the docs then need "
             "'Authorization: Bearer KEY' or 'X-API-Key: KEY' (else 401).", show_default="no key")] = None,
    runtime: Annotated[RuntimeName, _option("runtime")] = RUNTIME,
    device: Annotated[str, _option("device")] = DEFAULT["device"],
    max_body_bytes: Annotated[int, _option("max_body_bytes")] = DEFAULT["max_body_bytes"],
    max_texts: Annotated[int, _option("max_texts")] = DEFAULT["max_texts"],
    max_text_chars: Annotated[int, _option("max_text_chars")] = DEFAULT["max_text_chars"],
    max_explain_texts: Annotated[int, _option("max_explain_texts")] = DEFAULT["max_explain_texts"],
    max_batch: Annotated[int, _option("max_batch")] = DEFAULT["max_batch"],
    max_batch_requests: Annotated[int, _option("max_batch_requests")] = DEFAULT["max_batch_requests"],
    max_wait_ms: Annotated[float, _option("max_wait_ms")] = DEFAULT["max_wait_ms"],
    max_queue: Annotated[int, _option("max_queue")] = DEFAULT["max_queue"],
    timeout_s: Annotated[float, _option("timeout_s")] = DEFAULT["timeout_s"],
    drain_seconds: Annotated[float, _option("drain_seconds")] = DEFAULT["drain_seconds"],
    log_texts: Annotated[bool, _option("log_texts")] = DEFAULT["log_texts"],
):
    """Serve a model over HTTP: POST /v1/predict, /v1/score-file, GET /v1/model, /livez, /readyz, /metrics, /docs.

    Logs one JSON line per request on stderr (no review text unless --log-texts).
    SIGTERM drains: /readyz turns 503, the requests in flight finish, and the command exits 0.
    """
    from ..serve import read_api_key
    from ..serve import serve as run_service
    from ..serve.logs import logging_to_stderr

    key = read_api_key(api_key_file) if api_key_file is not None else None
    settings = ServeSettings(host=host, port=port, device=device, runtime=runtime.value, max_body_bytes=max_body_bytes,
                             max_texts=max_texts, max_text_chars=max_text_chars, max_explain_texts=max_explain_texts,
                             max_batch=max_batch, max_batch_requests=max_batch_requests, max_wait_ms=max_wait_ms,
                             max_queue=max_queue, timeout_s=timeout_s, drain_seconds=drain_seconds, api_key=key,
                             log_texts=log_texts)
    if not is_loopback(host):
        console.print(Text("warning: ", style="bold yellow") + Text(
            f"--host {host} exposes the service to other machines"
            f"{'' if key else ' with no API key (pass --api-key-file)'}; it speaks plain HTTP (put TLS in front)."))
    with logging_to_stderr():
        run_service(model_dir, settings)
