"""Writing output without leaving it half-written: checked before any work, renamed into place at the end.

Every command that writes (``terraform render -o``, ``plan -o``, ``estate schema -o``,
``cost sql -o``, ``cost report --csv/--parquet/--html``, ``cost generate OUT``,
``net import --yaml``, the feeds recorder's directory) goes through here:

- ``check_dir(path, option)`` / ``check_file(path, option)``: called by the command *before* it
  does any work, so a folder that cannot be written is one clear line (exit 2) instead of a
  traceback after a minute of solving. The nearest existing ancestor must be a writable
  directory, and nothing on the way may be a file.
- ``write_tree(target, files)``: every file is first written into a temporary folder beside
  ``target`` (same file system); a new ``target`` is then that folder renamed, an existing
  one receives each file by ``os.replace`` once all are written. Any ``OSError`` removes the
  temporary folder and leaves ``target`` as it was.
- ``write_file(path, data)``: the same for one file (temporary file beside it, then rename).

Every failure is an ``OutputError`` (a ``TradeplaneError``): ``-o PATH: cannot write: WHY (hint: ...)``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from tradeplane.errors import OutputError, Problem

__all__ = ["check_dir", "check_file", "write_file", "write_tree"]

_HINT_DIR = "give a directory that can be written (it is created when missing)"
_HINT_FILE = "give a file path in a directory that can be written"


def _fail(option: str, path: Path, why: str, hint: str) -> OutputError:
    label = f"{option} {path}" if option else str(path)
    message = f"{label}: cannot write: {why}"
    return OutputError(message, [Problem(message, hint=hint)])


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _existing_ancestor(path: Path, option: str, hint: str) -> Path:
    """The nearest existing ancestor of ``path``; every existing step must be a directory."""
    probe = path.parent
    while not probe.exists():
        if probe == probe.parent:
            break
        probe = probe.parent
    if not probe.is_dir():
        raise _fail(option, path, f"{probe} is a file, not a directory", hint)
    if not os.access(probe, os.W_OK | os.X_OK):
        raise _fail(option, path, f"{probe} is not writable (permission denied)", hint)
    return probe


def check_dir(path: str | Path, option: str = "-o", *, files: Iterable[str] = ()) -> None:
    """Raise ``OutputError`` unless ``path`` is (or can be created as) a writable directory, and
    each of ``files`` (relative paths) could be written under it (no file where a folder must go)."""
    p = Path(path)
    if p.exists():
        if not p.is_dir():
            raise _fail(option, p, "it is a file, not a directory", _HINT_DIR)
        if not os.access(p, os.W_OK | os.X_OK):
            raise _fail(option, p, "permission denied", _HINT_DIR)
    else:
        _existing_ancestor(p, option, _HINT_DIR)
    for rel in sorted(files):
        target = p / rel
        for step in (*reversed(target.relative_to(p).parents[:-1]),):
            where = p / step
            if where.exists() and not where.is_dir():
                raise _fail(option, where, "a file is in the way of a directory of the output",
                            f"move or remove {where}, or give another directory")
        if target.is_dir():
            raise _fail(option, target, "a directory is in the way of a file of the output",
                        f"move or remove {target}, or give another directory")


def check_file(path: str | Path, option: str = "-o") -> None:
    """Raise ``OutputError`` unless a file can be written at ``path`` (its folder is created when missing)."""
    p = Path(path)
    if p.is_dir():
        raise _fail(option, p, "it is a directory, not a file", _HINT_FILE)
    if p.exists() and not os.access(p, os.W_OK):
        raise _fail(option, p, "permission denied", _HINT_FILE)
    _existing_ancestor(p, option, _HINT_FILE)


def write_file(path: str | Path, data: str | bytes, option: str = "-o") -> Path:
    """Write one file whole or not at all (temporary file beside it, then ``os.replace``)."""
    p = Path(path)
    check_file(p, option)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    tmp: str | None = None
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, p)
        tmp = None
    except OSError as exc:
        raise _fail(option, p, _why(exc), _HINT_FILE) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return p


def write_tree(target: str | Path, files: Mapping[str, str | bytes], option: str = "-o",
               *, remove: Iterable[str] = ()) -> list[Path]:
    """Write ``files`` (relative path -> content) under ``target``, all or nothing.

    ``remove``: relative paths of stale files to delete once every new file is in place.
    Files of ``target`` that are neither written nor removed are left alone. Returns the
    written paths, sorted.
    """
    root = Path(target)
    check_dir(root, option, files=files)
    parent = root.parent if root.parent != Path("") else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{root.name}.", suffix=".tmp", dir=parent))
    except OSError as exc:
        raise _fail(option, root, _why(exc), _HINT_DIR) from None
    try:
        for rel, data in sorted(files.items()):
            path = staging / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        if not root.exists():
            os.rename(staging, root)
        else:
            for rel in sorted(files):
                dest = root / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging / rel, dest)
            for rel in sorted(remove):
                with contextlib.suppress(FileNotFoundError):
                    (root / rel).unlink()
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise _fail(option, root, "no space left on the device", "free some space and run again") from None
        raise _fail(option, root, _why(exc), _HINT_DIR) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return sorted(root / rel for rel in files)

