#!/usr/bin/env python
"""Do two checkouts of netprice give byte-identical results?  The check for a pure refactor.

For every network and mode it clears the market with each checkout, each
in its own subprocess (``PYTHONPATH`` set to the checkout), writes every
result table as text -- ``prices``, ``nodes``, ``links``, ``routes``,
``service`` (CSV), ``settlement`` (JSON) and the annotated graph
(GeoJSON) -- and compares the two byte for byte::

    python benchmarks/identical_tables.py --against ../baseline
    python benchmarks/identical_tables.py --against ../baseline --networks us5,Abilene --keep out/tables

Networks: ``datasets/us5.geojson`` and ``datasets/us20.geojson`` of this
repository, and 20 Internet Topology Zoo networks from 9 to 754 nodes
(read with ``read_graphml(path, seed=0)``: route and latency-layered
formulations, saturated links, the import's cleaning rules) from
``tests/data/zoo``, else ``$NETPRICE_ZOO`` or ``../shared/data/topology-zoo``.
Both checkouts read the same input files.  Modes: baseline and transfer.

Only the public API is called (``read_geojson``, ``read_graphml``,
``clear_market``, ``annotate``, ``write_geojson`` and the result's
attributes), so that code from before and after a refactor runs alike.
A market that fails is compared by its error message.

Prints one row per network and mode, each table identical or not (and
the first differing line), and exits 0 only if everything is identical
(1: some table differs; 2: bad arguments or a missing input file).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from checkouts import check_imported, checkout, git_head
from zoo import ROOT, zoo_file

#: From 9 to 754 nodes: the benchmarks' six, the import's odd cases
#: (multigraphs, junctions, dropped parts), latency-layered markets
#: (Surfnet, Switch, Kdl) and ones with saturated links (Renater2010,
#: Cesnet201006, KentmanApr2007).
ZOO_NETWORKS = (
    "Abilene", "Airtel", "Aarnet", "Belnet2005", "KentmanApr2007", "Esnet", "Geant2012",
    "Renater2010", "Cesnet201006", "Surfnet", "Switch", "Uninett2011", "Tw", "VtlWavenet2011",
    "Interoute", "Ion", "DialtelecomCz", "UsCarrier", "Cogentco", "Kdl",
)
DATASETS = ("us5", "us20")
MODES = ("baseline", "transfer")
#: The result's tables, written as CSV by pandas.
CSV_TABLES = ("prices", "nodes", "links", "routes", "service")
TABLES = (*(f"{t}.csv" for t in CSV_TABLES), "settlement.json", "annotated.geojson")
ERROR = "error.txt"
MANIFEST = "manifest.json"


# -- one checkout, in its own process -------------------------------------------------

def dump(inputs, modes, out):
    """Clear every input in every mode with the netprice on sys.path; write the tables to ``out``."""
    import netprice as npx

    out = Path(out)
    total = len(inputs) * len(modes)
    done = 0
    for item in inputs:
        for mode in modes:
            done += 1
            print(f"  [{done}/{total}] {item['name']} {mode} ...", end="", file=sys.stderr,
                  flush=True)
            start = time.perf_counter()
            folder = out / item["name"] / mode
            folder.mkdir(parents=True)
            try:
                G = (npx.read_geojson(item["path"]) if item["kind"] == "geojson"
                     else npx.read_graphml(item["path"], seed=0))
                res = npx.clear_market(G, mode=mode)
                for table in CSV_TABLES:
                    (folder / f"{table}.csv").write_text(getattr(res, table).to_csv())
                (folder / "settlement.json").write_text(
                    json.dumps(res.settlement, indent=1, default=repr) + "\n")
                npx.write_geojson(npx.annotate(G, res), folder / "annotated.geojson")
                outcome = ""
            except Exception as err:  # compared like a table: the same failure is no difference
                (folder / ERROR).write_text(f"{type(err).__name__}: {err}\n")
                outcome = f" {type(err).__name__}"
            print(f" {time.perf_counter() - start:.1f} s{outcome}", file=sys.stderr, flush=True)
    (out / MANIFEST).write_text(json.dumps({"netprice": npx.__file__}))


# -- the comparison -----------------------------------------------------------------

def _inputs(args):
    """Each network's input file, resolved once so that both checkouts read the same bytes."""
    found, missing = [], []
    for name in args.datasets:
        # The shipped datasets may move into the package; look there too.
        candidates = [ROOT / "datasets" / f"{name}.geojson",
                      *sorted((ROOT / "netprice").glob(f"**/{name}.geojson"))]
        path = next((p for p in candidates if p.exists()), None)
        if path is None:
            missing.append(f"{name}.geojson")
        else:
            found.append({"name": name, "kind": "geojson", "path": str(path)})
    for name in args.networks:
        try:
            found.append({"name": name, "kind": "graphml", "path": str(zoo_file(name, args.zoo))})
        except FileNotFoundError as err:
            missing.append(str(err))
    return found, missing


def _run_checkout(label, repo, inputs, modes, out):
    print(f"{label}: {repo}", file=sys.stderr, flush=True)
    spec = out.with_suffix(".inputs.json")
    spec.write_text(json.dumps({"inputs": inputs, "modes": modes}))
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--dump-to", str(out),
                           "--inputs", str(spec)],
                          env={**os.environ, "PYTHONPATH": str(repo),
                               "PYTHONWARNINGS": "ignore"})
    if proc.returncode != 0:
        raise SystemExit(f"{label}: the dump failed (exit {proc.returncode})")
    try:
        check_imported(repo, json.loads((out / MANIFEST).read_text())["netprice"])
    except RuntimeError as err:
        raise SystemExit(f"{label}: {err}") from None
    return time.perf_counter() - start


