#!/usr/bin/env python
"""Clearing at scale: netprice and PyPSA over Internet Topology Zoo networks.

For each network (Abilene, 11 nodes, up to Kdl, 754 nodes) and each case

* ``1``: one workload without a latency limit -- the transport market,
  which netprice solves as an arc-flow model and PyPSA as a linear optimal
  power flow (:func:`netprice.compare.to_pypsa`);
* ``4``: the four synthesised workloads of :func:`netprice.read_graphml`,
  two of them with latency limits (route or latency-layered formulation),

it prints the LP size and, as medians of ``--runs`` measurements, the time
of every phase of :func:`netprice.clear_market` (validate; compile, routes
and layers; build; solve, of which the solver's own time; prices and
verify; result tables), the end-to-end time, the Python-side overhead
(end to end minus solver time) and the peak memory; then, on case 1, PyPSA
end to end (``to_pypsa`` + ``n.optimize(solver_name="highs")``), the bare
HiGHS solve of PyPSA's own LP, and the ratio PyPSA / netprice; finally the
slope of log time against log LP size (nonzeros).

Every measurement runs in a fresh subprocess (which isolates runs and gives
the peak resident memory, ``ru_maxrss``).  Each subprocess imports what it
needs, loads the pickled network and clears a tiny warm-up market first,
so neither import time nor first-call costs are counted -- for netprice and
PyPSA alike.  A netprice clear that takes under 0.2 s is repeated in its
subprocess (up to 25 times or 0.5 s) and the median of those repeats is the
measurement: a single sample of a few milliseconds on a shared machine is
mostly scheduler noise.  Reading the GraphML file is not timed (it happens
once, in the parent).

Usage::

    python benchmarks/run.py                  # the full table, 3 runs each
    python benchmarks/run.py --runs 5 --networks Abilene,Cogentco,Kdl
    python benchmarks/run.py --quick          # CI smoke run: Abilene, 1 run
    python benchmarks/run.py --markdown --json out/bench.json
    python benchmarks/run.py --against ../baseline   # and the same measurements of another checkout

With ``--against PATH`` every netprice measurement is also taken with the
checkout at PATH (``PYTHONPATH=PATH``; this checkout's with
``PYTHONPATH`` set to the repository this script lives in), interleaved
with this checkout's and alternating which goes first, so that the load
of the shared machine weighs on both alike; a second table gives the
ratio new/old of the medians per network and case.  Both clear the same
network, read once by this checkout.

The networks are read from ``tests/data/zoo`` (the default ones are
copied there), else from the whole corpus (``$NETPRICE_ZOO`` or
``../shared/data/topology-zoo``); ``--zoo`` names a folder to look in first.

The machine is shared: the 1-minute load average is printed with every
table (and stored per measurement in ``--json``); read timings with it.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from checkouts import check_imported, checkout, git_head
from zoo import zoo_file

#: The environment as the script found it: some libraries set variables on
#: import (pyarrow's allocator settings, for one), and workers must not inherit them.
CLEAN_ENV = dict(os.environ)
ROOT = Path(__file__).resolve().parents[1]
#: From Abilene (11 nodes) to Kdl (754 nodes), roughly doubling in size.
DEFAULT_NETWORKS = ("Abilene", "Geant2012", "Tw", "Ion", "Cogentco", "Kdl")
#: The single workload of case 1: batch summarisation, no latency limit.
SINGLE_WORKLOAD = "batch"
#: Settings of each case: "1" one workload without a latency limit (netprice's
#: defaults); "4" the four synthesised workloads with netprice's defaults (the
#: exact formulation: column generation, certified); "4L" the same market with
#: the latency-layered approximation at its default quantum (0.1 ms on Kdl,
#: 105k columns), the default before exact prices.
CASES = {
    "1": {"solver": "glop"},
    "4": {"solver": "glop"},
    "4L": {"formulation": "layered", "solver": "glop"},
}
CASE1, CASE4 = CASES["1"], CASES["4"]
RESULT_TAG = "BENCH-RESULT "
#: A clear faster than this is repeated in its process (up to MAX_REPEATS
#: times or REPEAT_BUDGET_SECONDS) and the median taken.
REPEAT_BELOW_SECONDS = 0.2
REPEAT_BUDGET_SECONDS = 0.5
MAX_REPEATS = 25


# -- worker side: one measurement in a fresh process ----------------------------------

def _peak_mib():
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0


def _tiny_network(workloads):
    """A 3-node market for the warm-up clear (same workload specs as the real one)."""
    import netprice as npx

    G = npx.empty_network({w: dict(spec) for w, spec in workloads.items()})
    demand = {w: 1e4 for w in workloads}
    npx.add_site(G, "a", -100.0, 40.0, capacity=1e6, cost=1.0, demand=demand)
    npx.add_site(G, "b", -99.9, 40.0, demand=demand)
    npx.add_site(G, "c", -99.8, 40.0, capacity=1e6, cost=2.0, demand=demand)
    npx.add_link(G, "a", "b", bandwidth_gbps=100.0, cost_per_gb=0.001)
    npx.add_link(G, "b", "c", bandwidth_gbps=100.0, cost_per_gb=0.001)
    return G


def _worker_netprice(G, settings, quick=False):
    """Clear ``G`` once, timing each phase of ``clear_market`` by wrapping its steps."""
    import importlib

    import netprice as npx
    from netprice import MarketResult

    # The module clear_market calls its steps in, wherever a checkout keeps it
    # (--against may measure code where it has moved).
    market = importlib.import_module(npx.clear_market.__module__)

    # Import what clear_market imports lazily, then warm up on a tiny market.
    if settings["solver"].startswith("highs"):
        import highspy  # noqa: F401
    else:
        from ortools.linear_solver.python import model_builder_helper  # noqa: F401
    if not quick:
        tiny = npx.clear_market(_tiny_network(G.graph["workloads"]), "transfer", **settings)
        tiny.prices, tiny.nodes, tiny.links
    baseline = _peak_mib()

    phases = {}

    def timed(phase, fn):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                phases[phase] = phases.get(phase, 0.0) + time.perf_counter() - start
        return wrapper

    # Routes or layers: the step that makes them, whichever this checkout
    # of netprice has (formulate, prepare_routes, or its two parts).
    steps = next(([name] for name in ("formulate", "prepare_routes") if hasattr(market, name)),
                 ["enumerate_routes", "layer_graph"])
    missing = []
    for name, phase in (("_validate", "validate"), ("compile_market", "compile"),
                        *((step, "compile") for step in steps),
                        ("build_lp", "build"), ("unroutable_demand", "build"),
                        ("solve_lp", "solve"), ("generate", "solve"),
                        ("compute_prices", "prices")):
        if hasattr(market, name):
            setattr(market, name, timed(phase, getattr(market, name)))
        else:
            # Its time falls into "prices" (the rest of clear_market); end to end is unaffected.
            missing.append(name)
    MarketResult.verify = timed("prices", MarketResult.verify)

    def once():
        phases.clear()
        start = time.perf_counter()
        res = npx.clear_market(G, "transfer", **settings)
        cleared = time.perf_counter()
        res.prices, res.nodes, res.links
        done = time.perf_counter()
        took = dict(phases, tables=done - cleared)
        # What clear_market does between its steps (stats, MarketResult) counts with prices.
        took["prices"] = took.get("prices", 0.0) + (cleared - start) - sum(
            v for k, v in phases.items())
        return res, {"e2e": done - start, "solver": res.stats["solve_seconds"], **took}

    load = os.getloadavg()[0]
    res, first = once()
    samples = [first]
    # Sub-second clears are timed several times in this process (median):
    # one sample of a few milliseconds on a shared machine is mostly noise.
    while not quick and first["e2e"] < REPEAT_BELOW_SECONDS and len(samples) < MAX_REPEATS and (
            sum(t["e2e"] for t in samples) < REPEAT_BUDGET_SECONDS):
        samples.append(once()[1])
    med = {key: statistics.median(t[key] for t in samples) for key in samples[0]}
    stats = res.stats
    return {
        "e2e": med["e2e"],
        "solver": med["solver"],
        "overhead_share": statistics.median((t["e2e"] - t["solver"]) / t["e2e"] for t in samples),
        "phases": {k: v for k, v in med.items() if k not in ("e2e", "solver")},
        "repeats": len(samples),
        "rows": stats["rows"], "columns": stats["columns"], "nonzeros": stats["nonzeros"],
        "formulation": stats["formulation"], "quantum_ms": stats["quantum_ms"],
        "layers": stats["layers"], "routes": stats["routes"],
        "objective": res.objective,
        "exact": stats.get("exact"), "gap_bound": stats.get("gap_bound"),
        "passes": stats.get("pricing_passes"), "generated": stats.get("columns_generated"),
        "peak_mib": _peak_mib(), "baseline_mib": baseline, "load": load,
        "missing_steps": missing, "netprice_file": npx.__file__,
    }


def _worker_pypsa(G, quick=False):
    """``to_pypsa`` + ``n.optimize(solver_name="highs")`` end to end, then the bare HiGHS solve."""
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    import highspy  # noqa: F401
    import pypsa  # noqa: F401

    from netprice.compare.pypsa import to_pypsa

    quiet = {"output_flag": False}
    if not quick:
        tiny = to_pypsa(_tiny_network(G.graph["workloads"]), "transfer")
        tiny.optimize(solver_name="highs", solver_options=quiet)
    baseline = _peak_mib()

    load = os.getloadavg()[0]
    start = time.perf_counter()
    n = to_pypsa(G, "transfer")
    built = time.perf_counter()
    status, condition = n.optimize(solver_name="highs", solver_options=quiet)
    done = time.perf_counter()
    if status != "ok":
        raise RuntimeError(f"PyPSA: {status} {condition}")
    # The bare solve: PyPSA's own linopy model, handed to a fresh HiGHS.
    h = n.model.to_highspy()
    h.setOptionValue("output_flag", False)
    bare = time.perf_counter()
    h.run()
    bare = time.perf_counter() - bare
    return {
        "e2e": done - start,
        "convert": built - start,
        "optimize": done - built,
        "bare": bare,
        "objective": float(n.objective),
        "peak_mib": _peak_mib(), "baseline_mib": baseline, "load": load,
    }


def worker_main(args):
    with open(args.graph, "rb") as f:
        G = pickle.load(f)
    if args.worker == "netprice":
        out = _worker_netprice(G, json.loads(args.settings), quick=args.quick)
    else:
        out = _worker_pypsa(G, quick=args.quick)
    sys.stdout.write("\n" + RESULT_TAG + json.dumps(out) + "\n")
    sys.stdout.flush()


# -- parent side --------------------------------------------------------------------

def _read_network(zoo, name, case):
    from netprice.io.graphml import read_graphml
    from netprice.synth import DEFAULT_WORKLOADS

    path = zoo_file(name, zoo)
    workloads = {SINGLE_WORKLOAD: DEFAULT_WORKLOADS[SINGLE_WORKLOAD]} if case == "1" else None
    return read_graphml(path, seed=0, workloads=workloads)


def _spawn(kind, graph_file, settings=None, timeout=None, quick=False, repo=None):
    """One measurement in a fresh process; with ``repo``, of the netprice checked out there."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, "--graph",
           str(graph_file)]
    if quick:
        cmd.append("--quick")
    if settings is not None:
        cmd += ["--settings", json.dumps(settings)]
    env = {**CLEAN_ENV, "PYTHONWARNINGS": "ignore"}
    if repo is not None:
        env["PYTHONPATH"] = str(repo)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_TAG):
            out = json.loads(line[len(RESULT_TAG):])
            if repo is not None:
                check_imported(repo, out["netprice_file"])
            return out
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
    raise RuntimeError(f"{kind} worker failed (exit {proc.returncode}): " + " | ".join(tail))


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def measure(args):
    rows = []
    runs = max(1, args.runs)
    with tempfile.TemporaryDirectory(prefix="netprice-bench-") as tmp:
        for name in args.networks:
            for case in args.cases:
                G = _read_network(args.zoo, name, case)
                graph_file = Path(tmp) / f"{name}-{case}.pickle"
                with open(graph_file, "wb") as f:
                    pickle.dump(G, f, protocol=pickle.HIGHEST_PROTOCOL)
                settings = dict(CASES[case])
                settings.update({"1": args.case1, "4": args.case4, "4L": args.case4l}[case])
                row = {"network": name, "nodes": G.number_of_nodes(), "arcs": G.number_of_edges(),
                       "case": case, "settings": settings, "netprice": [], "pypsa": [],
                       "against": []}
                sides = [("netprice", ROOT if args.against else None)]
                if args.against:
                    sides.append(("against", args.against))
                for i in range(runs):
                    # Interleaved, and alternating which goes first: a change of load
                    # on the shared machine weighs on both checkouts alike.
                    for side, repo in (sides if i % 2 == 0 else sides[::-1]):
                        row[side].append(_spawn("netprice", graph_file, settings,
                                                timeout=args.timeout, quick=args.quick,
                                                repo=repo))
                if case == "1" and args.pypsa:
                    for _ in range(runs):
                        row["pypsa"].append(_spawn("pypsa", graph_file, timeout=args.timeout,
                                                   quick=args.quick))
                rows.append(summarise(row))
                if args.progress:
                    old = (f", against {rows[-1]['against_e2e']:.3f} s" if args.against
                           else "")
                    print(f"  measured {name} case {case}: netprice "
                          f"{rows[-1]['e2e']:.3f} s{old}", file=sys.stderr, flush=True)
    return rows


