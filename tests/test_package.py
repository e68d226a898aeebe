"""The package as a whole: public names, the two entry points, import without PortAudio, light
imports, and an import graph without cycles."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import unravel_lang


def test_every_public_name_resolves():
    missing = [name for name in unravel_lang.__all__ if not hasattr(unravel_lang, name)]
    assert missing == []


def test_python_dash_m_is_the_unravel_command():
    out = subprocess.run(
        [sys.executable, "-m", "unravel_lang", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0
    for command in ("info", "encode", "decode", "generate", "run", "check"):
        assert command in out.stdout


def test_import_works_without_portaudio():
    # sounddevice raises OSError at import when libportaudio is missing; simulate exactly that
    code = (
        "import builtins\n"
        "real = builtins.__import__\n"
        "def fake(name, *a, **k):\n"
        "    if name == 'sounddevice':\n"
        "        raise OSError('PortAudio library not found')\n"
        "    return real(name, *a, **k)\n"
        "builtins.__import__ = fake\n"
        "import unravel_lang\n"
        "from unravel_lang.player import playback_status\n"
        "ok, reason = playback_status()\n"
        "print(ok, reason)\n"
        "print(unravel_lang.fibo(unravel_lang.normal(unravel_lang.Stats.prior(4), k=8)).shape)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    first, shape = out.stdout.strip().splitlines()
    assert first.startswith("False") and "PortAudio" in first
    assert shape == "(19, 4)"


HEAVY = ("torch", "matplotlib", "sounddevice", "lark")


def modules_loaded_by(code: str, cwd) -> set[str]:
    """The heavy modules that running `code` in a fresh interpreter imports."""
    probe = f"{code}\nimport sys\nprint('loaded:', *(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=cwd)
    assert out.returncode == 0, out.stderr
    last = out.stdout.splitlines()[-1]
    assert last.startswith("loaded:")
    return set(last.split()[1:])


def test_import_loads_no_heavy_library(tmp_path):
    assert modules_loaded_by("import unravel_lang", tmp_path) == set()


def test_help_loads_no_heavy_library(tmp_path):
    code = ("from unravel_lang.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n")
    assert modules_loaded_by(code, tmp_path) == set()


def test_check_of_a_score_without_a_model_loads_no_torch(tmp_path):
    """A score that reads and shapes latent arrays but plays nothing needs no model: its
    seconds come from the embedded model's geometry, known without torch."""
    import numpy as np

    np.save(tmp_path / "a.npy", np.zeros((11, 8), np.float32))
    (tmp_path / "s.unr").write_text('a = load("a.npy")\nb = fibo(a) >> reverse(a)\n')
    code = "from unravel_lang.cli import main\nassert main(['check', 's.unr']) == 0"
    loaded = modules_loaded_by(code, tmp_path)
    assert "torch" not in loaded and "matplotlib" not in loaded


def test_the_embedded_model_reports_the_geometry_known_without_it():
    from unravel_lang.models import DEFAULT_DIMS, DEFAULT_RATIO, DEFAULT_SR

    model = unravel_lang.load_model()
    assert (model.sr, model.ratio, model.dims) == (DEFAULT_SR, DEFAULT_RATIO, DEFAULT_DIMS)


PACKAGE = Path(unravel_lang.__file__).resolve().parent


