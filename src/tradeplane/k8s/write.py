"""Writing manifests: one folder per cluster, multi-document YAML, all or nothing."""

from __future__ import annotations

from pathlib import Path

import yaml

from tradeplane.k8s.manifests import ClusterManifests
from tradeplane.writing import write_tree

__all__ = ["write"]


def write(rendered: list[ClusterManifests], out_dir: Path) -> list[Path]:
    """Write ``out_dir/<cluster>/<file>`` for every cluster, all or nothing (``tradeplane.writing.write_tree``:
    built beside the target, then put in place). Files of an earlier render that this one no longer
    writes are removed; any other file of ``out_dir`` is left alone. ``OutputError`` (nothing written)
    when ``out_dir`` is a file or cannot be written. Returns the written files, sorted."""
    files = {f"{m.cluster}/{name}": yaml.safe_dump_all(docs, sort_keys=False, default_flow_style=False)
             for m in rendered for name, docs in m.files.items()}
    return write_tree(out_dir, files, owner="k8s")
