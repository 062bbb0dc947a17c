"""The method list of docs/bridge.md, made from `rpc.discover` (the same Structs that check
every call), so the document cannot drift from the code: `python -m bridge.docgen` rewrites the
block between the markers; tests/test_bridge_docs.py fails when it is out of date."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "bridge.md"
START = "<!-- methods: generated from rpc.discover by `python -m bridge.docgen`; do not edit -->"
END = "<!-- end of methods -->"


def _param(p: dict) -> str:
    return p["name"] + ("" if p["required"] else "?")


def methods_table(document: dict) -> str:
    """One row per method: its name, its params (`?` when optional) and its summary."""
    rows = ["| method | params | what it does |", "| --- | --- | --- |"]
    for method in document["methods"]:
        params = ", ".join(_param(p) for p in method["params"])
        summary = " ".join(method["summary"].split()).replace("|", "\\|")
        rows.append(f"| `{method['name']}` | {'`{' + params + '}`' if params else ''} | {summary} |")
    return "\n".join(rows)


def discover() -> dict:
    from bridge.app import dispatcher
    from bridge.context import Bridge

    with tempfile.TemporaryDirectory(prefix="video-archive-docgen-") as folder:
        bridge = Bridge(Path(folder) / "state.db")
        try:
            return dispatcher(bridge).discover()
        finally:
            bridge.close()


def block(document: dict) -> str:
    return f"{START}\n{methods_table(document)}\n{END}"


def current(text: str) -> str:
    start, end = text.index(START), text.index(END) + len(END)
    return text[start:end]


def main() -> int:
    text = DOC.read_text(encoding="utf-8")
    DOC.write_text(text.replace(current(text), block(discover())), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
