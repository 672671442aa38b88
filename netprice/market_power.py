"""Market-power screens of a cleared market, as electricity regulators run them (model.md §10).

**Residual supply index.**  For a workload w, a region r and a seller i::

    RSI[i, w, r] = (most tokens/s of w the *other* sellers can deliver to r's load) / r's load

where "deliver" respects everything the market does -- link bandwidths,
latency limits (each token over an admissible route), the sites'
capacities and the workloads they serve -- and the load is what the
cleared market served there (fixed demand met plus accepted bids).  A
seller with RSI < 1 is **pivotal**: without it the load cannot be served,
so it can name its price.  As in electricity markets, capacity counts
whatever its price.  Unlike a one-product market, compute and links are
shared by every workload and region, so the others deliver to this load
only what they have left once they have served as much as they can of the
*rest* of the market's load: screening one small piece of the market
must not make a seller who owns most of its capacity look competitive.

Deliverability is a welfare-maximising market of its own (free capacity,
free transport): the rest of the cleared load bids 2 $/Mtok, this load
bids 1 $/Mtok for more tokens than every site together could serve, so
the rest is served first and what this load then gets is the most that
can be delivered to it.  Each seller's screen is the same market with its
sites closed, re-solved warm.

A **seller** is the node attribute ``owner`` of its compute sites
(default: each site sells alone); a **region** is the node attribute
``region`` of the load (default: the whole network is one region).

**Uniform price.**  :func:`uniform_price` clears the same market on a
copper plate -- every link free, unlimited and instant, so no latency
limit can bind and every node of a workload sees one price -- and compares,
for the load the locational market served, what each (node, workload) pays
at the uniform price and at its locational price.  The quantities are the
locational market's: the comparison is of prices, not of a different
dispatch.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .market import Market, clear_market
from .welfare import HOURS

__all__ = ["market_power", "uniform_price", "UniformPrice", "served_load", "sellers"]

#: A seller is pivotal when its RSI is below 1 by more than this (round-off).
PIVOTAL_TOLERANCE = 1e-9
#: The region's load is scaled to this many times what every site together
#: could serve, so that the elastic market's service is what can be delivered.
HEADROOM = 4.0
#: The copper plate's links carry this many times all tokens that may arrive.
COPPER_HEADROOM = 10.0


def served_load(res) -> pd.Series:
    """Tokens/s of each (node, workload) the market served: demand met plus accepted bids."""
    service = res.service
    load = service["demand"] - service["unserved"]
    bids = res.bids
    if len(bids):
        accepted = bids["accepted"].groupby(level=["node", "workload"]).sum()
        load = load.add(accepted.reindex(load.index, fill_value=0.0))
    return load.rename("load")


def sellers(G, *, owner="owner") -> dict:
    """``{seller: [sites]}``: compute sites grouped by their ``owner`` (default: themselves).

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_node("a", capacity=5.0, owner="X"); G.add_node("b", capacity=3.0, owner="X")
    >>> G.add_node("c", capacity=2.0); G.add_node("m", capacity=0.0)
    >>> sellers(G)
    {'X': ['a', 'b'], 'c': ['c']}
    """
    out = {}
    for n, data in G.nodes(data=True):
        if float(data.get("capacity") or 0.0) > 0:
            out.setdefault(data.get(owner, n), []).append(n)
    return out


def _regions(G, region):
    return {n: data.get(region, "network") for n, data in G.nodes(data=True)}


#: What the rest of the load and the screened load bid in the delivery market, $/Mtok.
REST_FIRST, SCREENED = 2.0, 1.0


def _delivery_market(G, load, workload, screened, scale):
    """The market in which the others' deliverable to ``screened`` is what it is served.

    Every site sells its whole capacity at no cost and links cost nothing;
    the served ``load`` bids at REST_FIRST, except the screened load (of
    ``workload`` at the nodes ``screened``), which bids at SCREENED for
    ``scale`` times its size.
    """
    H = G.copy()
    H.graph["workloads"] = copy.deepcopy(G.graph["workloads"])
    for spec in H.graph["workloads"].values():
        spec["voll"] = None
    for n in H.nodes:
        data = H.nodes[n]
        for key in ("offers", "bids", "demand", "cost"):
            data.pop(key, None)
        if data.get("capacity"):
            data["cost"] = 0.0  # what can be delivered, not at what cost: free, and said so
    for (n, w), tokens in load.items():
        if tokens <= 0:
            continue
        mine = w == workload and n in screened
        H.nodes[n].setdefault("bids", {})[w] = [
            {"tokens_per_s": float(tokens) * (scale if mine else 1.0),
             "price": SCREENED if mine else REST_FIRST}]
    for u, v in H.edges:
        H.edges[u, v]["cost_per_gb"] = 0.0
    return H


def _delivered(res, workload, nodes):
    """Tokens/s of ``workload`` the screened bids at ``nodes`` got."""
    bids = res.bids.xs(workload, level="workload")["accepted"]
    return float(bids[bids.index.get_level_values("node").isin(nodes)].sum())


def _closed(H, sites):
    closed = H.copy()
    for n in sites:
        closed.nodes[n]["capacity"] = 0.0
    return closed


def market_power(G, res=None, *, mode=None, owner="owner", region="region",
                 solver="glop") -> pd.DataFrame:
    """Residual supply index and pivotal-supplier test of every seller (see the module notes).

    Parameters
    ----------
    G : networkx.DiGraph
        The network of ``res``.
    res : MarketResult, optional
        Its cleared market (cleared here when not given).
    mode : {"transfer", "baseline"}, optional
        Default: ``res.mode`` (or "transfer").
    owner, region : str
        Node attributes naming a site's seller and a node's region.
    solver : str
        LP solver of the deliverability LPs.

    Returns
    -------
    pandas.DataFrame
        Index ``(workload, region, seller)``; columns ``load`` (tokens/s
        served in the region), ``capacity`` (the seller's, reference
        tokens/s), ``served`` (tokens/s of the workload its sites processed,
        anywhere), ``deliverable`` (by every seller) and
        ``deliverable_without`` (by the others), tokens/s, ``rsi`` and
        ``pivotal``.  Regions without load of a workload have no rows.
        ``deliverable`` and ``deliverable_without`` count what is left once
        the rest of the load is served.

    Examples
    --------
    >>> import netprice as npx
    >>> G = npx.empty_network({"chat": {"latency_ms": None, "bytes_per_token": 8}})
    >>> npx.add_site(G, "BIG", -100.0, 40.0, capacity=8e5, cost=1.0)
    >>> npx.add_site(G, "SMALL", -99.0, 40.0, capacity=3e5, cost=2.0, demand={"chat": 5e5})
    >>> npx.add_link(G, "BIG", "SMALL", bandwidth_gbps=100)
    >>> screen = market_power(G)
    >>> mine = screen.loc[("chat", "network")]
    >>> mine["rsi"].round(3).to_dict(), mine["pivotal"].to_dict()
    ({'BIG': 0.6, 'SMALL': 1.6}, {'BIG': True, 'SMALL': False})

    Without BIG the others deliver 3e5 of the 5e5 tokens/s served: BIG is
    pivotal.
    """
    if res is None:
        res = clear_market(G, mode=mode or "transfer", solver=solver)
    mode = mode or res.mode
    load = served_load(res)
    where = _regions(G, region)
    groups = sellers(G, owner=owner)
    capacity = {i: sum(float(G.nodes[n]["capacity"]) for n in sites) for i, sites in groups.items()}
    served = res.service["served"]
    specs = G.graph["workloads"]
    total_capacity = sum(capacity.values())
    records = []
    for w in specs:
        intensity = float(specs[w].get("compute_intensity") or 1.0)
        by_region = {}
        for (n, workload), tokens in load.items():
            if workload == w and tokens > 0:
                by_region.setdefault(where[n], {})[n] = float(tokens)
        for r, load_at in by_region.items():
            total = sum(load_at.values())
            scale = max(HEADROOM, HEADROOM * total_capacity / intensity / total)
            H = _delivery_market(G, load, w, load_at, scale)
            market = Market(H, mode, solver=solver)
            deliverable = _delivered(market.solve(), w, list(load_at))
            for i, sites in groups.items():
                others = _delivered(market.resolve(_closed(H, sites)), w, list(load_at))
                records.append({
                    "workload": w, "region": r, "seller": i, "load": total,
                    "capacity": capacity[i],
                    "served": float(sum(served.get((n, w), 0.0) for n in sites)),
                    "deliverable": deliverable, "deliverable_without": others,
                    "rsi": others / total,
                })
    frame = pd.DataFrame(records, columns=["workload", "region", "seller", "load", "capacity",
                                           "served", "deliverable", "deliverable_without",
                                           "rsi"])
    frame["pivotal"] = frame["rsi"] < 1 - PIVOTAL_TOLERANCE
    return frame.set_index(["workload", "region", "seller"])


@dataclass
class UniformPrice:
    """The one-price counterfactual of a locational result (:func:`uniform_price`).

    Attributes
    ----------
    prices : pandas.Series
        The uniform price of each workload, $/Mtok.
    table : pandas.DataFrame
        Index ``(node, workload)`` of the served load: ``load`` (tokens/s),
        ``locational_price`` and ``uniform_price`` ($/Mtok),
        ``locational_payment`` and ``uniform_payment`` ($/h), ``difference``
        (uniform - locational, $/h) and ``pays`` ("more", "less" or "same"
        under the uniform price).
    totals : pandas.DataFrame
        Per workload and in all (``"total"``): the two payments and the difference.
    result : MarketResult
        The copper-plate clearing.
    """

    prices: pd.Series
    table: pd.DataFrame
    totals: pd.DataFrame
    result: object


def copper_plate(G, *, hub="uniform-price hub"):
    """G with its links replaced by free, unlimited, instant ones through one hub node.

    No link binds and no latency limit can (every limit is lifted: there is
    no distance), so every node of a workload sees one price.
    """
    H = copy.deepcopy(G)
    H.remove_edges_from(list(H.edges))
    for spec in H.graph["workloads"].values():
        spec["latency_ms"] = None
    while hub in H:
        hub = f"{hub}'"
    tokens = 0.0
    for _, data in H.nodes(data=True):
        tokens += sum((data.get("demand") or {}).values())
        tokens += sum(b["tokens_per_s"] for curve in (data.get("bids") or {}).values()
                      for b in curve)
    heaviest = max(float(s["bytes_per_token"]) for s in H.graph["workloads"].values())
    heaviest = max(heaviest, float(H.graph.get("token_bytes") or 0.0))
    bandwidth = COPPER_HEADROOM * max(tokens, 1.0) * heaviest * 8e-9
    lon = float(np.mean([d["lon"] for _, d in H.nodes(data=True)]))
    lat = float(np.mean([d["lat"] for _, d in H.nodes(data=True)]))
    nodes = list(H.nodes)
    H.add_node(hub, lon=lon, lat=lat, capacity=0.0)
    for n in nodes:
        for u, v in ((n, hub), (hub, n)):
            H.add_edge(u, v, bandwidth_gbps=bandwidth, latency_ms=0.0, cost_per_gb=0.0,
                       link=f"{n}~hub", directed=True)
    return H, hub


def uniform_price(G, res=None, *, mode=None, solver="glop") -> UniformPrice:
    """One price per workload for the whole network against the locational result.

    Parameters
    ----------
    G : networkx.DiGraph
    res : MarketResult, optional
        The locational result (cleared here when not given).
    mode : {"transfer", "baseline"}, optional
        Default: ``res.mode`` (or "transfer").

    Returns
    -------
    UniformPrice

    Examples
    --------
    >>> import netprice as npx
    >>> G = npx.empty_network({"chat": {"latency_ms": 50, "bytes_per_token": 8}})
    >>> npx.add_site(G, "A", -100.0, 40.0, capacity=1e6, cost=10.0)
    >>> npx.add_site(G, "B", -95.0, 40.0, capacity=1e6, cost=50.0, demand={"chat": 5e5})
    >>> npx.add_link(G, "A", "B", bandwidth_gbps=0.016)
    >>> comparison = uniform_price(G)
    >>> comparison.prices.round(6).to_dict()
    {'chat': 10.0}
    >>> row = comparison.table.loc[("B", "chat")]
    >>> float(row["locational_price"]), row["pays"], round(float(row["difference"]), 2)
    (50.0, 'less', -72000.0)
    """
    if res is None:
        res = clear_market(G, mode=mode or "transfer", solver=solver)
    mode = mode or res.mode
    H, hub = copper_plate(G)
    plate = clear_market(H, mode=mode, solver=solver)
    prices = plate.prices.xs(hub, level="node")["price"].rename("uniform_price")
    load = served_load(res)
    table = pd.DataFrame({"load": load, "locational_price": res.prices["price"]})
    table = table[table["load"] > 0]
    workloads = table.index.get_level_values("workload")
    table["uniform_price"] = prices.reindex(workloads).to_numpy()
    table["locational_payment"] = table["locational_price"] * table["load"] * HOURS
    table["uniform_payment"] = table["uniform_price"] * table["load"] * HOURS
    table["difference"] = table["uniform_payment"] - table["locational_payment"]
    tie = 1e-9 * np.maximum(1.0, table["locational_payment"].abs())
    table["pays"] = np.where(table["difference"] > tie, "more",
                             np.where(table["difference"] < -tie, "less", "same"))
    sums = table.groupby(level="workload")[["locational_payment", "uniform_payment",
                                            "difference"]].sum()
    sums.loc["total"] = sums.sum()
    return UniformPrice(prices, table, sums, plate)
