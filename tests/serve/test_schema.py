"""Property-based: Schemathesis generates requests from the service's OpenAPI schema, valid and invalid,
and sends them to a real uvicorn server; no input may get a 5xx answer (a 503 is allowed only as the
queue's or the timeout's answer, which no input here should cause). A short run by default, a long one
with -m slow."""

from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from customer_sentiment.serve import create_app

SERVER_ERRORS = range(500, 600)


@schemathesis.serializer("application/x-ndjson")
def _ndjson(context, value) -> bytes:
    """JSON Lines bodies as Schemathesis generates them: a string as it is, anything else as one JSON line."""
    return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else json.dumps(value).encode()


# The schema does not depend on the model: an app that has loaded nothing gives it.
schema = schemathesis.openapi.from_dict(create_app("no-model-needed").openapi())
QUICK = settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
LONG = settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))


def check(case, live_url):
    response = case.call(base_url=live_url, timeout=30)
    assert response.status_code not in SERVER_ERRORS, (f"{case.method} {case.formatted_path} answered "
                                                       f"{response.status_code}: {response.text[:500]}")
    [content_type] = response.headers.get("content-type", [""])       # schemathesis keeps each header's values
    assert response.status_code < 400 or content_type.startswith("application/json"), content_type


@schema.parametrize()
@QUICK
def test_no_input_gets_a_server_error(case, live_url):
    check(case, live_url)


@pytest.mark.slow
@schema.parametrize()
@LONG
def test_no_input_gets_a_server_error_long_run(case, live_url):
    check(case, live_url)
