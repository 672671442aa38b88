"""``netprice clear`` and ``netprice compare``: clear one market, print and write its results.

Nothing is written when a command fails: the tables, charts and map are
computed first and written together at the end
(:func:`netprice.io.files.write_all`).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from .common import (console, guard, json_summary, rows_option, seed_option,
                     where_the_rest_is)

__all__ = ["clear", "compare"]


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--mode", type=click.Choice(["baseline", "transfer", "both"]), default="transfer",
              show_default=True, help="Token-equivalent baseline, transfer-aware, or both.")
@click.option("--map", "map_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a self-contained HTML price map here.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Write CSV tables, PNG charts and an annotated GeoJSON into this folder.")
@click.option("--parquet", is_flag=True, help="Also write the tables as Parquet.")
@click.option("--price-range", "price_range", multiple=True, metavar="[WORKLOAD=]LOW:HIGH",
              help="Fix the map's colour scale, $/Mtok (for every workload, or one; repeat "
                   "for several), so that maps of different runs compare.")
@click.option("--solver", type=click.Choice(["glop", "highs", "highs-ipm"]), default="glop",
              show_default=True, help="LP solver (prices are verified with any).")
@click.option("--formulation", type=click.Choice(["exact", "route", "layered"]),
              default="exact", show_default=True,
              help="exact: every admissible route by column generation, certified; route and "
                   "layered: named approximations that report how far above exact they can be.")
@click.option("--max-routes-per-pair", type=click.IntRange(min=1), default=50, show_default=True,
              help="With --formulation route: routes kept per (origin, site), shortest first.")
@click.option("--quantum-ms", type=click.FloatRange(min=0.0, min_open=True), default=None,
              help="With --formulation layered: latency step (default: chosen from the limits).")
@seed_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary instead of tables.")
@click.option("--period", default=None, metavar="LABEL|INDEX",
              help="For a market over periods: the period the price table and the map show "
                   "first (default: the costliest hour).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="For a market over periods that nothing couples: clear them on a local Dask "
                   "cluster of N worker processes.")
@click.option("--scheduler", metavar="tcp://HOST:PORT", default=None,
              help="... or on an existing Dask scheduler.")
@rows_option
@guard
def clear(file, mode, map_path, out, parquet, solver, formulation, max_routes_per_pair,
          quantum_ms, seed, as_json, period, workers, scheduler, rows, price_range=()):
    """Clear the market of FILE and print prices and congestion.

    FILE is a netprice GeoJSON (or a Topology Zoo GraphML, its market
    synthesised with --seed).

    \b
    Examples:
      netprice clear datasets/us5.geojson
      netprice clear datasets/us5.geojson --mode both --map maps/us5.html --out out/
    """
    from rich.console import Console

    from ..annotate import annotate
    from ..io.files import check_writable, write_all
    from ..io.read import read_network
    from ..market import clear_market
    from ..periods import has_periods

    check_writable(map_path, folders=[out])
    ranges = _price_ranges(price_range)
    G = read_network(file, seed=seed)
    unknown = sorted(set(ranges) - set(G.graph["workloads"])) if isinstance(ranges, dict) else []
    if unknown:  # before clearing, which may take a while
        raise click.BadParameter(f"no workload {unknown[0]!r}; declared: "
                                 f"{', '.join(G.graph['workloads'])}", param_hint="--price-range")
    modes = ["baseline", "transfer"] if mode == "both" else [mode]
    if has_periods(G):
        from .day import clear_over_periods

        return clear_over_periods(G, file, modes, map_path, out, parquet, as_json, period,
                                  workers=workers, scheduler=scheduler, price_range=ranges,
                                  rows=rows, solver=solver, formulation=formulation,
                                  quantum_ms=quantum_ms,
                                  max_routes_per_pair=max_routes_per_pair)
    if period is not None or workers is not None or scheduler is not None:
        raise click.UsageError(f"--period, --workers and --scheduler are for markets over "
                               f"periods; {file.name} declares none")
    # A spinner on stderr while large networks clear; stdout stays clean for --json.
    with Console(stderr=True).status(f"clearing {file.name}") as status:
        results = {}
        for m in modes:
            status.update(f"clearing {file.name} ({m} mode, {G.number_of_nodes()} nodes)")
            results[m] = clear_market(G, mode=m, solver=solver, formulation=formulation,
                                      max_routes_per_pair=max_routes_per_pair,
                                      quantum_ms=quantum_ms)
    annotated = {m: annotate(G, res) for m, res in results.items()}
    outputs = {}
    if out is not None:
        outputs.update(_tables(results, annotated, out, parquet))
    if map_path is not None:
        outputs[map_path] = _map_html(annotated, modes, ranges)
    write_all(outputs)
    names = {n: d.get("name") for n, d in G.nodes(data=True)}
    _print_clear(results, file, as_json, [str(p) for p in outputs], names=names, rows=rows,
                 out=out)


def _tables(results, annotated, out, parquet):
    from ..io.files import parquet_bytes
    from ..io.geojson import to_feature_collection

    files = {}
    for mode, res in results.items():
        suffix = f"_{mode}" if len(results) > 1 else ""
        for name in ("prices", "nodes", "links", "routes"):
            frame = getattr(res, name)
            files[out / f"{name}{suffix}.csv"] = frame.to_csv()
            if parquet:
                files[out / f"{name}{suffix}.parquet"] = parquet_bytes(frame)
        files[out / f"annotated{suffix}.geojson"] = json.dumps(
            to_feature_collection(annotated[mode]), indent=1)
    files[out / "summary.json"] = json.dumps(
        {m: {**r.summary(), "settlement": r.settlement, "checks": r.checks}
         for m, r in results.items()}, indent=2, default=float)
    files.update(_plots(results, out))
    return files


def _plots(results, out):
    """PNG charts of the results: rents and merit order per mode, modes side by side."""
    from .. import plots
    from ..io.files import png_bytes

    files = {}
    for mode, res in results.items():
        suffix = f"_{mode}" if len(results) > 1 else ""
        files[out / f"rents{suffix}.png"] = png_bytes(plots.rent_plot(res))
        files[out / f"merit_order{suffix}.png"] = png_bytes(plots.merit_order_plot(res))
    if {"baseline", "transfer"} <= set(results):
        files[out / "modes.png"] = png_bytes(plots.mode_comparison_plot(results["baseline"],
                                                                        results["transfer"]))
    return files


def _price_ranges(given):
    """``--price-range`` values as price_map's ``price_range`` (None when not given)."""
    ranges, everywhere = {}, None
    for text in given:
        workload, _, pair = text.rpartition("=")
        try:
            low, high = (float(x) for x in pair.split(":"))
        except ValueError:
            raise click.BadParameter(f"{text!r} is not [WORKLOAD=]LOW:HIGH, e.g. 0.1:0.5 or "
                                     "chat=0.1:0.5", param_hint="--price-range") from None
        if not low < high:
            raise click.BadParameter(f"{text!r}: LOW must be below HIGH",
                                     param_hint="--price-range")
        if workload:
            ranges[workload] = (low, high)
        else:
            everywhere = (low, high)
    if everywhere is not None and not ranges:
        return everywhere
    return ranges or None


