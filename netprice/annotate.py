"""Write a result back onto a copy of its graph, as the contract's attributes."""

from __future__ import annotations

import numpy as np

from .lp.duals import PARTS

__all__ = ["annotate"]


def annotate(G, res):
    """A copy of ``G`` carrying the result attributes of the graph contract.

    Nodes get ``price`` and ``price_parts`` ({workload: ...}, $/Mtok),
    ``compute_used``, ``utilisation``, ``scarcity`` and ``served``; arcs get
    ``flow_gbps``, ``flow_tokens``, ``utilisation``, ``saturated`` and
    ``rent``; ``G.graph["result"]`` holds the mode, objective, formulation
    and status.  ``G`` itself is left untouched.

    Examples
    --------
    >>> import netprice as npx
    >>> G = npx.read_geojson(npx.dataset_path("us5"))
    >>> H = npx.annotate(G, npx.clear_market(G, mode="baseline"))
    >>> sorted(H.graph["result"])
    ['formulation', 'mode', 'objective', 'settlement', 'solver', 'status']
    """
    H = G.copy()
    prices = res.prices
    nodes = res.nodes
    service = res.service
    for n in H.nodes:
        rows = prices.loc[n]
        H.nodes[n]["price"] = {w: float(v) for w, v in rows["price"].items()}
        H.nodes[n]["price_parts"] = {
            w: {part: float(rows.at[w, part]) for part in PARTS} for w in rows.index}
        H.nodes[n]["compute_used"] = float(nodes.at[n, "compute_used"])
        H.nodes[n]["utilisation"] = float(nodes.at[n, "utilisation"])
        H.nodes[n]["scarcity"] = float(nodes.at[n, "scarcity"])
        H.nodes[n]["served"] = {w: float(v) for w, v in service.loc[n, "served"].items()}
    links = res.links
    token_columns = [c for c in links.columns if c.startswith("tokens_")]
    for (u, v), row in links.iterrows():
        edge = H.edges[u, v]
        edge["flow_gbps"] = float(row["flow_gbps"])
        edge["flow_tokens"] = {c[len("tokens_"):]: float(row[c]) for c in token_columns}
        edge["utilisation"] = float(row["utilisation"])
        edge["saturated"] = bool(row["saturated"])
        edge["rent"] = float(row["rent"])
    H.graph["result"] = {
        "mode": res.mode,
        "objective": float(res.objective),
        "formulation": res.formulation,
        "solver": res.solver,
        "status": res.status,
        "settlement": {k: float(v) for k, v in res.settlement.items()
                       if np.isfinite(v)},
    }
    return H
