"""A GCP machine type must be one GCP offers: c2-standard-300 passed plan (priced by extrapolation at
$22,855/mo) and rendered into Terraform, which GCP refuses at apply. Now it is refused where it is
written, with the nearest real types, exit 2, like an AWS typo."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradeplane import estate as est
from tradeplane.cli import main
from tradeplane.errors import EstateError, UnsupportedError
from tradeplane.estate.prices import instance_price
from tradeplane.estate.prices.gcp_machines import gcp_machine

DV = Path(__file__).resolve().parents[2] / "examples" / "dv-trading"


def _copy(tmp_path: Path, file: str, old: str, new: str) -> tuple[Path, int]:
    """dv-trading with ``old`` replaced once by ``new`` in ``file``; the 1-based line of the change."""
    out = tmp_path / "est"
    out.mkdir()
    line = 0
    for f in DV.glob("*.yaml"):
        text = f.read_text(encoding="utf-8")
        if f.name == file:
            assert old in text
            line = text[:text.index(old)].count("\n") + 1
            text = text.replace(old, new, 1)
        (out / f.name).write_text(text, encoding="utf-8")
    return out, line


@pytest.mark.parametrize(("bad", "nearest"), [
    ("c2-standard-300", "nearest: c2-standard-60"),
    ("n2-standard-33", "nearest: n2-standard-32, n2-standard-48; or a custom type n2-custom-VCPUS-MEMORY_MB"),
])
def test_a_size_the_series_lacks_is_refused_at_the_workload_line(tmp_path: Path, bad: str, nearest: str) -> None:
    path, line = _copy(tmp_path, "workloads.yaml", "machine_type: c2-standard-30", f"machine_type: {bad}")
    with pytest.raises(EstateError) as exc:
        est.load(path)
    text = "\n".join(exc.value.lines())
    assert f"workloads.yaml:{line}:" in text and "machine_type" in text
    assert f"workload 'cme-order-router': GCP offers no machine type '{bad}'" in text
    assert nearest in text


def test_plan_and_terraform_render_refuse_it_with_exit_2_and_write_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, line = _copy(tmp_path, "workloads.yaml", "machine_type: c2-standard-30", "machine_type: c2-standard-300")
    assert main(["plan", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"workloads.yaml:{line}:" in err and "c2-standard-60" in err and "Traceback" not in err
    out = tmp_path / "tf"
    assert main(["terraform", "render", str(path), "-o", str(out)]) == 2
    assert "c2-standard-300" in capsys.readouterr().err
    assert not out.exists()


def test_a_colocation_target_is_checked_too(tmp_path: Path) -> None:
    path, line = _copy(tmp_path, "colocation.yaml", "machine_type: n2-standard-8", "machine_type: n2-standard-9")
    with pytest.raises(EstateError) as exc:
        est.load(path)
    text = "\n".join(exc.value.lines())
    assert f"colocation.yaml:{line}:" in text and "target: GCP offers no machine type 'n2-standard-9'" in text
    assert "nearest: n2-standard-8, n2-standard-16" in text


def test_the_reference_estate_uses_only_real_types() -> None:
    e = est.load(DV)
    for w in e.workloads:
        if w.machine_type[0:2] in ("c2", "n2"):
            m = gcp_machine(w.machine_type)
            assert m is not None and m.vcpus == int(w.machine_type.rsplit("-", 1)[1])


@pytest.mark.parametrize(("name", "vcpus", "gb"), [
    ("c2-standard-60", 60, 240.0), ("n2-highcpu-96", 96, 96.0), ("c2d-highcpu-16", 16, 32.0),
    ("c3-highmem-22", 22, 176.0), ("n1-standard-1", 1, 3.75), ("e2-medium", 2, 4.0), ("h3-standard-88", 88, 352.0),
    ("n2-custom-8-16384", 8, 16.0), ("n2d-custom-96-786432-ext", 96, 768.0), ("custom-4-3840", 4, 3.75),
    ("e2-custom-32-32768", 32, 32.0),
])
def test_types_gcp_offers(name: str, vcpus: int, gb: float) -> None:
    m = gcp_machine(name)
    assert m is not None and (m.vcpus, m.memory_gb) == (vcpus, gb)


@pytest.mark.parametrize(("name", "says"), [
    ("c2-highmem-8", "c2 offers c2-standard-N (4, 8, 16, 30, 60)"),
    ("n2-custom-7-16384", "7 vCPUs is not a custom size of n2"),
    ("n2-custom-34-34816", "34 vCPUs is not a custom size of n2"),  # 2..32 even, then 36..128 in fours
    ("n2-custom-8-16000", "16000 MB is not a multiple of 256 MB"),
    ("n2-custom-8-2048", "2048 MB is outside 4096-65536 MB for 8 vCPUs"),
    ("n2-custom-8-81920", "add -ext for extended memory"),
    ("e2-custom-8-81920-ext", "e2 has no extended memory"),
    ("c2-custom-4-4096", "no custom machine type in series c2"),
    ("n1-custom-4-3840", "write custom-4-3840"),
])
def test_types_gcp_does_not_offer(name: str, says: str) -> None:
    with pytest.raises(UnsupportedError) as exc:
        gcp_machine(name)
    assert says in "\n".join(exc.value.lines())


def test_a_series_the_table_does_not_know_is_left_to_the_price_check() -> None:
    assert gcp_machine("c4-standard-8") is None  # estate validate lets it through
    assert gcp_machine("c3-standard-8-lssd") is None and gcp_machine("c3-highmem-192-metal") is None
    with pytest.raises(UnsupportedError) as exc:
        instance_price("gcp", "us-central1", "c4-standard-8")
    assert "set hourly_usd" in "\n".join(exc.value.lines())


def test_prices_use_the_series_own_memory_and_refuse_custom_types() -> None:
    p = instance_price("gcp", "us-central1", "c2d-highcpu-16")  # 2 GB per vCPU on C2D, not N2's 1
    assert p.memory_gb == 32.0 and p.hourly_usd == round(16 * 0.029563 + 32 * 0.003959, 6)
    with pytest.raises(UnsupportedError) as exc:
        instance_price("gcp", "us-central1", "n2-custom-8-16384")
    assert "custom types bill at their own" in "\n".join(exc.value.lines())
    with pytest.raises(UnsupportedError):
        instance_price("gcp", "us-central1", "c2-standard-300")  # no more extrapolated prices
