"""The service's settings: where it listens, its limits, micro-batching, the API key, the runtime.

One dataclass, validated on creation (`__post_init__`), as setfit's training arguments are: the CLI's
flags are built from the same names and defaults, and a wrong value is a `CustomerSentimentError`
naming the flag that sets it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field, fields
from pathlib import Path

from ..errors import CustomerSentimentError

RUNTIMES = ("torch", "onnx", "onnx-int8")
LOOPBACK_NAMES = ("localhost", "ip6-localhost")


def _setting(default, help: str):
    return field(default=default, metadata={"help": help})


@dataclass
class ServeSettings:
    """Everything `create_app` and the runner need besides the model directory.

    >>> ServeSettings(port=9000).max_batch_requests > 1      # micro-batching is on by default
    True
    >>> ServeSettings(max_texts=0)
    Traceback (most recent call last):
    ...
    customer_sentiment.errors.CustomerSentimentError: --max-texts is 0: expected an integer >= 1. Pass --max-texts 1 or more.
    """

    host: str = _setting("127.0.0.1", "Address to listen on; the default reaches this machine only. "
                                      "0.0.0.0 exposes the service to the network.")
    port: int = _setting(8000, "Port to listen on; 0 picks a free one.")
    device: str = _setting("auto", "Where the model runs: auto (a GPU when there is one), cpu, cuda, cuda:N or mps.")
    runtime: str = _setting("torch", "torch, or onnx / onnx-int8 for a model exported with `customer-sentiment export`.")
    max_body_bytes: int = _setting(1_000_000, "Largest request body in bytes (with or without Content-Length): "
                                              "larger ones get 413.")
    max_texts: int = _setting(256, "Most texts in one /v1/predict request: more get 413.")
    max_text_chars: int = _setting(20_000, "Most characters in one text: a longer one gets 413.")
    max_explain_texts: int = _setting(16, "Most texts in one request that asks for explanations (they cost more).")
    max_batch: int = _setting(256, "Most texts in one forward pass of micro-batching.")
    max_batch_requests: int = _setting(64, "Most requests gathered into one forward pass; 1 turns micro-batching off.")
    max_wait_ms: float = _setting(3.0, "Longest wait for more requests to batch, in ms; only while others are "
                                       "arriving (never when idle).")
    max_queue: int = _setting(256, "Most requests waiting for the model; more get 503 with Retry-After.")
    timeout_s: float = _setting(10.0, "Seconds a request may take; it then gets 503 with Retry-After.")
    drain_seconds: float = _setting(2.0, "After SIGTERM, seconds /readyz answers 503 (requests still served) "
                                         "before the server stops and finishes those in flight.")
    api_key: str | None = field(default=None, repr=False, metadata={"help": "When set, /v1/*, /metrics and the "
                                                                            "docs need it."})
    log_texts: bool = _setting(False, "Write review texts into the request log (off: they may hold personal data).")

    def __post_init__(self):
        for name in ("max_body_bytes", "max_texts", "max_text_chars", "max_explain_texts", "max_batch",
                     "max_batch_requests", "max_queue"):
            _at_least(name, getattr(self, name), 1)
        for name in ("max_wait_ms", "drain_seconds"):
            _at_least(name, getattr(self, name), 0, kind="a number")
        if not (isinstance(self.timeout_s, int | float) and self.timeout_s > 0):
            raise CustomerSentimentError(f"--timeout-s is {self.timeout_s!r}", expected="a number > 0",
                                         fix="Pass --timeout-s 10, say: seconds a request may take.")
        if type(self.port) is not int or not 0 <= self.port <= 65535:
            raise CustomerSentimentError(f"--port is {self.port!r}", expected="an integer from 0 to 65535",
                                         fix="Pass --port 8000, say (0 picks a free port).")
        if self.runtime not in RUNTIMES:
            raise CustomerSentimentError(f"--runtime is {self.runtime!r}", expected=" or ".join(RUNTIMES),
                                         fix="Pass --runtime torch, or export the model first for onnx.")
        if self.api_key is not None and not self.api_key.strip():
            raise CustomerSentimentError("The API key is empty", expected="a key",
                                         fix="Write a key into the --api-key-file, or leave the option out.")

    @property
    def loopback(self) -> bool:
        """Whether only this machine can reach the service."""
        return is_loopback(self.host)

    @classmethod
    def defaults(cls) -> dict:
        """Each setting's default (the CLI's flags take theirs from here)."""
        return {spec.name: spec.default for spec in fields(cls)}

    @classmethod
    def help(cls) -> dict:
        """Each setting's one line of help (the CLI's flags show it)."""
        return {spec.name: spec.metadata["help"] for spec in fields(cls)}

    def public(self) -> dict:
        """The settings without the API key (for /v1/model and logs): whether one is set, not what it is."""
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "api_key"}
        return {**values, "api_key": self.api_key is not None}


def _at_least(name: str, value, minimum: int, kind: str = "an integer") -> None:
    allowed = (int, float) if kind == "a number" else (int,)
    if type(value) not in allowed or value < minimum:
        flag = "--" + name.replace("_", "-")
        raise CustomerSentimentError(f"{flag} is {value!r}", expected=f"{kind} >= {minimum}",
                                     fix=f"Pass {flag} {minimum} or more.")


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine only.

    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("0.0.0.0"), is_loopback("localhost")
    (True, True, False, True)
    """
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def read_api_key(path: str | Path) -> str:
    """The API key in the first line of `path` (surrounding whitespace dropped); a missing, unreadable or
    empty file is a user error."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "it is not UTF-8 text"
        raise CustomerSentimentError(f"Cannot read the API key file {path}: {reason}",
                                     fix="Pass --api-key-file with a readable file holding the key on one line.") from None
    key = text.strip().splitlines()[0].strip() if text.strip() else ""
    if not key:
        raise CustomerSentimentError(f"The API key file {path} is empty", expected="the key on its first line",
                                     fix="Write a key into it: python -c 'import secrets; print(secrets.token_urlsafe(32))'.")
    return key
