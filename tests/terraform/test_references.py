"""The reference walker finds what does not resolve (it must not pass vacuously)."""

from __future__ import annotations

from tradeplane.terraform import check_references

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
data "terraform_remote_state" "networking" {
  backend = "s3"
  config  = { bucket = var.state_bucket, key = "aws/10-networking/terraform.tfstate" }
}

variable "state_bucket" {
  type = string
}

resource "aws_instance" "ok" {
  provider  = aws.net
  subnet_id = data.terraform_remote_state.networking.outputs.subnet_ids["hub/a"]
  tags      = { Name = "ok-${count.index}" }
  count     = 2
}

resource "aws_instance" "bad" {
  provider  = aws.missing
  subnet_id = data.terraform_remote_state.networking.outputs.subnet_ids["hub/zz"]
  ami       = var.nope
  user_data = "echo ${aws_vpc.elsewhere.id} and ${lookup(local.absent, "k", "")}"
  other     = data.terraform_remote_state.networking.outputs.vpc_ids["hub"]
}

provider "aws" {
  alias  = "net"
  region = "us-east-1"
}
'''


def test_walker_reports_every_dangling_reference() -> None:
    problems = check_references({"aws/10-networking/main.tf": NET, "aws/30-compute/main.tf": COMPUTE})
    found = {(p.module, p.address) for p in problems}
    assert found == {
        ("aws/30-compute", "aws.missing"),
        ("aws/30-compute", "var.nope"),
        ("aws/30-compute", "aws_vpc.elsewhere"),
        ("aws/30-compute", "local.absent"),
        ("aws/30-compute", 'data.terraform_remote_state.networking.outputs.subnet_ids["hub/zz"]'),
        ("aws/30-compute", 'data.terraform_remote_state.networking.outputs.vpc_ids["hub"]'),
    }
    assert all(p.file == "main.tf" for p in problems)


def test_walker_accepts_a_clean_module() -> None:
    assert check_references({"aws/10-networking/main.tf": NET}) == []
