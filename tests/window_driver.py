"""Driving the real desktop window from a test child (app_window_child.py, app_close_child.py)."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait(window, expression: str, timeout: float, what: str):
    """Until the page's `expression` is truthy; its value. TimeoutError names `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = window.evaluate_js(expression)
        if value:
            return value
        time.sleep(0.25)
    raise TimeoutError(f"{what} did not happen within {timeout:.0f} s")


def until_painted(take: Callable[[], None], painted: Callable[[], bool], within_s: float = 15) -> None:
    """`take` a screenshot, again every half second until `painted()` holds or `within_s` has
    passed: on a loaded machine the compositor can be seconds behind the page, so an all but
    empty first picture is taken again. The caller still asserts what it needs (a window that
    never paints fails)."""
    deadline = time.monotonic() + within_s
    while True:
        take()
        if painted() or time.monotonic() > deadline:
            return
        time.sleep(0.5)
