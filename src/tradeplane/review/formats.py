"""The plan for the team's existing tools: a pull-request comment (Markdown), code scanning
(SARIF 2.1.0) and CI test reports (JUnit XML).

Every finding keeps its estate ``file:line`` (SARIF ``physicalLocation``, a link in Markdown, the
JUnit failure's message). Deterministic: findings sorted, no timestamps.

SARIF: OASIS "Static Analysis Results Interchange Format 2.1.0" (one run, one rule per check with
its descriptions and help (``Rule``), ``level`` error for blocking severities, warning otherwise). JUnit: the de-facto Ant/Surefire
schema (one testsuite per section, one testcase per check or finding).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from tradeplane.plural import count

__all__ = ["Item", "Rule", "junit", "markdown", "sarif"]

_LOC = re.compile(r"^(?P<file>.+?):(?P<line>\d+)(?::(?P<col>\d+))?$")
_BLOCKING = ("critical", "high")


@dataclass(frozen=True, order=True)
class Item:
    """One finding of any analysis, flattened: ``section`` (verify, security, ...), ``rule`` (the check)."""

    section: str
    severity: str
    rule: str
    title: str
    location: str = ""
    fix: str = ""

    @property
    def blocking(self) -> bool:
        return self.severity in _BLOCKING

    @property
    def rule_id(self) -> str:
        """``section/rule``: the SARIF ``ruleId`` and the key of its ``Rule``."""
        return f"{self.section}/{self.rule}"


@dataclass(frozen=True)
class Rule:
    """What a rule checks, from where the rule is defined, for SARIF's ``tool.driver.rules``.

    ``summary``: one sentence (``shortDescription``); ``description``: the full text
    (``fullDescription``; the summary when empty); ``source``: the authority the rule rests on
    (a provider's documentation, a standard), "" when it is the firm's own; ``docs``: the page and
    section of this project's docs that explain it (``docs/net.md``, "What `verify` checks"), "" when none."""

    summary: str
    description: str = ""
    source: str = ""
    docs: str = ""

    def to_sarif(self, rule_id: str, name: str) -> dict[str, Any]:
        """A SARIF 2.1.0 ``reportingDescriptor`` (section 3.49): id, name, short and full descriptions,
        and ``help`` as text and Markdown (the description, the source and the docs section).

        No ``helpUri``: SARIF wants an absolute URI there (as for the driver's ``informationUri``)
        and the project publishes its docs at none; the docs section is named in ``help`` instead."""
        full = self.description or self.summary
        text, md = [full], [full]
        if self.source:
            text.append(f"Source: {self.source}")
            md.append(f"**Source:** {self.source}")
        if self.docs:
            text.append(f"Docs: {self.docs}")
            md.append(f"**Docs:** {self.docs}")
        return {"id": rule_id, "name": name, "shortDescription": {"text": self.summary},
                "fullDescription": {"text": full},
                "help": {"text": "\n\n".join(text), "markdown": "\n\n".join(md)}}


def markdown(estate: str, items: list[Item], blocking: list[str], warnings: list[str], summary: dict[str, Any],
             emergency: list[str] | None = None) -> str:
    """A pull-request comment: the verdict first (with any emergency override of the change freeze and
    its reason), then counts, then each finding with its line. ``blocking`` holds every line that blocks
    an apply (findings and the change freeze); ``emergency`` the frozen changes an emergency let through.

    A finding whose title is a line of those lists (or of ``warnings``) is said there, with its line and
    fix, and not again in the findings table; with no other finding there is no table but one line,
    "No other findings." ("No findings." when there is nothing at all)."""
    # A finding the verdict's lists say word for word (the change freeze, an emergency override, a desk over
    # its budget, a blocked migration wave) is said there once, with its line and fix; the findings table
    # holds the rest and is never printed empty.
    listed = {*blocking, *(emergency or []), *warnings}
    said = {i.title: i for i in items if i.title in listed}
    verdict = "**Blocks an apply**" if blocking else "**Nothing blocks an apply**"
    counts = f"{len(blocking)} blocking, {count(len(warnings), 'warning')}"
    if emergency:
        counts += f"; **{count(len(emergency), 'frozen change')} let through as an emergency**"
    lines = [f"### tradeplane plan: `{estate}`", "", f"{verdict} ({counts})", "", "| | |", "| --- | --- |"]
    lines += [f"| {k} | {v} |" for k, v in summary.items()]
    if blocking:
        lines += ["", "#### Blocking", ""] + [_bullet(b, said) for b in blocking]
    if emergency:
        lines += ["", "#### Emergency override of the change freeze", ""] + [_bullet(e, said) for e in emergency]
    if warnings:
        lines += ["", "<details><summary>Warnings</summary>", ""] + [_bullet(w, said) for w in warnings]
        lines += ["", "</details>"]
    rows = [i for i in sorted(items, key=_order) if i.title not in said]
    lines += ["", "#### Findings", ""]
    if rows:
        lines += ["| severity | section | check | finding | where |", "| --- | --- | --- | --- | --- |"]
        lines += [f"| {i.severity} | {i.section} | `{i.rule}` | {_md(_with_fix(i))} | {f'`{i.location}`' if i.location else ''} |"
                  for i in rows]
    else:
        lines.append("No other findings." if said else "No findings.")
    return "\n".join(lines) + "\n"


def _bullet(line: str, said: Mapping[str, Item]) -> str:
    """A line of the verdict's lists, with the line and fix of the finding it says, if any."""
    extra = _where_fix(said[line]) if line in said else ""
    return f"- {_md(line)}" + (f" ({extra})" if extra else "")


def _where_fix(i: Item) -> str:
    """"at `file:line`; fix: what to do" for a finding said in the verdict's lists ("" when neither)."""
    parts = [f"at `{i.location}`"] if i.location else []
    if i.fix:
        parts.append(f"fix: {_md(i.fix)}")
    return "; ".join(parts)


def _with_fix(i: Item) -> str:
    """The finding's title and, when it has one, its fix: "Title. Fix: what to do"."""
    if not i.fix:
        return i.title
    return f"{i.title}{'' if i.title.endswith(('.', '!', '?', ':')) else '.'} Fix: {i.fix}"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _order(i: Item) -> tuple[int, str, str, str]:
    rank = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}.get(i.severity, 5)
    return (rank, i.section, i.rule, i.title)


