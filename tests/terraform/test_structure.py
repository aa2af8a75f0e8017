"""One block structure: the blocks the renderer hands on (``Rendered.blocks``) are what its text
says. The only text-level reading of rendered output here is this proof: ``schema.scan`` of
every file equals the written structure (types, labels, lines, attribute names and lines,
values, children), and python-hcl2's reading of each resource equals ``HclBlock.body()``."""

from __future__ import annotations

import io
import re
from typing import Any

import hcl2

from tradeplane.terraform import Rendered, check_conformance, check_schema, render
from tradeplane.terraform.hcl import HclBlock
from tradeplane.terraform.schema import scan

from . import estates


def _norm(value: str) -> str:
    return re.sub(r"[\s,]+", " ", value).strip()


def _shape(b: HclBlock) -> tuple[Any, ...]:
    return (b.type, b.labels, b.line, dict(b.attrs), {k: _norm(v) for k, v in b.values.items()},
            [_shape(c) for c in b.blocks])


def _agree(rendered: Rendered) -> int:
    tf = {p: t for p, t in rendered.files.items() if p.endswith(".tf")}
    assert set(tf) == set(rendered.blocks)
    n = 0
    for path, text in tf.items():
        assert [_shape(b) for b in scan(text)] == [_shape(b) for b in rendered.blocks[path]], path
        n += len(rendered.blocks[path])
    return n


def test_reference_text_and_structure_agree(reference_rendered: Rendered) -> None:
    assert _agree(reference_rendered) > 1000


def test_every_golden_estate_text_and_structure_agree() -> None:
    for name, make in sorted(estates.ALL.items()):
        assert _agree(render(make())) > 0, name


def _unquote(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    if isinstance(value, dict):
        return {_unquote(k): _unquote(v) for k, v in value.items() if k not in ("__is_block__", "__comments__")}
    return value


def test_bodies_are_what_python_hcl2_reads(reference_rendered: Rendered) -> None:
    """``HclBlock.body()`` (Terraform's JSON syntax, what security reads IAM from) equals python-hcl2's
    reading of the text for the IAM, secret and key resources."""
    checked = 0
    for path, blocks in reference_rendered.blocks.items():
        wanted = [b for b in blocks if b.type in ("resource", "data") and b.labels[0].startswith(("aws_iam", "aws_kms", "aws_secretsmanager"))]
        if not wanted:
            continue
        doc = hcl2.load(io.StringIO(reference_rendered.files[path]))
        parsed = {(kind, _unquote(t), _unquote(n)): _unquote(body) for kind in ("resource", "data")
                  for group in doc.get(kind, []) for t, named in group.items() for n, body in named.items()}
        for b in wanted:
            assert b.body() == parsed[(b.type, *b.labels)], (path, b.labels)
            checked += 1
    assert checked > 50


def test_checks_on_the_structure_equal_checks_on_the_text(reference_rendered: Rendered,
                                                        reference_estate: Any) -> None:
    assert check_schema(reference_rendered) == check_schema(reference_rendered.files)
    assert check_conformance(reference_rendered, reference_estate) == \
        check_conformance(reference_rendered.files, reference_estate)
