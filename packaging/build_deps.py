"""Print the requirements the build venv installs: pyproject's dependencies plus its `app` extra
(the project itself is analysed from the source tree, never installed), then the pinned build
tools. One requirement a line, for `pip install -r /dev/stdin`."""

import sys
import tomllib
from pathlib import Path

root = Path(__file__).resolve().parent.parent
project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
lines = [*project["dependencies"], *project["optional-dependencies"]["app"]]
lines += [line for line in (root / "packaging" / "requirements-build.txt").read_text().splitlines()
          if line.strip() and not line.startswith("#")]
sys.stdout.write("\n".join(lines) + "\n")
