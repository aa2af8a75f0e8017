"""Issue 11's feeds cases (copied from ../shared/cases/badinput) and generated bad feeds configs and
recordings: one located line, exit 2, never a traceback, nothing accepted silently."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradeplane.cli import main
from tradeplane.errors import TradeplaneError
from tradeplane.feeds.config import load_config, recording_dir
from tradeplane.feeds.sinks.parquet import replay

CASES = Path(__file__).parent / "badinput"


def run_cli(capsys, *argv: str) -> tuple[int, str]:
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out + out.err


def one_located_line(text: str, where: str, words: str) -> None:
    """The error names the file (and line) on the same line as what is wrong; no traceback."""
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    assert "Traceback" not in text
    assert any(where in ln and words in ln for ln in lines), text


@pytest.mark.parametrize("legs", ["27", "0", "-2", "[]"])
def test_feeds_config_legs_count(tmp_path, capsys, legs):
    src = (CASES / "feeds-config-legs-count" / "feeds.yaml").read_text().replace("legs: 27", f"legs: {legs}")
    cfg = tmp_path / "feeds.yaml"
    cfg.write_text(src)
    rc, out = run_cli(capsys, "feeds", "run", str(cfg), "--duration", "1", "--port", "0")
    assert rc == 2
    one_located_line(out, "feeds.yaml:4", "between 1 and 26 legs")


@pytest.mark.parametrize(("name", "where", "words", "hint"), [
    ("no-legs.yaml", "no-legs.yaml:4:11: venues[0].legs", "between 1 and 26 legs (got 0)",
     "1 to 26 legs: a list, or a number of legs to the default endpoint"),
    # the trial found "legs[1].name: {name!r} is used twice" (a template pydantic cannot fill) and the legs
    # field's "1 to 26 legs" description as its hint
    ("dup-leg.yaml", "dup-leg.yaml:4:30: venues[0].legs[1].name", "leg name 'a' is used twice (also legs[0])",
     "give each leg of a venue its own name"),
    ("dup-venue.yaml", "dup-venue.yaml:4:12: venues[1].venue", "venue 'binance' is listed twice (also venues[0])",
     "list each venue once, with all its symbols"),
])
def test_feeds_config_no_legs_duplicates(capsys, name, where, words, hint):
    rc, out = run_cli(capsys, "feeds", "run", str(CASES / "feeds-config-no-legs-duplicates" / name),
                      "--duration", "1", "--port", "0")
    assert rc == 2
    one_located_line(out, where, words)
    line = next(ln for ln in out.splitlines() if where in ln)
    assert line.endswith(f"(hint: {hint})") and "{" not in line, line


def _templates_pydantic_cannot_fill() -> list[str]:
    """Every ``PydanticCustomError(type, template, context)`` in src whose template has a placeholder
    pydantic leaves as it is: pydantic fills only a bare ``{key}`` whose key is in the context, so
    ``{name!r}``, ``{x:.2f}`` or a key the context lacks reach the user as written."""
    import ast

    bad = []
    for f in sorted((Path(__file__).parents[2] / "src" / "tradeplane").rglob("*.py")):
        for node in ast.walk(ast.parse(f.read_text())):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", ""))
                    == "PydanticCustomError" and len(node.args) >= 2):
                continue
            tpl = node.args[1]
            if isinstance(tpl, ast.JoinedStr):  # an f-string: formatted here; its literal parts may hold no {...}
                text = "".join(v.value for v in tpl.values if isinstance(v, ast.Constant))
                keys: set[str] = set()
            elif isinstance(tpl, ast.Constant) and isinstance(tpl.value, str):
                text = tpl.value
                ctx = node.args[2] if len(node.args) > 2 else None
                keys = {k.value for k in ctx.keys if isinstance(k, ast.Constant)} if isinstance(ctx, ast.Dict) else set()
            else:
                continue
            for m in re.finditer(r"\{([^{}]*)\}", text):
                if m.group(1) not in keys:
                    bad.append(f"{f.name}:{node.lineno}: {m.group(0)}")
    return bad


def test_no_error_template_reaches_the_user_unfilled():
    assert _templates_pydantic_cannot_fill() == []


def test_feeds_sink_dir_not_a_directory(tmp_path, capsys):
    a_file = tmp_path / "hostname"
    a_file.write_text("x\n")
    cfg = tmp_path / "feeds.yaml"
    cfg.write_text((CASES / "feeds-sink-dir-not-a-directory" / "feeds.yaml").read_text()
                   .replace("/etc/hostname", str(a_file)))
    rc, out = run_cli(capsys, "feeds", "run", str(cfg), "--duration", "1", "--port", "0")
    assert rc == 2
    one_located_line(out, "feeds.yaml:2", "is a file, not a directory")
    assert "sinks.parquet.dir" in out


@pytest.mark.parametrize("kind", ["truncated", "empty", "text"])
def test_feeds_replay_corrupt_recording(capsys, kind):
    rc, out = run_cli(capsys, "feeds", "replay", str(CASES / "feeds-replay-corrupt-recording" / kind))
    assert rc == 2
    one_located_line(out, "md-1-000000.parquet", "not a readable Parquet recording")


# ------------------------------------------------------------------------- generated

_GOOD = {"venues": [{"venue": "binance", "symbols": [{"symbol": "BTCUSDT", "tick": "0.01", "lot": "0.001"}],
                     "legs": 2}]}
_values = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                    st.text(max_size=12), st.lists(st.integers(-3, 40), max_size=3), st.just({}),
                    st.just([{"name": "a"}, {"name": "a"}]))
_paths = st.sampled_from([
    ("venues", 0, "legs"), ("venues", 0, "venue"), ("venues", 0, "channels"), ("venues", 0, "symbols"),
    ("venues", 0, "symbols", 0, "tick"), ("venues",), ("stale", "floor_ms"), ("stale",), ("sinks",),
    ("metrics", "port"), ("sinks", "parquet"),
])


def _set(doc, path, value):
    node = doc
    for k in path[:-1]:
        node = node[k] if isinstance(k, int) else (node.setdefault(k, {}) if isinstance(node, dict) else node)
    settable = isinstance(node, dict) or (isinstance(node, list) and isinstance(path[-1], int) and path[-1] < len(node))
    if settable:
        node[path[-1]] = value


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=_paths, value=_values)
def test_generated_bad_feeds_configs_fail_cleanly(tmp_path, path, value):
    import copy

    doc = copy.deepcopy(_GOOD)
    _set(doc, path, value)
    cfg = tmp_path / "feeds.yaml"
    cfg.write_text(yaml.safe_dump(doc))
    try:
        c, p = load_config(cfg)
        recording_dir(c, p)
    except TradeplaneError as exc:  # the only way out: a located, clear error
        assert str(exc) and "feeds.yaml" in str(exc) + "".join(str(pr.location) for pr in exc.problems)
        return
    # accepted: then it is a config that can run: every venue has 1..26 uniquely named legs
    for vc in c.venues:
        n = vc.legs if isinstance(vc.legs, int) else len(vc.legs)
        assert 1 <= n <= 26
    assert len({vc.venue for vc in c.venues}) == len(c.venues)
    assert c.stale.floor_ms <= c.stale.ceiling_ms


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, 4000), junk=st.binary(max_size=64))
def test_generated_damaged_recordings_fail_cleanly(tmp_path_factory, cut, junk):
    good = Path(__file__).parent / "badinput" / "feeds-replay-corrupt-recording" / "truncated"
    d = tmp_path_factory.mktemp("rec")
    src = next(good.glob("md-*.parquet")).read_bytes()
    (d / "md-1-000000.parquet").write_bytes(src[:cut] + junk + src[cut + len(junk):])
    try:
        for _ in replay(d):
            pass
    except TradeplaneError as exc:
        assert "md-1-000000.parquet" in str(exc)
    shutil.rmtree(d)
