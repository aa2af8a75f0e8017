"""Turning cloud ids, tags and labels into estate names (lower-case, hyphens, <= 63 characters)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

__all__ = ["account_name", "estate_name", "imported_estate_name", "label_name", "security_group_name"]

_BAD = re.compile(r"[^a-z0-9-]+")


def estate_name(raw: str, prefix: str = "x") -> str:
    """A valid estate name for a cloud id: kept as is when it already is one."""
    text = _BAD.sub("-", raw.lower()).strip("-") or prefix
    if not text[0].isalpha():
        text = f"{prefix}-{text}"
    if len(text) > 63:
        digest = hashlib.sha1(raw.encode()).hexdigest()[:8]
        text = f"{text[:54].rstrip('-')}-{digest}"
    return text


def security_group_name(group_id: str) -> str:
    """The estate name of security group ``group_id``: ``sg-0a1b`` -> ``group-0a1b``. AWS refuses group names
    starting with ``sg-`` (CreateSecurityGroup, EC2 API reference), so the id cannot be the name; the id
    never changes, so neither does the name (the id is kept in the group's description)."""
    rest = group_id[3:] if group_id.lower().startswith("sg-") else group_id
    return estate_name(f"group-{rest}")


def account_name(owner_id: str | None) -> str:
    """The estate name of AWS account ``owner_id`` (12 digits): ``acct-123456789012``; ``acct-unknown``
    when the export does not say it."""
    return estate_name(f"acct-{owner_id or 'unknown'}")


def imported_estate_name(cloud: str, directory: Path) -> str:
    """The name of an estate imported from ``directory``'s exports: ``<cloud>-<directory name>``, or the
    directory's name alone when it already starts with ``<cloud>-`` (``aws-prod`` stays ``aws-prod``, not
    ``aws-aws-prod``)."""
    base = directory.resolve().name
    return estate_name(base if base.lower().startswith(f"{cloud}-") else f"{cloud}-{base}")


def label_name(value: str | None, default: str = "unassigned") -> str:
    return estate_name(value, "d") if value else default