SRCROOT = "%SRCROOT%"
"""The ``uriBaseId`` of every path inside a git repository: the repository's root, which is what GitHub
code scanning resolves a result's ``artifactLocation.uri`` against (the checkout), whatever directory
the plan ran in."""


def repository_root(path: str | Path) -> Path | None:
    """The nearest directory, ``path`` itself or an ancestor, holding a ``.git`` (a directory, or the file
    of a worktree or submodule); ``None`` outside any repository."""
    start = Path(path).resolve()
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return None


def _artifact_location(path: str) -> dict[str, str]:
    """A SARIF ``artifactLocation`` for an estate file, depending only on the paths:

    - inside a git repository: ``uri`` relative to the repository's root, ``uriBaseId`` ``%SRCROOT%``
      (SARIF 2.1.0 section 3.4.4: with a ``uriBaseId`` the ``uri`` is a relative reference);
    - else under the working directory: ``uri`` relative to it;
    - else: an absolute ``file://`` URI (section 3.4.3: a ``uri`` with no base to resolve against
      is an absolute URI).

    Relative URIs are percent-encoded (RFC 3986), so a space or a colon in a name stays one path."""
    absolute = Path(path).resolve()
    root = repository_root(absolute)
    if root is not None:
        return {"uri": quote(absolute.relative_to(root).as_posix()), "uriBaseId": SRCROOT}
    try:
        return {"uri": quote(absolute.relative_to(Path.cwd().resolve()).as_posix())}
    except ValueError:
        return {"uri": absolute.as_uri()}


