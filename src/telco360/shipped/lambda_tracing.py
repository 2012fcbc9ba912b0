"""X-Ray tracing for the Lambda handlers, built on first use (shared through the Lambda layer).

Building a Powertools Tracer imports the X-Ray SDK, which is slow; doing it at module import
would add it to every cold start. Here the Tracer is built on the first invocation, patches
nothing by itself (each handler patches boto3 only, when it first creates a client) and is then
cached for warm invocations.
"""

from __future__ import annotations

import functools

from aws_lambda_powertools import Tracer


@functools.cache
def tracer() -> Tracer:
    return Tracer(auto_patch=False)


def capture_lambda_handler(handler):
    """`Tracer.capture_lambda_handler`, applied on the first invocation."""
    traced = None

    @functools.wraps(handler)
    def wrapper(event, context):
        nonlocal traced
        if traced is None:
            traced = tracer().capture_lambda_handler(handler)
        return traced(event, context)

    return wrapper
