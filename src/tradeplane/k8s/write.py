"""Writing manifests: one folder per cluster, multi-document YAML, all or nothing."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import yaml

from tradeplane.errors import InputError
from tradeplane.k8s.manifests import ClusterManifests

__all__ = ["write"]


def write(rendered: list[ClusterManifests], out_dir: Path) -> list[Path]:
    """Write ``out_dir/<cluster>/<file>`` for every cluster; the folder is built beside the target
    and renamed into place, so a failure leaves nothing half-written. Returns the files, sorted."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError.single(f"{out_dir} exists and is not a folder", hint="give a folder for -o")
    parent = out_dir.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=parent))
    except OSError as exc:
        raise InputError.single(f"cannot write beside {out_dir}: {exc.strerror}", hint="choose a writable folder") from None
    try:
        for m in rendered:
            for name, docs in m.files.items():
                path = staging / m.cluster / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(yaml.safe_dump_all(docs, sort_keys=False, default_flow_style=False), encoding="utf-8")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        staging.rename(out_dir)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise InputError.single(f"cannot write {out_dir}: {exc.strerror}", hint="choose a writable folder") from None
    return sorted(p for p in out_dir.rglob("*.yaml"))
