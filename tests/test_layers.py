"""Imports run one way: CLI -> Scenarios -> Viz -> Market -> LP -> IO (docs/architecture.md).

Every module of the package is parsed (not imported), so imports inside
functions count too.  A lower layer importing a higher one, or any circle
of imports between modules, fails.
"""

import ast
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parents[1] / "netprice"

LAYERS = {
    "cli": 6,
    "sweep": 5, "contingency": 5, "scenarios": 5, "scenario_tables": 5, "distributed": 5,
    "store": 5, "progress": 5, "studies": 5, "reproduce": 5, "market_power": 5,
    "period_runs": 5, "day": 5,
    "maps": 4, "map_canvas": 4, "map_view": 4, "outage_maps": 4, "plots": 4, "report": 4, "tables": 4, "offline": 4,
    "compare": 4, "market_plots": 4, "screen_maps": 4, "period_maps": 4, "day_plots": 4,
    "market": 3, "result": 3, "diagnose": 3, "annotate": 3, "welfare": 3, "horizon": 3,
    "period_result": 3,
    "lp": 2,
    "io": 1, "schema": 1, "validate": 1, "graph": 1, "geo": 1, "synth": 1, "errors": 1,
    "datasets": 1, "curves": 1, "periods": 1, "diurnal": 1,
}
#: The package's front door re-exports the public names of every layer.
EXEMPT = {"netprice", "netprice.__main__"}


def _module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path, name):
    """Modules of the package that ``path`` imports, anywhere in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("netprice"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("netprice"):
                continue
            found.add(target)
            for alias in node.names:   # "from . import verify" names a module
                candidate = f"{target}.{alias.name}"
                if (PACKAGE.parent / candidate.replace(".", "/")).with_suffix(".py").exists():
                    found.add(candidate)
    return found


def _graph():
    G = nx.DiGraph()
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    for name, path in modules.items():
        G.add_node(name)
        for target in _imports(path, name):
            while target not in modules and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in modules and target != name:
                G.add_edge(name, target)
    return G


def _layer(name):
    parts = name.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else None


def test_every_module_has_a_layer():
    missing = [n for n in _graph() if n not in EXEMPT and _layer(n) is None]
    assert not missing, f"give these modules a layer in LAYERS: {missing}"


def test_no_import_runs_up_a_layer():
    G = _graph()
    upward = [(a, b) for a, b in G.edges
              if a not in EXEMPT and b not in EXEMPT and _layer(b) > _layer(a)]
    assert not upward, upward


def test_no_import_circles():
    G = _graph().subgraph(n for n in _graph() if n not in EXEMPT)
    cycles = list(nx.simple_cycles(G))
    assert not cycles, cycles[:5]
