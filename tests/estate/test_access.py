"""The one rule of who may read a venue key's secret (``estate.access``), which terraform's
conformance check and security's custody check both apply."""

from __future__ import annotations

from pathlib import Path

from tradeplane.estate import load
from tradeplane.estate.access import (
    AccessProblem,
    Reader,
    allowed_readers,
    reads_secrets,
    secret_access_problems,
)

REFERENCE = Path(__file__).resolve().parents[2] / "examples" / "dv-trading"


def test_the_rule_on_readers() -> None:
    e = load(REFERENCE)
    allowed = allowed_readers(e)
    ref, users = next((r, u) for r, u in allowed.items() if len(u) >= 1)
    user = sorted(users)[0]
    other = next(w.name for w in e.workloads if w.name not in users)
    readers = [Reader("op", True, None, frozenset({ref}), True),
               Reader("stranger", False, other, frozenset({ref}), True)]
    problems = secret_access_problems(e, readers, [ref])
    assert AccessProblem("person-reads", None, "op", None) in problems
    assert AccessProblem("not-a-user", ref, "op", None) in problems
    assert AccessProblem("not-a-user", ref, "stranger", other) in problems
    assert AccessProblem("user-cannot-read", ref, None, user) in problems
    good = [Reader(f"role/{u}", False, u, frozenset({ref}), True) for u in users]
    assert secret_access_problems(e, good, [ref]) == []
    assert secret_access_problems(None, readers) == [AccessProblem("person-reads", None, "op", None)]


def test_which_actions_read_a_secret() -> None:
    assert reads_secrets(["secretsmanager:GetSecretValue"])
    assert reads_secrets(["secretsmanager:*"]) and reads_secrets(["*"]) and reads_secrets(["SecretsManager:Get*"])
    assert not reads_secrets(["secretsmanager:DescribeSecret", "kms:Decrypt"])
