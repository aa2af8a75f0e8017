"""Where the loader says things were written when an estate spans files: list sections continue their
numbering from file to file, merge keys still merge, and a file with a section the estate does not take
keeps the others' positions."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradeplane import estate as est
from tradeplane.errors import EstateError
from tradeplane.estate.yamlpos import parse

SMALL = Path(__file__).resolve().parents[2] / "examples" / "small" / "estate.yaml"


def _split(tmp_path: Path, extra: str, name: str = "zz-more.yaml") -> Path:
    root = tmp_path / "estate"
    root.mkdir()
    (root / "estate.yaml").write_text(SMALL.read_text())
    (root / name).write_text(extra)
    return root


def test_parse_numbers_top_level_lists_from_their_offsets() -> None:
    data, pos, problems = parse("networks:\n  - name: a\n  - name: b\nname: x\n", "f.yaml",
                                offsets={"networks": 5, "name": 9})
    assert data == {"networks": [{"name": "a"}, {"name": "b"}], "name": "x"} and not problems
    assert str(pos.of_key(("networks", 6, "name"))) == "f.yaml:3:5"
    assert str(pos.of_value(("networks", 5))) == "f.yaml:2:5"
    assert pos.of_value(("networks", 0)) is None
    assert str(pos.of_value(("name",))) == "f.yaml:4:7"


def test_merge_keys_still_merge() -> None:
    data, _pos, _ = parse("base: &b {tier: private, zone: a}\nitems:\n  - <<: *b\n    name: one\n", "m.yaml")
    assert data["items"] == [{"tier": "private", "zone": "a", "name": "one"}]


def test_an_error_in_a_second_file_points_into_it(tmp_path: Path) -> None:
    root = _split(tmp_path, "desks:\n  - {name: options, owner: x@small.example, cost_centre: CC-2, teams: [exec]}\n"
                            "  - {name: rates, owner: y@small.example, cost_centre: CC-3, teams: [exec], bogus: 1}\n")
    with pytest.raises(EstateError) as info:
        est.load(root)
    [problem] = info.value.problems
    assert problem.field == "desks[2].bogus"  # the first file holds desks[0]
    assert str(problem.location) == f"{root / 'zz-more.yaml'}:3:77"


def test_a_file_with_an_unknown_section_keeps_its_other_positions(tmp_path: Path) -> None:
    root = _split(tmp_path, "nonsense: 1\nbudgets:\n  - {desk: futures, monthly_usd: -5, extra: 2}\n")
    with pytest.raises(EstateError) as info:
        est.load(root)
    found = {(p.field, str(p.location)) for p in info.value.problems}
    more = root / "zz-more.yaml"
    assert ("nonsense", f"{more}:1:1") in found
    assert ("budgets[1].extra", f"{more}:3:38") in found
