"""Static charts of a cleared market (matplotlib), drawn from the result tables.

Every function returns a :class:`matplotlib.figure.Figure` built without
pyplot, on the Agg canvas, so plotting never opens a window, never touches
a global pyplot state and works on a headless server; pass ``path=`` to
also save a PNG. Like the maps, the charts read results and never solve.

What each function needs (a result object ``res`` is anything with these
attributes, e.g. the return value of :func:`netprice.clear_market`):

==========================  ================================================
function                    reads
==========================  ================================================
:func:`merit_order_plot`    ``res.nodes`` (or that table itself): columns
                            ``capacity``, ``cost``; optional
                            ``compute_used``, ``scarcity``, ``name``
:func:`latency_sweep_plot`  a tidy table: ``latency_ms`` (or
                            ``value``, as :func:`netprice.sweep` gives),
                            ``node``, ``price``; optional ``workload``
:func:`rent_plot`           ``res.links``: ``rent``; optional ``link``,
                            ``saturated``, ``utilisation``; index or columns
                            ``source``, ``target``
:func:`mode_comparison_plot` ``res.objective``, ``res.prices`` (index or
                            columns ``node``, ``workload``; column
                            ``price``), optional ``res.mode``
:func:`demand_scaling_plot` a tidy sweep table over ``demand_scale``
:func:`ranking_plot`        an N-1 contingency ranking
                            (:func:`netprice.contingency.contingency`)
==========================  ================================================
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .io.files import atomic_write_bytes, png_bytes
from .tables import merit_order_table, result_table

__all__ = [
    "merit_order_plot",
    "latency_sweep_plot",
    "rent_plot",
    "mode_comparison_plot",
    "demand_scaling_plot",
    "ranking_plot",
]

_PRICE = "$/Mtok"
_RENT = "$/h per Gbit/s"
_MODE_COLORS = {"baseline": "#6a9ec4", "transfer": "#e66101"}
_OUTAGE_COLORS = {"link": "#3b6ea8", "site": "#d9822b"}


def _figure(width=7.0, height=4.2, ncols=1):
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncols)
    return fig, axes


def _finish(fig, path):
    if path is not None:
        atomic_write_bytes(path, png_bytes(fig))
    return fig


def _flat(table: pd.DataFrame) -> pd.DataFrame:
    """Index levels with names become columns, so either layout works."""
    names = [n for n in table.index.names if n is not None and n not in table.columns]
    return table.reset_index(level=names) if names else table.copy()


# ---------------------------------------------------------------- merit order

def merit_order_plot(res_or_table, workload=None, *, intensity=None, ax=None, path=None):
    """Supply curve of compute: sites by marginal cost against cumulative capacity.

    A step per site (cheapest first), the used part of each step shaded,
    and the cleared quantity and clearing price marked. The clearing price
    is the highest ``cost + scarcity`` among the sites in use: the cost of
    the marginal (partly used) site, or the cost plus scarcity rent of a
    full one.

    Parameters
    ----------
    res_or_table : result or pandas.DataFrame
        See :func:`netprice.tables.merit_order_table`.
    workload : str, optional
        Draw in the units of one workload: capacity divided and costs
        multiplied by its compute ``intensity`` (reference tokens per token).
        Default: reference tokens.
    intensity : float, optional
        Compute intensity of ``workload``; default: looked up in
        ``res.workloads`` or ``res.graph.graph["workloads"]``, and a
        ValueError when neither has it.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes instead of a new figure.
    path : str or path-like, optional
        Also save the figure as PNG.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> nodes = pd.DataFrame({"capacity": [100.0, 50.0], "cost": [50.0, 10.0],
    ...                       "compute_used": [20.0, 50.0], "scarcity": [0.0, 40.0]},
    ...                      index=pd.Index(["dear", "cheap"], name="node"))
    >>> fig = merit_order_plot(nodes)
    >>> fig.axes[0].get_xlabel()
    'cumulative capacity, reference tokens/s'
    """
    t = merit_order_table(res_or_table)
    unit = "reference tokens/s"
    price_unit = f"{_PRICE} per reference token"
    if workload is not None:
        a = intensity if intensity is not None else _intensity(res_or_table, workload)
        t = t.assign(capacity=t["capacity"] / a, compute_used=t["compute_used"] / a,
                     start=t["start"] / a, end=t["end"] / a,
                     cost=t["cost"] * a, scarcity=t["scarcity"] * a)
        unit = f"{workload} tokens/s"
        price_unit = _PRICE
    if ax is None:
        fig, ax = _figure()
    else:
        fig = ax.figure
    if t.empty:
        ax.text(0.5, 0.5, "no compute site with a single cost", ha="center", va="center",
                transform=ax.transAxes)
        return _finish(fig, path)

    xs = np.r_[t["start"].to_numpy(), t["end"].iloc[-1]]
    ys = np.r_[t["cost"].to_numpy(), t["cost"].iloc[-1]]
    ax.step(xs, ys, where="post", color="#333", lw=1.8, label="marginal cost (merit order)")
    used_known = t["compute_used"].notna().any()
    for node, row in t.iterrows():
        ax.add_patch(_rect(row["start"], row["capacity"], row["cost"], "#dde6ee"))
        if used_known and row["compute_used"] > 0:
            ax.add_patch(_rect(row["start"], row["compute_used"], row["cost"], "#6a9ec4"))
        ax.annotate(str(node), (row["start"] + row["capacity"] / 2, row["cost"]),
                    xytext=(0, 3), textcoords="offset points", ha="center", va="bottom",
                    fontsize=8)
    top = float(max(t["cost"].max(), (t["cost"] + t["scarcity"]).max()))
    if used_known:
        used = t[t["compute_used"] > 1e-9]
        local = _local_prices(res_or_table, t, workload)
        prices = local[used.index].dropna()
        if len(prices) and prices.max() - prices.min() <= 1e-6 * max(1.0, abs(prices.max())):
            # one price for all: the merit order cleared as one market
            cleared, price = float(t["compute_used"].sum()), float(prices.max())
            ax.axvline(cleared, color="#e66101", ls="--", lw=1.2,
                       label=f"cleared {cleared:,.0f} {unit}")
            ax.axhline(price, color="#d7191c", ls=":", lw=1.2,
                       label=f"clearing price {price:,.2f} {_PRICE}")
            ax.plot([cleared], [price], "o", color="#d7191c", zorder=5)
        elif len(prices):
            # the network separates the sites: each has its own price, and no
            # single cleared quantity or price means anything
            _draw_local_prices(ax, t, local)
            top = max(top, float(local.max()))
            ax.set_title(f"{len(set(prices.round(6)))} local prices: the network separates "
                         "the sites", fontsize=9, loc="right")
        ax.add_patch(_rect(0, 0, 0, "#6a9ec4", label="capacity in use"))
    ax.set_xlim(0, float(t["end"].iloc[-1]) * 1.02)
    ax.set_ylim(0, top * 1.15 if top > 0 else 1.0)
    ax.set_xlabel(f"cumulative capacity, {unit}")
    ax.set_ylabel(f"marginal cost, {price_unit}")
    ax.set_title("Merit order of compute" + (f": {workload}" if workload else ""), loc="left")
    ax.legend(loc="upper left", fontsize=8)
    return _finish(fig, path)


def _local_prices(res, t, workload):
    """The price at each site of ``t``, in the units of the chart.

    With a workload and a result's prices: the locational price of that
    workload at the site.  Otherwise the price of compute there, cost plus
    scarcity rent, known where the site is in use.
    """
    prices = getattr(res, "prices", None)
    if workload is not None and isinstance(prices, pd.DataFrame) and "price" in prices.columns:
        table = _flat(prices)
        if {"node", "workload"} <= set(table.columns):
            mine = table[table["workload"] == workload].set_index("node")["price"]
            return mine.reindex(t.index).astype(float)
    local = (t["cost"] + t["scarcity"]).astype(float)
    return local.where(t["compute_used"] > 1e-9)


def _draw_local_prices(ax, t, local):
    label = f"price at the site, {_PRICE}"
    for node, row in t.iterrows():
        price = local.get(node)
        if price is None or not np.isfinite(price):
            continue
        ax.hlines(price, row["start"], row["end"], color="#d7191c", lw=2.2, zorder=4,
                  label=label)
        label = None  # one legend entry for all sites
        ax.annotate(f"{price:,.2f}", (row["end"], price), xytext=(-2, 3),
                    textcoords="offset points", ha="right", va="bottom", fontsize=7,
                    color="#d7191c")


def _rect(x, width, height, colour, label=None):
    from matplotlib.patches import Rectangle

    return Rectangle((x, 0), width, height, facecolor=colour, edgecolor="none", zorder=0,
                     label=label)


def _intensity(res, workload):
    specs = getattr(res, "workloads", None)
    if specs is None and getattr(res, "graph", None) is not None:
        specs = getattr(res.graph, "graph", {}).get("workloads")
    try:
        value = specs[workload].get("compute_intensity", 1.0)
    except (TypeError, KeyError, AttributeError):
        # a wrong unit conversion would pass unnoticed: ask instead of assuming 1
        raise ValueError(
            f"the compute intensity of {workload!r} is not in the result; pass it, e.g. "
            f"merit_order_plot(res, {workload!r}, "
            f"intensity=G.graph['workloads'][{workload!r}]['compute_intensity'])") from None
    return float(value) if value else 1.0


# ---------------------------------------------------------------- latency sweep

def latency_sweep_plot(table, *, workload=None, nodes=None, x=None, ax=None, path=None):
    """Price of every node against the latency limit of a sweep.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy: one row per (latency limit, node) with columns ``latency_ms``,
        ``node``, ``price`` ($/Mtok; NaN where no admissible service, drawn
        as a gap). The table of :func:`netprice.sweep` works as it is: its
        ``value`` column is used when there is no ``latency_ms``, and its
        ``parameter`` (e.g. ``"latency_ms:chat"``) names the axis and the
        default workload. A ``workload`` column, when present, is filtered
        by ``workload`` (default: the swept one, else the first). Rows
        without a node (infeasible points) are left out.
    workload : str, optional
    nodes : list, optional
        Only these nodes.
    x : str, optional
        The column on the horizontal axis (default ``latency_ms``, else
        ``value``).
    ax : matplotlib.axes.Axes, optional
    path : str or path-like, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> sweep = pd.DataFrame({"latency_ms": [100, 15, 100, 15], "node": ["a", "a", "b", "b"],
    ...                       "price": [10.0, 21.7, 12.0, float("nan")]})
    >>> fig = latency_sweep_plot(sweep)
    >>> len(fig.axes[0].get_lines())
    2
    """
    t = _flat(table)
    if x is None:
        x = "latency_ms" if "latency_ms" in t.columns or "value" not in t.columns else "value"
    missing = {x, "node", "price"} - set(t.columns)
    if missing:
        raise ValueError(f"latency sweep table needs columns latency_ms (or value), node, price; "
                         f"missing {sorted(missing)}")
    xlabel = "latency limit, ms"
    swept = None
    if x != "latency_ms" and "parameter" in t.columns and t["parameter"].nunique() == 1:
        swept = str(t["parameter"].iloc[0])
        name, _, target = swept.partition(":")
        xlabel = (f"latency limit of {target}, ms" if name == "latency_ms" and target
                  else "latency limit, ms" if name == "latency_ms" else swept)
        swept = target or None
    t = t[t["node"].notna()]
    title = "Locational price vs latency limit"
    if "workload" in t.columns and not t.empty:
        if workload is None:
            present = set(t["workload"])
            workload = swept if swept in present else t["workload"].iloc[0]
        t = t[t["workload"] == workload]
    if workload is not None:
        title += f": {workload}"
    if nodes is not None:
        t = t[t["node"].isin(list(nodes))]
    if ax is None:
        fig, ax = _figure()
    else:
        fig = ax.figure
    for node, g in t.groupby("node", sort=True):
        g = g.sort_values(x)
        ax.plot(g[x], g["price"], marker="o", ms=3.5, lw=1.4, label=str(node))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"price, {_PRICE}")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if 0 < t["node"].nunique() <= 25:
        ax.legend(fontsize=8, ncols=2 if t["node"].nunique() > 8 else 1)
    return _finish(fig, path)


# ---------------------------------------------------------------- congestion rents

def rent_plot(res, *, top=None, ax=None, path=None):
    """Congestion rents by link direction, largest first (bar chart).

    Parameters
    ----------
    res : result or pandas.DataFrame
        A result (its ``links`` table) or the table itself, with column
        ``rent`` ($/h per Gbit/s) and ``source``/``target`` as index levels
        or columns; ``link``, ``saturated`` and ``utilisation`` are shown
        when present.
    top : int, optional
        Only the ``top`` largest rents.
    ax : matplotlib.axes.Axes, optional
    path : str or path-like, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> links = pd.DataFrame({"rent": [40.0, 0.0], "saturated": [True, False]},
    ...     index=pd.MultiIndex.from_tuples([("a", "b"), ("b", "a")], names=["source", "target"]))
    >>> fig = rent_plot(links)
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['a → b']
    """
    t = _flat(result_table(res, "links"))
    if "rent" not in t.columns:
        raise ValueError(f"rent plot needs a 'rent' column; the table has {list(t.columns)}")
    t["rent"] = pd.to_numeric(t["rent"], errors="coerce").fillna(0.0)
    t = t[t["rent"] > 1e-9].sort_values("rent", ascending=False)
    if top is not None:
        t = t.head(top)
    if ax is None:
        fig, ax = _figure(height=max(2.6, 0.9 + 0.35 * len(t)))
    else:
        fig = ax.figure
    if t.empty:
        ax.text(0.5, 0.5, "no congestion: no link has a positive rent", ha="center",
                va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return _finish(fig, path)

    def label(row):
        if "source" in row and "target" in row:
            return f"{row['source']} → {row['target']}"
        return str(row.get("link", row.name))

    labels = [label(row) for _, row in t.iterrows()]
    sat = (t["saturated"].astype(bool).to_numpy() if "saturated" in t.columns
           else np.ones(len(t), bool))
    colours = np.where(sat, "#d7191c", "#f0a04b")
    y = np.arange(len(t))[::-1]
    ax.barh(y, t["rent"].to_numpy(), color=colours)
    ax.set_yticks(y, labels)
    for yi, (_, row) in zip(y, t.iterrows()):
        note = f"{row['rent']:,.2f}"
        if "utilisation" in t.columns and pd.notna(row["utilisation"]):
            note += f"  ({100 * float(row['utilisation']):.0f} % used)"
        ax.annotate(note, (row["rent"], yi), xytext=(3, 0), textcoords="offset points",
                    va="center", fontsize=8)
    ax.set_xlim(0, float(t["rent"].max()) * 1.35)
    ax.set_xlabel(f"congestion rent, {_RENT}")
    ax.set_title("Congestion rents of saturated links")
    return _finish(fig, path)


# ---------------------------------------------------------------- mode comparison

def _mode_name(res, default):
    return str(getattr(res, "mode", None) or default)


def mode_comparison_plot(res_baseline, res_transfer, *, workload=None, path=None):
    """Total cost and locational prices of two results side by side.

    Left: operating cost ($/h) of each, with the relative change. Then one
    panel per workload (or only ``workload``): grouped bars of the price at
    each node, one colour per result.

    Parameters
    ----------
    res_baseline, res_transfer : result
        Each with ``objective`` ($/h) and ``prices`` (``node``,
        ``workload`` as index levels or columns; column ``price``);
        ``mode`` names the bars (default "baseline" and "transfer").
    workload : str, optional
        Only this workload's prices.
    path : str or path-like, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> idx = pd.MultiIndex.from_tuples([("a", "chat"), ("b", "chat")], names=["node", "workload"])
    >>> base = SimpleNamespace(mode="baseline", objective=100.0,
    ...                        prices=pd.DataFrame({"price": [10.0, 10.0]}, index=idx))
    >>> xfer = SimpleNamespace(mode="transfer", objective=102.7,
    ...                        prices=pd.DataFrame({"price": [10.0, 50.0]}, index=idx))
    >>> fig = mode_comparison_plot(base, xfer)
    >>> fig.axes[0].get_title()
    'Operating cost: +2.7 %'
    """
    runs = [(res_baseline, _mode_name(res_baseline, "baseline")),
            (res_transfer, _mode_name(res_transfer, "transfer"))]
    if runs[0][1] == runs[1][1]:
        runs = [(runs[0][0], f"{runs[0][1]} (1)"), (runs[1][0], f"{runs[1][1]} (2)")]
    names = [name for _, name in runs]
    colours = [_MODE_COLORS.get(name.split(" ")[0], c)
               for name, c in zip(names, ("#6a9ec4", "#e66101"))]

    tables = []
    for r, name in runs:
        p = _flat(result_table(r, "prices"))
        if "price" not in p.columns or "node" not in p.columns:
            raise ValueError("mode comparison needs prices with 'node' (and 'workload') and a "
                             f"'price' column; got {list(p.columns)}")
        if "workload" not in p.columns:
            p = p.assign(workload=workload or "")
        elif workload is not None:
            p = p[p["workload"] == workload]
        tables.append(p.set_index(["workload", "node"])["price"].astype(float).rename(name))
    both = pd.concat(tables, axis=1)
    # one panel per workload: their prices differ by orders of magnitude
    workloads = list(dict.fromkeys(both.index.get_level_values("workload")))

    fig, axes = _figure(width=min(4.2 * (1 + len(workloads)), 18.0), height=4.4,
                        ncols=1 + len(workloads))
    axes = np.atleast_1d(axes)
    ax_cost = axes[0]
    costs = [float(r.objective) for r, _ in runs]
    ax_cost.bar(names, costs, color=colours, width=0.6)
    for i, c in enumerate(costs):
        ax_cost.annotate(f"{c:,.1f}", (i, c), xytext=(0, 3), textcoords="offset points",
                         ha="center", fontsize=9)
    change = (costs[1] - costs[0]) / abs(costs[0]) * 100 if costs[0] else math.nan
    ax_cost.set_title(f"Operating cost: {change:+.1f} %" if math.isfinite(change)
                      else "Operating cost")
    ax_cost.set_ylabel("total cost, $/h")
    ax_cost.set_ylim(0, max(costs) * 1.15 if max(costs) > 0 else 1.0)

    width = 0.4
    for ax, w in zip(axes[1:], workloads):
        part = both.xs(w, level="workload")
        x = np.arange(len(part))
        for i, (name, colour) in enumerate(zip(names, colours)):
            ax.bar(x + (i - 0.5) * width, part[name].to_numpy(), width, label=name,
                   color=colour)
        tilt = len(part) > 6
        ax.set_xticks(x, [str(k) for k in part.index], rotation=45 if tilt else 0,
                      ha="right" if tilt else "center", fontsize=8)
        ax.set_ylabel(f"price, {_PRICE}")
        ax.set_title(f"Locational prices: {w}" if w else "Locational prices")
        ax.legend(fontsize=8)
    return _finish(fig, path)


# ------------------------------------------------------------- demand scaling

def demand_scaling_plot(table, *, threshold=None, path=None):
    """Cost and prices against a uniform demand scale, up to infeasibility.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy, as :func:`netprice.studies.demand_scaling` (or
        :func:`netprice.sweep` over ``demand_scale``) gives: columns
        ``demand_scale`` (or ``value``), ``status``, ``objective`` ($/h),
        ``workload``, ``price`` ($/Mtok).
    threshold : float, optional
        Aggregate capacity / aggregate compute need, drawn as a vertical line.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"demand_scale": [1.0, 1.0, 2.0], "status": ["OPTIMAL"] * 2 +
    ...                   ["INFEASIBLE"], "objective": [5.0, 5.0, float("nan")],
    ...                   "workload": ["chat", "chat", None], "price": [1.0, 2.0, float("nan")]})
    >>> len(demand_scaling_plot(t, threshold=1.5).axes)
    2
    """
    t = _flat(table)
    x = "demand_scale" if "demand_scale" in t.columns else "value"
    fig, (cost_ax, price_ax) = _figure(width=10.0, height=4.2, ncols=2)
    ok = t[t["status"] == "OPTIMAL"]
    cost = ok.groupby(x)["objective"].first()
    cost_ax.plot(cost.index, cost.values, marker="o", color="#333333")
    cost_ax.set_xlabel("demand scale")
    cost_ax.set_ylabel("total cost, $/h")
    cost_ax.set_title("Cost against demand")
    for w, group in ok.groupby("workload"):
        mean = group.groupby(x)["price"].mean()
        price_ax.plot(mean.index, mean.values, marker="o", label=str(w))
    price_ax.set_xlabel("demand scale")
    price_ax.set_ylabel(f"mean price, {_PRICE}")
    price_ax.set_title("Mean locational price by workload")
    infeasible = sorted(set(t.loc[t["status"] != "OPTIMAL", x]))
    for ax in (cost_ax, price_ax):
        if threshold is not None and np.isfinite(threshold):
            ax.axvline(threshold, color="#b2182b", linestyle="--",
                       label="capacity / need" if ax is price_ax else None)
        if infeasible:
            ax.axvspan(min(infeasible), max(infeasible), color="#b2182b", alpha=0.08,
                       label="infeasible" if ax is price_ax else None)
    if len(price_ax.get_legend_handles_labels()[0]):
        price_ax.legend(fontsize="small")
    return _finish(fig, path)


# ------------------------------------------------------------- N-1 contingency

def ranking_plot(ranking, *, top=20, title=None, path=None):
    """Horizontal bars: the ``top`` feasible outages by their largest price change.

    Each bar is the signed largest price change ($/Mtok) an outage causes,
    coloured by element type and labelled with where it happens and the
    change in total cost; outages that leave demand unservable are listed
    under the chart.  Drawn with matplotlib's Agg canvas (no display needed).

    Parameters
    ----------
    ranking : DataFrame
        As :func:`netprice.contingency.contingency` returns it: columns
        ``rank``, ``scenario``, ``status``, ``element_type``, ``element``,
        ``max_price_change``, ``max_change_node``, ``max_change_workload``,
        ``cost_change``, ``cost_change_pct``, ``newly_saturated``.
    top : int
    title : str, optional
    path : path-like, optional
        Also save the figure here (PNG).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.patches import Patch

    feasible = ranking[ranking["status"] == "OPTIMAL"].head(top)
    infeasible = ranking[ranking["status"] == "INFEASIBLE"]
    failed = ranking[~ranking["status"].isin(["OPTIMAL", "INFEASIBLE"])]
    n = max(1, len(feasible))
    fig = Figure(figsize=(10, 1.9 + 0.34 * n), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    values = feasible["max_price_change"].fillna(0.0).to_numpy(dtype=float)
    ypos = np.arange(len(feasible))
    colours = [_OUTAGE_COLORS.get(t, "#777777") for t in feasible["element_type"]]
    ax.barh(ypos, values, color=colours, height=0.7)
    ax.set_yticks(ypos, [f"{r.rank}. {r.element_type} {r.element}"
                         for r in feasible.itertuples()], fontsize=8)
    ax.invert_yaxis()
    ax.axvline(0.0, color="#333333", linewidth=0.8)
    span = float(np.max(np.abs(values), initial=0.0)) or 1.0
    ax.set_xlim(min(0.0, values.min(initial=0.0)) - 0.05 * span,
                max(0.0, values.max(initial=0.0)) + 0.75 * span)
    for y, r in zip(ypos, feasible.itertuples()):
        where = (f"at {r.max_change_node}/{r.max_change_workload}"
                 if not pd.isna(r.max_change_node) else "no price moved")
        cost = (f"cost {r.cost_change:+,.0f} $/h ({r.cost_change_pct:+.2f} %)"
                if np.isfinite(r.cost_change) else "")
        sat = f", {int(r.newly_saturated)} newly saturated" if (
            isinstance(r.newly_saturated, (int, float)) and r.newly_saturated
            and np.isfinite(r.newly_saturated)) else ""
        ax.text(max(0.0, values[y]) + 0.02 * span, y, f"{where}; {cost}{sat}", va="center",
                fontsize=7, color="#333333")
    ax.set_xlabel("largest price change caused by the outage ($/Mtok)")
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.legend(handles=[Patch(color=c, label=f"{t} out") for t, c in _OUTAGE_COLORS.items()],
              loc="lower right", fontsize=8, frameon=False)
    heading = title or "N-1 contingency"
    ax.set_title(f"{heading}: the {len(feasible)} outages that move prices most", fontsize=11)
    notes = []
    if len(infeasible):
        names = ", ".join(infeasible["scenario"].astype(str).head(8))
        more = f" and {len(infeasible) - 8} more" if len(infeasible) > 8 else ""
        notes.append(f"Infeasible (demand cannot be served): {names}{more}")
    if len(failed):
        notes.append(f"Not solved: {', '.join(failed['scenario'].astype(str).head(8))}")
    if not len(feasible):
        ax.text(0.5, 0.5, "no feasible outage", transform=ax.transAxes, ha="center")
    if notes:
        fig.supxlabel("\n".join(notes), fontsize=8, color="#a11d21")
    return _finish(fig, path)
