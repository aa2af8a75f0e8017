"""One Terraform root module (a cloud's stage) being built: blocks by file, variables, outputs.

Families add resources through ``resource``/``data`` and ask for variables,
providers, the cloud's shared maps and earlier stages' outputs through
``var``/``aws_provider``/``shared``/``upstream``; the module writes the boilerplate files
(versions, backend, providers, the globals module call, variables, outputs) from what was
asked for, so a stage carries exactly the variables and providers it uses.

How stages meet (see docs/terraform.md, "Stage inputs"):

- an earlier stage declares ``output``s (non-secret values only, each with its type and the
  pattern its values match); a later stage asks for one with ``upstream``, which becomes a
  typed input variable of the same name with ``validation`` blocks (the keys this stage uses
  are present; every value looks like what the output holds). ``resolve_upstream`` declares
  them once every family has run; the stage layout wires them with a generated
  ``<earlier-stage>.auto.tfvars.json`` made from ``terraform output -json``
  (``stage_inputs_file``). No stage reads another's state.
- the maps every stage shares (account ids, project ids, organisation id, default region)
  are rendered once per cloud, in the ``<cloud>/globals`` module (``globals_blocks``), which
  each stage calls as ``module "globals" { source = "../globals" }``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from tradeplane.terraform.hcl import Block, Expr, Value, render_blocks
from tradeplane.terraform.names import ident
from tradeplane.terraform.stages import STAGE_PURPOSE, Stage

# The tag naming the stage that owns an AWS KMS key (``networking``): the only stage whose identity may
# change, disable, re-policy or delete it (``aws:ResourceTag`` condition; AWS KMS Developer Guide, "ABAC
# for AWS KMS").
KEY_STAGE_TAG = "tradeplane-stage"

__all__ = ["GLOBALS_DIR", "KEY_STAGE_TAG", "PROVIDER_PINS", "TERRAFORM_VERSION", "OutputSpec", "RootModule", "Variable",
           "globals_blocks", "interp", "stage_inputs_file", "text_value"]

TERRAFORM_VERSION = ">= 1.6.0, < 2.0.0"
# cloud -> (provider name, source, exact version): pinned per tradeplane release to the versions whose
# schemas provider_schema.json holds (tests/terraform/build_provider_schema.py), so what the schema
# check passes is what `terraform init` installs.
PROVIDER_PINS: dict[str, tuple[str, str, str]] = {
    "aws": ("aws", "hashicorp/aws", "5.99.1"),
    "gcp": ("google", "hashicorp/google", "6.50.0"),
}


_EMAIL = "^[^@ ]+@[^@ ]+[.][a-z]{2,}$"
_KMS = "^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$"
_SERVICE_ACCOUNT = "^[a-z][-a-z0-9]{4,29}@[a-z][-a-z0-9]{4,28}[a-z0-9][.]iam[.]gserviceaccount[.]com$"


def _each(name: str, pattern: str) -> str:
    """A validation condition: every value of the map variable ``name`` matches ``pattern``."""
    return f'alltrue([for k, v in var.{name} : can(regex("{pattern}", v))])'


# Input validation by variable name (Terraform ``validation`` blocks): ids, ARNs and keys are
# checked at plan time, before any provider call, with a message that says what is wrong.
VALIDATIONS: dict[str, tuple[str, str]] = {
    "aws_account_ids": ('alltrue([for k, v in var.aws_account_ids : can(regex("^[0-9]{12}$", v))])',
                        "every AWS account id is 12 digits"),
    "golden_image_account_ids": ('alltrue([for v in var.golden_image_account_ids : can(regex("^[0-9]{12}$", v))])',
                                 "every golden-image account id is 12 digits"),
    "identity_account_id": ('can(regex("^[0-9]{12}$", var.identity_account_id))', "an AWS account id is 12 digits"),
    "project_ids": ('alltrue([for k, v in var.project_ids : can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", v))])',
                    "every GCP project id is 6-30 lowercase letters, digits or hyphens, starting with a letter"),
    "gcp_org_id": ('can(regex("^[0-9]+$", var.gcp_org_id))', "the GCP organisation id is numeric"),
    "default_region": ('can(regex("^[a-z]+-[a-z]+[0-9]+$", var.default_region))',
                       "a GCP region is written like us-central1"),
    "vpn_shared_secrets": ("alltrue([for k, v in var.vpn_shared_secrets : length(v) >= 32])",
                           "IKE pre-shared keys are at least 32 characters"),
    "cross_cloud_bgp_md5_keys": ("alltrue([for k, v in var.cross_cloud_bgp_md5_keys : length(v) >= 16 && length(v) <= 80])",
                                 "BGP MD5 keys are 16 to 80 characters (AWS allows at most 80)"),
    "dx_macsec_secret_arns": ('alltrue([for k, v in var.dx_macsec_secret_arns : startswith(v, "arn:aws:secretsmanager:")])',
                              "MACsec keys are given as Secrets Manager ARNs, never as values"),
    "audit_bucket_name": ('can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.audit_bucket_name))',
                          "an S3 bucket name is 3-63 lowercase letters, digits, dots or hyphens"),
    "account_emails": (_each("account_emails", _EMAIL), "every account e-mail is an e-mail address"),
    "platform_contact_email": (f'can(regex("{_EMAIL}", var.platform_contact_email))', "the contact is an e-mail address"),
    "platform_alert_email": (f'can(regex("{_EMAIL}", var.platform_alert_email))', "the alert address is an e-mail address"),
    "ami_ids": (_each("ami_ids", "^ami-[0-9a-f]{8,17}$"), "every AMI id is ami- and 8 to 17 hex digits"),
    "billing_account": ('can(regex("^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$", var.billing_account))',
                        "a billing account id is three groups of six hex digits (XXXXXX-XXXXXX-XXXXXX)"),
    "crypto_perimeter_resource_arns": (
        'alltrue([for k, v in var.crypto_perimeter_resource_arns : alltrue([for a in v : startswith(a, "arn:aws")])])',
        "every protected resource is an AWS ARN"),
    "venue_key_rotation_lambda_arns": (_each("venue_key_rotation_lambda_arns", "^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:"),
                                       "every rotation function is a Lambda function ARN"),
    "direct_connect_locations": (_each("direct_connect_locations", "^[A-Za-z0-9-]+$"),
                                 "every Direct Connect location is a location code such as EqC2"),
    "disk_kms_keys": (_each("disk_kms_keys", _KMS), "every disk key is a Cloud KMS key (projects/.../cryptoKeys/...)"),
    "gke_kms_keys": (_each("gke_kms_keys", _KMS), "every GKE key is a Cloud KMS key (projects/.../cryptoKeys/...)"),
    "gke_master_cidrs": ('alltrue([for k, v in var.gke_master_cidrs : can(cidrnetmask(v)) && endswith(v, "/28")])',
                         "every GKE control-plane range is an IPv4 /28"),
    "images": (_each("images", "^(https://www[.]googleapis[.]com/compute/v1/)?projects/[a-z][-a-z0-9.:]*/global/images/"),
               "every boot image is a Compute Engine image (projects/P/global/images/NAME or .../images/family/F)"),
    "interconnect_locations": (_each("interconnect_locations", "/interconnectLocations/[a-z0-9-]+$"),
                               "every interconnect location is an interconnectLocations URL"),
    "cross_cloud_remote_locations": (_each("cross_cloud_remote_locations", "^[a-z0-9-]+$"),
                                     "every remote location is a lowercase location name"),
    "bootstrap_role_name": ('can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.bootstrap_role_name))',
                            "an IAM role name is 1-64 letters, digits or +=,.@_-"),
    "workload_service_accounts": (_each("workload_service_accounts", _SERVICE_ACCOUNT),
                                  "every workload identity is a service account e-mail"),
    "flow_log_retention_days": ("contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, "
                                "2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days)",
                                "CloudWatch Logs retention is one of the values it accepts (1, 3, 5, ..., 3653 days)"),
}


GLOBALS_DIR = "globals"  # <cloud>/globals: the shared maps, rendered once per cloud


def stage_inputs_file(stage: Stage) -> str:
    """``10-networking.auto.tfvars.json``: the file in a later stage that holds what it takes
    from ``stage``'s outputs (Terraform loads ``*.auto.tfvars.json`` of the working directory)."""
    return f"{stage.value}.auto.tfvars.json"


