"""A small evaluator of IAM policy `Deny` statements: which statements deny one request.

No maintained Python library evaluates IAM conditions (checked on PyPI: policy_sentry writes
policies, parliament and iam-policy-lint lint them, policyuniverse and cloudsplaining parse and
expand them; none decides a Condition block against a request context). So this module is
kept to what the template's policies use, and is itself tested (tests/test_iam_conditions.py)
with the examples of AWS's IAM documentation:

- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
  "If the key that you specify in a policy condition is not present in the request context,
  the values do not match and the condition is false. If the policy condition requires that
  the key is not matched, such as StringNotLike or ArnNotLike, and the right key is not
  present, the condition is true. This logic applies to all condition operators except
  ...IfExists and Null check."
- same page, "...IfExists": with the key absent the condition is true; "Null": `true` means
  the key must be absent, `false` that it must be present.
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
  every operator of a Condition block and every key of an operator must hold (AND); the values
  listed for one key are alternatives (OR) — for a negated operator, the key must match none.

Operators: StringEquals, StringNotEquals, StringLike, StringNotLike, ArnLike, ArnNotLike,
NumericLessThan, Bool, Null, and the ...IfExists form of each except Null. Anything else
raises, so a policy that grows a new operator cannot be evaluated silently wrong.
"""

from __future__ import annotations

import re

NEGATED = {"StringNotEquals", "StringNotLike", "ArnNotLike"}
SUPPORTED = {
    "StringEquals",
    "StringNotEquals",
    "StringLike",
    "StringNotLike",
    "ArnLike",
    "ArnNotLike",
    "NumericLessThan",
    "Bool",
    "Null",
}


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _like(pattern: str, value: str) -> bool:
    """IAM wildcards: `*` any run of characters (including `/`), `?` one character."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in str(pattern))
    return re.fullmatch(regex, str(value), flags=re.DOTALL) is not None


def _base_match(op: str, wanted: str, actual: str) -> bool:
    if op in ("StringEquals", "StringNotEquals"):
        return str(actual) == str(wanted)
    if op in ("StringLike", "StringNotLike", "ArnLike", "ArnNotLike"):
        return _like(wanted, actual)
    if op == "NumericLessThan":
        return float(actual) < float(wanted)
    if op == "Bool":
        return str(actual).lower() == str(wanted).lower()
    raise NotImplementedError(op)


def operator_holds(operator: str, key: str, wanted, context: dict) -> bool:
    """One `operator: {key: wanted}` entry against a request context (key -> value)."""
    if_exists = operator.endswith("IfExists")
    op = operator[: -len("IfExists")] if if_exists else operator
    if op not in SUPPORTED or (if_exists and op == "Null"):
        raise NotImplementedError(f"condition operator {operator} is not evaluated here")
    present = key in context
    if op == "Null":
        (flag,) = _as_list(wanted)
        return (not present) if str(flag).lower() == "true" else present
    if not present:
        return True if if_exists else op in NEGATED
    matched = any(_base_match(op, w, context[key]) for w in _as_list(wanted))
    return not matched if op in NEGATED else matched


def condition_holds(condition: dict | None, context: dict) -> bool:
    return all(
        operator_holds(operator, key, wanted, context)
        for operator, entries in (condition or {}).items()
        for key, wanted in entries.items()
    )


def _applies(patterns, value: str) -> bool:
    return any(_like(p, value) for p in _as_list(patterns))


def statement_matches(statement: dict, action: str, resource: str, context: dict) -> bool:
    """True when the statement covers this action and resource and its condition holds."""
    if not _applies(statement["Action"], action):
        return False
    if "Resource" in statement and not _applies(statement["Resource"], resource):
        return False
    return condition_holds(statement.get("Condition"), context)


def denying_statements(policy: dict, action: str, resource: str, context: dict) -> list[str]:
    """Sids of the policy's Deny statements that deny this request (empty: not denied)."""
    return [
        st.get("Sid", "?")
        for st in policy["Statement"]
        if st["Effect"] == "Deny" and statement_matches(st, action, resource, context)
    ]


def allowing_statements(policy: dict, action: str, resource: str, context: dict) -> list[str]:
    return [
        st.get("Sid", "?")
        for st in policy["Statement"]
        if st["Effect"] == "Allow" and statement_matches(st, action, resource, context)
    ]


__all__ = [
    "allowing_statements",
    "condition_holds",
    "denying_statements",
    "operator_holds",
]