def summarise(row):
    runs = row["netprice"]
    first = runs[0]
    med = {key: _median([r[key] for r in runs]) for key in ("e2e", "solver", "peak_mib",
                                                           "baseline_mib", "load")}
    phases = {p: _median([r["phases"].get(p, 0.0) for r in runs])
              for p in ("validate", "compile", "build", "solve", "prices", "tables")}
    overheads = [r["e2e"] - r["solver"] for r in runs]
    shares = [r["overhead_share"] for r in runs]
    row.update({
        "rows": first["rows"], "columns": first["columns"], "nonzeros": first["nonzeros"],
        "formulation": first["formulation"], "quantum_ms": first["quantum_ms"],
        "objective": first["objective"], **med, "phases": phases,
        "exact": first.get("exact"), "gap_bound": first.get("gap_bound"),
        "passes": first.get("passes"), "generated": first.get("generated"),
        "overhead": _median(overheads), "overhead_share": _median(shares),
    })
    if row["pypsa"]:
        p = row["pypsa"]
        row["pypsa_e2e"] = _median([r["e2e"] for r in p])
        row["pypsa_convert"] = _median([r["convert"] for r in p])
        row["pypsa_bare"] = _median([r["bare"] for r in p])
        row["pypsa_peak_mib"] = _median([r["peak_mib"] for r in p])
        # Ratios measured in one run (the same process pair), then their median.
        row["ratio"] = _median([a["e2e"] / b["e2e"] for a, b in zip(p, runs)])
        row["objective_gap"] = abs(p[0]["objective"] - first["objective"]) / max(
            1.0, abs(first["objective"]))
    if row["against"]:
        old = row["against"]
        row["against_e2e"] = _median([r["e2e"] for r in old])
        row["against_overhead"] = _median([r["e2e"] - r["solver"] for r in old])
        row["against_peak_mib"] = _median([r["peak_mib"] for r in old])
        row["against_same_objective"] = all(r["objective"] == first["objective"] for r in old)
    return row