def interp(template: str) -> Expr:
    """A quoted string template whose ``${...}`` parts are interpolated (no quotes outside them)."""
    return Expr(f'"{template}"')


def text_value(text: str) -> str | Expr:
    """``text`` as a literal string, or as a template (``interp``) when it holds an interpolation."""
    return interp(text) if "${" in text else text


@dataclass(frozen=True)
class Variable:
    name: str
    type: str
    description: str
    default: Value = None
    sensitive: bool = False
    validations: tuple[tuple[str, str], ...] = ()  # (condition, error message) beyond VALIDATIONS


@dataclass(frozen=True)
class OutputSpec:
    """A stage output: its value, what it is, its Terraform type and the pattern (RE2, as
    Terraform's ``regex`` reads it) every string in it matches; later stages validate what they
    are given against ``type`` and ``pattern``. Outputs hold ids and names, never secrets."""

    value: Value
    description: str
    type: str = "map(string)"
    pattern: str = ""


@dataclass
class Upstream:
    """What a later stage takes from an earlier one's output: the stage, and the map keys it uses
    (grown by ``RootModule.upstream`` as the families render)."""

    stage: Stage
    keys: set[str] = field(default_factory=set)


@dataclass
class RootModule:
    cloud: str
    stage: Stage
    estate_name: str
    files: dict[str, list[Block]] = field(default_factory=dict)
    variables: dict[str, Variable] = field(default_factory=dict)
    outputs: dict[str, OutputSpec] = field(default_factory=dict)
    aws_providers: dict[str, tuple[str, str]] = field(default_factory=dict)  # alias -> (account, region)
    upstream_inputs: dict[str, Upstream] = field(default_factory=dict)  # variable -> earlier stage's output
    shared_names: set[str] = field(default_factory=set)  # module.globals outputs this stage reads
    # the stage's own automation identity, by AWS account ("" on GCP): an input from the bootstrap
    # stage's outputs (identities.wire_identities)
    identity: dict[str, Expr] = field(default_factory=dict)
    _addresses: set[str] = field(default_factory=set)
    resource_types: Counter[str] = field(default_factory=Counter)

    @property
    def path(self) -> str:
        return f"{self.cloud}/{self.stage.value}"

    # ------------------------------------------------------------------ adding things

    def _add(self, file: str, block: Block, address: str) -> Block:
        if address in self._addresses:
            raise RuntimeError(f"{self.path}: {address} defined twice (a family naming bug)")
        self._addresses.add(address)
        self.files.setdefault(file, []).append(block)
        return block

    def resource(self, file: str, type_: str, name: str, /, **attrs: Value) -> Block:
        """Add a resource block. Every AWS KMS key carries ``KEY_STAGE_TAG`` = the stage's slug: its
        stage's identity may administer only keys so tagged (``identities.aws_statements``)."""
        self.resource_types[type_] += 1
        if type_ == "aws_kms_key":
            tags = attrs.get("tags") or {}
            if not isinstance(tags, dict):
                raise RuntimeError(f"{self.path}: aws_kms_key.{name} tags must be a literal map")
            attrs["tags"] = {**tags, KEY_STAGE_TAG: self.stage.slug}
        return self._add(file, Block("resource", (type_, name)).set(**attrs), f"{type_}.{name}")

    def data(self, file: str, type_: str, name: str, /, **attrs: Value) -> Block:
        return self._add(file, Block("data", (type_, name)).set(**attrs), f"data.{type_}.{name}")

    def has(self, address: str) -> bool:
        return address in self._addresses

    def var(self, name: str, type_: str, description: str, default: Value = None,
            sensitive: bool = False, validation: tuple[str, str] | None = None) -> Expr:
        """Declare (once) and refer to an input variable; its ``validation`` blocks are those of
        ``VALIDATIONS`` for its name, or ``validation`` (condition, message) given here."""
        known = self.variables.get(name)
        if known is None:
            if name in self.upstream_inputs:
                raise RuntimeError(f"{self.path}: variable {name} is also an earlier stage's output")
            self.variables[name] = Variable(name, type_, description, default, sensitive,
                                            (validation,) if validation else ())
        return Expr(f"var.{name}")

    def output(self, name: str, value: Value, description: str, type_: str = "map(string)",
               pattern: str = "") -> None:
        """Declare an output later stages may take (``upstream``); ``type_`` is its Terraform type and
        ``pattern`` what each string in it matches (the later stage's validation)."""
        self.outputs[name] = OutputSpec(value, description, type_, pattern)

    def shared(self, name: str) -> Expr:
        """One of the cloud's shared maps (``aws_account_ids``, ``project_ids``, ``gcp_org_id``,
        ``default_region``), read from the ``globals`` module the stage calls."""
        self.shared_names.add(name)
        return Expr(f"module.globals.{name}")

    def upstream(self, stage: Stage, output: str) -> Expr:
        """An output of an earlier stage of the same cloud, taken as a typed input variable of the
        same name (``output`` may end in one map key: ``subnet_ids["hub/a"]``); declared by
        ``resolve_upstream`` once the earlier stage's outputs are known."""
        if stage.value >= self.stage.value:
            raise RuntimeError(f"{self.path} may only take earlier stages' outputs, not {stage.value}'s")
        name, _, rest = output.partition("[")
        if name in self.variables:
            raise RuntimeError(f"{self.path}: variable {name} is also an earlier stage's output")
        known = self.upstream_inputs.get(name)
        if known is not None and known.stage != stage:
            raise RuntimeError(f"{self.path}: {name} is an output of both {known.stage.value} and {stage.value}")
        if known is None:
            known = self.upstream_inputs[name] = Upstream(stage)
        if rest:
            known.keys.add(rest.removesuffix("]").strip('"'))  # in place: a copy per call was quadratic
        return Expr(f"var.{output}")

    def resolve_upstream(self, earlier: dict[Stage, RootModule]) -> None:
        """Declare every ``upstream`` input as a variable typed like the output it comes from, with
        validation blocks: the keys this stage uses are present, and every value matches the
        output's pattern. ``RuntimeError`` (a family bug) when the earlier stage has no such output."""
        for name, up in sorted(self.upstream_inputs.items()):
            source = earlier.get(up.stage)
            spec = source.outputs.get(name) if source else None
            if spec is None:
                raise RuntimeError(f"{self.path} takes '{name}' from {self.cloud}/{up.stage.value}, which has no "
                                   "such output")
            checks: list[tuple[str, str]] = []
            if up.keys:
                wanted = ", ".join(f'"{k}"' for k in sorted(up.keys))
                checks.append((f"length(setsubtract([{wanted}], keys(var.{name}))) == 0",
                               f"the input {name} must hold every key this stage uses "
                               f"({', '.join(sorted(up.keys))}): apply {self.cloud}/{up.stage.value}, then "
                               f"regenerate {stage_inputs_file(up.stage)} from its 'terraform output -json'"))
            if spec.pattern and spec.type == "string":
                checks.append((f"can(regex({_hcl_str(spec.pattern)}, var.{name}))",
                               f"the input {name} must match {spec.pattern} ({spec.description})"))
            elif spec.pattern:
                each = (f"alltrue([for k, v in var.{name} : alltrue([for x in v : can(regex({_hcl_str(spec.pattern)}, x))])])"
                        if spec.type == "map(list(string))" else
                        f"alltrue([for k, v in var.{name} : can(regex({_hcl_str(spec.pattern)}, v))])")
                checks.append((each, f"every value of the input {name} must match {spec.pattern} "
                                     f"({spec.description.split(' by ')[0]})"))
            self.variables[name] = Variable(
                name, spec.type,
                f"output '{name}' of {self.cloud}/{up.stage.value}: {spec.description} "
                f"(from {stage_inputs_file(up.stage)})", validations=tuple(checks))

    def aws_provider(self, account: str, region: str) -> Expr:
        """The provider alias for an AWS account and region (declared on first use)."""
        alias = ident(account, region)
        self.aws_providers[alias] = (account, region)
        return Expr(f"aws.{alias}")

    # ------------------------------------------------------------------ writing

    def blocks(self) -> dict[str, list[Block]]:
        """Every block of the module by file name (``vpc.tf`` ...), boilerplate included, sorted:
        what ``render`` writes and what ``references.check_references`` checks."""
        files: dict[str, list[Block]] = {"versions.tf": [self._terraform_block()]}
        files["providers.tf"] = self._provider_blocks()
        for name, blocks in sorted(self.files.items()):
            files[f"{name}.tf"] = sorted(blocks, key=lambda b: (b.type, b.labels))
        if self.shared_names:
            files["globals.tf"] = [Block("module", ("globals",)).set(source=f"../{GLOBALS_DIR}")]
        files["variables.tf"] = [_variable_block(v) for _, v in sorted(self.variables.items())]
        if self.outputs:
            files["outputs.tf"] = [Block("output", (n,)).set(description=o.description, value=o.value)
                                   for n, o in sorted(self.outputs.items())]
        return files

    def render(self) -> dict[str, str]:
        """The module's files (name -> text); every file is sorted and fmt-clean."""
        header = f"{self.path}: {STAGE_PURPOSE[self.stage]}.\nGenerated by tradeplane from estate '{self.estate_name}'; do not edit."
        return {name: render_blocks(blocks, header) for name, blocks in self.blocks().items()}

    def _terraform_block(self) -> Block:
        t = Block("terraform").set(required_version=TERRAFORM_VERSION)
        provider, source, version = PROVIDER_PINS[self.cloud]
        rp = t.block("required_providers")
        rp.set(**{provider: {"source": source, "version": version}})
        if self.cloud == "aws":
            t.block("backend", "s3", key=f"{self.path}/terraform.tfstate", encrypt=True)
        else:
            t.block("backend", "gcs", prefix=self.path)
        t.blocks[-1].comments.append(
            "partial configuration: the bucket (and for S3 the region and DynamoDB lock table) come from "
            "'terraform init -backend-config=...'")
        return t

    def _provider_blocks(self) -> list[Block]:
        """One automation identity per stage: a later stage's providers assume its own role (AWS) or
        impersonate its own service account (GCP), inputs from the bootstrap stage's outputs
        (``identities.wire_identities``); the bootstrap runs as the administrator applying it."""
        boot = self.stage is Stage.BOOTSTRAP
        if self.cloud == "gcp":
            p = Block("provider", ("google",)).set(region=self.shared("default_region"))
            if not boot:
                p.set(impersonate_service_account=self._identity(""))
            p.set(default_labels={"managed-by": "tradeplane", "estate": self.estate_name})
            return [p]
        ids = self.shared("aws_account_ids")
        blocks = []
        for alias, (account, region) in sorted(self.aws_providers.items()):
            p = Block("provider", ("aws",)).set(alias=alias, region=region)
            if not boot:
                p.block("assume_role", role_arn=self._identity(account))
            elif account != "management":  # the administrator's own credentials in the management account
                role = self.var("bootstrap_role_name", "string",
                                "role the administrator assumes in member accounts to create the stage identities",
                                "OrganizationAccountAccessRole")
                p.block("assume_role", role_arn=interp(f'arn:aws:iam::${{{ids}["{account}"]}}:role/${{{role}}}'))
            p.block("default_tags", tags={"managed-by": "tradeplane", "estate": self.estate_name})
            blocks.append(p)
        return blocks

    def _identity(self, account: str) -> Expr:
        known = self.identity.get(account)
        if known is None:
            raise RuntimeError(f"{self.path} has no automation identity for {account or 'its provider'} "
                               "(identities.wire_identities did not run)")
        return known