def sarif(estate: str, items: list[Item], tool_version: str, default_location: str = "",
          rules: Mapping[str, Rule] | None = None) -> str:
    """One SARIF 2.1.0 run: a rule per (section, check), a result per finding at its estate file:line.

    ``rules``: ``section/rule`` -> what the rule checks (``Rule``, from where the rule is defined),
    written as the rule's descriptions and help; a rule missing there is described by its name alone.
    One result per finding and location: two items with the same rule, message and location are one.

    Every result has a location (``default_location``, the estate's own entry ``file:line``, for a
    finding that has none): GitHub code scanning shows an alert where its location says ("The location
    allows GitHub to show annotations in your code file", GitHub Docs, "SARIF support for code
    scanning", https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning),
    so a result without one has nowhere to be shown, and code scanning requires
    ``physicalLocation.artifactLocation.uri`` to be a non-empty string (microsoft/sarif-sdk pull
    request 2704, "HdfConverter: SARIF location improvements").
    ``default_location`` empty (an estate built in code has no file): such a result has none.

    Paths: see ``_artifact_location``. ``run.originalUriBaseIds`` says what ``%SRCROOT%`` means in words
    only; an absolute ``uri`` there would put this machine's path in the output, and a consumer
    resolves an absent one by other means (GitHub: the checkout) -- SARIF 2.1.0 section 3.14.14.

    The driver has no ``informationUri``: SARIF 2.1.0 (section 3.19.17) wants an absolute URI there
    and allows leaving it out; the project publishes no homepage (pyproject.toml has no URL) to
    point at, and a relative path such as ``docs/plan.md`` resolves against nothing a viewer knows."""
    described = rules or {}
    ids = sorted({(i.section, i.rule) for i in items})
    index = {r: n for n, r in enumerate(ids)}
    results = []
    seen: set[tuple[str, str, str]] = set()
    for i in sorted(items, key=_order):
        key = (i.rule_id, _with_fix(i), i.location)
        if key in seen:
            continue
        seen.add(key)
        result: dict[str, Any] = {
            "ruleId": f"{i.section}/{i.rule}", "ruleIndex": index[(i.section, i.rule)],
            "level": "error" if i.blocking else "warning",
            "message": {"text": _with_fix(i)},
            "properties": {"severity": i.severity},
        }
        match = _LOC.match(i.location or "") or _LOC.match(default_location)
        if match:
            region: dict[str, int] = {"startLine": int(match["line"])}
            if match["col"]:
                region["startColumn"] = int(match["col"])
            result["locations"] = [{"physicalLocation": {"artifactLocation": _artifact_location(match["file"]),
                                                         "region": region}}]
        results.append(result)
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "tradeplane", "version": tool_version,
                            "rules": [(described.get(f"{s}/{r}") or Rule(f"{s}: {r}")).to_sarif(f"{s}/{r}", r)
                                      for s, r in ids]}},
        "automationDetails": {"id": f"tradeplane-plan/{estate}"},
        "results": results}
    if any(loc["physicalLocation"]["artifactLocation"].get("uriBaseId") == SRCROOT
           for r in results for loc in r.get("locations", [])):
        run["originalUriBaseIds"] = {SRCROOT: {"description": {
            "text": "The root of the git repository holding the estate (the checkout)."}}}
    doc = {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": [run]}
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def junit(estate: str, items: list[Item], passed: dict[str, list[str]]) -> str:
    """One testsuite per section; passed properties as passing testcases, findings as failures
    (blocking) or skipped-with-message (warnings), so CI dashboards count them."""
    sections = sorted({i.section for i in items} | set(passed))
    out = ['<?xml version="1.0" encoding="UTF-8"?>']
    total = sum(len(passed.get(s, [])) for s in sections) + len(items)
    failures = sum(1 for i in items if i.blocking)
    out.append(f'<testsuites name={quoteattr("tradeplane plan " + estate)} tests="{total}" failures="{failures}">')
    for section in sections:
        mine = sorted((i for i in items if i.section == section), key=_order)
        ok = sorted(passed.get(section, []))
        fails = sum(1 for i in mine if i.blocking)
        skips = len(mine) - fails
        out.append(f'  <testsuite name={quoteattr(section)} tests="{len(mine) + len(ok)}" failures="{fails}" '
                   f'skipped="{skips}">')
        for name in ok:
            out.append(f'    <testcase classname={quoteattr(section)} name={quoteattr(name)}/>')
        for i in mine:
            tag = "failure" if i.blocking else "skipped"
            where = f" at {i.location}" if i.location else ""
            out.append(f'    <testcase classname={quoteattr(section + "." + i.rule)} name={quoteattr(i.title)}>')
            out.append(f'      <{tag} message={quoteattr(i.severity + where)}>{escape(i.fix)}</{tag}>')
            out.append("    </testcase>")
        out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"
