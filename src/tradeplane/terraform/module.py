"""One Terraform root module (a cloud's stage) being built: blocks by file, variables, outputs.

Families add resources through ``resource``/``data`` and ask for variables,
providers and other stages' outputs through ``var``/``aws_provider``/``remote``;
the module writes the boilerplate files (versions, backend, providers,
variables, outputs, remote state) from what was asked for, so a stage carries
exactly the variables and providers it uses.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from tradeplane.terraform.hcl import Block, Expr, Table, Value, render_blocks
from tradeplane.terraform.names import ident
from tradeplane.terraform.stages import STAGE_PURPOSE, Stage

__all__ = ["PROVIDER_PINS", "TERRAFORM_VERSION", "RootModule", "Variable", "interp"]

TERRAFORM_VERSION = ">= 1.6.0, < 2.0.0"
# cloud -> (provider name, source, exact version): pinned per tradeplane release to the versions whose
# schemas provider_schema.json holds (tests/terraform/build_provider_schema.py), so what the schema
# check passes is what `terraform init` installs.
PROVIDER_PINS: dict[str, tuple[str, str, str]] = {
    "aws": ("aws", "hashicorp/aws", "5.99.1"),
    "gcp": ("google", "hashicorp/google", "6.50.0"),
}


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
    "vpn_shared_secrets": ("alltrue([for k, v in var.vpn_shared_secrets : length(v) >= 32])",
                           "IKE pre-shared keys are at least 32 characters"),
    "cross_cloud_bgp_md5_keys": ("alltrue([for k, v in var.cross_cloud_bgp_md5_keys : length(v) >= 16 && length(v) <= 80])",
                                 "BGP MD5 keys are 16 to 80 characters (AWS allows at most 80)"),
    "dx_macsec_secret_arns": ('alltrue([for k, v in var.dx_macsec_secret_arns : startswith(v, "arn:aws:secretsmanager:")])',
                              "MACsec keys are given as Secrets Manager ARNs, never as values"),
    "audit_bucket_name": ('can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.audit_bucket_name))',
                          "an S3 bucket name is 3-63 lowercase letters, digits, dots or hyphens"),
}


def interp(template: str) -> Expr:
    """A quoted string template whose ``${...}`` parts are interpolated (no quotes outside them)."""
    return Expr(f'"{template}"')


@dataclass(frozen=True)
class Variable:
    name: str
    type: str
    description: str
    default: Value = None
    sensitive: bool = False


@dataclass
class RootModule:
    cloud: str
    stage: Stage
    estate_name: str
    files: dict[str, list[Block]] = field(default_factory=dict)
    variables: dict[str, Variable] = field(default_factory=dict)
    outputs: dict[str, tuple[Value, str]] = field(default_factory=dict)
    aws_providers: dict[str, tuple[str, str]] = field(default_factory=dict)  # alias -> (account, region)
    remote_stages: set[Stage] = field(default_factory=set)
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
        self.resource_types[type_] += 1
        return self._add(file, Block("resource", (type_, name)).set(**attrs), f"{type_}.{name}")

    def data(self, file: str, type_: str, name: str, /, **attrs: Value) -> Block:
        return self._add(file, Block("data", (type_, name)).set(**attrs), f"data.{type_}.{name}")

    def has(self, address: str) -> bool:
        return address in self._addresses

    def var(self, name: str, type_: str, description: str, default: Value = None,
            sensitive: bool = False) -> Expr:
        """Declare (once) and refer to an input variable."""
        known = self.variables.get(name)
        if known is None:
            self.variables[name] = Variable(name, type_, description, default, sensitive)
        return Expr(f"var.{name}")

    def output(self, name: str, value: Value, description: str) -> None:
        self.outputs[name] = (value, description)

    def aws_provider(self, account: str, region: str) -> Expr:
        """The provider alias for an AWS account and region (declared on first use)."""
        alias = ident(account, region)
        self.aws_providers[alias] = (account, region)
        return Expr(f"aws.{alias}")

    def remote(self, stage: Stage, output: str) -> Expr:
        """An output of an earlier stage of the same cloud, read through terraform_remote_state."""
        if stage.value >= self.stage.value:
            raise RuntimeError(f"{self.path} may only read earlier stages, not {stage.value}")
        self.remote_stages.add(stage)
        return Expr(f"data.terraform_remote_state.{stage.short}.outputs.{output}")

    # ------------------------------------------------------------------ writing

    def blocks(self, account_ids: dict[str, str]) -> dict[str, list[Block]]:
        """Every block of the module by file name (``vpc.tf`` ...), boilerplate included, sorted:
        what ``render`` writes and what ``references.check_references`` checks."""
        files: dict[str, list[Block]] = {"versions.tf": [self._terraform_block()]}
        providers = self._provider_blocks(account_ids)
        if self.remote_stages:
            providers += self._remote_state_blocks()
        files["providers.tf"] = providers
        for name, blocks in sorted(self.files.items()):
            files[f"{name}.tf"] = sorted(blocks, key=lambda b: (b.type, b.labels))
        files["variables.tf"] = [self._variable_block(v) for _, v in sorted(self.variables.items())]
        if self.outputs:
            files["outputs.tf"] = [Block("output", (n,)).set(description=d, value=v)
                                   for n, (v, d) in sorted(self.outputs.items())]
        return files

    def render(self, account_ids: dict[str, str]) -> dict[str, str]:
        """The module's files (name -> text); every file is sorted and fmt-clean."""
        header = f"{self.path}: {STAGE_PURPOSE[self.stage]}.\nGenerated by tradeplane from estate '{self.estate_name}'; do not edit."
        return {name: render_blocks(blocks, header) for name, blocks in self.blocks(account_ids).items()}

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

    def _state_vars(self) -> dict[str, Expr]:
        bucket = self.var("state_bucket", "string", "bucket holding every stage's Terraform state")
        if self.cloud == "aws":
            return {
                "bucket": bucket,
                "region": self.var("state_region", "string", "region of the state bucket"),
                "dynamodb_table": self.var("state_lock_table", "string", "DynamoDB table that locks the state"),
            }
        return {"bucket": bucket}

    def _remote_state_blocks(self) -> list[Block]:
        blocks = []
        state = self._state_vars()
        for stage in sorted(self.remote_stages):
            path = f"{self.cloud}/{stage.value}"
            if self.cloud == "aws":
                config: dict[str, Value] = {**state, "key": f"{path}/terraform.tfstate"}
                backend = "s3"
            else:
                config = {**state, "prefix": path}
                backend = "gcs"
            blocks.append(Block("data", ("terraform_remote_state", stage.short)).set(
                backend=backend, config=dict(sorted(config.items()))))
        return blocks

    def _provider_blocks(self, account_ids: dict[str, str]) -> list[Block]:
        if self.cloud == "gcp":
            # One automation identity per stage: this stage's service account, impersonated, so the
            # networking stage's identity cannot change organisation policy.
            p = Block("provider", ("google",)).set(
                region=self.var("default_region", "string", "region for resources that do not name one",
                                "us-central1"),
                impersonate_service_account=self.var(
                    "terraform_service_account", "string",
                    f"service account this stage ({self.stage.value}) impersonates; no other stage uses it"))
            p.set(default_labels={"managed-by": "tradeplane", "estate": self.estate_name})
            return [p]
        role = self.var("terraform_role_name", "string",
                        f"role this stage ({self.stage.value}) assumes in every account; one role per stage, so "
                        "a stage cannot change what another owns", f"tradeplane-terraform-{self.stage.short}")
        ids = self.var("aws_account_ids", "map(string)", "AWS account ids by estate account name",
                       Table(account_ids))
        blocks = []
        for alias, (account, region) in sorted(self.aws_providers.items()):
            p = Block("provider", ("aws",)).set(alias=alias, region=region)
            p.block("assume_role", role_arn=interp(f'arn:aws:iam::${{{ids}["{account}"]}}:role/${{{role}}}'))
            p.block("default_tags", tags={"managed-by": "tradeplane", "estate": self.estate_name})
            blocks.append(p)
        return blocks

    @staticmethod
    def _variable_block(v: Variable) -> Block:
        b = Block("variable", (v.name,)).set(description=v.description, type=Expr(v.type))
        if v.default is not None:
            b.set(default=v.default)
        if v.sensitive:
            b.set(sensitive=True)
        rule = VALIDATIONS.get(v.name)
        if rule is not None:
            b.block("validation", condition=Expr(rule[0]), error_message=rule[1][0].upper() + rule[1][1:] + ".")
        return b

