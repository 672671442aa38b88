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
    prices, nodes, service = res.prices, res.nodes, res.service
    for n in H.nodes:
        values = _node_values(n, prices, nodes, service)
        H.nodes[n].update((name, values[name]) for name in node_outputs)
    links = res.links
    token_columns = [c for c in links.columns if c.startswith("tokens_")]
    for (u, v), row in links.iterrows():
        values = _arc_values(row, token_columns)
        H.edges[u, v].update((name, values[name]) for name in edge_outputs)
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


def _node_values(n, prices, nodes, service) -> dict:
    """Every node output of the contract at ``n``, as plain Python numbers."""
    rows = prices.loc[n]
    # A number output is the column of the same name in res.nodes.
    values = {name: float(nodes.at[n, name]) for name in names("node", role="output",
                                                                  type="float")}
    values["price"] = {w: float(v) for w, v in rows["price"].items()}
    values["price_parts"] = {
        w: {part: float(rows.at[w, part]) for part in PRICE_PARTS} for w in rows.index}
    values["served"] = {w: float(v) for w, v in service.loc[n, "served"].items()}
    return values


def _arc_values(row, token_columns) -> dict:
    """Every arc output of the contract, from the arc's row of res.links."""
    values = {name: float(row[name]) for name in names("edge", role="output", type="float")}
    values["saturated"] = bool(row["saturated"])
    values["flow_tokens"] = {c[len("tokens_"):]: float(row[c]) for c in token_columns}
    return values
