"""The supply and demand chart of a two-sided market (docs/model.md section 10), per workload.

The network-wide curves, as a market operator draws them: every offer
block and every ``capacity`` + ``cost`` site stacked cheapest first
(supply), the fixed demand and then every bid block dearest first
(demand), in one workload's units (tokens/s and $/Mtok: capacity divided
and prices multiplied by its compute intensity).  Compute is shared by
every workload, so a second supply curve shows what is *left* for this one
once the others have what the market gave them (taken from each site's
cheapest blocks first).  Over them, what the locational market did: the
load it served and the range of the local prices it was served at.  The
curves ignore the network, so where demand meets the residual supply is
roughly the copper-plate clearing of this workload; the gap to the
locational band is what links and latency limits cost.  The chart reads
results and never solves.
"""

from __future__ import annotations

import numpy as np

from .graph import node_cost, serves
from .plots import _figure, _finish

__all__ = ["supply_demand_plot", "supply_curve", "residual_supply_curve", "demand_curve"]

_PRICE = "$/Mtok"
_SUPPLY, _DEMAND, _CLEARED = "#3b6ea8", "#d9822b", "#d7191c"


def _intensity(G, workload):
    spec = G.graph["workloads"][workload]
    return float(spec.get("compute_intensity") or 1.0)


def _site_blocks(data, workload, a):
    """A site's blocks in reference tokens/s and $/Mtok of ``workload``, as it lists them."""
    if data.get("offers"):
        return [(float(b["capacity"]), float(b["price"]) * a) for b in data["offers"]]
    return [(float(data["capacity"]), node_cost(data, workload, a))]


def supply_curve(G, workload, *, used=None):
    """``(quantity, price)`` blocks of the network's supply in ``workload``'s units, cheapest first.

    Offer blocks and ``capacity`` + ``cost`` sites of every site that
    serves the workload; tokens/s and $/Mtok.  ``used``: ``{site:
    reference tokens/s}`` already taken, from each site's cheapest blocks.

    Examples
    --------
    >>> import netprice as npx
    >>> G = npx.empty_network({"chat": {"bytes_per_token": 8, "compute_intensity": 2.0}})
    >>> npx.add_site(G, "A", 0.0, 0.0, offers=[{"capacity": 4.0, "price": 1.0},
    ...                                        {"capacity": 2.0, "price": 3.0}])
    >>> npx.add_site(G, "B", 1.0, 0.0, capacity=8.0, cost=1.5)
    >>> supply_curve(G, "chat")
    [(2.0, 2.0), (4.0, 3.0), (1.0, 6.0)]
    """
    a = _intensity(G, workload)
    blocks = []
    for n, data in G.nodes(data=True):
        if not serves(data, workload):
            continue
        taken = float((used or {}).get(n, 0.0))
        for capacity, price in sorted(_site_blocks(data, workload, a), key=lambda b: b[1]):
            left = max(capacity - taken, 0.0)
            taken = max(taken - capacity, 0.0)
            if left > 0:
                blocks.append((left / a, price))
    return sorted(blocks, key=lambda block: block[1])


def residual_supply_curve(G, res, workload):
    """:func:`supply_curve` of what the other workloads left: their compute taken first."""
    a = _intensity(G, workload)
    served = res.service["served"].xs(workload, level="workload")
    others = res.nodes["compute_used"] - a * served.reindex(res.nodes.index, fill_value=0.0)
    return supply_curve(G, workload, used=others.clip(lower=0.0).to_dict())


def demand_curve(G, workload):
    """``(fixed demand, [(tokens/s, price), ...])``: the fixed demand and the bids, dearest first.

    Examples
    --------
    >>> import netprice as npx
    >>> G = npx.empty_network({"chat": {"bytes_per_token": 8}})
    >>> npx.add_site(G, "M", 0.0, 0.0, demand={"chat": 5.0},
    ...              bids={"chat": [{"tokens_per_s": 3.0, "price": 9.0},
    ...                             {"tokens_per_s": 2.0, "price": 4.0}]})
    >>> demand_curve(G, "chat")
    (5.0, [(3.0, 9.0), (2.0, 4.0)])
    """
    fixed = sum(float((data.get("demand") or {}).get(workload, 0.0))
                for _, data in G.nodes(data=True))
    bids = [(float(b["tokens_per_s"]), float(b["price"])) for _, data in G.nodes(data=True)
            for b in (data.get("bids") or {}).get(workload, ())]
    return fixed, sorted(bids, key=lambda block: -block[1])


def _steps(blocks, start=0.0):
    xs, ys = [start], []
    for quantity, price in blocks:
        xs.append(xs[-1] + quantity)
        ys.append(price)
    return np.array(xs), np.array(ys)


