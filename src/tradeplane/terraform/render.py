"""``render(estate) -> Rendered`` and ``write(rendered, dir)``: the estate as Terraform root modules."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tradeplane.estate.model import Estate
from tradeplane.terraform.context import CloudAlert, Context
from tradeplane.terraform.hcl import Block, HclBlock, write_file
from tradeplane.terraform.identities import wire_identities
from tradeplane.terraform.module import GLOBALS_DIR, globals_blocks
from tradeplane.terraform.readme import readmes
from tradeplane.terraform.references import Module, module_of_blocks
from tradeplane.terraform.registry import families
from tradeplane.terraform.stages import STAGE_PURPOSE, Stage
from tradeplane.writing import write_tree

__all__ = ["Rendered", "render", "write"]


@dataclass(frozen=True)
class Rendered:
    """Rendered Terraform: ``files`` maps ``aws/10-networking/vpc.tf`` to its text.

    ``structure`` maps each root module's path to what it defines and references, taken from
    the blocks the text was rendered from (``check_references(rendered)`` checks it without
    parsing any HCL).

    ``blocks`` maps each ``.tf`` file to its blocks as written (``hcl.HclBlock``: lines, attribute
    names and values as written, child blocks), made in the same pass as the text: the one
    structure schema validation, conformance and the security reading of IAM walk."""

    files: dict[str, str]
    counts: dict[str, dict[str, dict[str, int]]]  # cloud -> stage -> resource type -> count
    structure: dict[str, Module] = field(default_factory=dict, compare=False, repr=False)
    blocks: dict[str, list[HclBlock]] = field(default_factory=dict, compare=False, repr=False)
    # stage path -> earlier stage path -> the outputs of it the stage takes as inputs (its
    # <earlier-stage>.auto.tfvars.json); the README's wiring commands say the same
    inputs: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict, compare=False, repr=False)

    @property
    def total(self) -> int:
        return sum(n for stages in self.counts.values() for types in stages.values() for n in types.values())

    def by_cloud(self) -> dict[str, int]:
        return {c: sum(sum(t.values()) for t in s.values()) for c, s in self.counts.items()}

    def by_stage(self) -> dict[str, int]:
        return {f"{c}/{st}": sum(t.values()) for c, s in self.counts.items() for st, t in s.items()}

    def by_type(self) -> dict[str, int]:
        out: Counter[str] = Counter()
        for stages in self.counts.values():
            for types in stages.values():
                out.update(types)
        return dict(sorted(out.items()))

    def modules(self) -> list[str]:
        return sorted({path.rsplit("/", 1)[0] for path in self.files if path.count("/") == 2})

    def to_json(self) -> dict[str, object]:
        return {"total": self.total, "by_cloud": self.by_cloud(), "by_stage": self.by_stage(),
                "by_type": self.by_type(), "files": sorted(self.files)}


def render(estate: Estate, zones: Mapping[str, tuple[str, ...]] | None = None,
           cloud_alerts: Sequence[CloudAlert] = ()) -> Rendered:
    """Every family of every cloud the estate uses, one root module per cloud and stage.

    ``zones``: the placement solver's zones by workload; ``cloud_alerts``: the observability
    standard's SLO and burn-rate alert resources (``observe.cloud_alert_resources``), written into
    the ``40-observability`` stages. Both are other analyses' results, handed in by the
    composer (``tradeplane.plan.render_terraform``); without them the render has neither."""
    ctx = Context(estate, dict(zones or {}), cloud_alerts=tuple(cloud_alerts))
    clouds = _clouds(estate)
    for fam in families():
        if fam.cloud in clouds:
            fam.emit(ctx)
    stages = {key: mod for key, mod in ctx.modules.items() if mod.resource_types}
    wire_identities(stages, {cloud: ctx.module(cloud, Stage.BOOTSTRAP) for cloud in sorted({c for c, _ in stages})},
                    estate)
    rendered = {key: mod for key, mod in sorted(ctx.modules.items()) if mod.resource_types}
    for (cloud, _), mod in rendered.items():
        mod.resolve_upstream({s: m for (c, s), m in rendered.items() if c == cloud})
    files: dict[str, str] = {}
    counts: dict[str, dict[str, dict[str, int]]] = {}
    structure: dict[str, Module] = {}
    written: dict[str, list[HclBlock]] = {}

    def emit(path: str, blocks: dict[str, list[Block]], header: str) -> None:
        for name, file_blocks in blocks.items():
            files[f"{path}/{name}"], written[f"{path}/{name}"] = write_file(file_blocks, header)
        structure[path] = module_of_blocks(path, blocks)

    shared: dict[str, set[str]] = {}
    for (cloud, stage), mod in rendered.items():
        emit(mod.path, mod.blocks(),
             f"{mod.path}: {STAGE_PURPOSE[stage]}.\nGenerated by tradeplane from estate '{estate.name}'; do not edit.")
        counts.setdefault(cloud, {})[stage.value] = dict(sorted(mod.resource_types.items()))
        shared.setdefault(cloud, set()).update(mod.shared_names)
    for cloud, names in sorted(shared.items()):
        if names:
            values = ctx.globals(cloud)
            emit(f"{cloud}/{GLOBALS_DIR}", globals_blocks(cloud, {n: values[n] for n in names}),
                 f"{cloud}/{GLOBALS_DIR}: the maps every {cloud} stage shares (module \"globals\"), in one place.\n"
                 f"Generated by tradeplane from estate '{estate.name}'; do not edit.")
    inputs: dict[str, dict[str, tuple[str, ...]]] = {}
    for (cloud, _), mod in rendered.items():
        for name, up in sorted(mod.upstream_inputs.items()):
            wanted = inputs.setdefault(mod.path, {}).setdefault(f"{cloud}/{up.stage.value}", ())
            inputs[mod.path][f"{cloud}/{up.stage.value}"] = (*wanted, name)
    files.update(readmes(estate, rendered, counts, inputs,
                         {c: {n: ctx.globals(c)[n] for n in names} for c, names in shared.items() if names}, files))
    return Rendered(dict(sorted(files.items())), counts, structure, dict(sorted(written.items())), inputs)


def _clouds(estate: Estate) -> set[str]:
    clouds: set[str] = {n.cloud for n in estate.networks}
    if estate.organisation.aws:
        clouds.add("aws")
    if estate.organisation.gcp:
        clouds.add("gcp")
    return clouds


def write(rendered: Rendered, out_dir: str | Path) -> list[Path]:
    """Write every file under ``out_dir``, all or nothing (``tradeplane.writing.write_tree``: into a
    temporary folder beside it, then renamed into place). Stale files are removed: those an earlier
    render wrote (listed in ``out_dir/.tradeplane-terraform.written``) and no longer writes, and any
    ``.tf`` file of a stage folder this render writes; no other file. ``OutputError`` when ``out_dir``
    cannot be written, with nothing written."""
    root = Path(out_dir)
    stale = [f"{module}/{old.name}" for module in rendered.modules() if (root / module).is_dir()
             for old in (root / module).glob("*.tf") if f"{module}/{old.name}" not in rendered.files]
    return write_tree(root, rendered.files, owner="terraform", remove=stale)
