#!/usr/bin/env python
"""A large network end to end: clear a 160 x 160 grid, then map it.

The grid: 25,600 nodes, each linked to its right and lower neighbours
(50,880 links, two arcs each), 0.1 degree apart around 100 W 40 N; a
compute site every 20th row and column (64 sites, costs 1 to 7 $/Mtok),
demand at every node for two workloads without latency limits (the
transport market; a latency limit on a grid this size is a route
enumeration study, not a map one), links tight enough that some saturate.

Each measurement runs in a fresh subprocess, and the table shows medians
of ``--runs``:

* ``clear``: :func:`netprice.clear_market` and :func:`netprice.annotate`
  of the grid read from GeoJSON (reading is not timed);
* ``map``: :func:`netprice.price_map` of the annotated grid (loaded from a
  pickle, not timed), rendered and written as HTML (canvas mode, chosen
  automatically at this size);
* ``netprice clear --map``: the command a user runs, end to end
  (``netprice clear grid.geojson --map grid.html``), with the terminal
  table it prints (the top rows and how many more).

Peak memory is the subprocess's ``ru_maxrss`` (for the command, from
``os.wait4``).  The machine is shared: the 1-minute load average is
printed with the table.

Usage::

    python benchmarks/maps_large.py              # 160 x 160, 3 runs
    python benchmarks/maps_large.py --size 60 --runs 1 --keep out/grid
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build_grid(n):
    """The n x n grid network (see the module docstring)."""
    import netprice as npx

    G = npx.empty_network({"chat": {"bytes_per_token": 8}, "batch": {"bytes_per_token": 64}},
                          name=f"grid-{n}x{n}")
    for i in range(n):
        for j in range(n):
            site = i % 20 == 10 and j % 20 == 10
            npx.add_site(G, f"r{i}c{j}", round(-100.0 + 0.1 * j, 6), round(40.0 - 0.1 * i, 6),
                         capacity=4e6 if site else 0.0,
                         cost=float(1 + (i // 20 + 3 * (j // 20)) % 7) if site else None,
                         demand={"chat": 100.0, "batch": 25.0})
    for i in range(n):
        for j in range(n):
            for a, b in (((i, j), (i, j + 1)), ((i, j), (i + 1, j))):
                if b[0] < n and b[1] < n:
                    npx.add_link(G, f"r{a[0]}c{a[1]}", f"r{b[0]}c{b[1]}", bandwidth_gbps=0.01,
                                 cost_per_gb=0.001)
    return G


def _peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_clear(geojson, pickled):
    import netprice as npx

    G = npx.read_geojson(geojson)
    start = time.perf_counter()
    res = npx.clear_market(G)
    H = npx.annotate(G, res)
    seconds = time.perf_counter() - start
    Path(pickled).write_bytes(pickle.dumps(H, protocol=pickle.HIGHEST_PROTOCOL))
    saturated = int(res.links["saturated"].sum())
    return {"seconds": seconds, "peak_mib": _peak_mib(), "saturated_arcs": saturated}


def worker_map(pickled, html):
    from netprice.io.files import atomic_write_text
    from netprice.maps import price_map

    H = pickle.loads(Path(pickled).read_bytes())
    start = time.perf_counter()
    atomic_write_text(html, price_map(H).get_root().render())
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mib": _peak_mib(), "bytes": Path(html).stat().st_size}


def _in_subprocess(*args):
    out = subprocess.run([sys.executable, __file__, "--worker", *map(str, args)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _command_rusage(geojson, html):
    """``netprice clear FILE --map HTML`` end to end: seconds, peak MiB, size, lines printed.

    Forked and waited for with ``os.wait4``, which gives this child's own
    resource usage (``RUSAGE_CHILDREN`` would mix in the workers).
    """
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child becomes the command, its output collected in files
        out = os.open(str(html) + ".out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.environ["COLUMNS"] = "100"
        os.execv(sys.executable, [sys.executable, "-m", "netprice", "clear", str(geojson),
                                  "--map", str(html)])
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    text = Path(str(html) + ".out").read_text()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(text)
    return {"seconds": seconds, "peak_mib": usage.ru_maxrss / 1024,
            "bytes": Path(html).stat().st_size, "lines": text.count("\n"),
            "more": next((line for line in text.splitlines() if line.startswith("... and")), "")}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=160, help="grid side (default 160: 25,600 nodes)")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--keep", type=Path, help="keep the grid, its map and the results here")
    p.add_argument("--json", type=Path, help="write the measurements here")
    p.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        kind, *rest = args.worker
        result = worker_clear(*rest) if kind == "clear" else worker_map(*rest)
        print(json.dumps(result))
        return 0

    import netprice as npx

    folder = args.keep or Path(tempfile.mkdtemp(prefix="netprice-maps-large-"))
    folder.mkdir(parents=True, exist_ok=True)
    geojson, pickled = folder / "grid.geojson", folder / "grid-annotated.pickle"
    start = time.perf_counter()
    G = build_grid(args.size)
    npx.write_geojson(G, geojson)
    print(f"grid {args.size} x {args.size}: {G.number_of_nodes():,} nodes, "
          f"{G.number_of_edges() // 2:,} links, built and written in "
          f"{time.perf_counter() - start:.1f} s", flush=True)
    del G

    runs = {"clear": [], "map": [], "command": []}
    for r in range(args.runs):
        runs["clear"].append(_in_subprocess("clear", geojson, pickled))
        runs["map"].append(_in_subprocess("map", pickled, folder / "grid-map.html"))
        runs["command"].append(_command_rusage(geojson, folder / "grid-command.html"))
        print(f"run {r + 1}: clear {runs['clear'][-1]['seconds']:.1f} s, map "
              f"{runs['map'][-1]['seconds']:.1f} s, command {runs['command'][-1]['seconds']:.1f} s",
              flush=True)

    def med(rows, key):
        values = [row[key] for row in rows if row.get(key) is not None]
        return statistics.median(values) if values else float("nan")

    load = os.getloadavg()[0]
    print(f"\nmedians of {args.runs} run(s); 1-minute load average {load:.2f} on "
          f"{os.cpu_count()} CPUs")
    print(f"{'what':<28} {'seconds':>9} {'peak MiB':>9} {'HTML MB':>8}")
    for name, key in (("clear_market + annotate", "clear"), ("price_map + HTML", "map"),
                      ("netprice clear --map", "command")):
        size = med(runs[key], "bytes") / 1e6 if key != "clear" else float("nan")
        print(f"{name:<28} {med(runs[key], 'seconds'):>9.1f} {med(runs[key], 'peak_mib'):>9.0f} "
              f"{size:>8.1f}")
    print(f"saturated arcs: {runs['clear'][0]['saturated_arcs']}; the command printed "
          f"{runs['command'][0]['lines']} lines ({runs['command'][0]['more'].strip()})")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"size": args.size, "load": load, "runs": runs},
                                        indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