def slopes(rows):
    """Least-squares slope of log(time) against log(nonzeros), per case and measure."""
    out = {}
    for case in sorted({r["case"] for r in rows}):
        sel = [r for r in rows if r["case"] == case]
        if len(sel) < 2:
            continue
        x = [math.log(r["nonzeros"]) for r in sel]
        for key in ("e2e", "solver", "overhead", "pypsa_e2e"):
            y = [r.get(key) for r in sel]
            if any(v is None or v <= 0 for v in y):
                continue
            y = [math.log(v) for v in y]
            mx, my = sum(x) / len(x), sum(y) / len(y)
            sxx = sum((a - mx) ** 2 for a in x)
            if sxx == 0:
                continue
            out[(case, key)] = sum((a - mx) * (b - my) for a, b in zip(x, y)) / sxx
    return out


COLUMNS = [
    ("network", "network"), ("N", "nodes"), ("E", "arcs"), ("case", "case"), ("form", "form"),
    ("answer", "answer"), ("passes", "passes"), ("generated", "generated"),
    ("rows", "rows"), ("cols", "columns"), ("nnz", "nonzeros"),
    ("validate", "validate"), ("compile", "compile"), ("build", "build"),
    ("solve", "solve"), ("(solver)", "solver"), ("prices+verify", "prices"),
    ("tables", "tables"), ("end to end", "e2e"), ("overhead", "overhead_share"),
    ("peak MiB", "peak_mib"), ("+clear MiB", "clear_mib"),
    ("PyPSA e2e", "pypsa_e2e"), ("PyPSA bare", "pypsa_bare"),
    ("PyPSA/netprice", "ratio"),
]


