"""Terraform names derived from estate names, injectively and stably.

Estate names are lower-case with hyphens and never contain ``_``, so mapping
``-`` to ``_`` is one-to-one and joining scoped parts with ``__`` cannot
collide (``a-b``/``c`` gives ``a_b__c``; ``a``/``b-c`` gives ``a__b_c``).
A name depends only on the names of the object and its parents, so renaming
one object changes only the addresses that refer to it.
"""

from __future__ import annotations

import hashlib
import re
from ipaddress import IPv4Network

__all__ = ["alarm_name", "bounded", "cidr_ident", "digest", "ident", "label_value"]

_NON_IDENT = re.compile(r"[^a-z0-9_]")


def ident(*parts: str) -> str:
    """A Terraform identifier from estate names: ``ident("aws-use1-shared", "public-a")``."""
    text = "__".join(_NON_IDENT.sub("_", p.lower().replace("-", "_")) for p in parts if p)
    return text if text[:1].isalpha() or text[:1] == "_" else f"n_{text}"


def alarm_name(prefix: str, desk: str, subject: str, signal: str) -> str:
    """``<metric_prefix>-<desk>-<subject>-<signal>``: the standards' naming of a CloudWatch alarm or a Cloud
    Monitoring alert policy, so alerts route by desk."""
    return f"{prefix}-{desk}-{subject}-{signal}"


def cidr_ident(cidr: IPv4Network | str) -> str:
    """``10.0.0.0/8`` -> ``10_0_0_0_8`` (for names keyed by a destination prefix)."""
    return str(cidr).replace(".", "_").replace("/", "_")


def digest(*parts: object, length: int = 8) -> str:
    """A short stable content hash, for objects the estate gives no name (rules)."""
    text = "\x1f".join(str(p) for p in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def label_value(text: str) -> str:
    """A GCP label value: lower-case letters, digits, ``-`` and ``_``, at most 63 characters."""
    return re.sub(r"[^a-z0-9_-]", "-", text.lower())[:63]


def bounded(text: str, limit: int) -> str:
    """``text`` if it fits the cloud's name limit, else a prefix and a stable hash of the whole."""
    if len(text) <= limit:
        return text
    return f"{text[: limit - 9].rstrip('-')}-{digest(text)}"
