"""``netprice day`` and ``netprice clear`` of a market over periods.

``netprice clear FILE`` on a file that declares ``periods`` clears every
period (one LP when a workload may wait; separate markets, on Dask workers
with ``--workers``/``--scheduler``, when none may) and prints the cost of
every hour and the prices of one (``--period``, default the costliest);
``--out`` writes the tables with their ``period`` level, ``--map`` a map
that steps through the periods.  ``netprice day FILE --out DIR`` writes the
day-ahead report (:mod:`netprice.day`).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from .common import (EXIT_INPUT, CommandError, console, guard, json_summary, seed_option,
                     where_the_rest_is)

__all__ = ["day", "clear_over_periods"]


def _period_label(periods, period):
    """The label ``--period`` names (a label or an index), checked before anything is cleared."""
    if period is None or period in periods:
        return period
    try:
        index = int(period)
        if not -len(periods) <= index < len(periods):
            raise IndexError(index)
        return periods[index]
    except (ValueError, IndexError):
        raise CommandError(f"--period: no period {period!r}: give a label ({periods[0]} ... "
                           f"{periods[-1]}) or an index 0..{len(periods) - 1}",
                           EXIT_INPUT) from None


def clear_over_periods(G, file, modes, map_path, out, parquet, as_json, period, *, workers,
                       scheduler, price_range=None, rows=None, **options):
    """What ``netprice clear`` does with a market over periods."""
    from rich.console import Console

    from ..annotate import annotate
    from ..io.files import write_all
    from ..period_runs import clear_periods

    shown = _period_label(list(G.graph["periods"]), period)
    results = {}
    with Console(stderr=True).status(f"clearing {file.name}") as status:
        for mode in modes:
            status.update(f"clearing {file.name} ({mode} mode, {len(G.graph['periods'])} "
                          f"periods, {G.number_of_nodes()} nodes)")
            results[mode] = clear_periods(G, mode, workers=workers, scheduler=scheduler,
                                          **options)
    main = results["transfer" if "transfer" in results else modes[0]]
    shown = shown or main.peak_period()
    outputs = {}
    if out is not None:
        outputs.update(_tables(G, results, out, parquet, shown))
    if map_path is not None:
        from ..period_maps import period_map

        graphs = {p: annotate(G, main, period=p) for p in main.periods}
        outputs[map_path] = period_map(graphs, initial=shown, period_hours=main.period_hours,
                                       price_range=price_range or None).get_root().render()
    write_all(outputs)
    _print(results, file, as_json, [str(p) for p in outputs], shown, rows=rows, out=out)


def _tables(G, results, out, parquet, shown):
    from .. import day_plots
    from ..annotate import annotate
    from ..io.files import parquet_bytes, png_bytes
    from ..io.geojson import to_feature_collection

    files = {}
    for mode, res in results.items():
        suffix = f"_{mode}" if len(results) > 1 else ""
        for name in ("prices", "nodes", "links", "routes", "service", "deferral",
                     "settlement_by_period"):
            frame = getattr(res, name)
            files[out / f"{name}{suffix}.csv"] = frame.to_csv()
            if parquet:
                files[out / f"{name}{suffix}.parquet"] = parquet_bytes(frame)
        files[out / f"annotated{suffix}.geojson"] = json.dumps(
            to_feature_collection(annotate(G, res, period=shown)), indent=1)
        workload = "chat" if "chat" in G.graph["workloads"] else next(iter(G.graph["workloads"]))
        files[out / f"price_heatmap{suffix}.png"] = png_bytes(day_plots.price_heatmap(res,
                                                                                      workload))
    files[out / "summary.json"] = json.dumps(
        {m: {**r.summary(), "settlement": r.settlement,
             "checks": {k: list(v) for k, v in r.checks.items()}}
         for m, r in results.items()}, indent=2, default=float)
    return files


def _print(results, file, as_json, written, shown, *, rows=None, out=None):
    import pandas as pd

    from ..day_plots import hour_labels
    from ..report import print_table, rich_table

    if as_json:
        click.echo(json_summary({
            "file": str(file),
            "period": shown,
            "results": {m: {**r.summary(), "settlement": r.settlement,
                            "prices": {f"{n}/{w}": p for (n, w), p in
                                       r.period(shown).prices["price"].items()}}
                        for m, r in results.items()},
            "written": written,
        }))
        return
    where = where_the_rest_is(out)
    terminal = console()
    for mode, res in results.items():
        hourly = pd.DataFrame({"cost $/h": res.objective_per_h.to_numpy()},
                              index=pd.Index(hour_labels(res.periods), name="period (UTC)"))
        chat = res.prices["price"].groupby(level=["workload", "period"], sort=False).mean()
        for w in res.prices.index.get_level_values("workload").unique():
            hourly[f"{w} $/Mtok"] = chat.xs(w, level="workload").reindex(res.periods).to_numpy()
        moved = res.deferral
        if len(moved):
            later = moved[moved["hours"] > 0]
            hourly["served later, Mtok/s"] = (later.groupby("served")["tokens_per_s"].sum()
                                              .reindex(res.periods).fillna(0.0).to_numpy() / 1e6)
        terminal.print(rich_table(hourly.round(4), f"netprice: {file} ({mode} mode), cost and "
                                  "mean prices by period"))
        terminal.print(f"cost over the {len(res.periods)} periods: [bold]{res.objective:,.2f} "
                       f"$[/bold] ({res.answer}; "
                       f"{'separate periods' if res.independent else 'one LP'})")
        table = res.period(shown).prices["price"].unstack("workload")
        print_table(terminal, table, f"Locational prices ($/Mtok) at {shown}", max_rows=rows,
                    rest=where)
        if len(moved):
            terminal.print(rich_table(res.moved(), "Tokens served in a later period"))
    for path in written:
        terminal.print(f"wrote {path}")


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for report.md, its plots, tables and map.")
@click.option("--windows", default="0,2,6,12", show_default=True, metavar="H1,H2,...",
              help="Deferral windows (hours) of the study.")
@click.option("--workload", default=None,
              help="The workload whose window the study varies (default: those that may wait).")
@click.option("--price-workload", default="chat", show_default=True,
              help="The workload whose prices the heatmap, plots and map show.")
@click.option("--mode", type=click.Choice(["baseline", "transfer"]), default="transfer",
              show_default=True)
@click.option("--solver", type=click.Choice(["glop", "highs", "highs-ipm"]), default="glop",
              show_default=True)
@seed_option
@guard
def day(file, out, windows, workload, price_workload, mode, solver, seed):
    """Write the day-ahead report of FILE, a market over periods.

    A node-by-hour price heatmap, prices over the day per site, the load
    of a deferrable workload moved into cheap hours, and the cost of the
    day and the peak-hour price against the deferral window.

    \b
    Example:
      netprice day datasets/us20-day.geojson --out out/us20-day
    """
    from rich.console import Console

    from ..day import day_report
    from ..io.files import check_writable
    from ..io.read import read_network
    from ..periods import has_periods

    check_writable(folders=[out])
    try:
        # an empty entry ("0,,2") is a mistake, not a window to skip
        hours = [float(v) for v in windows.split(",")]
    except ValueError:
        raise click.BadParameter("give hours separated by commas, e.g. 0,2,6,12",
                                 param_hint="--windows") from None
    if not hours or any(h < 0 for h in hours):
        raise click.BadParameter("give at least one window, each at least 0 h",
                                 param_hint="--windows")
    G = read_network(file, seed=seed)
    if not has_periods(G):
        raise click.UsageError(f"{file.name} declares no periods: netprice day needs a market "
                               "over periods (netprice.periods in the file)")
    if price_workload not in G.graph["workloads"]:
        raise click.BadParameter(f"{price_workload!r} is not a workload of {file.name}",
                                 param_hint="--price-workload")
    with Console(stderr=True).status("day-ahead report") as status:
        try:
            path = day_report(G, out, windows=hours, workload=workload,
                              price_workload=price_workload, mode=mode, solver=solver,
                              progress=lambda text: status.update(text), name=file.stem)
        except ValueError as err:
            if "workload" in str(err):
                raise click.BadParameter(str(err), param_hint="--workload") from None
            raise
    click.echo(f"wrote {path}")
