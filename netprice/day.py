"""The day-ahead report: a day of prices, what waited for the cheap hours, and what waiting is worth.

``netprice day FILE --out DIR`` writes ``DIR/report.md`` with a node-by-hour
price heatmap, prices over the day per site, the deferrable load moved
into cheap hours, and how the cost of the day and the peak-hour price
change with the deferral window (0, 2, 6 and 12 h by default), beside
CSV tables and the map that steps through the hours.  The numbers come
from :func:`netprice.clear_market`; this module only runs the window
study and lays the report out.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd

from . import day_plots
from .annotate import annotate
from .io.files import atomic_write_text, folder_when_done
from .market import clear_market
from .period_maps import period_map
from .periods import has_periods, period_hours, window_periods

__all__ = ["WINDOWS", "window_study", "day_report"]

#: Deferral windows of the study, hours.
WINDOWS = (0, 2, 6, 12)


def _deferrable(G, workload=None):
    """Workloads whose window the study varies: ``workload``, or those that may wait in G."""
    if workload is not None:
        if workload not in G.graph["workloads"]:
            raise ValueError(f"workload {workload!r} is not declared; choose one of "
                             f"{sorted(G.graph['workloads'])}")
        return [workload]
    waiting = [w for w, spec in G.graph["workloads"].items() if window_periods(G, spec) > 0]
    if not waiting:
        raise ValueError("no workload of this network may wait (defer_h): name one to vary "
                         "with workload=")
    return waiting


def window_study(G, windows=WINDOWS, *, workload=None, price_workload="chat", mode="transfer",
                 progress=None, **options):
    """Clear ``G`` once per deferral window; tabulate cost and the peak-hour price.

    Parameters
    ----------
    G : networkx.DiGraph
        A market over periods.
    windows : sequence of float
        ``defer_h`` values, hours, given to the deferrable workloads.
    workload : str, optional
        The workload whose window varies (default: every one that may wait in G).
    price_workload : str
        Whose price the table follows.

    Returns
    -------
    (DataFrame, dict)
        One row per window: ``window_h``, ``cost`` ($ over the horizon),
        ``cost_change_pct`` (against the first window), ``peak_period`` (the
        costliest hour without deferral), ``peak_price`` (the mean price
        over the nodes in that hour), ``max_price`` (the highest hourly mean
        price), ``mean_price``, ``moved_share`` (tokens served later); and
        ``{window: PeriodResult}``.
    """
    if not has_periods(G):
        raise ValueError("the window study needs a market over periods (G.graph['periods'])")
    names = _deferrable(G, workload)
    results = {}
    for hours in windows:
        H = copy.deepcopy(G)
        for w in names:
            H.graph["workloads"][w]["defer_h"] = float(hours)
        if progress:
            progress(f"deferral window {hours:g} h")
        results[hours] = clear_market(H, mode, **options)
    first = results[windows[0]]
    peak = first.peak_period()
    rows = []
    for hours, res in results.items():
        prices = res.prices.xs(price_workload, level="workload")["price"].unstack("period")
        hourly = prices.mean(axis=0)
        moved = res.moved()
        share = float(sum(moved.loc[w, "moved_mtok"] for w in names if w in moved.index)
                      / max(1e-300, sum(moved.loc[w, "arrived_mtok"] for w in names
                                        if w in moved.index))) if len(moved) else 0.0
        rows.append({"window_h": float(hours), "cost": res.objective,
                     "cost_change_pct": 100 * (res.objective / first.objective - 1.0),
                     "peak_period": peak, "peak_price": float(hourly[peak]),
                     "max_price": float(hourly.max()), "mean_price": float(hourly.mean()),
                     "moved_share": share})
    return pd.DataFrame(rows), results


def _md(frame, floatfmt=",.4g"):
    def cell(v):
        if isinstance(v, (float, np.floating)):
            return "-" if np.isnan(v) else format(v, floatfmt)
        return str(v)

    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


def day_report(G, out, *, windows=WINDOWS, workload=None, price_workload="chat",
               mode="transfer", progress=None, name=None, **options) -> Path:
    """Clear a day-ahead market and write ``out/report.md`` with its plots, tables and map.

    Nothing is left half-written: the report is built in a scratch folder
    inside ``out`` and moved in at the end.

    Returns
    -------
    Path
        The report's path.
    """
    say = progress or (lambda text: None)
    with folder_when_done(out, ".day-") as scratch:
        _write(scratch, G, windows, workload, price_workload, mode, say, name, options)
    return Path(out) / "report.md"


def _write(out, G, windows, workload, price_workload, mode, say, name, options):
    names = _deferrable(G, workload)
    shifted = names[0]
    say("clearing the day")
    res = clear_market(G, mode, **options)
    label = name or G.graph.get("name") or "network"
    peak = res.peak_period()
    say("window study")
    table, _ = window_study(G, windows, workload=workload, price_workload=price_workload,
                            mode=mode, progress=say, **options)
    say("plots and map")
    day_plots.price_heatmap(res, price_workload, path=out / "price_heatmap.png")
    sites = res.nodes.xs(res.periods[0], level="period")
    sites = list(sites.index[sites["capacity"] > 0])
    day_plots.price_day_plot(res, price_workload, nodes=sites, path=out / "prices_over_day.png")
    day_plots.shift_plot(res, shifted, path=out / "shifted_load.png")
    day_plots.window_plot(table, path=out / "deferral_windows.png")
    graphs = {p: annotate(G, res, period=p) for p in res.periods}
    period_map(graphs, price_workload, initial=peak,
               period_hours=period_hours(G)).save(str(out / "day_map.html"))
    moved = res.moved().reset_index()
    hourly = res.objective_per_h.rename("cost_per_h").reset_index()
    chat = res.prices.xs(price_workload, level="workload")["price"].unstack("period")
    cheapest, dearest = chat.mean().idxmin(), chat.mean().idxmax()
    settlement = res.settlement
    lines = [
        f"# netprice: a day-ahead market on {label}", "",
        f"{len(res.periods)} periods of {res.period_hours:g} h from {res.periods[0]} (UTC), "
        f"{res.mode} mode, {res.answer}; every price verified (KKT conditions over the whole "
        f"day, each price against its definition). Workloads that may wait: "
        f"{', '.join(names)}.", "",
        "## The day", "",
        f"Cost over the day **{res.objective:,.0f} $** (payments {settlement['payments']:,.0f} $, "
        f"compute rents {settlement['compute_rents']:,.0f} $, congestion rents "
        f"{settlement['congestion_rents']:,.0f} $). The costliest hour is **{peak}** "
        f"({res.objective_per_h[peak]:,.0f} $/h); {price_workload} is cheapest on average at "
        f"{cheapest} and dearest at {dearest}.", "",
        _md(hourly, ",.0f"), "",
        f"## {price_workload} prices by node and hour", "",
        "![price heatmap](price_heatmap.png)", "",
        "![prices over the day](prices_over_day.png)", "",
        f"Map: [{price_workload} prices, a control steps through the hours](day_map.html)", "",
        f"## {shifted}: load moved into cheap hours", "",
        "A token that may wait is priced where and when it arrives, at the cheapest way to "
        "serve it within its window; it is served in that hour.", "",
        _md(moved, ",.4g"), "",
        "![shifted load](shifted_load.png)", "",
        "## What the deferral window is worth", "",
        f"The same day cleared with {', '.join(names)} allowed to wait "
        f"{', '.join(f'{w:g}' for w in windows)} h. Peak price: the mean {price_workload} price "
        f"over the nodes in the costliest hour without deferral ({peak}).", "",
        _md(table, ",.4g"), "",
        "![deferral windows](deferral_windows.png)", "",
    ]
    atomic_write_text(out / "report.md", "\n".join(lines) + "\n")
    res.prices.reset_index().to_csv(out / "prices.csv", index=False)
    res.deferral.to_csv(out / "deferral.csv", index=False)
    res.settlement_by_period.reset_index().to_csv(out / "settlement_by_period.csv", index=False)
    table.to_csv(out / "deferral_windows.csv", index=False)
