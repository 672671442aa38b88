"""Benchmark: N-1 contingency of a Topology Zoo network, serial vs Dask, reuse vs rebuild.

    python benchmarks/contingency.py                  # Cogentco (197 nodes, 280 outages)
    python benchmarks/contingency.py --network UsCarrier --repeats 5 --json out/bench.json

Ways of solving an outage that are timed:

* ``reuse``       -- the base LP built once, each outage re-solved by GLOP
                     warm-started from the base basis (netprice's default);
* ``reuse-cold``  -- the base LP built once, each outage solved by GLOP from
                     scratch (no warm start): what reusing the model alone buys;
* ``rebuild``     -- every outage cleared from scratch with ``clear_market``
                     (validate, compile, layers, build, solve, price, verify).

Each runs serially (this process) and, for the modes in ``--parallel``, on
a local Dask cluster of ``--workers`` single-threaded processes started
beforehand; serial and parallel runs alternate.  A run is the scenario
phase: every outage solved, priced, verified and tabulated, plus, in
parallel, shipping the base model to the workers.  The base solve (shared
by every run of a mode) and the cluster start-up are timed apart, and one
end-to-end run as ``netprice contingency FILE --workers N`` does it
(start-up and base solve included) closes the benchmark.  Parallel tables
are checked to equal serial ones, and every mode's costs to equal reuse's.

The machine is shared.  Before each run the benchmark waits (up to
``--quiet-wait`` seconds) until the other processes on the machine use less
than ``--quiet`` of its CPUs, and during each run it measures the CPU time
used by processes other than its own (from ``/proc/stat``, less its own and
its workers' CPU time): the ``foreign`` share printed with every run.  BLAS
is single-threaded here as in Dask's workers (an idle BLAS thread only spins
in this workload: same wall time, up to twice the CPU time).

Reported: medians of ``--repeats`` runs, scenarios per second, speed-up and
parallel efficiency ``T_serial / (workers x T_parallel)``, and the CPU
seconds of serial and parallel runs (what Dask adds as work).

The network is read with ``netprice.io.graphml.read_graphml(path, seed=0)``
from ``tests/data/zoo`` (Cogentco is copied there), else from the whole
corpus (``$NETPRICE_ZOO`` or ``../shared/data/topology-zoo``); ``--zoo``
names a folder to look in first.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before numpy loads

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from zoo import zoo_file  # noqa: E402

MODES = {
    "reuse": {"reuse": True},
    "reuse-cold": {"reuse": True, "warm_start": False},
    "rebuild": {"reuse": False},
}


def _busy_seconds():
    """CPU seconds the whole machine has spent busy (all CPUs), from /proc/stat."""
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:9]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / os.sysconf("SC_CLK_TCK")


def _wait_quiet(share, timeout):
    """Wait until the machine's CPUs are at most ``share`` busy; return the seconds waited."""
    start = time.perf_counter()
    ncpu = os.cpu_count() or 1
    while True:
        before, t0 = _busy_seconds(), time.perf_counter()
        time.sleep(1.0)
        busy = (_busy_seconds() - before) / ((time.perf_counter() - t0) * ncpu)
        if busy <= share or time.perf_counter() - start > timeout:
            return time.perf_counter() - start


class _Meter:
    """Wall time, own CPU time (this process and the workers) and foreign CPU share of a run."""

    def __init__(self, client=None):
        self.client = client

    def _own(self):
        cpu = time.process_time()
        if self.client is not None:
            cpu += sum(self.client.run(time.process_time).values())
        return cpu

    def __enter__(self):
        self.own0, self.busy0, self.t0 = self._own(), _busy_seconds(), time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.t0
        self.cpu = self._own() - self.own0
        foreign = max(0.0, _busy_seconds() - self.busy0 - self.cpu)
        self.foreign = foreign / (self.wall * (os.cpu_count() or 1))