def supply_demand_plot(G, res, workload, *, ax=None, path=None):
    """Network-wide supply and demand of one workload, and where the locational market cleared.

    Parameters
    ----------
    G : networkx.DiGraph
        The network (its offers, bids, capacities, costs and demand).
    res : MarketResult
        Its clearing: ``res.service``, ``res.bids`` and ``res.prices`` are read.
    workload : str
    ax : matplotlib.axes.Axes, optional
    path : str or path-like, optional
        Also save the figure as PNG.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import netprice as npx
    >>> G = npx.empty_network({"chat": {"latency_ms": None, "bytes_per_token": 8}})
    >>> npx.add_site(G, "S", -100.0, 40.0, offers=[{"capacity": 1e5, "price": 10.0},
    ...                                            {"capacity": 1e5, "price": 30.0}])
    >>> npx.add_site(G, "M", -99.0, 40.0, demand={"chat": 2e4},
    ...              bids={"chat": [{"tokens_per_s": 6e4, "price": 50.0},
    ...                             {"tokens_per_s": 8e4, "price": 20.0}]})
    >>> npx.add_link(G, "S", "M", bandwidth_gbps=100)
    >>> fig = supply_demand_plot(G, npx.clear_market(G), "chat")
    >>> fig.axes[0].get_title()
    'Supply and demand: chat'
    """
    if ax is None:
        fig, ax = _figure()
    else:
        fig = ax.figure
    supply = supply_curve(G, workload)
    residual = residual_supply_curve(G, res, workload)
    fixed, bids = demand_curve(G, workload)
    service = res.service.xs(workload, level="workload")
    load = float((service["demand"] - service["unserved"]).sum())
    if len(res.bids):
        load += float(res.bids.xs(workload, level="workload")["accepted"].sum())
    prices = res.prices.xs(workload, level="workload")["price"]
    served_at = (service["demand"] - service["unserved"]).copy()
    if len(res.bids):
        accepted = res.bids.xs(workload, level="workload")["accepted"].groupby(level="node").sum()
        served_at = served_at.add(accepted.reindex(served_at.index, fill_value=0.0))
    paid = prices[(served_at > 0) & prices.notna()]

    top_price = max([p for _, p in bids] + list(paid) + [1e-9])
    ceiling = top_price * 1.25
    if supply:
        xs, ys = _steps(supply)
        ax.step(xs, np.r_[ys, ys[-1]], where="post", color=_SUPPLY, lw=1.2, alpha=0.6,
                label="supply: every block, cheapest first")
    if residual:
        xs, ys = _steps(residual)
        ax.step(xs, np.r_[ys, ys[-1]], where="post", color=_SUPPLY, lw=2.2,
                label="supply left once the other workloads are served")
    demand_x, demand_y = _steps(bids, start=fixed)
    if fixed > 0:
        ax.plot([0, fixed], [ceiling, ceiling], color=_DEMAND, lw=2, ls="--",
                label=f"fixed demand {fixed:,.0f} tokens/s")
        ax.plot([fixed, fixed], [ceiling, demand_y[0] if len(demand_y) else 0.0],
                color=_DEMAND, lw=1, ls="--")
    if bids:
        ax.step(demand_x, np.r_[demand_y, 0.0], where="post", color=_DEMAND, lw=2,
                label="bids, dearest first")
    if len(paid):
        low, high = float(paid.min()), float(paid.max())
        mean = float(np.average(paid, weights=served_at[paid.index]))
        ax.axhspan(low, high if high > low else low * 1.0001 + 1e-12, color=_CLEARED, alpha=0.15,
                   label=f"local prices paid {low:,.4g}-{high:,.4g} {_PRICE}")
        ax.plot([load], [mean], "o", color=_CLEARED, zorder=5,
                label=f"served {load:,.0f} tokens/s at {mean:,.4g} {_PRICE} on average")
        ax.axvline(load, color=_CLEARED, lw=1, ls=":")
    # Zoom to the demand: supply beyond twice its extent decides nothing here.
    right = 2.0 * max(demand_x[-1], load)
    if right <= 0:
        right = _steps(supply)[0][-1] if supply else 1.0
    ax.set_xlim(0, right)
    ax.set_ylim(0, ceiling * 1.05)
    unit = "tokens/s"
    if right >= 1e6:
        from matplotlib.ticker import FuncFormatter

        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value / 1e6:g}"))
        unit = "million tokens/s"
    ax.set_xlabel(f"{workload}, {unit}")
    ax.set_ylabel(f"price, {_PRICE} of {workload}")
    ax.set_title(f"Supply and demand: {workload}")
    ax.legend(loc="upper right", fontsize=8)
    return _finish(fig, path)
