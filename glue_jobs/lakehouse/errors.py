"""Turn an exception from a job into a short message a person can act on."""

from __future__ import annotations

import traceback

MAX_LINES = 6


def _java_root_cause(exc: BaseException) -> str | None:
    """For a py4j error, the innermost Java cause as ``Class: message`` (None otherwise)."""
    java = getattr(exc, "java_exception", None)
    if java is None:
        return None
    try:
        cause = java
        while cause.getCause() is not None and cause.getCause() != cause:
            cause = cause.getCause()
        return str(cause.toString())
    except Exception:  # the JVM may be gone already
        return None


def describe(exc: BaseException) -> str:
    """The exception's type and message (the Java root cause for Spark/py4j errors), no stack."""
    text = _java_root_cause(exc) or "".join(traceback.format_exception_only(exc)).strip()
    lines = [
        line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("at ")
    ]
    return "\n".join(lines[:MAX_LINES])
