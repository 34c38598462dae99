"""`customer-sentiment serve`: a saved model as an HTTP service (FastAPI on uvicorn).

`create_app(model_dir, settings)` builds the application; `serve(model_dir, settings)` runs it on
uvicorn until SIGTERM or Ctrl-C, draining first. See app.py for the routes, batching.py for
micro-batching, limits.py, security.py, metrics.py and logs.py for the hardening, runner.py for the
process. The names are imported when first used, so that `customer-sentiment --help` (which reads
the settings' defaults) starts without FastAPI and PyTorch.
"""

from __future__ import annotations

import importlib

_WHERE = {"create_app": ".app", "serve": ".runner", "ServeSettings": ".settings", "read_api_key": ".settings"}

__all__ = ["ServeSettings", "create_app", "read_api_key", "serve"]


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name], __name__), name)
