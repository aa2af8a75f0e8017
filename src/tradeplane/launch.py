"""The ``tradeplane`` console script (``[project.scripts]`` in pyproject.toml): ``run``.

Importing ``tradeplane.cli`` mounts every noun, importing each command module (about half a second),
before ``tradeplane.cli.main`` has its ``except KeyboardInterrupt`` in place; a Ctrl-C in that
half-second printed a Python traceback. ``run`` imports the CLI inside its own handler, so an
interrupt at any point, the import included, prints ``aborted`` on stderr and exits ``ABORTED``.
This module imports nothing but ``sys`` until then (``tradeplane/__init__.py`` holds only
``__version__``), and writes the line itself: Rich may be what was being imported.
"""

from __future__ import annotations

import sys

__all__ = ["ABORTED", "interrupted", "run"]

ABORTED = 130
"""The exit code of an interrupted command (128 + SIGINT, the shells' convention)."""


def interrupted(exc: BaseException) -> bool:
    """True when ``exc`` is, or was raised while handling, a Ctrl-C: a C extension interrupted while it
    initialises raises its own error (OR-Tools: ``ImportError: initialization failed``) with the
    ``KeyboardInterrupt`` as its context."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        if isinstance(e, KeyboardInterrupt):
            return True
        seen.add(id(e))
        e = e.__cause__ or e.__context__
    return False


def run() -> None:
    """Run ``tradeplane.cli.main`` on ``sys.argv`` and exit with its code: 0, 1 (a ``--strict`` verdict),
    2 (a user error, one line on stderr) or ``ABORTED`` (130, after ``aborted`` on stderr)."""
    try:
        from tradeplane.cli import main

        code = main()
    except BaseException as exc:  # while importing the CLI (main catches its own)
        if not interrupted(exc):
            raise
        sys.stderr.write("aborted\n")
        sys.stderr.flush()
        code = ABORTED
    sys.exit(code)
