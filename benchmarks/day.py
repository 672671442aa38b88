#!/usr/bin/env python
"""Day-ahead markets: time and memory of clearing 24 periods, and periods on Dask.

Three measurements, each printed as a table of medians over ``--runs`` runs:

* ``us20-day``: ``datasets/us20-day.geojson`` (20 nodes, 24 periods, four
  workloads, batch may wait 8 h) read and cleared end to end -- exact,
  verified, the four main tables built -- in a fresh process per run;
  beside it, in the same run, the same day with nothing allowed to wait
  (24 separate single-period markets): the ratio says what coupling costs.
* ``kdl``: Kdl from the Topology Zoo (``read_graphml(seed=0)``, 754 nodes,
  four workloads) over the 24 hours of a day (``netprice.diurnal`` shapes
  placed by time zone, scaled by 0.75 so that the peak hour fits), batch
  and image may wait 6 h, cyclic: one LP over the day.  Time, peak memory (``ru_maxrss`` of the measuring process),
  LP size and solver; beside it the same day with nothing allowed to wait.
* ``dask``: Kdl x 24 with nothing allowed to wait, serially and on a local
  Dask cluster of 2 single-threaded workers started beforehand:
  parallel efficiency ``T_serial / (2 x T_parallel)``; the tables of both
  are checked to be identical.

The machine is shared: the 1-minute load average is printed with every
row; read the figures with it.

Usage::

    python benchmarks/day.py                         # all three, 3 runs each
    python benchmarks/day.py --cases us20-day --runs 5
    python benchmarks/day.py --cases kdl --runs 1 --json out/bench-day.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TAG = "BENCH-DAY "
KDL = ROOT / "tests" / "data" / "zoo" / "Kdl.graphml"


#: Kdl's synthesised demand is its daily mean; placed in local time its
#: afternoon peak (14:00Z) needs 115 % of the compute there is.  Scaled by
#: 0.75 the costliest hour fits (86 %) without waiting, so the day without
#: deferral is a market too, and each period alone starts the coupled LP.
KDL_DEMAND_SCALE = 0.75


def kdl_day(defer_h):
    """Kdl over the 24 hours of 2026-07-01, batch and image allowed to wait ``defer_h``."""
    import netprice as npx
    from netprice.diurnal import apply_demand_shapes, day_periods

    G = npx.read_graphml(KDL, seed=0)
    G.graph["periods"] = day_periods("2026-07-01")
    G.graph["cyclic"] = True
    apply_demand_shapes(G)
    for _, data in G.nodes(data=True):
        data["demand"] = {w: [KDL_DEMAND_SCALE * v for v in values]
                          for w, values in (data.get("demand") or {}).items()}
    for w in ("batch", "image"):
        G.graph["workloads"][w]["defer_h"] = float(defer_h)
    return G


def _peak_mib():
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def worker(case, defer_h):
    """One measurement in this (fresh) process; prints a tagged JSON line."""
    import netprice as npx

    start = time.perf_counter()
    if case == "us20-day":
        G = npx.read_geojson(npx.dataset_path("us20-day"))
        if defer_h is not None:
            G.graph["workloads"]["batch"]["defer_h"] = float(defer_h)
    else:
        G = kdl_day(defer_h)
    prepared = time.perf_counter()
    res = npx.clear_market(G)
    for name in ("prices", "nodes", "links", "routes"):
        getattr(res, name)
    end = time.perf_counter()
    checks_ok = all(v <= tol for v, tol in res.checks.values())
    print(TAG + json.dumps({
        "case": case, "defer_h": defer_h, "seconds": end - start,
        "clear_seconds": end - prepared, "read_seconds": prepared - start,
        "peak_mib": _peak_mib(), "objective": res.objective, "exact": res.exact,
        "verified": checks_ok, "independent": res.independent,
        "rows": res.stats.get("rows"), "columns": res.stats.get("columns"),
        "nonzeros": res.stats.get("nonzeros"), "solver": res.solver,
        "solve_seconds": res.stats.get("solve_seconds"),
        "passes": res.stats.get("pricing_passes")}), flush=True)


def _spawn(case, defer_h, timeout):
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    args = [sys.executable, __file__, "--worker", case, "--defer-h",
            "none" if defer_h is None else str(defer_h)]
    load = os.getloadavg()[0]
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=timeout)
    for line in done.stdout.splitlines():
        if line.startswith(TAG):
            row = json.loads(line[len(TAG):])
            row["load"] = load
            return row
    raise RuntimeError(f"{case} failed:\n{done.stderr[-2000:]}")


def _median(rows, key):
    values = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(values) if values else None


def measure_pair(case, coupled, independent, runs, timeout):
    """Coupled and independent runs of a case, interleaved."""
    out = {"coupled": [], "independent": []}
    for _ in range(runs):
        out["coupled"].append(_spawn(case, coupled, timeout))
        out["independent"].append(_spawn(case, independent, timeout))
    return out


def measure_dask(runs):
    import logging

    import pandas as pd
    from distributed import Client, LocalCluster

    from netprice.market import clear_market
    from netprice.period_runs import clear_periods

    # The same meter and quiet-wait as benchmarks/contingency.py: wall, own CPU
    # (this process and the workers) and the CPU share of other processes.
    from contingency import _Meter, _wait_quiet

    G = kdl_day(0.0)
    serial, parallel = [], []
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0", silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client:
        client.run(lambda: __import__("netprice.market"))
        for _ in range(runs):
            for runner, rows, meter in ((lambda: clear_market(G), serial, _Meter()),
                                        (lambda: clear_periods(G, client=client), parallel,
                                         _Meter(client))):
                _wait_quiet(0.15, 300)
                load = os.getloadavg()[0]
                with meter:
                    out = runner()
                rows.append({"seconds": meter.wall, "cpu": meter.cpu,
                             "foreign": meter.foreign, "load": load})
                if rows is serial:
                    a = out
                else:
                    b = out
    for name in ("prices", "nodes", "links", "service", "routes"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    return {"serial": serial, "parallel": parallel, "identical": True}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="us20-day,kdl,dask")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--defer-h", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, None if args.defer_h == "none" else float(args.defer_h))
        return
    cases = args.cases.split(",")
    report = {}
    if "us20-day" in cases:
        report["us20-day"] = measure_pair("us20-day", None, 0.0, args.runs, args.timeout)
    if "kdl" in cases:
        report["kdl"] = measure_pair("kdl", 6.0, 0.0, args.runs, args.timeout)
    for case in ("us20-day", "kdl"):
        if case not in report:
            continue
        print(f"\n{case} (medians of {args.runs}; load {report[case]['coupled'][0]['load']:.1f}"
              f"-{max(r['load'] for r in report[case]['coupled']):.1f})")
        print(f"{'':12} {'end to end':>11} {'clear':>8} {'solve':>8} {'peak MiB':>9} "
              f"{'rows':>9} {'columns':>9} {'nonzeros':>10} {'solver':>7} exact verified")
        for kind, rows in report[case].items():
            first = rows[0]
            print(f"{kind:12} {_median(rows, 'seconds'):10.2f}s {_median(rows, 'clear_seconds'):7.2f}s "
                  f"{_median(rows, 'solve_seconds') or 0:7.2f}s {_median(rows, 'peak_mib'):9.0f} "
                  f"{first['rows']:>9,} {first['columns']:>9,} {first['nonzeros']:>10,} "
                  f"{first['solver']:>7} {first['exact']!s:>5} {first['verified']!s:>8}")
        ratio = _median(report[case]["coupled"], "seconds") / _median(
            report[case]["independent"], "seconds")
        print(f"coupled / independent: {ratio:.2f}x")
    if "dask" in cases:
        report["dask"] = dask = measure_dask(args.runs)
        t_s = statistics.median(r["seconds"] for r in dask["serial"])
        t_p = statistics.median(r["seconds"] for r in dask["parallel"])
        print(f"\nKdl x 24 independent periods (medians of {args.runs}): serial {t_s:.1f} s, "
              f"2 Dask workers {t_p:.1f} s, speed-up {t_s / t_p:.2f}x, parallel efficiency "
              f"{t_s / (2 * t_p):.0%}; tables identical: {dask['identical']}")
        for kind in ("serial", "parallel"):
            for k, r in enumerate(dask[kind], 1):
                print(f"  {kind:8} run {k}: {r['seconds']:6.1f} s, CPU {r['cpu']:6.1f} s, "
                      f"foreign {100 * r['foreign']:3.0f} %, load {r['load']:.1f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
