"""An approved request as a patch file (``git format-patch`` shape) or a branch with one commit.

The branch is made with git's plumbing (``hash-object``, ``update-index`` on a temporary index,
``write-tree``, ``commit-tree``, ``update-ref``): the repository's working tree, index and HEAD are
never touched, and the branch must not exist yet. Nothing is ever applied or merged.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path

from tradeplane.errors import InputError
from tradeplane.selfserve.roles import Conflict

__all__ = ["branch", "format_patch"]


def format_patch(diff: str, subject: str, body: str, author: str, when: datetime, commit: str | None = None) -> str:
    """A mail-format patch like ``git format-patch`` writes: ``git apply`` and ``git am`` take it."""
    head = (f"From {commit or '0' * 40} Mon Sep 17 00:00:00 2001\n"
            f"From: {author} <{_email(author)}>\n"
            f"Date: {format_datetime(when)}\n"
            f"Subject: [PATCH] {subject}\n\n")
    return head + body.rstrip("\n") + "\n---\n" + diff + "-- \ntradeplane selfserve\n"


def _email(name: str) -> str:
    local = "".join(c if c.isalnum() or c in "._-" else "-" for c in name.lower()) or "someone"
    return f"{local}@tradeplane.invalid"


def _git(repo: Path, *args: str, input: str | None = None, env: dict[str, str] | None = None) -> str:
    try:
        out = subprocess.run(["git", "-C", str(repo), *args], input=input, capture_output=True, text=True,
                             env={**os.environ, **(env or {})}, check=False, timeout=60)
    except FileNotFoundError:
        raise InputError.single("git is not installed", field="branch", hint="install git or use --out") from None
    if out.returncode != 0:
        raise Conflict.single(f"git {args[0]} failed: {out.stderr.strip() or out.stdout.strip()}", field="branch")
    return out.stdout


def branch(repo: Path, name: str, files: dict[str, str], base: dict[str, str], message: str, author: str,
           when: datetime) -> str:
    """Create branch ``name`` at one new commit on HEAD holding ``files`` (repository-relative path ->
    text); return the commit id. ``base`` (path -> sha256) is what the request patched: each file at
    HEAD must still be it, else ``Conflict`` (the estate moved; evaluate the request again)."""
    if not (repo / ".git").exists():
        raise InputError.single(f"{repo} is not a git repository", field="branch",
                                hint="keep the estate in a git repository, or use --out for a patch file")
    check = subprocess.run(["git", "check-ref-format", "--branch", name], capture_output=True, text=True, check=False)
    if check.returncode != 0:
        raise InputError.single(f"{name!r} is not a valid branch name", field="branch",
                                hint="letters, digits, '-', '/' and '.', e.g. selfserve/req-1234")
    exists = subprocess.run(["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", f"refs/heads/{name}"],
                            capture_output=True, text=True, check=False)
    if exists.returncode == 0:
        raise Conflict.single(f"branch {name!r} already exists", field="branch", hint="choose another name")
    head = _git(repo, "rev-parse", "--verify", "HEAD").strip()
    for path, digest in base.items():
        text = _git(repo, "show", f"HEAD:{path}")
        if hashlib.sha256(text.encode()).hexdigest() != digest:
            raise Conflict.single(f"{path} at HEAD is not the text the request was evaluated on", field="branch",
                                  hint="commit the estate, then submit the request again")
    stamp = f"{int(when.timestamp())} +0000"
    ident = {"GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": _email(author), "GIT_AUTHOR_DATE": stamp,
             "GIT_COMMITTER_NAME": author, "GIT_COMMITTER_EMAIL": _email(author), "GIT_COMMITTER_DATE": stamp}
    with tempfile.TemporaryDirectory(prefix="tradeplane-index-") as tmp:
        index = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        _git(repo, "read-tree", "HEAD", env=index)
        for path, text in sorted(files.items()):
            mode = (_git(repo, "ls-files", "-s", "--", path, env=index).split(" ", 1)[0] or "100644").strip()
            blob = _git(repo, "hash-object", "-w", "--stdin", input=text).strip()
            _git(repo, "update-index", "--add", "--cacheinfo", f"{mode},{blob},{path}", env=index)
        tree = _git(repo, "write-tree", env=index).strip()
    commit = _git(repo, "commit-tree", tree, "-p", head, "-m", message, env=ident).strip()
    _git(repo, "update-ref", f"refs/heads/{name}", commit, "0" * 40)
    return commit
