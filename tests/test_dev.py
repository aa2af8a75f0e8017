"""``./dev``'s venv stamp names the interpreter by what it is, not by the path that reached it.

Trial of 2026-12-01: the stamp hashed ``readlink -f $(command -v python3)``, which is pyenv's shim
from a shell and ``.../3.11.7/bin/python3.11`` from inside Python, so alternating re-synced the venv
(61 s) every time. ``./dev stamp`` prints the stamp without installing or syncing anything.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REAL = os.path.realpath(sys.executable)


def stamp(bin_dir: Path) -> str:
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run([str(ROOT / "dev"), "stamp"], env=env, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.skipif(shutil.which("sha256sum") is None or shutil.which("bash") is None, reason="needs bash, sha256sum")
def test_the_stamp_is_the_same_through_a_shim_and_through_the_real_executable(tmp_path: Path) -> None:
    real, shim, other = tmp_path / "real", tmp_path / "shim", tmp_path / "other"
    for d in (real, shim, other):
        d.mkdir()
    (real / "python3").symlink_to(REAL)  # what `python3` is inside Python under pyenv: the version's own bin
    (shim / "python3").write_text(f'#!/bin/sh\nexec "{REAL}" "$@"\n')  # what it is from a shell: pyenv's shim
    (shim / "python3").chmod(0o755)
    first = stamp(shim)
    assert len(first) == 64 and first == stamp(real) == stamp(shim)
    # another interpreter is another stamp: one that says it is another version
    (other / "python3").write_text(f'#!/bin/sh\nexec "{REAL}" -c "print(\'3.99.0 (other)\')"\n')
    (other / "python3").chmod(0o755)
    assert stamp(other) != first