def sec(v):
    """Seconds as milliseconds, three significant digits (0.031, 2.16, 13.4, 8535)."""
    if v is None:
        return ""
    ms = 1e3 * v
    if ms >= 100:
        return f"{ms:,.0f}"
    return f"{ms:.3g}" if ms >= 0.001 else "0"


def _cells(row):
    form = row["formulation"]
    if row["case"] == "1":
        form = "arc-flow"        # no latency limit: arc flows whatever "auto" picks
    elif form == "layered" and row["quantum_ms"] is not None:
        form = f"layered {row['quantum_ms']:g}"
    ph = row["phases"]
    if row.get("exact") is None:
        answer = ""                      # a checkout from before exact prices
    elif row["exact"]:
        answer = "exact"
    else:
        answer = f"<= +{100 * row['gap_bound']:.2g} %"
    return {
        "network": row["network"], "nodes": str(row["nodes"]), "arcs": str(row["arcs"]),
        "case": row["case"], "form": form, "answer": answer,
        "passes": "" if row.get("passes") is None else str(row["passes"]),
        "generated": "" if row.get("generated") is None else f"{row['generated']:,}",
        "rows": f"{row['rows']:,}", "columns": f"{row['columns']:,}",
        "nonzeros": f"{row['nonzeros']:,}",
        "validate": sec(ph["validate"]), "compile": sec(ph["compile"]), "build": sec(ph["build"]),
        "solve": sec(ph["solve"]), "solver": sec(row["solver"]), "prices": sec(ph["prices"]),
        "tables": sec(ph["tables"]), "e2e": sec(row["e2e"]),
        "overhead_share": f"{100 * row['overhead_share']:.0f} %",
        "peak_mib": f"{row['peak_mib']:.0f}",
        "clear_mib": f"{row['peak_mib'] - row['baseline_mib']:.0f}",
        "pypsa_e2e": sec(row.get("pypsa_e2e")), "pypsa_bare": sec(row.get("pypsa_bare")),
        "ratio": f"{row['ratio']:.0f}x" if row.get("ratio") else "",
    }


