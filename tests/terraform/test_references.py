"""The reference walker finds what does not resolve (it must not pass vacuously)."""

from __future__ import annotations

from tradeplane.terraform import Rendered, check_references, render
from tradeplane.terraform.hcl import Block, Expr, Table, render_blocks
from tradeplane.terraform.module import interp
from tradeplane.terraform.references import module_of_blocks

NET = '''
resource "aws_vpc" "hub" {
  provider   = aws.net
  cidr_block = "10.0.0.0/16"
}

output "subnet_ids" {
  value = {
    "hub/a" = aws_vpc.hub.id
  }
}

provider "aws" {
  alias  = "net"
  region = "us-east-1"
}
'''

COMPUTE = '''
variable "subnet_ids" {
  description = "output 'subnet_ids' of aws/10-networking: subnet ids"
  type        = map(string)
}

variable "vpc_ids" {
  description = "output 'vpc_ids' of aws/10-networking: VPC ids"
  type        = map(string)
}

module "globals" {
  source = "../globals"
}

resource "aws_instance" "ok" {
  provider  = aws.net
  subnet_id = var.subnet_ids["hub/a"]
  tags      = { Name = "ok-${count.index}", Account = module.globals.aws_account_ids["a"] }
  count     = 2
}

resource "aws_instance" "bad" {
  provider  = aws.missing
  subnet_id = var.subnet_ids["hub/zz"]
  ami       = var.nope
  user_data = "echo ${aws_vpc.elsewhere.id} and ${lookup(local.absent, "k", "")} ${module.gone.x}"
  other     = var.vpc_ids["hub"]
}

provider "aws" {
  alias  = "net"
  region = "us-east-1"
}
'''

PROBLEMS = {
    ("aws/30-compute", "aws.missing"),
    ("aws/30-compute", "var.nope"),
    ("aws/30-compute", "aws_vpc.elsewhere"),
    ("aws/30-compute", "local.absent"),
    ("aws/30-compute", "module.gone"),
    ("aws/30-compute", 'var.subnet_ids["hub/zz"]'),  # the earlier stage's output has no such key
    ("aws/30-compute", "var.vpc_ids"),  # the earlier stage has no such output
}


def test_walker_reports_every_dangling_reference() -> None:
    problems = check_references({"aws/10-networking/main.tf": NET, "aws/30-compute/main.tf": COMPUTE})
    found = {(p.module, p.address) for p in problems}
    assert found == PROBLEMS
    assert all(p.file in ("main.tf", "variables.tf") for p in problems)


def test_walker_accepts_a_clean_module() -> None:
    assert check_references({"aws/10-networking/main.tf": NET}) == []


def _blocks() -> tuple[dict[str, list[Block]], dict[str, list[Block]]]:
    """NET and COMPUTE above, as the renderer's blocks."""
    net = {"main.tf": [
        Block("resource", ("aws_vpc", "hub")).set(provider=Expr("aws.net"), cidr_block="10.0.0.0/16"),
        Block("output", ("subnet_ids",)).set(value=Table({"hub/a": Expr("aws_vpc.hub.id")})),
        Block("provider", ("aws",)).set(alias="net", region="us-east-1"),
    ]}
    compute = {"main.tf": [
        Block("variable", ("subnet_ids",)).set(description="output 'subnet_ids' of aws/10-networking: subnet ids",
                                              type=Expr("map(string)")),
        Block("variable", ("vpc_ids",)).set(description="output 'vpc_ids' of aws/10-networking: VPC ids",
                                           type=Expr("map(string)")),
        Block("module", ("globals",)).set(source="../globals"),
        Block("resource", ("aws_instance", "ok")).set(
            provider=Expr("aws.net"), count=2,
            tags={"Name": interp("ok-${count.index}"), "Account": Expr('module.globals.aws_account_ids["a"]')},
            subnet_id=Expr('var.subnet_ids["hub/a"]')),
        Block("resource", ("aws_instance", "bad")).set(
            provider=Expr("aws.missing"), ami=Expr("var.nope"), subnet_id=Expr('var.subnet_ids["hub/zz"]'),
            user_data=interp('echo ${aws_vpc.elsewhere.id} and ${lookup(local.absent, "k", "")} ${module.gone.x}'),
            other=Expr('var.vpc_ids["hub"]'), literal="not ${interpolated.at_all}"),
        Block("provider", ("aws",)).set(alias="net", region="us-east-1"),
    ]}
    return net, compute


def test_structural_check_finds_what_the_text_parse_finds() -> None:
    """The check plan runs (on the blocks) and the python-hcl2 parse of their text agree."""
    net, compute = _blocks()
    structural = {"aws/10-networking": module_of_blocks("aws/10-networking", net),
                  "aws/30-compute": module_of_blocks("aws/30-compute", compute)}
    rendered = Rendered({}, {}, structural)
    text = {f"{m}/main.tf": render_blocks(b["main.tf"])
            for m, b in (("aws/10-networking", net), ("aws/30-compute", compute))}
    by_structure = {(p.module, p.address, p.problem) for p in check_references(rendered)}
    by_text = {(p.module, p.address, p.problem) for p in check_references(text)}
    assert by_structure == by_text
    assert {(m, a) for m, a, _ in by_structure} == PROBLEMS


def test_rendered_estate_structure_and_text_agree(small_estate) -> None:  # type: ignore[no-untyped-def]
    r = render(small_estate)
    assert r.structure and check_references(r) == check_references(r.files) == []