def read_imports(root: Path) -> tuple[set[str], list[tuple[str, int, list[str], bool]]]:
    """The package's module names, and every import statement read from the source with `ast`
    (module level, inside functions, under TYPE_CHECKING) as (module, line, the names it
    imports resolved to modules where they are package modules, whether it is inside a
    function)."""
    paths = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        paths[".".join(parts)] = path
    found = []
    for name, path in paths.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        inner = {id(node) for fn in ast.walk(tree)
                 if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
                 for node in ast.walk(fn) if isinstance(node, (ast.Import, ast.ImportFrom))}
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in paths else base
                           for a in node.names]
            else:
                continue
            found.append((name, node.lineno, targets, id(node) in inner))
    return set(paths), found


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module name → the package modules it imports (`read_imports`: every import statement
    counts), and the subpackages an import runs on the way (`engine.limiter` runs
    `engine/__init__`)."""
    modules, imports = read_imports(root)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, _, targets, _ in imports:
        for target in targets:
            if target not in modules or target == name:
                continue
            graph[name].add(target)
            # importing a.b.c runs the packages a.b first: an edge to each, except the
            # root and the importer's own packages (already running when it is imported)
            parts = target.split(".")
            for depth in range(2, len(parts)):
                package_name = ".".join(parts[:depth])
                if not (name + ".").startswith(package_name + "."):
                    graph[name].add(package_name)
    return graph


def cycles_of(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, directly or around a loop (the strongly
    connected components of more than one module), each sorted; found without recursion."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
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


def test_the_cycle_finder_names_a_loop_through_three_modules():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"d"}}
    assert cycles_of(graph) == [["a", "b", "c"]]
    assert cycles_of({"a": {"b"}, "b": set()}) == []


def test_the_package_has_no_import_cycle():
    graph = import_graph(PACKAGE)
    assert "unravel_lang.lang.session" in graph["unravel_lang.lang"]  # the graph is read
    assert "unravel_lang.lang.statements" in graph["unravel_lang.lang.session"]
    cycles = [" ↔ ".join(group) for group in cycles_of(graph)]
    assert cycles == [], "import cycles: " + "; ".join(cycles)


def test_the_language_reaches_the_engine_only_to_bounce_an_export():
    """The language plays through a `Performer`; it imports no front end (REPL, live, the
    command line), and of the engine only `engine.score`, whose `bounce` renders `export x
    "a.wav"` as the engine plays it."""
    graph = import_graph(PACKAGE)
    outward = {}
    for name, targets in graph.items():
        if name == "unravel_lang.lang" or name.startswith("unravel_lang.lang."):
            for target in targets:
                top = target.split(".")[1] if target.count(".") else ""
                if top in ("repl", "live", "commands", "cli") or (
                        top == "engine" and target not in ("unravel_lang.engine.score",
                                                           "unravel_lang.engine")):
                    outward.setdefault(name, []).append(target)
    assert outward == {}
    assert "unravel_lang.engine.score" in graph["unravel_lang.lang.statements"]  # read


HEAVY_LIBRARIES = {"numpy", "torch", "matplotlib", "lark", "prompt_toolkit", "soundfile",
                   "sounddevice", "soxr", "pythonosc", "websockets", "aalink", "dask",
                   "distributed", "IPython", "scipy"}


def split_imports(root: Path) -> tuple[dict[str, set[str]], list[tuple[str, int, str]]]:
    """(module → what its module-level imports name, package modules and libraries alike;
    the function-local imports of package modules as (module, line, target))."""
    modules, imports = read_imports(root)
    top: dict[str, set[str]] = {name: set() for name in modules}
    local = []
    for name, line, targets, inside in imports:
        if inside:
            local += [(name, line, t) for t in targets if t in modules]
        else:
            top[name] |= set(targets)
    return top, local


def test_an_import_inside_a_function_keeps_a_heavy_library_out():
    """An import of a package module is written inside a function only when the module
    brings a heavy library (numpy, torch, lark, …) that its importer does not load, or when
    the importer loads at start (with `import unravel_lang` or `unravel --help`: what a
    subcommand or a render needs waits for it), or it is the language's one reach into the
    engine (`export` bouncing through `engine.score`)."""
    top, local = split_imports(PACKAGE)
    startup = set()
    commands = [m for m in top if m.startswith("unravel_lang.commands")]
    todo = ["unravel_lang", "unravel_lang.cli", *commands]
    while todo:
        module = todo.pop()
        if module in top and module not in startup:
            startup.add(module)
            todo += [t for t in top[module] if t.startswith("unravel_lang")]
    assert {"unravel_lang.render", "unravel_lang.commands.run"} <= startup

    def heavy(name: str) -> set[str]:
        seen, todo, found = set(), [name], set()
        while todo:
            module = todo.pop()
            for target in top.get(module, ()):
                if target.split(".")[0] in HEAVY_LIBRARIES:
                    found.add(target.split(".")[0])
                elif target in top and target not in seen:
                    seen.add(target)
                    todo.append(target)
        return found

    needless = sorted({f"{module}:{line} imports {target}" for module, line, target in local
                       if not heavy(target) - heavy(module)
                       and module not in startup
                       and (module, target) != ("unravel_lang.lang.statements",
                                                "unravel_lang.engine.score")})
    assert len(local) > 50  # the imports are read
    assert needless == []
