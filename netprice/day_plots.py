"""Charts of a day-ahead market: prices by node and hour, over the day, what waited.

Drawn from a :class:`~netprice.period_result.PeriodResult`'s tables, never
by solving; each function returns a matplotlib Figure (Agg, no pyplot) and
saves a PNG with ``path=``, as :mod:`netprice.plots` does.

==========================  =====================================================
function                    reads
==========================  =====================================================
:func:`price_heatmap`       ``res.prices``: (node, workload, period) ``price``
:func:`price_day_plot`      the same, one line per node
:func:`shift_plot`          ``res.service`` (arrivals), ``res.deferral``
                            (tokens served later) and ``res.nodes`` (compute use)
:func:`window_plot`         a table of cost and peak price by deferral window
                            (:func:`netprice.day.window_study`)
==========================  =====================================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .plots import _figure, _finish

__all__ = ["price_heatmap", "price_day_plot", "shift_plot", "window_plot", "hour_labels"]

_PRICE = "$/Mtok"


def hour_labels(periods) -> list:
    """Short tick labels: ``"13:00"`` from ``"2026-07-01T13:00Z"`` (the label itself otherwise)."""
    out = []
    for p in periods:
        text = str(p)
        out.append(text[11:16] if len(text) >= 16 and text[10] == "T" else text)
    return out


def _matrix(res, workload):
    table = res.prices.xs(workload, level="workload")["price"].unstack("period")
    return table[list(res.periods)]


def price_heatmap(res, workload="chat", *, path=None):
    """Node-by-period price of one workload, $/Mtok: where and when it is dear."""
    table = _matrix(res, workload)
    table = table.loc[table.mean(axis=1).sort_values().index]
    fig, ax = _figure(10.0, 0.28 * len(table) + 2.0)
    image = ax.imshow(table.to_numpy(dtype=float), aspect="auto", cmap="viridis",
                      interpolation="nearest")
    ax.set_yticks(range(len(table)), [str(n) for n in table.index], fontsize=8)
    hours = hour_labels(res.periods)
    step = max(1, len(hours) // 12)
    ax.set_xticks(range(0, len(hours), step), hours[::step], fontsize=8)
    ax.set_xlabel("period start (UTC)")
    ax.set_title(f"{workload} price by node and hour ({_PRICE}); nodes from cheap to dear")
    fig.colorbar(image, ax=ax, label=_PRICE, shrink=0.9)
    return _finish(fig, path)


def price_day_plot(res, workload="chat", *, nodes=None, path=None):
    """One workload's price at each node over the day, $/Mtok."""
    table = _matrix(res, workload)
    if nodes is not None:
        table = table.loc[list(nodes)]
    fig, ax = _figure(9.0, 4.6)
    x = np.arange(len(res.periods))
    colours = [f"C{k % 10}" for k in range(len(table))]
    for (node, row), colour in zip(table.iterrows(), colours):
        ax.plot(x, row.to_numpy(dtype=float), color=colour, lw=1.3, label=str(node))
    hours = hour_labels(res.periods)
    step = max(1, len(hours) // 12)
    ax.set_xticks(x[::step], hours[::step])
    ax.set_xlabel("period start (UTC)")
    ax.set_ylabel(f"{workload} price ({_PRICE})")
    ax.set_title(f"{workload} prices over the day, one line per node")
    ax.grid(alpha=0.3)
    ax.legend(ncol=max(1, len(table) // 8), fontsize=7, loc="upper left",
              bbox_to_anchor=(1.0, 1.0), frameon=False)
    return _finish(fig, path)


def shift_plot(res, workload="batch", *, path=None):
    """A deferrable workload's tokens by hour: as they arrive, and as they are served.

    Bars: tokens/s arriving and tokens/s served (arrivals released later
    land in the hour they are served); line: the share of all compute in
    use, on the right axis.
    """
    service = res.service.xs(workload, level="workload")
    arriving = service["demand"].groupby(level="period", sort=False).sum()
    arriving = arriving.reindex(res.periods)
    served = pd.Series(0.0, index=res.periods)
    table = res.deferral
    if len(table):
        rows = table[table["workload"] == workload]
        served = served.add(rows.groupby("served")["tokens_per_s"].sum(), fill_value=0.0)
    else:
        served = arriving.copy()
    served = served.reindex(res.periods)
    nodes = res.nodes
    used = nodes["compute_used"].groupby(level="period", sort=False).sum().reindex(res.periods)
    capacity = nodes["capacity"].groupby(level="period", sort=False).sum().reindex(res.periods)
    fig, ax = _figure(9.0, 4.4)
    x = np.arange(len(res.periods))
    ax.bar(x - 0.2, arriving.to_numpy() / 1e6, width=0.4, color="#9ecae1", label="arriving")
    ax.bar(x + 0.2, served.to_numpy() / 1e6, width=0.4, color="#08519c", label="served")
    ax.set_ylabel(f"{workload}, million tokens/s")
    hours = hour_labels(res.periods)
    step = max(1, len(hours) // 12)
    ax.set_xticks(x[::step], hours[::step])
    ax.set_xlabel("period start (UTC)")
    right = ax.twinx()
    right.plot(x, 100 * used.to_numpy() / capacity.to_numpy(), color="#d95f02", lw=1.8,
               label="compute in use (all workloads)")
    right.set_ylabel("compute in use, % of capacity")
    right.set_ylim(0, 105)
    moved = res.moved()
    share = float(moved.loc[workload, "moved_share"]) if workload in moved.index else 0.0
    ax.set_title(f"{workload}: {share:.0%} of its tokens served in a later hour")
    handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    labels = ax.get_legend_handles_labels()[1] + right.get_legend_handles_labels()[1]
    ax.legend(handles, labels, loc="upper left", fontsize=8)
    return _finish(fig, path)


def window_plot(table, *, path=None):
    """Cost over the day and peak-hour price against the deferral window."""
    fig, (left, right) = _figure(9.0, 3.8, ncols=2)
    hours = table["window_h"].to_numpy(dtype=float)
    left.plot(hours, table["cost"].to_numpy() / 1e3, "o-", color="#3b6ea8")
    left.set_xlabel("deferral window (h)")
    left.set_ylabel("cost over the day (thousand $)")
    left.set_title("cost")
    left.grid(alpha=0.3)
    right.plot(hours, table["peak_price"].to_numpy(), "o-", color="#d95f02",
               label="in the costliest hour without deferral")
    right.plot(hours, table["mean_price"].to_numpy(), "s--", color="#666",
               label="over the whole day")
    right.set_xlabel("deferral window (h)")
    right.set_ylabel(f"mean price over the nodes ({_PRICE})")
    right.set_title("peak-hour price")
    right.legend(fontsize=8)
    right.grid(alpha=0.3)
    return _finish(fig, path)
