"""Generated bad input for the estate YAML kind: mutations of the reference estate.

Whatever a careless or hostile edit does to one file of examples/dv-trading, ``estate validate``
either accepts it (exit 0) or refuses it with exit 2 and at least one file:line location;
never a traceback, never another exit code.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradeplane.cli import main

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "examples/dv-trading"
FILES = sorted(p.name for p in REFERENCE.glob("*.yaml"))
LOCATED = re.compile(r"\.ya?ml:\d+(:\d+)?: ")

_TOKENS = [b".inf", b"-.nan", b"1e308", b"-1", b"0", b"99999999999999999999", b"''", b"~", b"[]", b"{}",
           b"&a [*a]", b"*undefined", b"!!python/object:os.system", b"\xe9", b"\x00", b"\x1b[31m", b"\t",
           b"- ", b": ", b"'", b'"', b"10.0.0.0/33", b"256.1.1.1/24", b"yes", b"NaN", b"!!binary AAAA",
           b"<<: *x", b"{a: &x [1, 2]}", b"---\n", b"...\n", b"%YAML 1.1\n", b"\xef\xbb\xbf"]

_mutation = st.one_of(
    st.tuples(st.just("replace"), st.integers(0, 10**6), st.sampled_from(_TOKENS)),
    st.tuples(st.just("insert"), st.integers(0, 10**6), st.sampled_from(_TOKENS)),
    st.tuples(st.just("delete_line"), st.integers(0, 10**6), st.just(b"")),
    st.tuples(st.just("dup_line"), st.integers(0, 10**6), st.just(b"")),
    st.tuples(st.just("indent"), st.integers(0, 10**6), st.sampled_from([b" ", b"  ", b"    "])),
    st.tuples(st.just("bytes"), st.integers(0, 10**6), st.binary(min_size=1, max_size=8)),
)


def _mutate(data: bytes, kind: str, at: int, token: bytes) -> bytes:
    lines = data.split(b"\n")
    i = at % max(1, len(lines))
    if kind == "replace":  # the value after the first colon of a line
        head, sep, _ = lines[i].partition(b": ")
        lines[i] = head + b": " + token if sep else token
    elif kind == "insert":
        pos = at % (len(data) + 1)
        return data[:pos] + token + data[pos:]
    elif kind == "delete_line":
        del lines[i]
    elif kind == "dup_line":
        lines.insert(i, lines[i])
    elif kind == "indent":
        lines[i] = token + lines[i]
    else:
        pos = at % (len(data) + 1)
        return data[:pos] + token + data[pos + len(token):]
    return b"\n".join(lines)


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(name=st.sampled_from(FILES), mutations=st.lists(_mutation, min_size=1, max_size=3))
def test_mutated_reference_estate_is_accepted_or_refused_with_a_location(
        tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str], name: str,
        mutations: list[tuple[str, int, bytes]]) -> None:
    root = tmp_path_factory.mktemp("estate")
    shutil.copytree(REFERENCE, root, dirs_exist_ok=True)
    data = (root / name).read_bytes()
    for kind, at, token in mutations:
        data = _mutate(data, kind, at, token)
    (root / name).write_bytes(data)
    code = main(["estate", "validate", str(root)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert code in (0, 2), err
    if code == 2:
        assert LOCATED.search(err), err
