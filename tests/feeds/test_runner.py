"""The services' event loop: uvloop where it is installed (a dependency off Windows), asyncio's otherwise."""

import asyncio
import builtins
import sys

import pytest

from tradeplane.feeds.runner import run_loop


async def _loop_and(value: int) -> tuple[str, int]:
    return type(asyncio.get_running_loop()).__module__, value


@pytest.mark.skipif(sys.platform == "win32", reason="uvloop does not build on Windows")
def test_the_services_run_on_uvloop():
    module, value = run_loop(_loop_and(7))
    assert module.startswith("uvloop") and value == 7


def test_without_uvloop_they_run_on_asyncios_own_loop(monkeypatch):
    real = builtins.__import__

    def no_uvloop(name, *args, **kwargs):
        if name == "uvloop":
            raise ImportError("no uvloop here")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_uvloop)
    module, value = run_loop(_loop_and(3))
    assert module.startswith("asyncio") and value == 3
