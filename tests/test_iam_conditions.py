"""The IAM condition evaluator (tests/iam_conditions.py) agrees with AWS's documented examples.

Sources (each case cites its page):
- [ops] https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
- [multi] https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
- [s3tls] https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html#example-object-tls-version
  and https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html
  (deny `aws:SecureTransport` false; deny `s3:TlsVersion` NumericLessThan 1.2)
"""

from __future__ import annotations

import pytest
from iam_conditions import condition_holds, denying_statements, operator_holds


def test_null_true_means_the_key_is_absent():
    """[ops] "Null": {"aws:TokenIssueTime": "true"} holds only for requests without
    temporary credentials (the key is absent from their context)."""
    condition = {"Null": {"aws:TokenIssueTime": "true"}}
    assert condition_holds(condition, {}) is True
    assert condition_holds(condition, {"aws:TokenIssueTime": "2026-11-02T05:30:00Z"}) is False
    assert condition_holds({"Null": {"aws:TokenIssueTime": "false"}}, {}) is False


def test_if_exists_is_true_when_the_key_is_absent():
    """[ops] StringLikeIfExists on ec2:InstanceType ["t1.*", "t2.*", "m3.*"]: true for a
    request without the key, true for t2.micro, false for another family."""
    wanted = ["t1.*", "t2.*", "m3.*"]
    op = "StringLikeIfExists"
    assert operator_holds(op, "ec2:InstanceType", wanted, {}) is True
    assert operator_holds(op, "ec2:InstanceType", wanted, {"ec2:InstanceType": "t2.micro"})
    assert not operator_holds(op, "ec2:InstanceType", wanted, {"ec2:InstanceType": "m5.large"})


@pytest.mark.parametrize("operator", ["StringNotEquals", "StringNotLike", "ArnNotLike"])
def test_a_negated_operator_on_an_absent_key_is_true(operator):
    """[ops] "If the policy condition requires that the key is not matched, such as
    StringNotLike or ArnNotLike, and the right key is not present, the condition is true." """
    assert operator_holds(operator, "aws:SourceArn", "arn:aws:sns:*", {}) is True


@pytest.mark.parametrize("operator", ["StringEquals", "StringLike", "ArnLike", "Bool"])
def test_a_positive_operator_on_an_absent_key_is_false(operator):
    """[ops] "If the key that you specify in a policy condition is not present in the request
    context, the values do not match and the condition is false." """
    assert operator_holds(operator, "aws:SourceArn", "x", {}) is False


def test_values_of_one_key_are_alternatives_and_keys_are_all_required():
    """[multi] several values for one key: any may match (OR); several keys or operators: all
    must hold (AND); a negated operator with several values holds when none matches."""
    condition = {
        "StringEquals": {"aws:PrincipalTag/department": ["finance", "hr", "legal"]},
        "Bool": {"aws:MultiFactorAuthPresent": "true"},
    }
    ok = {"aws:PrincipalTag/department": "hr", "aws:MultiFactorAuthPresent": "true"}
    assert condition_holds(condition, ok) is True
    assert condition_holds(condition, ok | {"aws:MultiFactorAuthPresent": "false"}) is False
    assert condition_holds(condition, ok | {"aws:PrincipalTag/department": "it"}) is False
    negated = {"StringNotEquals": {"aws:PrincipalTag/department": ["finance", "hr"]}}
    assert condition_holds(negated, {"aws:PrincipalTag/department": "hr"}) is False
    assert condition_holds(negated, {"aws:PrincipalTag/department": "it"}) is True


def test_s3_transport_deny_statements():
    """[s3tls] the TLS-only statements deny plain HTTP and TLS 1.0/1.1, not TLS 1.2/1.3."""
    policy = {
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "DenyOldTls",
                "Effect": "Deny",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                "Condition": {"NumericLessThan": {"s3:TlsVersion": 1.2}},
            },
        ]
    }

    def denied(secure: str, tls: str) -> list[str]:
        context = {"aws:SecureTransport": secure, "s3:TlsVersion": tls}
        return denying_statements(policy, "s3:PutObject", "arn:aws:s3:::b/k", context)

    assert denied("false", "1.2") == ["DenyInsecureTransport"]
    assert denied("true", "1.1") == ["DenyOldTls"]
    assert denied("true", "1.2") == []
    assert denied("true", "1.3") == []
    assert denying_statements(policy, "s3:PutObject", "arn:aws:s3:::other/k", {}) == []


def test_unknown_operators_are_refused_not_guessed():
    with pytest.raises(NotImplementedError):
        operator_holds("DateGreaterThan", "aws:CurrentTime", "2026-01-01T00:00:00Z", {})
    with pytest.raises(NotImplementedError):
        operator_holds("NullIfExists", "k", "true", {})
