"""Scrub secret-looking values from alert labels and annotations before they are stored.

A value is replaced by ``[scrubbed]`` when its key names a secret (password, secret, token,
api key, authorization, private key, credential, session, cookie) or the value itself looks
like one: an AWS access key id (``AKIA``/``ASIA`` + 16), a bearer or basic authorization, a
JSON Web Token, a PEM private key, a Slack token (``xox?-``), a GitHub token (``ghp_`` and
kin), a long hexadecimal or base64 run (32+ characters of key material), or the password of a
URL's user-info (``scheme://user:pass@host``; only the password goes). Patterns follow the
detectors of gitleaks/trufflehog for the same kinds.
"""

from __future__ import annotations

import functools
import re

__all__ = ["SCRUBBED", "scrub", "scrub_text"]

SCRUBBED = "[scrubbed]"

_SECRET_KEY = re.compile(
    r"(pass(word|wd)?|secret|token|api[_-]?key|apikey|auth(orization)?|private[_-]?key|credential|session|cookie"
    r"|signature|access[_-]?key)", re.IGNORECASE)
_SECRET_VALUE = [
    re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    re.compile(r"\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE),
    re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)"),
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}"),
    re.compile(r"\b(0x)?[0-9a-fA-F]{32,}\b"),
    re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9+/]{40,}={0,2}(?![A-Za-z0-9/+])"),
]
_URL_PASSWORD = re.compile(r"([a-z][a-z0-9+.-]*://[^/\s:@]+:)([^/\s@]+)(@)", re.IGNORECASE)


def _scoped(p: re.Pattern[str]) -> str:
    return f"(?i:{p.pattern})" if p.flags & re.IGNORECASE else f"(?:{p.pattern})"


# one pass that finds whether anything needs scrubbing: most values (names, venues,
# severities, summaries) need nothing, and pay one search instead of nine substitutions
_ANY = re.compile("|".join(_scoped(p) for p in (_URL_PASSWORD, *_SECRET_VALUE)))


@functools.lru_cache(maxsize=1024)
def _secret_key(key: str) -> bool:
    return _SECRET_KEY.search(key) is not None


def scrub_text(text: str) -> str:
    """``text`` with every secret-looking run replaced by ``[scrubbed]``."""
    if _ANY.search(text) is None:
        return text
    out = _URL_PASSWORD.sub(lambda m: m.group(1) + SCRUBBED + m.group(3), text)
    for pattern in _SECRET_VALUE:
        out = pattern.sub(SCRUBBED, out)
    return out


def scrub(values: dict[str, str]) -> dict[str, str]:
    """A copy of a label or annotation map with secret-looking values scrubbed."""
    out: dict[str, str] = {}
    for key, value in values.items():
        out[key] = SCRUBBED if value and _secret_key(key) else scrub_text(value)
    return out
