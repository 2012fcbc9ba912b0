"""The pre-flight Lambda's entry (template Handler `app.lambda_handler`). The handler and its
checks are telco360.shipped.preflight, shipped in the contract layer with the rest of the
package's shipped code; importing it builds nothing slow (see its docstring)."""

from telco360.shipped.preflight import lambda_handler

__all__ = ["lambda_handler"]
