"""Scenarios: small, picklable descriptions of a change to a network.

A scenario is data (a parameter name and a value), not a closure, so a
sweep can ship thousands of them to Dask workers cheaply.  ``apply``
returns a changed copy of the graph; the base graph is never touched.

Parameters understood (``what`` names a workload, node or link id):

========================  ==================================================
``latency_ms:WORKLOAD``   the workload's latency limit (None: no limit)
``voll:WORKLOAD``         the workload's value of lost load
``bytes_per_token:W``     the workload's payload per token
``demand_scale``          every demand times the value
``demand_scale:WORKLOAD`` that workload's demand times the value
``capacity_scale``        every compute capacity times the value
``capacity:NODE``         one site's capacity (0: the site is out)
``bandwidth_scale``       every link's bandwidth times the value
``bandwidth:LINK``        both arcs of a link (by link id) get the value
``cost_scale``            every processing and transport cost times the value
``token_bytes``           bytes per token in baseline mode
``outage:LINK`` / ``outage:NODE``  remove a link / a node (value ignored)
========================  ==================================================

Offer and bid curves (docs/model.md section 10) follow: a site's capacity
scales its offer blocks, demand scales bid quantities, and ``cost_scale``
scales offer and bid prices as it scales costs and voll.
"""

from __future__ import annotations

from dataclasses import dataclass

from .curves import offered_capacity, scale_bids, scale_offers

__all__ = ["Scenario", "apply_parameter", "PARAMETERS"]

PARAMETERS = ("latency_ms", "voll", "bytes_per_token", "demand_scale", "capacity_scale",
              "capacity", "bandwidth_scale", "bandwidth", "cost_scale", "token_bytes", "outage")


@dataclass(frozen=True)
class Scenario:
    """One point of a sweep: ``parameter`` set to ``value`` (see module docs)."""

    name: str
    parameter: str
    value: object = None

    def apply(self, G):
        """A copy of ``G`` with this scenario's change."""
        return apply_parameter(G, self.parameter, self.value)


def _split(parameter):
    kind, _, what = parameter.partition(":")
    if kind not in PARAMETERS:
        raise ValueError(f"unknown sweep parameter {parameter!r}; use one of "
                         f"{', '.join(PARAMETERS)} (with ':WORKLOAD', ':NODE' or ':LINK' "
                         "where it names one)")
    return kind, what or None


def _arcs_of_link(G, link):
    arcs = [(u, v) for u, v, lid in G.edges(data="link") if lid == link]
    if not arcs:
        raise ValueError(f"no link with id {link!r}")
    return arcs


def apply_parameter(G, parameter, value):
    """Return a copy of ``G`` with ``parameter`` set to ``value``.

    Examples
    --------
    >>> import netprice as npx
    >>> G = npx.read_geojson(npx.dataset_path("us5"))
    >>> H = apply_parameter(G, "latency_ms:chat", 15)
    >>> H.graph["workloads"]["chat"]["latency_ms"], G.graph["workloads"]["chat"]["latency_ms"]
    (15, 100.0)
    """
    import copy

    kind, what = _split(parameter)
    H = G.copy()
    H.graph["workloads"] = copy.deepcopy(G.graph["workloads"])
    workloads = H.graph["workloads"]
    if kind in ("latency_ms", "voll", "bytes_per_token"):
        if what not in workloads:
            raise ValueError(f"{parameter}: no workload {what!r}; declared: {sorted(workloads)}")
        workloads[what][kind] = value
    elif kind == "token_bytes":
        H.graph["token_bytes"] = value
    elif kind == "demand_scale":
        for n in H.nodes:
            demand = H.nodes[n].get("demand")
            if demand:
                H.nodes[n]["demand"] = {w: d * value if what in (None, w) else d
                                        for w, d in demand.items()}
            if H.nodes[n].get("bids"):
                H.nodes[n]["bids"] = scale_bids(H.nodes[n]["bids"], quantity=value,
                                                workload=what)
    elif kind == "capacity_scale":
        for n in H.nodes:
            H.nodes[n]["capacity"] = float(H.nodes[n].get("capacity") or 0.0) * value
            if H.nodes[n].get("offers"):
                H.nodes[n]["offers"] = scale_offers(H.nodes[n]["offers"], value)
    elif kind == "capacity":
        if what not in H:
            raise ValueError(f"{parameter}: no node {what!r}")
        H.nodes[what]["capacity"] = float(value)
        offers = H.nodes[what].get("offers")
        if offers:
            # Every block shrinks (or grows) alike; 0 withdraws them all.
            total = offered_capacity(offers)
            H.nodes[what]["offers"] = scale_offers(offers, float(value) / total if total
                                                   else 0.0)
    elif kind == "bandwidth_scale":
        for u, v in H.edges:
            H.edges[u, v]["bandwidth_gbps"] = H.edges[u, v]["bandwidth_gbps"] * value
    elif kind == "bandwidth":
        for u, v in _arcs_of_link(H, what):
            H.edges[u, v]["bandwidth_gbps"] = float(value)
    elif kind == "cost_scale":
        for n in H.nodes:
            cost = H.nodes[n].get("cost")
            if isinstance(cost, dict):
                H.nodes[n]["cost"] = {w: c * value for w, c in cost.items()}
            elif cost is not None:
                H.nodes[n]["cost"] = cost * value
            if H.nodes[n].get("offers"):
                H.nodes[n]["offers"] = [{**b, "price": float(b["price"]) * value}
                                        for b in H.nodes[n]["offers"]]
            if H.nodes[n].get("bids"):
                H.nodes[n]["bids"] = scale_bids(H.nodes[n]["bids"], price=value)
        for u, v in H.edges:
            H.edges[u, v]["cost_per_gb"] = H.edges[u, v].get("cost_per_gb", 0.0) * value
        for spec in workloads.values():
            if spec.get("voll") is not None:
                spec["voll"] = spec["voll"] * value
    elif kind == "outage":
        if what in H:
            H.remove_node(what)
        else:
            H.remove_edges_from(_arcs_of_link(H, what))
    return H
