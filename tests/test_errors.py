"""The user-error type: four parts, one line, and a fix in every message the package can raise."""

from __future__ import annotations

import ast

from customer_sentiment.errors import CustomerSentimentError, NotFittedError

from .conftest import ROOT


def test_the_message_joins_what_expected_found_and_fix():
    error = CustomerSentimentError("r.csv, line 3", expected="2 fields", found="3", fix="Quote the comma.")
    assert str(error) == "r.csv, line 3: expected 2 fields, found 3. Quote the comma."
    assert error.as_dict() == {"error": "r.csv, line 3", "expected": "2 fields", "found": "3", "fix": "Quote the comma."}
    assert str(CustomerSentimentError("No model at m", fix="Train one.")) == "No model at m. Train one."
    assert str(CustomerSentimentError("Bad", found="x", fix="Fix it.")) == "Bad: found x. Fix it."


def test_not_fitted_is_a_user_error_that_says_what_to_call():
    error = NotFittedError("SentimentPipeline")
    assert isinstance(error, CustomerSentimentError) and "Call fit(texts, labels) first" in str(error)


def test_every_user_error_in_the_package_is_one_line_with_a_fix():
    """Each CustomerSentimentError raised in src/ names a fix (a required argument), written as a
    sentence; no message spans lines, since the CLI prints it as one."""
    calls = []
    for path in sorted((ROOT / "src").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "CustomerSentimentError":
                calls.append((path.name, node))
    assert len(calls) > 80
    for name, node in calls:
        fix = next(k.value for k in node.keywords if k.arg == "fix")
        parts = [fix] if isinstance(fix, ast.Constant) else [v for v in ast.walk(fix) if isinstance(v, ast.Constant)]
        text = "".join(str(part.value) for part in parts)
        assert "\n" not in text, (name, node.lineno)
        if isinstance(fix, ast.Constant):
            assert text[:1].isupper() and text.endswith("."), (name, node.lineno, text)