def _hcl_str(text: str) -> str:
    """A regex as an HCL string literal inside an expression (backslashes and quotes escaped)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _variable_block(v: Variable) -> Block:
    b = Block("variable", (v.name,)).set(description=v.description, type=Expr(v.type))
    if v.default is not None:
        b.set(default=v.default)
    if v.sensitive:
        b.set(sensitive=True)
    rules = [*([VALIDATIONS[v.name]] if v.name in VALIDATIONS else []), *v.validations]
    for condition, message in rules:
        b.block("validation", condition=Expr(condition), error_message=message[0].upper() + message[1:] + ".")
    return b


def globals_blocks(cloud: str, values: dict[str, Variable]) -> dict[str, list[Block]]:
    """The ``<cloud>/globals`` module: each shared map once, as a validated variable whose default
    is the estate's value, passed through as an output of the same name. Stages call it
    (``module "globals" { source = "../globals" }``); it has no provider and no resources."""
    return {
        "versions.tf": [Block("terraform").set(required_version=TERRAFORM_VERSION)],
        "variables.tf": [_variable_block(v) for _, v in sorted(values.items())],
        "outputs.tf": [Block("output", (n,)).set(description=v.description, value=Expr(f"var.{n}"))
                       for n, v in sorted(values.items())],
    }

