"""The failure-alert Lambda's entry (template Handler `app.lambda_handler`). The handler is
telco360.shipped.notify_failure, shipped in the contract layer with the rest of the package's
shipped code; importing it builds nothing slow (see its docstring)."""

from telco360.shipped.notify_failure import lambda_handler

__all__ = ["lambda_handler"]
