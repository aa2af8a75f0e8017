"""The per-wave Terraform change: which resources a wave adds, removes or changes.

Both sides are outputs of the existing renderer (``tradeplane.terraform.render``); a resource is
identified by its root module and address (``gcp/30-compute google_compute_instance.aur_ogw``) and
its text block, so a changed zone or machine type shows as a change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tradeplane.terraform import Rendered

__all__ = ["ResourceDiff", "resource_blocks", "resource_diff"]

_BLOCK = re.compile(r'^resource "([^"]+)" "([^"]+)" \{$', re.M)


def resource_blocks(rendered: Rendered) -> dict[str, str]:
    """``module type.name`` -> the resource's text, for every resource of every file."""
    out: dict[str, str] = {}
    for path, text in rendered.files.items():
        if not path.endswith(".tf"):
            continue
        module = path.rsplit("/", 1)[0]
        starts = list(_BLOCK.finditer(text))
        for i, m in enumerate(starts):
            end = text.find("\n}\n", m.end())
            end = len(text) if end < 0 else end + 3
            if i + 1 < len(starts):
                end = min(end, starts[i + 1].start())
            out[f"{module} {m.group(1)}.{m.group(2)}"] = text[m.start():end]
    return out


@dataclass(frozen=True)
class ResourceDiff:
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def summary(self) -> str:
        return f"+{len(self.added)} ~{len(self.changed)} -{len(self.removed)}"

    def to_json(self) -> dict[str, Any]:
        return {"added": list(self.added), "removed": list(self.removed), "changed": list(self.changed)}


def resource_diff(before: dict[str, str], after: dict[str, str]) -> ResourceDiff:
    return ResourceDiff(
        tuple(sorted(after.keys() - before.keys())),
        tuple(sorted(before.keys() - after.keys())),
        tuple(sorted(k for k in before.keys() & after.keys() if before[k] != after[k])),
    )
