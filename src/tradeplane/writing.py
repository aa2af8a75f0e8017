"""Writing output without leaving it half-written or touching what is not ours.

Every command that writes goes through here, and only through here:

- directories: ``terraform render -o``, ``plan -o``, ``observe render -o``, ``k8s render -o``,
  ``migrate runbook -o``, ``cost generate OUT``;
- files: ``estate schema -o``, ``cost sql -o``, ``cost report --csv/--parquet/--html``,
  ``incidents postmortem -o``, ``net import --yaml``, ``request ... --out``, the self-serve and
  migration state files.

The rules, the same for each:

- ``check_dir(path, option)`` / ``check_file(path, option)``: called by the command *before* it
  does any work, so an output that cannot be written is one clear line (exit 2) instead of a
  traceback after a minute of solving. An existing file where a directory is asked for (or the
  reverse) is refused, never replaced; the nearest existing ancestor must be a writable
  directory, and nothing on the way may be a file.
- ``staged_tree(target)`` / ``write_tree(target, files)``: every file is first written into a
  temporary folder beside ``target`` (same file system); a new ``target`` is then that folder
  renamed, an existing one receives each file by ``os.replace`` once all are written. Any error
  removes the temporary folder and leaves ``target`` as it was. A command whose folder is its whole
  output keeps the list of what it wrote in ``target/.tradeplane-<name>.written`` and, on the next run,
  removes the files of that list it no longer writes: never a file it did not write.
- ``staged_file(path)`` / ``write_file(path, data)``: the same for one file (temporary file beside
  it, then rename).

Every failure is an ``OutputError`` (a ``TradeplaneError``): ``-o PATH: cannot write: WHY (hint: ...)``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path, PurePosixPath

from tradeplane.errors import OutputError, Problem

__all__ = ["check_dir", "check_file", "record_name", "staged_file", "staged_tree", "write_file", "write_tree"]

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
            raise _fail(option, p, "it is a file, not a directory",
                        "give the path of a directory, created when missing; an existing file is never replaced")
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


@contextlib.contextmanager
def staged_file(path: str | Path, option: str = "-o") -> Iterator[Path]:
    """A temporary path beside ``path`` to write into (by any means: a ``COPY ... TO`` of DuckDB, a
    library's ``save``); renamed onto ``path`` when the block ends normally, removed when it raises.
    ``OutputError`` when ``path`` cannot be written (checked first) or an ``OSError`` occurs."""
    p = Path(path)
    check_file(p, option)
    tmp: Path | None = None
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
        os.close(fd)
        tmp = Path(name)
        # mkstemp makes it 0600: give it the mode of the file it replaces, else what open() would
        os.chmod(tmp, p.stat().st_mode & 0o7777 if p.is_file() else 0o666 & ~_umask())
        yield tmp
        os.replace(tmp, p)
        tmp = None
    except OSError as exc:
        raise _fail(option, p, _why(exc), _HINT_FILE) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()


def write_file(path: str | Path, data: str | bytes, option: str = "-o") -> Path:
    """Write one file whole or not at all (temporary file beside it, flushed to disk, then ``os.replace``)."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with staged_file(path, option) as tmp, open(tmp, "wb") as fh:
        fh.write(payload)
        fh.flush()
        os.fsync(fh.fileno())
    return Path(path)


@contextlib.contextmanager
def staged_tree(target: str | Path, option: str = "-o", *, owner: str | None = None,
                remove: Iterable[str] = ()) -> Iterator[Path]:
    """A temporary folder beside ``target`` to build the output in; when the block ends normally its
    files are put in place (``target`` created by renaming the folder, or each file moved into an
    existing one by ``os.replace``), when it raises nothing is put in place. Either way the
    temporary folder is gone afterwards.

    ``owner``: the name of the output when the block writes the whole of it ("terraform", "observe"):
    the files of its previous run that it no longer writes are then removed, and only those: they
    are read from the record it keeps in ``target/.tradeplane-<owner>.written`` (``record_name``; one
    relative path a line). A file it never wrote (a user's notes, another command's output) is never
    removed, replaced by a directory or moved. ``None`` (a command that adds files, such as one
    wave's runbooks) keeps no record and removes nothing.
    ``remove``: further relative paths the caller knows to be stale files of its own (removed once
    every new file is in place). ``OutputError`` when ``target`` is a file, cannot be written, or a
    file is in the way of a folder of the output (checked before anything is put in place).
    """
    root = Path(target)
    check_dir(root, option)
    parent = root.parent if root.parent != Path("") else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{root.name}.", suffix=".tmp", dir=parent))
        os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes it 0700; a new target is this folder renamed
    except OSError as exc:
        raise _fail(option, root, _why(exc), _HINT_DIR) from None
    try:
        yield staging
        record = record_name(owner) if owner else ""
        written = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*")
                         if p.is_file() and p.name != record)
        check_dir(root, option, files=written)
        stale = set(remove)
        if record:
            stale |= _recorded(root / record)
            (staging / record).write_text(_RECORD_HEAD + "".join(f"{rel}\n" for rel in written), encoding="utf-8")
        _install(staging, root, [*written, record] if record else written, sorted(stale - set(written)))
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise _fail(option, root, "no space left on the device", "free some space and run again") from None
        raise _fail(option, root, _why(exc), _HINT_DIR) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_tree(target: str | Path, files: Mapping[str, str | bytes], option: str = "-o",
               *, owner: str | None = None, remove: Iterable[str] = ()) -> list[Path]:
    """Write ``files`` (relative path -> content) under ``target``, all or nothing (``staged_tree``:
    ``owner`` and ``remove`` as there). Files of ``target`` that the command did not write are left
    alone. Returns the written paths, sorted."""
    root = Path(target)
    check_dir(root, option, files=files)  # before anything is written
    with staged_tree(root, option, owner=owner, remove=remove) as staging:
        for rel, data in sorted(files.items()):
            path = staging / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return sorted(root / rel for rel in files)


def _umask() -> int:
    """The process's umask, read without changing it where Linux tells it (``os.umask`` sets it)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def record_name(owner: str) -> str:
    """The file in which the output named ``owner`` lists what it wrote: ``.tradeplane-<owner>.written``."""
    return f".tradeplane-{owner}.written"


_RECORD_HEAD = ("# Files tradeplane wrote here on its last run, one a line: the next run removes those it no\n"
                "# longer writes, and never any other file of this folder.\n")


def _recorded(record: Path) -> set[str]:
    """The relative paths listed in ``record`` (none when there is no record); a line that is not a
    plain relative path inside the folder is ignored."""
    try:
        text = record.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return set()
    out = set()
    for line in text.splitlines():
        rel = PurePosixPath(line.strip())
        if line.strip() and not line.startswith("#") and not rel.is_absolute() and ".." not in rel.parts:
            out.add(rel.as_posix())
    return out


def _install(staging: Path, root: Path, files: list[str], stale: list[str]) -> None:
    """Put the staged ``files`` in place under ``root``, then remove the ``stale`` regular files (and
    the folders that removing them empties, up to ``root``)."""
    if not root.exists():
        os.rename(staging, root)
        return
    for rel in files:
        dest = root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / rel, dest)
    for rel in stale:
        path = root / rel
        if path.is_symlink() or not path.is_file():
            continue
        path.unlink()
        for folder in path.relative_to(root).parents[:-1]:
            try:
                (root / folder).rmdir()
            except OSError:
                break
