"""Driving the real desktop window from a test child (app_window_child.py, app_close_child.py)."""

from __future__ import annotations

import time


def wait(window, expression: str, timeout: float, what: str):
    """Until the page's `expression` is truthy; its value. TimeoutError names `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = window.evaluate_js(expression)
        if value:
            return value
        time.sleep(0.25)
    raise TimeoutError(f"{what} did not happen within {timeout:.0f} s")
