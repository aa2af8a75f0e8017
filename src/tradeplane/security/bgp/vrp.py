"""RPKI Validated ROA Payloads (VRPs) and route origin validation (RFC 6811).

Input: the JSON that rpki-client (``-j``) and Routinator (``--format json``) emit::

    {"roas": [{"asn": "AS13335", "prefix": "1.1.1.0/24", "maxLength": 24, "ta": "apnic"}, ...]}

(``asn`` as ``"AS13335"`` or ``13335``). :func:`load_vrps` raises ``InputError`` naming the
file and the entry (``roas[12].maxLength``) for anything malformed.

Validation (RFC 6811 section 2): no VRP covers the route -> ``not-found``; a covering VRP with
the route's origin AS and ``maxLength`` >= the route's length -> ``valid``; otherwise
``invalid``. A route whose origin is an AS_SET matches no VRP.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tradeplane.errors import InputError, Location, Problem
from tradeplane.security.bgp.prefixes import Prefix, PrefixIndex, parse_prefix

__all__ = ["Validity", "Vrp", "VrpSet", "load_vrps"]

Validity = Literal["valid", "invalid", "not-found"]


@dataclass(frozen=True)
class Vrp:
    prefix: Prefix
    max_length: int
    asn: int


class VrpSet:
    """VRPs indexed by prefix for covering lookups."""

    def __init__(self, vrps: list[Vrp]) -> None:
        self.vrps = vrps
        self._index: PrefixIndex[Vrp] = PrefixIndex((v.prefix, v) for v in vrps)

    def validate(self, prefix: Prefix, origins: tuple[int, ...], as_set: bool = False) -> Validity:
        covering = self._index.covering(prefix)
        if not covering:
            return "not-found"
        if not as_set and len(origins) == 1:
            origin = origins[0]
            for vrp in covering:
                if vrp.asn == origin and prefix[2] <= vrp.max_length and origin != 0:
                    return "valid"
        return "invalid"

    def __len__(self) -> int:
        return len(self.vrps)


def _asn(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError("not an AS number")
    if isinstance(value, int):
        asn = value
    elif isinstance(value, str):
        text = value[2:] if value.upper().startswith("AS") else value
        asn = int(text)
    else:
        raise ValueError("not an AS number")
    if not 0 <= asn <= 4_294_967_295:
        raise ValueError("outside 0-4294967295")
    return asn


def load_vrps(path: Path) -> VrpSet:
    """Read a VRP JSON file; every bad entry is reported at once with its index and field."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError.single(f"cannot read the VRP file: {exc}", location=Location(str(path)),
                                hint="give the JSON that rpki-client -j or routinator --format json writes") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError.single(f"not JSON: {exc.msg}", location=Location(str(path), exc.lineno, exc.colno),
                                hint="give the JSON that rpki-client -j or routinator --format json writes") from None
    roas = data.get("roas") if isinstance(data, dict) else None
    if not isinstance(roas, list):
        raise InputError.single("no 'roas' list", location=Location(str(path)), field="roas",
                                hint="a VRP file is an object with a 'roas' list")
    vrps: list[Vrp] = []
    problems = []

    for i, roa in enumerate(roas):
        where = Location(str(path))
        if not isinstance(roa, dict):
            problems.append(Problem("an entry must be an object", where, f"roas[{i}]"))
            continue
        try:
            prefix = parse_prefix(str(roa["prefix"]))
        except (KeyError, ValueError) as exc:
            problems.append(Problem(f"bad prefix: {exc}", where, f"roas[{i}].prefix"))
            continue
        try:
            asn = _asn(roa.get("asn"))
        except ValueError as exc:
            problems.append(Problem(f"bad asn {roa.get('asn')!r}: {exc}", where, f"roas[{i}].asn",
                                    "write AS13335 or 13335"))
            continue
        max_length = roa.get("maxLength", prefix[2])
        width = 32 if prefix[0] == 4 else 128
        if isinstance(max_length, bool) or not isinstance(max_length, int) or not prefix[2] <= max_length <= width:
            problems.append(Problem(f"maxLength {max_length!r} must be between {prefix[2]} and {width}", where,
                                    f"roas[{i}].maxLength"))
            continue
        vrps.append(Vrp(prefix, max_length, asn))
    if problems:
        raise InputError(f"{path}: {len(problems)} bad VRP entr{'y' if len(problems) == 1 else 'ies'}", problems)
    return VrpSet(vrps)