def _map_html(annotated, modes, price_range=None):
    """The map's HTML, with a progress bar on stderr while it is drawn (large maps take a while)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from ..maps import price_map

    main = annotated["transfer" if "transfer" in annotated else modes[0]]
    other = annotated["baseline"] if len(modes) > 1 else None
    terminal = Console(stderr=True)
    if not terminal.is_terminal:  # a log file gets no bar, not even its last newline
        return price_map(main, compare=other, price_range=price_range).get_root().render()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=terminal, transient=True) as bar:
        task = bar.add_task("drawing the map", total=None)

        def progress(done, total, what):
            bar.update(task, completed=done, total=total + 1, description=f"map: {what}")

        m = price_map(main, compare=other, price_range=price_range, progress=progress)
        bar.update(task, description="map: writing HTML")
        return m.get_root().render()


def _print_clear(results, file, as_json, written, *, names=None, rows=None, out=None):
    from ..report import price_frame, print_table, rich_table, saturated_frame, summary_frame

    if as_json:
        click.echo(json_summary({
            "file": str(file),
            "results": {m: {**r.summary(), "settlement": r.settlement,
                            "prices": {f"{n}/{w}": p for (n, w), p in r.prices["price"].items()}}
                        for m, r in results.items()},
            "written": written,
        }))
        return
    where = where_the_rest_is(out)
    terminal = console()
    terminal.print(rich_table(summary_frame(results), f"netprice: {file}"))
    print_table(terminal, price_frame(results, names), "Locational prices ($/Mtok)",
                max_rows=rows, rest=where)
    sat = saturated_frame(results)
    if len(sat):
        print_table(terminal, sat.set_index(["mode", "link"]),
                    "Saturated links (rent in $/h per Gbit/s)", max_rows=rows, rest=where)
    else:
        terminal.print("No saturated links.")
    for mode, res in results.items():
        if not res.exact:
            why = (f"route enumeration truncated for {len(res.truncated_routes)} (origin, site) "
                   "pairs; raise --max-routes-per-pair" if res.truncated_routes else
                   "latencies rounded up to the layered quantum" if res.formulation == "layered"
                   else "column generation stopped before its certificate")
            terminal.print(f"[yellow]{mode}: {res.answer} ({why}; --formulation exact gives "
                           f"the certified answer)[/yellow]")
    for path in written:
        terminal.print(f"wrote {path}")


@click.command(name="compare")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--map", "map_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a map with both modes as layers.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Write the tables of both modes into this folder.")
@seed_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary instead of tables.")
@rows_option
@click.pass_context
def compare(ctx, file, map_path, out, seed, as_json, rows):
    """Compare baseline and transfer-aware clearing of FILE (same as clear --mode both).

    \b
    Example:
      netprice compare datasets/us5.geojson --map maps/us5-compare.html
    """
    ctx.invoke(clear, file=file, mode="both", map_path=map_path, out=out, parquet=False,
               solver="glop", formulation="exact", max_routes_per_pair=50, quantum_ms=None,
               seed=seed, as_json=as_json, period=None, workers=None, scheduler=None,
               rows=rows)