def _import_engine():
    import netprice.market  # noqa: F401
    import netprice.sweep  # noqa: F401
    from ortools.math_opt.core.python import solver  # noqa: F401


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--network", default="Cogentco", help="Topology Zoo name (>= 150 nodes)")
    parser.add_argument("--zoo", type=Path, help="Folder of Zoo GraphML files to look in first")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--modes", default="reuse,reuse-cold,rebuild")
    parser.add_argument("--parallel", default="reuse,rebuild",
                        help="Modes also run on the Dask cluster")
    parser.add_argument("--limit", type=int, default=None, help="Only the first N outages")
    parser.add_argument("--quiet", type=float, default=0.10,
                        help="Start a run when other processes use at most this share of the CPUs")
    parser.add_argument("--quiet-wait", type=float, default=180.0)
    parser.add_argument("--json", type=Path, help="Also write the figures here")
    args = parser.parse_args(argv)

    import distributed
    import pandas as pd

    from netprice.contingency import contingency_scenarios, run_contingency
    from netprice.io.graphml import read_graphml
    from netprice.sweep import ScenarioRunner, run_scenarios

    G = read_graphml(zoo_file(args.network, args.zoo), seed=0)
    scenarios = contingency_scenarios(G)[:args.limit]
    n = len(scenarios)
    links = sum(s.parameter.startswith("outage:") for s in scenarios)
    print(f"{args.network}: {G.number_of_nodes()} nodes, {links} link and {n - links} site "
          f"outages; {os.cpu_count()} CPUs", flush=True)

    t0 = time.perf_counter()
    cluster = distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1,
                                       processes=True, dashboard_address=":0",
                                       silence_logs=logging.ERROR)
    client = distributed.Client(cluster)
    client.run(_import_engine)  # workers import netprice and OR-Tools once
    figures = {"network": args.network, "nodes": G.number_of_nodes(), "scenarios": n,
               "workers": args.workers, "repeats": args.repeats, "cpu_count": os.cpu_count(),
               "python": platform.python_version(),
               "cluster_start_s": time.perf_counter() - t0, "modes": {}}
    reference = None
    try:
        for mode in args.modes.split(","):
            t0 = time.perf_counter()
            runner = ScenarioRunner(G, prices="changed", **MODES[mode])
            base_s = time.perf_counter() - t0
            runs = {"serial": [], "parallel": []}
            kinds = ["serial"] + (["parallel"] if mode in args.parallel.split(",") else [])
            for rep in range(args.repeats):
                for kind in kinds:
                    waited = _wait_quiet(args.quiet, args.quiet_wait)
                    with _Meter(client if kind == "parallel" else None) as meter:
                        tables = run_scenarios(G, scenarios, runner=runner,
                                               client=client if kind == "parallel" else None)
                    runs[kind].append({"wall_s": meter.wall, "cpu_s": meter.cpu,
                                       "foreign": meter.foreign, "waited_s": waited})
                    if reference is None:
                        reference = tables.summary
                    summary = tables.summary
                    # the same cost for every outage, whichever way and wherever solved
                    pd.testing.assert_series_equal(summary["objective"], reference["objective"],
                                                   rtol=1e-9, atol=1e-6)
                    if kind == "serial":
                        serial_summary = summary
                    else:
                        pd.testing.assert_frame_equal(summary.drop(columns="seconds"),
                                                      serial_summary.drop(columns="seconds"))
                    print(f"  {mode:10s} {kind:8s} run {rep + 1}: {meter.wall:6.1f} s, "
                          f"CPU {meter.cpu:6.1f} s, foreign {meter.foreign:4.0%}, "
                          f"waited {waited:3.0f} s", flush=True)
            entry = {"base_s": base_s, "runs": runs,
                     "reused": int(serial_summary["reused"].sum()),
                     "statuses": serial_summary["status"].value_counts().to_dict()}
            for kind, values in runs.items():
                if values:
                    wall = statistics.median(r["wall_s"] for r in values)
                    entry[kind] = {"median_s": wall, "scen_per_s": n / wall,
                                   "median_cpu_s": statistics.median(r["cpu_s"] for r in values),
                                   "max_foreign": max(r["foreign"] for r in values)}
            if "parallel" in entry:
                ts, tp = entry["serial"]["median_s"], entry["parallel"]["median_s"]
                entry["speedup"], entry["efficiency"] = ts / tp, ts / (args.workers * tp)
            figures["modes"][mode] = entry
    finally:
        client.close()
        cluster.close()

    _wait_quiet(args.quiet, args.quiet_wait)
    with _Meter() as serial:
        run_contingency(G, progress=False, plot=False, map=False)
    _wait_quiet(args.quiet, args.quiet_wait)
    t0 = time.perf_counter()
    run_contingency(G, progress=False, plot=False, map=False, workers=args.workers)
    figures["end_to_end"] = {"serial_s": serial.wall,
                             "parallel_s": time.perf_counter() - t0}
    _report(figures)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=1))
    return 0


def _report(f):
    n, w = f["scenarios"], f["workers"]
    modes = f["modes"]
    print(f"\nN-1 contingency of {f['network']} ({f['nodes']} nodes, {n} outages), "
          f"medians of {f['repeats']} runs, {f['cpu_count']} CPUs, {w} workers\n")
    print("| outage solve | serial s | serial scen/s | parallel s | parallel scen/s | speed-up "
          "| efficiency | CPU s serial / parallel | max foreign load |")
    print("|---|---|---|---|---|---|---|---|---|")
    for mode, m in modes.items():
        s, p = m["serial"], m.get("parallel")
        foreign = max(s["max_foreign"], p["max_foreign"] if p else 0.0)
        if p:
            cells = (f"{p['median_s']:.1f} | {p['scen_per_s']:.2f} | {m['speedup']:.2f}x | "
                     f"{m['efficiency']:.0%} | {s['median_cpu_s']:.1f} / {p['median_cpu_s']:.1f}")
        else:
            cells = f"- | - | - | - | {s['median_cpu_s']:.1f} / -"
        print(f"| {mode} | {s['median_s']:.1f} | {s['scen_per_s']:.2f} | {cells} | "
              f"{foreign:.0%} |")
    print()
    if "reuse" in modes and "rebuild" in modes:
        gain = modes["reuse"]["serial"]["scen_per_s"] / modes["rebuild"]["serial"]["scen_per_s"]
        print(f"model reuse vs rebuild, serial: {gain:.2f}x")
    if "reuse" in modes and "reuse-cold" in modes:
        gain = modes["reuse"]["serial"]["scen_per_s"] / modes["reuse-cold"]["serial"]["scen_per_s"]
        print(f"warm start vs cold solve of the reused model, serial: {gain:.2f}x")
    for mode, m in modes.items():
        print(f"{mode}: base solve {m['base_s']:.2f} s; {m['reused']} of {n} outages reused; "
              f"{m['statuses']}")
    e = f["end_to_end"]
    print(f"end to end (base solve and, in parallel, cluster start-up included): serial "
          f"{e['serial_s']:.1f} s, {w} workers {e['parallel_s']:.1f} s; cluster start-up "
          f"{f['cluster_start_s']:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
