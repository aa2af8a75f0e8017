"""Outputs that cannot be written, numbers that are not numbers, options blamed on the estate.

Cases from the bad-input sweep of 2026-11-30: output-path-oserror, terraform-render-half-written,
estate-hourly-usd-inf, place-time-limit-misblamed. Each answer: exit 2, one located line, nothing written.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tradeplane.cli import main
from tradeplane.errors import OutputError
from tradeplane.writing import check_dir, record_name, staged_tree, write_file, write_tree

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).parent / "cases"
SMALL = str(ROOT / "examples/small")
DV = str(ROOT / "examples/dv-trading")

# Every command that writes a folder of output (trial of 2026-12-01: `observe render -o FILE` turned the
# file into a folder and renamed it to `.FILE.old`; `observe render` and `k8s render` emptied an existing
# folder, a user's notes.txt with it).
FOLDER_WRITERS = [
    ("terraform", "render", SMALL, "-o", "{out}"),
    ("plan", SMALL, "-o", "{out}"),
    ("observe", "render", DV, "-o", "{out}", "--from", "2026-12-01"),
    ("k8s", "render", DV, "-o", "{out}"),
    ("migrate", "runbook", DV, "2", "-o", "{out}"),
    ("cost", "generate", SMALL, "{out}", "--days", "3", "--end", "2026-11-30", "--format", "csv"),
]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return code, out.out, out.err


def test_render_into_a_folder_with_a_file_in_the_way_writes_nothing(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "tfout"
    shutil.copytree(CASES / "terraform-render-half-written/out", out)
    (out / "gcp").chmod(0o644)
    code, _, err = run(capsys, "terraform", "render", SMALL, "-o", str(out))
    assert code == 2
    assert err.strip().splitlines()[0].startswith(f"-o {out / 'gcp'}: cannot write: a file is in the way")
    assert sorted(p.name for p in out.rglob("*")) == ["gcp"]  # nothing half-written
    assert [p.name for p in tmp_path.iterdir()] == ["tfout"]  # no temporary folder left behind


def test_render_writes_then_rewrites_in_place(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "tf"
    assert run(capsys, "terraform", "render", SMALL, "-o", str(out))[0] == 0
    first = {p.relative_to(out): p.read_text() for p in out.rglob("*.tf")}
    keep = out / "aws" / "notes.txt"
    keep.write_text("mine")
    stale = next(iter(first)).parent / "stale.tf"
    (out / stale).write_text("# old")
    assert run(capsys, "terraform", "render", SMALL, "-o", str(out))[0] == 0
    assert {p.relative_to(out): p.read_text() for p in out.rglob("*.tf")} == first  # stale .tf removed
    assert keep.read_text() == "mine"
    assert [p.name for p in tmp_path.iterdir()] == ["tf"]


@pytest.mark.parametrize("args", [
    ("terraform", "render", SMALL, "-o", "{file}/x"),
    ("plan", SMALL, "-o", "{file}/x"),
    ("estate", "schema", "-o", "{dir}"),
    ("cost", "sql", SMALL, "--dialect", "bigquery", "-o", "{dir}"),
    ("cost", "generate", SMALL, "{file}"),
    ("net", "import", "aws", str(ROOT / "tests/inventory/exports/aws"), "--yaml", "{file}/e.yaml"),
])
def test_unwritable_outputs_are_one_line_before_any_work(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, args: tuple[str, ...]) -> None:
    a_file = tmp_path / "hostname"
    a_file.write_text("x")
    argv = [a.format(file=a_file, dir=tmp_path) for a in args]
    code, _, err = run(capsys, *argv)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and ": cannot write: " in lines[0] and "(hint: " in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hostname"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder_is_refused(tmp_path: Path) -> None:
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(OutputError, match=r"not writable|permission denied"):
            check_dir(tmp_path / "out")
    finally:
        tmp_path.chmod(0o755)


def test_write_tree_is_all_or_nothing(tmp_path: Path) -> None:
    target = tmp_path / "t"
    write_tree(target, {"a/x.tf": "1", "b/y.tf": "2"})
    assert (target / "a/x.tf").read_text() == "1"
    (target / "c").write_text("file")
    with pytest.raises(OutputError, match=r"t/c: cannot write: a file is in the way"):
        write_tree(target, {"a/x.tf": "changed", "c/z.tf": "3"})
    assert (target / "a/x.tf").read_text() == "1"
    write_file(tmp_path / "new/dir/f.txt", "ok")
    assert (tmp_path / "new/dir/f.txt").read_text() == "ok"
    assert not [p for p in tmp_path.rglob("*.tmp")]


def test_infinite_hourly_usd_is_refused_by_validation(capsys: pytest.CaptureFixture[str]) -> None:
    estate = str(CASES / "estate-hourly-usd-inf/estate")
    for command in (("estate", "validate"), ("plan",), ("place",)):
        code, _, err = run(capsys, *command, estate)
        assert code == 2
        assert "estate.yaml:51:17: workloads[0].hourly_usd: must be a finite number; got inf" in err
        assert "US dollars per hour per instance (0 to 10,000)" in err


def test_absurd_numbers_are_refused_with_their_unit(tmp_path: Path) -> None:
    from tradeplane.errors import EstateError
    from tradeplane.estate import load_text

    text = (ROOT / "examples/small/estate.yaml").read_text()
    for old, new, what in (
        ("rtt_us: 20000", "rtt_us: .nan", "rtt_us: must be a finite number"),
        ("rtt_us: 20000", "rtt_us: 1e12", "round-trip budget in microseconds"),
        ("monthly_usd: 20000", "monthly_usd: 1e300", "US dollars per month"),
    ):
        assert old in text
        with pytest.raises(EstateError, match=what.replace("(", r"\(")):
            load_text(text.replace(old, new), "e.yaml")


@pytest.mark.parametrize("value", ["-1", "0", "nan", "inf"])
def test_time_limit_is_blamed_on_the_option(capsys: pytest.CaptureFixture[str], value: str) -> None:
    code, _, err = run(capsys, "place", SMALL, "--time-limit", value)
    assert code == 2
    assert err.strip().startswith("--time-limit: must be a positive number of seconds")
    assert "cannot be placed" not in err


@pytest.mark.parametrize("args", [*FOLDER_WRITERS, ("up", DV, "--dir", "{out}")], ids=lambda a: " ".join(a[:2]))
def test_a_folder_writer_refuses_an_existing_file_and_leaves_it_alone(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, args: tuple[str, ...]) -> None:
    decoy = tmp_path / "t9decoy.txt"
    decoy.write_text("the user's file")
    code, out, err = run(capsys, *(a.format(out=decoy) for a in args))
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    option = {"cost": "OUT", "up": "--dir"}.get(args[0], "-o")
    assert len(lines) == 1 and lines[0].startswith(f"{option} {decoy}: cannot write: it is a file, not a directory"), err
    assert decoy.read_text() == "the user's file"
    assert [p.name for p in tmp_path.iterdir()] == ["t9decoy.txt"]  # no .t9decoy.txt.old, no temporary folder


@pytest.mark.parametrize("args", FOLDER_WRITERS, ids=lambda a: " ".join(a[:2]))
def test_a_folder_writer_never_deletes_a_file_it_did_not_write(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, args: tuple[str, ...]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    argv = [a.format(out=out) for a in args]
    assert run(capsys, *argv)[0] == 0
    first = sorted(p.relative_to(out) for p in out.rglob("*"))
    assert run(capsys, *argv)[0] == 0  # and again, over its own output
    assert (out / "notes.txt").read_text() == "mine"
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == first
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary folder left behind


def test_only_recorded_files_of_the_same_output_are_removed(tmp_path: Path) -> None:
    target = tmp_path / "t"
    write_tree(target, {"a/old.yml": "1", "a/kept.yml": "2"}, owner="observe")
    (target / "a" / "mine.yml").write_text("user")
    write_tree(target, {"other.yaml": "k8s"}, owner="k8s")  # another command's output in the same folder
    with (target / record_name("observe")).open("a") as record:
        record.write("../outside.txt\n/etc/hostname\n")  # never followed out of the folder
    (tmp_path / "outside.txt").write_text("x")
    write_tree(target, {"a/kept.yml": "3"}, owner="observe")
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()) == [
        ".tradeplane-k8s.written", ".tradeplane-observe.written", "a/kept.yml", "a/mine.yml", "other.yaml"]
    assert (tmp_path / "outside.txt").exists()
    write_tree(target, {"b.yml": "4"}, owner="observe")
    assert not (target / "a" / "kept.yml").exists() and (target / "a" / "mine.yml").exists()


def test_a_failure_while_building_leaves_the_folder_as_it_was(tmp_path: Path) -> None:
    target = tmp_path / "t"
    write_tree(target, {"x.yml": "1"}, owner="observe")
    before = {p: p.read_bytes() for p in target.rglob("*") if p.is_file()}
    with pytest.raises(RuntimeError), staged_tree(target, owner="observe") as staging:
        (staging / "x.yml").write_text("half")
        raise RuntimeError("the render failed half way")
    assert {p: p.read_bytes() for p in target.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["t"]


def test_written_files_and_folders_get_the_usual_modes(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    try:
        write_file(tmp_path / "f.txt", "x")
        write_tree(tmp_path / "t", {"a/b.txt": "y"}, owner="observe")
    finally:
        os.umask(mask)
    assert (tmp_path / "f.txt").stat().st_mode & 0o777 == 0o644  # not mkstemp's 0600
    assert (tmp_path / "t").stat().st_mode & 0o777 == 0o755  # not mkdtemp's 0700
    (tmp_path / "f.txt").chmod(0o640)
    write_file(tmp_path / "f.txt", "z")
    assert (tmp_path / "f.txt").stat().st_mode & 0o777 == 0o640  # a replaced file keeps its mode