def first_difference(new, old):
    """The first line where two texts differ, as ``line N: new ... | old ...``."""
    a, b = new.splitlines(), old.splitlines()
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"line {i + 1}: new {x[:100]!r} | old {y[:100]!r}"
    if len(a) != len(b):
        longer, which = (a, "new") if len(a) > len(b) else (b, "old")
        return f"line {min(len(a), len(b)) + 1}: only in {which}: {longer[min(len(a), len(b))][:100]!r}"
    return "line endings differ"


def compare(new_dir, old_dir, inputs, modes):
    """Rows of (network, mode, {table: None if identical else the difference}, note).

    Where either checkout fails, the note says how, and every table differs
    unless both failed with the same message.
    """
    rows = []
    for item in inputs:
        for mode in modes:
            a, b = new_dir / item["name"] / mode, old_dir / item["name"] / mode
            errors = [(d / ERROR).read_text().strip() if (d / ERROR).exists() else None
                      for d in (a, b)]
            if any(errors):
                same = errors[0] == errors[1]
                note = (f"both fail: {errors[0]}" if same else
                        f"new: {errors[0] or 'clears'} | old: {errors[1] or 'clears'}")
                rows.append((item["name"], mode, {t: None if same else note for t in TABLES},
                             note))
                continue
            cells = {}
            for table in TABLES:
                x, y = (a / table).read_bytes(), (b / table).read_bytes()
                cells[table] = None if x == y else first_difference(
                    x.decode("utf-8", "replace"), y.decode("utf-8", "replace"))
            rows.append((item["name"], mode, cells, ""))
    return rows


def report(rows):
    headers = ["network", "mode", *(t.rsplit(".", 1)[0] for t in TABLES)]
    body = [[name, mode, *("yes" if cells[t] is None else "NO" for t in TABLES)]
            for name, mode, cells, _ in rows]
    widths = [max(len(h), *(len(line[i]) for line in body)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths)))
    print("  ".join("-" * w for w in widths))
    for line, (_, _, _, note) in zip(body, rows):
        print("  ".join(c.ljust(w) for c, w in zip(line, widths)) + (f"  {note}" if note else ""))
    differences = []
    for name, mode, cells, note in rows:
        tables = [t for t, why in cells.items() if why is not None]
        if tables and note:
            differences.append(f"{name} {mode}: {note}")
        else:
            differences += [f"{name} {mode} {t}: {cells[t]}" for t in tables]
    if differences:
        print("\nfirst differing line of each table that differs:")
        print("\n".join(f"  {line}" for line in differences))
    return not differences


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--against", type=checkout, metavar="PATH",
                   help="the checkout to compare with (e.g. one of today's main)")
    p.add_argument("--checkout", type=checkout, default=ROOT, metavar="PATH",
                   help="the checkout under test (default: this repository, %(default)s)")
    p.add_argument("--networks", default=",".join(ZOO_NETWORKS),
                   help="comma-separated Topology Zoo names, or '' for none (default: 20 "
                        "networks, Abilene to Kdl)")
    p.add_argument("--datasets", default=",".join(DATASETS),
                   help="comma-separated shipped datasets (default: %(default)s)")
    p.add_argument("--modes", default=",".join(MODES), help="default: %(default)s")
    p.add_argument("--zoo", help="folder of Topology Zoo GraphML files to look in first")
    p.add_argument("--keep", type=Path, metavar="DIR",
                   help="write the tables here (DIR/new, DIR/old) and keep them")
    p.add_argument("--dump-to", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--inputs", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.dump_to:
        return args
    if args.against is None:
        p.error("--against PATH is required: the checkout to compare with")
    for option in ("networks", "datasets", "modes"):
        setattr(args, option, [n.strip() for n in getattr(args, option).split(",") if n.strip()])
    if not set(args.modes) <= set(MODES):
        p.error(f"--modes takes {' and '.join(MODES)}")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.dump_to:
        spec = json.loads(args.inputs.read_text())
        dump(spec["inputs"], spec["modes"], args.dump_to)
        return 0
    inputs, missing = _inputs(args)
    if missing:
        print("missing input files (name fewer with --networks):\n  " + "\n  ".join(missing),
              file=sys.stderr)
        return 2
    start = time.perf_counter()
    tmp = None
    if args.keep:
        base = args.keep
        for side in ("new", "old"):
            shutil.rmtree(base / side, ignore_errors=True)
        base.mkdir(parents=True, exist_ok=True)
    else:
        base = Path(tmp := tempfile.mkdtemp(prefix="netprice-identical-"))
    try:
        print(f"{len(inputs)} networks x {len(args.modes)} modes", file=sys.stderr, flush=True)
        seconds = {side: _run_checkout(side, repo, inputs, args.modes, base / side)
                   for side, repo in (("new", args.checkout), ("old", args.against))}
        rows = compare(base / "new", base / "old", inputs, args.modes)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nnew = {args.checkout} ({git_head(args.checkout)})\n"
          f"old = {args.against} ({git_head(args.against)})\n")
    identical = report(rows)
    print(f"\n{'all identical' if identical else 'NOT identical'}: {len(rows)} network-modes, "
          f"{len(rows) * len(TABLES)} tables; dumps took {seconds['new']:.0f} s (new) and "
          f"{seconds['old']:.0f} s (old), {time.perf_counter() - start:.0f} s in all"
          + (f"; tables kept in {args.keep}" if args.keep else ""))
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
