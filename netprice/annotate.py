"""Write a result back onto a copy of its graph, as the contract's attributes."""

from __future__ import annotations

import numpy as np

from .periods import has_periods, period_graph
from .schema import PRICE_PARTS, names, output_names

__all__ = ["annotate"]


def annotate(G, res, *, period=None):
    """A copy of ``G`` carrying the result attributes of the graph contract.

    Nodes get ``price`` and ``price_parts`` ({workload: ...}, $/Mtok),
    ``compute_used``, ``utilisation``, ``scarcity`` and ``served``; arcs get
    ``flow_gbps``, ``flow_tokens``, ``utilisation``, ``saturated`` and
    ``rent``; ``G.graph["result"]`` holds the mode, objective, formulation
    and status.  ``G`` itself is left untouched.  The attributes written
    are the outputs of :data:`netprice.schema.ATTRIBUTES`, in its order.

    A market over periods is annotated one period at a time: ``period``
    (a label or an index) picks it, and the copy is that period's network
    (:func:`netprice.periods.period_graph`: its demand, capacity, cost and
    bandwidth as numbers) with ``G.graph["result"]["period"]`` naming it.

    Examples
    --------
    >>> import netprice as npx
    >>> G = npx.read_geojson(npx.dataset_path("us5"))
    >>> H = npx.annotate(G, npx.clear_market(G, mode="baseline"))
    >>> sorted(H.graph["result"])
    ['formulation', 'mode', 'objective', 'settlement', 'solver', 'status']
    """
    label = None
    if hasattr(res, "periods"):
        if period is None:
            raise ValueError(f"a result over {len(res.periods)} periods is annotated one period "
                             "at a time: pass period= (a label or an index)")
        res = res.period(period)
        label = res.label
    elif period is not None:
        raise ValueError("period= is for results over periods; this result is of one period")
    H = period_graph(G, label) if label is not None and has_periods(G) else G.copy()
    node_outputs, edge_outputs = output_names("node"), output_names("edge")
    values = _node_values(res)
    for n in H.nodes:
        H.nodes[n].update((name, values[name][n]) for name in node_outputs)
    values = _arc_values(res.links)
    for arc, mine in values.items():
        H.edges[arc].update((name, mine[name]) for name in edge_outputs)
    H.graph["result"] = {
        "mode": res.mode,
        "objective": float(res.objective),
        "formulation": res.formulation,
        "solver": res.solver,
        "status": res.status,
        "settlement": {k: float(v) for k, v in res.settlement.items()
                       if np.isfinite(v)},
    }
    if label is not None:
        H.graph["result"]["period"] = label
    return H


def _node_values(res) -> dict:
    """``{output: {node: value}}`` for every node output of the contract, plain Python numbers.

    Read column by column from the result's tables: a lookup per node and
    workload (pandas ``.loc``) took minutes on a 25,600-node network.
    """
    nodes, prices, service = res.nodes, res.prices, res.service
    # A number output is the column of the same name in res.nodes.
    values = {name: dict(zip(nodes.index, nodes[name].astype(float).tolist()))
              for name in names("node", role="output", type="float")}
    price = {n: {} for n in nodes.index}
    parts = {n: {} for n in nodes.index}
    table = prices[["price", *PRICE_PARTS]].astype(float).to_numpy().tolist()
    for (n, w), (p, *split) in zip(prices.index, table):
        price[n][w] = p
        parts[n][w] = dict(zip(PRICE_PARTS, split))
    served = {n: {} for n in nodes.index}
    for (n, w), tokens in zip(service.index, service["served"].astype(float).tolist()):
        served[n][w] = tokens
    values.update(price=price, price_parts=parts, served=served)
    return values


def _arc_values(links) -> dict:
    """``{(u, v): {output: value}}`` for every arc output of the contract, from res.links."""
    floats = names("edge", role="output", type="float")
    token_columns = [c for c in links.columns if c.startswith("tokens_")]
    workloads = [c[len("tokens_"):] for c in token_columns]
    numbers = links[list(floats)].astype(float).to_numpy().tolist()
    tokens = links[token_columns].astype(float).to_numpy().tolist()
    saturated = links["saturated"].astype(bool).tolist()
    values = {}
    for arc, row, flows, sat in zip(links.index, numbers, tokens, saturated):
        mine = dict(zip(floats, row))
        mine["saturated"] = sat
        mine["flow_tokens"] = dict(zip(workloads, flows))
        values[arc] = mine
    return values