def _print_table(title, headers, body, args, left):
    """Markdown, rich or plain text; the first ``left`` columns left-aligned, the rest right."""
    if args.markdown:
        print(title + "\n")
        print("| " + " | ".join(headers) + " |")
        print("|" + "|".join("---" if i < left else "--:" for i in range(len(headers))) + "|")
        for line in body:
            print("| " + " | ".join(line) + " |")
    elif not args.plain and _has_rich():
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title, title_justify="left")
        for i, h in enumerate(headers):
            table.add_column(h, justify="left" if i < left else "right")
        for line in body:
            table.add_row(*line)
        Console(width=max(240, len(" ".join(headers)) + 100)).print(table)
    else:
        print(title)
        widths = [max(len(h), *(len(line[i]) for line in body)) for i, h in enumerate(headers)]
        fmt = lambda cells: "  ".join(  # noqa: E731
            c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
        print(fmt(headers))
        print("  ".join("-" * w for w in widths))
        for line in body:
            print(fmt(line))
    print()


def render(rows, args, loads):
    headers = [h for h, _ in COLUMNS]
    body = [[_cells(r)[k] for _, k in COLUMNS] for r in rows]
    title = (f"netprice clearing at scale -- medians of {args.runs} run(s); times in ms; "
             f"load average {loads[0]:.2f} at start, {loads[1]:.2f} at end, "
             f"{os.cpu_count()} CPUs")
    _print_table(title, headers, body, args, left=6)
    print("case 1: one workload, no latency limit (transport market; arc flows), "
          f"settings { {**CASE1, **args.case1} }")
    print(f"case 4: the four synthesised workloads, two with latency limits, settings "
          f"{ {**CASE4, **args.case4} } (netprice's default: exact by column generation)")
    print(f"case 4L: the same market in the layered approximation, settings "
          f"{ {**CASES['4L'], **args.case4l} }")
    print("answer = exact (certified) or at most x % above the exact cost; passes = pricing "
          "passes of column generation, the last one the certificate; generated = columns "
          "it added to the seed")
    print("validate; compile = compile_market + routes or layers; build = build_lp + the "
          "no-route check; solve = solve_lp, of which (solver) is the solver's own run time;")
    print("prices+verify = compute_prices, verify and the rest of clear_market; tables = "
          "res.prices, res.nodes, res.links; end to end = clear_market + tables;")
    print("overhead = Python-side share of end to end = (end to end - solver) / end to end")
    print("peak MiB = peak resident memory of the measuring process (ru_maxrss); +clear MiB = "
          "its growth over the baseline after imports, loading and warm-up")
    print("PyPSA e2e = to_pypsa + n.optimize(solver_name='highs'); PyPSA bare = HiGHS run() "
          "on PyPSA's exported LP")
    gaps = [r["objective_gap"] for r in rows if "objective_gap" in r]
    if gaps:
        print(f"objective agreement netprice vs PyPSA: worst relative gap {max(gaps):.1e}")
    fit = slopes(rows)
    if fit:
        names = {"e2e": "netprice end to end", "solver": "netprice solver",
                 "overhead": "netprice overhead", "pypsa_e2e": "PyPSA end to end"}
        print("slope of log(time) against log(nonzeros) [time ~ nnz^slope]:")
        for (case, key), value in sorted(fit.items()):
            print(f"  case {case}: {names[key]:<22} {value:5.2f}")
    missing = sorted({name for r in rows for m in r["netprice"] + r["against"]
                      for name in m.get("missing_steps", ())})
    if missing:
        print(f"not found in the module of clear_market, so timed with prices+verify: "
              f"{', '.join(missing)}")
    if args.against:
        print()
        render_against(rows, args)


#: Slower than this, new/old is flagged: the refactor's target is within 5 %.
AGAINST_TOLERANCE = 1.05


def render_against(rows, args):
    """This checkout against ``--against``: medians of the interleaved runs, and new/old."""
    headers = ["network", "case", "e2e new", "e2e old", "e2e new/old", "overhead new",
               "overhead old", "overhead new/old", "peak MiB new", "peak MiB old",
               "same objective"]
    body = []
    for r in rows:
        ratio = r["e2e"] / r["against_e2e"]
        body.append([
            r["network"], r["case"], sec(r["e2e"]), sec(r["against_e2e"]),
            f"{ratio:.3f}" + (" !" if ratio > AGAINST_TOLERANCE else ""),
            sec(r["overhead"]), sec(r["against_overhead"]),
            f"{r['overhead'] / r['against_overhead']:.3f}",
            f"{r['peak_mib']:.0f}", f"{r['against_peak_mib']:.0f}",
            "yes" if r["against_same_objective"] else "NO"])
    title = (f"this checkout ({ROOT}, {git_head(ROOT)}) against {args.against} "
             f"({git_head(args.against)}) -- medians of {args.runs} interleaved run(s); "
             f"times in ms")
    _print_table(title, headers, body, args, left=2)
    worst = max(rows, key=lambda r: r["e2e"] / r["against_e2e"])
    print(f"new = this checkout, old = {args.against}; new/old = ratio of the medians; "
          f"'!' marks more than {100 * (AGAINST_TOLERANCE - 1):.0f} % slower; worst end to end: "
          f"{worst['e2e'] / worst['against_e2e']:.3f} ({worst['network']} case {worst['case']})")


def _has_rich():
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    return True


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=3, help="measurements per cell (median; >= 3)")
    p.add_argument("--networks", default=",".join(DEFAULT_NETWORKS),
                   help="comma-separated Topology Zoo names (default: %(default)s)")
    p.add_argument("--cases", default=None,
                   help="comma-separated: 1 (one workload, no latency limit), 4 (four "
                        "workloads, defaults: exact), 4L (four workloads, layered); "
                        "default 1,4,4L (1,4 with --quick)")
    p.add_argument("--zoo", help="folder of Topology Zoo GraphML files to look in first "
                                 "(default: tests/data/zoo, then $NETPRICE_ZOO or "
                                 "../shared/data/topology-zoo)")
    p.add_argument("--quick", action="store_true",
                   help="CI smoke run: Abilene only, 1 run, no warm-up: checks that "
                        "everything runs, not timings")
    p.add_argument("--no-pypsa", dest="pypsa", action="store_false", help="skip PyPSA")
    p.add_argument("--solver1", help="solver of case 1 (default %s)" % CASE1["solver"])
    p.add_argument("--solver4", help="solver of case 4 (default %s)" % CASE4["solver"])
    p.add_argument("--quantum-ms", help="quantum of the layered case in ms (default: "
                   "clear_market's own choice)")
    p.add_argument("--formulation4", help="formulation of case 4 (default: netprice's)")
    p.add_argument("--timeout", type=float, default=1800.0, help="seconds per measurement")
    p.add_argument("--against", type=checkout, metavar="PATH",
                   help="also measure the checkout at PATH (PYTHONPATH=PATH), interleaved with "
                        "this one, and print new/old per network and case")
    p.add_argument("--markdown", action="store_true", help="print a Markdown table")
    p.add_argument("--plain", action="store_true", help="plain text even if rich is installed")
    p.add_argument("--json", help="write every measurement to this JSON file")
    p.add_argument("--progress", action="store_true", help="report each cell on stderr")
    p.add_argument("--worker", choices=("netprice", "pypsa"), help=argparse.SUPPRESS)
    p.add_argument("--graph", help=argparse.SUPPRESS)
    p.add_argument("--settings", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return args
    if args.quick:
        args.networks, args.runs = "Abilene", 1
    args.networks = [n.strip() for n in args.networks.split(",") if n.strip()]
    if args.cases is None:
        args.cases = "1,4" if args.quick else "1,4,4L"
    args.cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    if not set(args.cases) <= set(CASES):
        p.error(f"--cases takes some of {', '.join(CASES)}")
    args.case1 = {"solver": args.solver1} if args.solver1 else {}
    quantum = args.quantum_ms
    if quantum is not None:
        quantum = None if quantum == "default" else float(quantum)
    args.case4 = {k: v for k, v in (("solver", args.solver4), ("formulation", args.formulation4))
                  if v is not None}
    args.case4l = {"solver": args.solver4} if args.solver4 else {}
    if args.quantum_ms is not None:
        args.case4l["quantum_ms"] = quantum
    if args.pypsa and importlib.util.find_spec("pypsa") is None:
        print("pypsa is not installed: PyPSA columns left empty", file=sys.stderr)
        args.pypsa = False
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        worker_main(args)
        return 0
    start_load = os.getloadavg()[0]
    rows = measure(args)
    end_load = os.getloadavg()[0]
    render(rows, args, (start_load, end_load))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        with open(args.json, "w") as f:
            json.dump({"command": " ".join(sys.argv), "load": [start_load, end_load],
                       "cpus": os.cpu_count(), "against": args.against and str(args.against),
                       "rows": rows}, f, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
