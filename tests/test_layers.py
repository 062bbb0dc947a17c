"""The layering of docs/layers.md, read from the source (AST, nothing imported or run): no import
loop between modules, imports inside functions included, and no arrow against the layers."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("backend", "bridge", "App")

# Bottom to top: a module imports only from its own part or from a lower rank (docs/layers.md).
RANKS = [
    {"backend.errors"},
    {"backend", "backend.text_rules", "backend.paths", "backend.encoding", "backend.scratch"},
    {"backend.model", "backend.presets"},
    {"backend.media"},
    {"backend.db"},
    {"backend.archive", "backend.about", "backend.doctor"},
    {"backend.ops"},
    {"backend.jobs"},
    {"backend.batch"},
    {"bridge"},
    {"App"},
    {"backend.cli"},
]
RANK = {part: n for n, parts in enumerate(RANKS) for part in parts}

# The "never" rules, each as (importer, imported, why), by part.
NEVER = [
    ("backend.media", "backend.db", "backend/media touches no database"),
    ("backend.db", "backend.media", "backend/db runs no ffmpeg and imports no backend/media"),
    ("backend.ops", "backend.jobs", "backend/ops never imports backend/jobs"),
    *((part, top, "only the CLI, the top layer, reaches into bridge/ and App/")
      for part in sorted(RANK) if part.startswith("backend") and part != "backend.cli"
      for top in ("bridge", "App")),
    ("bridge", "backend.cli", "bridge/ is below the CLI"),
    ("App", "backend.cli", "App/ is below the CLI"),
]


def modules(root: Path = ROOT) -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (root / package).rglob("*.py"):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _known(name: str, known) -> str | None:
    """The module that `name` (a module, or a name inside one) is, or is inside."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def imports(name: str, path: Path, known) -> set[str]:
    """The project's modules that `name` imports anywhere in its file (in functions too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([node.module] if node.module else []))
            # `from P import m` imports module P.m when there is one, else a name of P
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        found |= {m for m in map(lambda t: _known(t, known), targets) if m and m != name}
    return found


def part_of(module: str) -> str:
    """Its layer's part: `backend.X` for a package or root module X of backend, else the
    top-level package."""
    head, _, rest = module.partition(".")
    if head != "backend" or not rest:
        return head
    return f"backend.{rest.split('.')[0]}"


def graph(root: Path = ROOT) -> dict[str, set[str]]:
    known = modules(root)
    return {name: imports(name, path, known) for name, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm, iterative)."""
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], [0]
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def wrong_way(edges: dict[str, set[str]]) -> list[str]:
    problems = []
    for source, targets in sorted(edges.items()):
        for target in sorted(targets):
            a, b = part_of(source), part_of(target)
            if a == b:
                continue
            if a not in RANK or b not in RANK:
                problems.append(f"{source} -> {target}: {a if a not in RANK else b} has no layer "
                                "in docs/layers.md")
            elif RANK[b] >= RANK[a]:
                problems.append(f"{source} -> {target}: {a} is not above {b}")
            for importer, imported, why in NEVER:
                if (a, b) == (importer, imported):
                    problems.append(f"{source} -> {target}: {why}")
    return problems


@pytest.fixture(scope="module")
def edges():
    return graph()


def test_no_module_imports_itself_back(edges):
    assert cycles(edges) == []


def test_every_import_goes_down_the_layers(edges):
    assert wrong_way(edges) == []


def test_the_checks_see_a_loop_inside_a_function_and_an_arrow_upwards(tmp_path):
    """The reader itself: an import in a function body counts, relative imports resolve, and a
    loop or an upward arrow is reported."""
    files = {
        "backend/__init__.py": "",
        "backend/db/__init__.py": "",
        "backend/db/a.py": "def f():\n    from backend.db import b\n",
        "backend/db/b.py": "from . import a\n",
        "backend/media/__init__.py": "",
        "backend/media/c.py": "import backend.db.a as x\n",
        "bridge/__init__.py": "",
        "App/__init__.py": "",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    found = graph(tmp_path)
    assert found["backend.db.a"] == {"backend.db.b"} and found["backend.db.b"] == {"backend.db.a"}
    assert cycles(found) == [["backend.db.a", "backend.db.b"]]
    assert wrong_way(found) == ["backend.media.c -> backend.db.a: backend.media is not above backend.db",
                                "backend.media.c -> backend.db.a: backend/media touches no database"]
