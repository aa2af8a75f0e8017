"""Bad YAML as a careless or hostile user writes it: every refusal is one located line, exit 2.

Cases from the bad-input sweep of 2026-11-30 (``cases/<name>``, copied from shared/cases/badinput).
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from tradeplane.cli import main
from tradeplane.errors import ConfigError
from tradeplane.estate import load_yaml_model
from tradeplane.estate.yamlpos import Limits, YamlError, decode, parse

CASES = Path(__file__).parent / "cases"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def _validate(capsys: pytest.CaptureFixture[str], case: str) -> tuple[int, str]:
    code, _, err = run(capsys, "estate", "validate", str(CASES / case / "estate"))
    assert "Traceback" not in err
    return code, err


def test_billion_laughs_is_refused_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    # 9^9 nodes if expanded: the loader sizes the aliases before building anything.
    done: list[tuple[int, str]] = []
    t = threading.Thread(target=lambda: done.append(_validate(capsys, "estate-yaml-bomb")), daemon=True)
    t.start()
    t.join(timeout=120)  # a hang guard, not a speed assertion
    assert done, "the loader expanded the aliases"
    code, err = done[0]
    assert code == 2
    assert "bomb.yaml:" in err and "alias expansion too large" in err and "more than 200,000" in err


def test_recursive_alias_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _validate(capsys, "estate-yaml-recursive-alias")
    assert code == 2
    assert "recursive.yaml:1:4: YAML error: recursive alias *a" in err


def test_non_utf8_byte_is_located(capsys: pytest.CaptureFixture[str]) -> None:
    # "  - name: \xe9q": the bad byte is the 11th character of line 2.
    code, err = _validate(capsys, "estate-non-utf8-no-line")
    assert code == 2
    assert "desks.yaml:2:11: not UTF-8 (byte 0xe9)" in err and "save the file as UTF-8" in err
    assert "position" not in err


@pytest.mark.parametrize(("text", "where"), [
    ("a: b\x01c\n", "f.yaml:1:5"),
    ("a: 1\nb:\n  - c\x7f\n", "f.yaml:3:6"),
    ("a: \x00\n", "f.yaml:1:4"),
])
def test_control_characters_are_located(text: str, where: str) -> None:
    with pytest.raises(YamlError) as info:
        parse(text, "f.yaml")
    assert str(info.value).startswith(f"{where}: control character U+")


def test_depth_limit_names_the_line() -> None:
    text = "a:\n" + "".join("  " * i + "- \n" for i in range(1, 5)).replace("- \n", "-\n")
    deep = "x: " + "[" * 70 + "]" * 70 + "\n"
    with pytest.raises(YamlError, match=r"f\.yaml:1:\d+: YAML error: nested more than 64 levels deep"):
        parse(deep, "f.yaml")
    parse(text, "f.yaml")  # a few levels are fine


def test_size_limit_names_the_file() -> None:
    with pytest.raises(YamlError, match=r"f\.yaml: YAML error: the file is 101 bytes, more than the limit of 100"):
        decode(b"#" * 101, "f.yaml", Limits(max_bytes=100))


def test_anchors_within_the_limit_still_work() -> None:
    data, _, problems = parse("tags: &t {desk: a}\nx: {tags: *t}\ny:\n  <<: *t\n  z: 1\n", "f.yaml")
    assert data == {"tags": {"desk": "a"}, "x": {"tags": {"desk": "a"}}, "y": {"desk": "a", "z": 1}}
    assert not problems


class _Cfg(BaseModel):
    model_config = ConfigDict(extra="forbid")
    count: int
    names: tuple[str, ...] = ()


def test_load_yaml_model_locates_every_problem(tmp_path: Path) -> None:
    p = tmp_path / "c.yaml"
    p.write_text("count: many\nnames: [a, b]\nnmes: [c]\n")
    with pytest.raises(ConfigError) as info:
        load_yaml_model(p, _Cfg, what="test config")
    lines = str(info.value).splitlines()
    assert lines[0] == f"{p}: invalid test config: 2 problems"
    assert f"{p}:1:8: count: must be a valid integer" in lines[1]
    assert lines[2] == f"{p}:3:1: nmes: unknown field 'nmes' (hint: did you mean 'names'?)"


def test_load_yaml_model_applies_the_limits(tmp_path: Path) -> None:
    bomb = (CASES / "estate-yaml-bomb/estate/bomb.yaml").read_text()
    with pytest.raises(ConfigError, match="alias expansion too large"):
        load_yaml_model(tmp_path / "x.yaml", _Cfg, text=bomb)
    with pytest.raises(ConfigError, match=r"x\.yaml: cannot read the _Cfg file"):
        load_yaml_model(tmp_path / "x.yaml", _Cfg)


def test_every_config_loader_reports_file_line_column(tmp_path: Path) -> None:
    """feeds config, allocation rules, assumptions and the capacity table all speak the estate's way."""
    from tradeplane import finops, placement
    from tradeplane.feeds import load_config

    bad = tmp_path / "bad.yaml"
    bad.write_text("venues:\n  - venue: binance\n    symbols: []\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml:3:\d+: venues\[0\]\.symbols: "):
        load_config(bad)
    bad.write_text("cost: effective\nshared:\n  - name: x\n    split: even\n    match: {service: [a]}\n    desk: [a]\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml:6:5: shared\[0\]\.desk: unknown field"):
        finops.load_rules(bad)
    bad.write_text("defaults: {aws: {vcpus_per_family: 1}, gcp: {vcpus_per_family: -1}}\nregions: {}\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml:1:64: defaults\.gcp\.vcpus_per_family: "):
        placement.load_capacity(bad)
    bad.write_text("a: &a [*a]\n")
    for loader in (load_config, finops.load_rules, finops.load_assumptions, placement.load_capacity):
        with pytest.raises(ConfigError, match=r"bad\.yaml:1:4: YAML error: recursive alias \*a"):
            loader(bad)


def test_line_100_is_not_an_emoji(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Found by the estate fuzz test: Rich turned ':100:' of 'file:100:44' into an emoji."""
    (tmp_path / "e.yaml").write_text("#\n" * 99 + "name: x\n  bad: [\n")
    code, _, err = run(capsys, "estate", "validate", str(tmp_path))
    assert code == 2 and "e.yaml:101:" in err
    (tmp_path / "e.yaml").write_text("#\n" * 99 + "x: {a: 1: 2}\n")
    code, _, err = run(capsys, "estate", "validate", str(tmp_path))
    assert code == 2 and "e.yaml:100:" in err, err
