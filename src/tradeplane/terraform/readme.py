"""The rendered READMEs: what an operator needs to apply the stages, generated from the stages themselves.

- ``README.md``: the stages, the apply order across both clouds (with the reason for every step
  that must precede another cloud's), backend initialisation and the stage-input commands.
- ``<cloud>/README.md``: that cloud's apply order and, per stage, every operator input it declares
  (``RootModule.variables`` minus the inputs wired from earlier stages): type, whether it is
  sensitive (supplied from a secret store as ``TF_VAR_<name>``, never in a file), its default and
  the rule its ``validation`` blocks enforce; then the inputs wired from earlier stages, and the
  preconditions no stage can meet itself (``cmek_preconditions``: the Cloud KMS grants the Google
  service agents need on the operator's CMEK keys).

The apply order is derived, not written: within a cloud the stages run in order; between clouds,
a Cross-Cloud Interconnect is ordered on the Google side first (Google's guide to Cross-Cloud
Interconnect for AWS orders the AWS ports, one LAG per connection, after the Google connections,
at the AWS location it names, which is ``cross_cloud_locations`` of aws/10-networking), and a VPN whose ends are in both
clouds needs each side's public addresses from the other, so its networking stages run in three
steps.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from tradeplane.estate.model import CrossCloud, Estate, Vpn
from tradeplane.terraform.hcl import Block
from tradeplane.terraform.links import MD5_KEYS_VAR
from tradeplane.terraform.module import GLOBALS_DIR, VALIDATIONS, RootModule, Variable
from tradeplane.terraform.stages import STAGE_PURPOSE, Stage

__all__ = ["KEY_INPUT_AGENTS", "apply_order", "cmek_preconditions", "readmes"]

# Operator CMEK key inputs -> (service agent domain, who) that encrypts with the key on the project's
# behalf and must hold roles/cloudkms.cryptoKeyEncrypterDecrypter on it, or creation fails: Compute
# Engine, "Protect resources by using Cloud KMS keys" (the Compute Engine service agent,
# service-PROJECT_NUMBER@compute-system.iam.gserviceaccount.com, for VM and GKE node boot disks);
# GKE, "Encrypt secrets at the application layer" (the GKE service agent,
# service-PROJECT_NUMBER@container-engine-robot.iam.gserviceaccount.com, for etcd secrets).
KEY_INPUT_AGENTS: dict[str, tuple[str, str]] = {
    "disk_kms_keys": ("compute-system", "Compute Engine service agent"),
    "gke_kms_keys": ("container-engine-robot", "GKE service agent"),
}
_KEY_REF = re.compile(r'var\.(' + "|".join(KEY_INPUT_AGENTS) + r')\["([^"]+)"\]')
_PROJECT_REF = re.compile(r'project_ids\["([^"]+)"\]')

_CLOUD_NAMES = {"aws": "AWS", "gcp": "GCP"}


def apply_order(estate: Estate, stages: Mapping[str, list[Stage]]) -> list[tuple[str, str]]:
    """``(stage path, why it is here)`` in the order to apply, across the clouds rendered (``stages``:
    cloud -> its stages). Each cloud's stages keep their order; gcp/10-networking goes before
    aws/10-networking when a Cross-Cloud Interconnect joins them; a VPN between the clouds' networks
    splits the networking stages into three steps (the HA VPN gateway, the AWS end, the GCP end)."""
    both = "aws" in stages and "gcp" in stages
    cross = both and bool(estate.links_of(CrossCloud))
    nets = {n.name: n.cloud for n in estate.networks}
    vpns = sorted(v.name for v in estate.links_of(Vpn)
                  if v.remote in nets and v.network in nets and nets[v.remote] != nets[v.network]) if both else []
    paths = {cloud: [f"{cloud}/{s.value}" for s in sorted(ss)] for cloud, ss in sorted(stages.items())}

    def step(path: str) -> tuple[str, str]:
        return path, STAGE_PURPOSE[Stage(path.split("/", 1)[1])]

    aws_net, gcp_net = f"aws/{Stage.NETWORKING.value}", f"gcp/{Stage.NETWORKING.value}"
    coupled = both and (cross or bool(vpns)) and aws_net in paths["aws"] and gcp_net in paths["gcp"]
    if not coupled:
        return [step(p) for cloud in paths for p in paths[cloud]]
    out = [step(p) for cloud in paths for p in paths[cloud] if p < f"{cloud}/{Stage.NETWORKING.value}"]
    if vpns:
        out.append((gcp_net, "first pass, only the HA VPN gateways (`terraform apply -target=...` of each "
                             "google_compute_ha_vpn_gateway): their interface addresses are the AWS customer gateways' "
                             f"addresses ({', '.join(vpns)})"))
    else:
        out.append((gcp_net, "Cross-Cloud Interconnect ports and attachments first: Google's guide orders the Google "
                             "connections, then the AWS ports (one LAG per leg) at the AWS location Google names"))
    why = []
    if cross:
        why.append("the AWS end of the Cross-Cloud Interconnect, a LAG per leg (`cross_cloud_locations`: the AWS location Google "
                   f"named; `{MD5_KEYS_VAR}` from the same secret as the GCP end)")
    if vpns:
        why.append("the VPN's AWS tunnels, whose outside addresses the GCP external gateways take")
    out.append((aws_net, "; ".join(why)))
    if vpns:
        out.append((gcp_net, "second pass, in full: the external VPN gateways take the AWS tunnels' outside addresses"))
    out += [step(p) for cloud in paths for p in paths[cloud] if p > f"{cloud}/{Stage.NETWORKING.value}"]
    return out


def _rule(v: Variable) -> str:
    rules = [*([VALIDATIONS[v.name]] if v.name in VALIDATIONS else []), *v.validations]
    return "; ".join(message for _, message in rules)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _default(v: Variable) -> str:
    if v.default is None:
        return "required"
    if isinstance(v.default, dict) and v.default:
        return f"{len(v.default)} entries from the estate"
    return f"`{v.default}`" if not isinstance(v.default, dict) else "`{}`"


_KEY_READ = re.compile(r'var\.(\w+)\["([^"]+)"\]')


def _keys(files: Mapping[str, str], path: str) -> dict[str, list[str]]:
    """variable -> the map keys the stage at ``path`` reads from it (``var.ami_ids["binance-mm"]``)."""
    out: dict[str, set[str]] = {}
    for name, text in files.items():
        if name.startswith(f"{path}/") and name.endswith(".tf"):
            for m in _KEY_READ.finditer(text):
                out.setdefault(m.group(1), set()).add(m.group(2))
    return {k: sorted(v) for k, v in out.items()}


def _table(variables: Mapping[str, Variable], keys: Mapping[str, list[str]]) -> list[str]:
    out = ["| input | type | sensitive | default | what | keys it must hold | rule |",
           "| --- | --- | --- | --- | --- | --- | --- |"]
    for n, v in variables.items():
        out.append(f"| `{n}` | `{v.type}` | {'yes' if v.sensitive else 'no'} | {_default(v)} | "
                   f"{_cell(v.description)} | {', '.join(f'`{k}`' for k in keys.get(n, []))} | {_cell(_rule(v))} |")
    return out


def _refs(b: Block) -> set[tuple[str, str]]:
    out = {(m.group(1), m.group(2)) for v in b.attrs.values() for m in _KEY_REF.finditer(str(v))}
    for child in b.blocks:
        out |= _refs(child)
    return out


def cmek_preconditions(estate: Estate, mod: RootModule) -> list[tuple[str, str, str, str]]:
    """(key input, key, project id, service agent) for every operator CMEK key a GCP stage's resources use:
    the agent (``KEY_INPUT_AGENTS``) of the project the resource is in must hold
    ``roles/cloudkms.cryptoKeyEncrypterDecrypter`` on the key before the stage is applied. The stage cannot
    grant it: setting IAM on keys the operator owns would take Cloud KMS Admin, with which the stage's
    identity could grant itself any key. Sorted, each once."""
    org = estate.organisation.gcp
    ids = {p.name: p.project_id for p in org.projects} if org else {}
    out: set[tuple[str, str, str, str]] = set()
    for blocks in mod.files.values():
        for b in blocks:
            if b.type != "resource":
                continue
            project = _PROJECT_REF.search(str(b.attrs.get("project", "")))
            for var, key in _refs(b):
                if project is not None:
                    out.add((var, key, ids.get(project.group(1), project.group(1)), KEY_INPUT_AGENTS[var][0]))
    return sorted(out)


def _cloud_readme(estate: Estate, cloud: str, modules: Mapping[Stage, RootModule], order: list[tuple[str, str]],
                  globals_vars: Mapping[str, Variable], files: Mapping[str, str]) -> str:
    name = _CLOUD_NAMES[cloud]
    lines = [f"# {name} stages of estate {estate.name}", "",
             "Generated by `tradeplane terraform render`; edit the estate, not these files.", "",
             "## Apply order", ""]
    lines += [f"{i}. `{path}`: {why}" for i, (path, why) in
              enumerate(((p, w) for p, w in order if p.startswith(f"{cloud}/")), start=1)]
    lines += ["", "The order across both clouds is in `../README.md`.", "",
              "## Operator inputs", "",
              "What each stage needs from whoever applies it (everything else comes from the estate or from an",
              "earlier stage's outputs). A sensitive input is supplied from the secret store as the environment",
              "variable `TF_VAR_<name>` in the pipeline, never written to a file; Terraform keeps it out of plans",
              "and logs. Every input is checked by its `validation` blocks at plan, before any provider call.", ""]
    for stage, mod in sorted(modules.items()):
        own = {n: v for n, v in sorted(mod.variables.items()) if n not in mod.upstream_inputs}
        lines += [f"### {cloud}/{stage.value}", ""]
        if own:
            lines += _table(own, _keys(files, mod.path))
        else:
            lines.append("No operator input.")
        wired = sorted((up.stage.value, n) for n, up in mod.upstream_inputs.items())
        if wired:
            lines += ["", "Wired from earlier stages (`<stage>.auto.tfvars.json`, commands in `../README.md`): "
                      + ", ".join(f"`{n}` ({s})" for s, n in wired) + "."]
        needs = cmek_preconditions(estate, mod) if cloud == "gcp" else []
        if needs:
            lines += ["", "Before applying, grant `roles/cloudkms.cryptoKeyEncrypterDecrypter` on each CMEK key "
                      "input to the Google service agent that uses it, or creating the disks and clusters "
                      "fails (the stage cannot: it would need Cloud KMS Admin on your keys):", ""]
            for var, key, project, agent in needs:
                lines.append(f"- `{var}[\"{key}\"]`: the {KEY_INPUT_AGENTS[var][1]} of `{project}`: "
                             f"`gcloud kms keys add-iam-policy-binding KEY --role=roles/cloudkms.cryptoKeyEncrypterDecrypter "
                             f"--member=serviceAccount:service-$(gcloud projects describe {project} "
                             f"--format='value(projectNumber)')@{agent}.iam.gserviceaccount.com`")
        lines.append("")
    if globals_vars:
        lines += [f"### {cloud}/{GLOBALS_DIR}", "",
                  "Shared by every stage; defaults are the estate's values (override only to point a copy of the",
                  "stages elsewhere):", "",
                  *_table(dict(sorted(globals_vars.items())), _keys(files, f"{cloud}/{GLOBALS_DIR}")), ""]
    return "\n".join(lines)


def readmes(estate: Estate, modules: Mapping[tuple[str, Stage], RootModule],
            counts: dict[str, dict[str, dict[str, int]]], inputs: dict[str, dict[str, tuple[str, ...]]],
            globals_vars: Mapping[str, Mapping[str, Variable]], files: Mapping[str, str]) -> dict[str, str]:
    """``README.md`` and ``<cloud>/README.md`` of a render (``modules``: the rendered root modules,
    ``files``: their text, whose ``var.x["key"]`` reads name the keys each map input must hold)."""
    stages: dict[str, list[Stage]] = {}
    for cloud, stage in modules:
        stages.setdefault(cloud, []).append(stage)
    order = apply_order(estate, stages)
    out = {"README.md": _root(estate, counts, inputs, order)}
    for cloud in sorted(stages):
        out[f"{cloud}/README.md"] = _cloud_readme(estate, cloud, {s: m for (c, s), m in modules.items() if c == cloud},
                                                  order, globals_vars.get(cloud, {}), files)
    return out


def _root(estate: Estate, counts: dict[str, dict[str, dict[str, int]]],
          inputs: dict[str, dict[str, tuple[str, ...]]], order: list[tuple[str, str]]) -> str:
    lines = [f"# Terraform for estate {estate.name}", "",
             "Generated by `tradeplane terraform render`; edit the estate, not these files.", "",
             "Apply the stages in the order below; each has its own state, its own automation identity",
             "(an AWS role / a GCP service account per stage) and reads no other stage's state:", "",
             "| stage | purpose | resources |", "| --- | --- | --- |"]
    for cloud, stages in counts.items():
        for stage, types in stages.items():
            purpose = next(p for s, p in STAGE_PURPOSE.items() if s.value == stage)
            lines.append(f"| {cloud}/{stage} | {purpose} | {sum(types.values())} |")
    lines += ["", "## Apply order", ""]
    lines += [f"{i}. `{path}`: {why}" for i, (path, why) in enumerate(order, start=1)]
    lines += ["", "Each cloud's `README.md` (`aws/README.md`, `gcp/README.md`) lists the inputs every stage needs",
              "from the operator: AMI and image ids, locations, account e-mails, peer addresses, and the",
              "sensitive keys (IKE pre-shared keys, BGP MD5 keys) with where they come from."]
    lines += ["", "`<cloud>/00-bootstrap` comes first, applied once by an administrator: it creates every stage's",
              "identity and its grants. `automation_principal_arns` (AWS) and `automation_principals` (GCP,",
              "with `automation_project_id`) name one CI principal per stage, the only one that may become that",
              "stage's identity; no principal may serve two stages. Each later stage then runs as its own",
              "identity, an input from the bootstrap's outputs (below).",
              "", "Initialise each stage with its backend settings, for example:", "",
              "    terraform -chdir=aws/10-networking init -backend-config=bucket=STATE_BUCKET \\",
              "      -backend-config=region=STATE_REGION -backend-config=dynamodb_table=LOCK_TABLE",
              "    terraform -chdir=gcp/10-networking init -backend-config=bucket=STATE_BUCKET", "",
              "The maps every stage of a cloud shares (account and project ids, the organisation id) are in",
              f"`<cloud>/{GLOBALS_DIR}`, a module each stage calls; nothing to wire.", ""]
    if inputs:
        lines += ["## Stage inputs", "",
                  "A later stage takes only the outputs it needs from an earlier one (ids and names, never",
                  "secrets), as typed and validated input variables. After applying an earlier stage, write",
                  "them into the later stage's `<earlier-stage>.auto.tfvars.json` (Terraform loads it):", ""]
        for stage, sources in sorted(inputs.items()):
            for source, names in sorted(sources.items()):
                picked = ", ".join(f"{n}: .{n}.value" for n in sorted(names))
                target = f"{stage}/{source.split('/', 1)[1]}.auto.tfvars.json"
                lines += [f"    terraform -chdir={source} output -json | jq '{{{picked}}}' > {target}"]
        lines.append("")
    return "\n".join(lines)
