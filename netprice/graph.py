"""Build and query networks in code: the graph helpers scripts import.

A network is a plain :class:`networkx.DiGraph` following the contract of
:mod:`netprice.schema`; these helpers fill it with the right names and
units, derive what can be derived (link latency from the geodesic), and
answer the questions planners ask of it.
"""

from __future__ import annotations

import math

import networkx as nx

from .curves import offered_capacity
from .geo import DEFAULT_ROUTE_FACTOR, fibre_latency_ms, geodesic_length_km
from .schema import DEFAULT_TOKEN_BYTES, WORKLOAD_FIELDS

__all__ = [
    "empty_network",
    "add_site",
    "add_link",
    "workload_specs",
    "bytes_per_token",
    "node_cost",
    "node_proc_latency",
    "serves",
    "serving_sites",
]


def empty_network(workloads, *, token_bytes=DEFAULT_TOKEN_BYTES, name=None,
                  route_factor=None) -> nx.DiGraph:
    """A network with no nodes yet, its workloads declared.

    Parameters
    ----------
    workloads : dict
        ``{name: {"latency_ms", "bytes_per_token", "compute_intensity", "voll"}}``;
        missing fields take their defaults (no latency limit, intensity 1, no voll).
    token_bytes : float
        Bytes per token on links in baseline mode.

    Examples
    --------
    >>> G = empty_network({"chat": {"latency_ms": 100, "bytes_per_token": 8}})
    >>> G.graph["workloads"]["chat"]["compute_intensity"]
    1.0
    """
    specs = {}
    for w, spec in workloads.items():
        full = dict(WORKLOAD_FIELDS)
        full.update(spec)
        specs[w] = full
    G = nx.DiGraph(workloads=specs, token_bytes=token_bytes)
    if name is not None:
        G.graph["name"] = name
    if route_factor is not None:
        G.graph["route_factor"] = route_factor
    return G


def add_site(G, node, lon, lat, *, capacity=None, cost=None, demand=None, serves=None,
             proc_latency_ms=None, name=None, offers=None, bids=None, replace=False,
             **attrs) -> None:
    """Add a geolocated node: a metro with demand, a compute site, or both.

    Parameters
    ----------
    G : networkx.DiGraph
    node : hashable
        Node id.
    lon, lat : float
        WGS84 degrees.
    capacity : float
        Compute capacity in reference tokens/s (default 0: no compute; with
        ``offers``, their total).
    cost : float or dict
        $/Mtok per reference token, or ``{workload: $/Mtok}``.
    demand : dict
        ``{workload: tokens/s}`` arriving at this node.
    offers : list of dict, optional
        The site's supply curve, cheapest first: ``[{"capacity": reference
        tokens/s, "price": $/Mtok per reference token}, ...]``, instead of
        ``cost`` (``capacity`` + ``cost`` is one block).
    bids : dict, optional
        Price-responsive demand, dearest first: ``{workload:
        [{"tokens_per_s": ..., "price": $/Mtok}, ...]}``, beside ``demand``.

    In a market over periods (``G.graph["periods"]``) capacity, cost and
    each demand value may be a list of one value per period.
    serves : list, optional
        Workloads the site runs (default: all).
    proc_latency_ms : float or dict, optional
        Processing latency of this site, or ``{workload: ms}``.
    replace : bool
        Allow ``node`` to exist already: its attributes are then replaced
        by these, as if it were new (its links stay).  Without it, an
        existing id is an error: merging the two would keep some of the old
        site's attributes (its cost, its demand) under the new site's name.

    Raises
    ------
    ValueError
        If ``node`` exists and ``replace`` is false.

    Examples
    --------
    >>> G = empty_network({"chat": {"latency_ms": 100, "bytes_per_token": 8}})
    >>> add_site(G, "SEA", lon=-122.33, lat=47.61, demand={"chat": 2e5})
    >>> G.nodes["SEA"]["demand"]
    {'chat': 200000.0}
    >>> add_site(G, "CHI", lon=-87.63, lat=41.88, offers=[{"capacity": 1e6, "price": 0.2},
    ...                                                   {"capacity": 5e5, "price": 0.3}])
    >>> G.nodes["CHI"]["capacity"]
    1500000.0
    >>> add_site(G, "SEA", lon=-122.33, lat=47.61, capacity=1e6)
    Traceback (most recent call last):
    ...
    ValueError: site 'SEA' already exists; pass replace=True to replace its attributes
    >>> add_site(G, "SEA", lon=-122.33, lat=47.61, capacity=1e6, cost=2.0, replace=True)
    >>> "demand" in G.nodes["SEA"], G.nodes["SEA"]["capacity"]
    (False, 1000000.0)
    """
    if node in G and not replace:
        raise ValueError(f"site {node!r} already exists; pass replace=True to replace its "
                         "attributes")
    if capacity is None:
        capacity = 0.0 if offers is None else (offered_capacity(offers) or 0.0)
    data = {"lon": float(lon), "lat": float(lat), "capacity": _per_period(capacity)}
    if offers is not None:
        data["offers"] = [dict(block) for block in offers]
    if bids is not None:
        data["bids"] = {w: [dict(block) for block in curve] for w, curve in bids.items()}
    if cost is not None:
        data["cost"] = dict(cost) if isinstance(cost, dict) else _per_period(cost)
    if demand is not None:
        data["demand"] = {w: _per_period(v) for w, v in demand.items()}
    if serves is not None:
        data["serves"] = list(serves)
    if proc_latency_ms is not None:
        data["proc_latency_ms"] = (dict(proc_latency_ms) if isinstance(proc_latency_ms, dict)
                                   else float(proc_latency_ms))
    if name is not None:
        data["name"] = name
    data.update(attrs)
    if node in G:
        G.nodes[node].clear()
    G.add_node(node, **data)


def _per_period(value):
    """A number as a float; a list (one value per period, docs/model.md section 9) as a list."""
    return list(value) if isinstance(value, (list, tuple)) else float(value)


def add_link(G, a, b, *, bandwidth_gbps, latency_ms=None, cost_per_gb=0.0, directed=False,
             route_factor=None, geometry=None, link=None, replace=False, **attrs) -> None:
    """Add a backbone link between two existing nodes.

    Parameters
    ----------
    bandwidth_gbps : float
        Capacity per direction in Gbit/s (an undirected link is full duplex).
    latency_ms : float, optional
        One-way latency; derived from the geodesic length of ``geometry`` (or
        of the straight line a-b) times the route factor over the speed of
        light in fibre when not given.
    cost_per_gb : float
        Transport cost in $/GB.
    directed : bool
        False (default) adds both directions, each with the full bandwidth.
    route_factor : float, optional
        Fibre route length over geodesic length (default: the graph's
        ``route_factor``, else :data:`netprice.geo.DEFAULT_ROUTE_FACTOR`).
    geometry : list of (lon, lat), optional
        The link's path from a to b.
    link : str, optional
        Link id (default ``"a-b"``).
    replace : bool
        Allow an arc between the two nodes to exist already: it is then
        replaced.  Without it, that is an error (merge parallel links into
        one, bandwidths adding, before adding them).

    Raises
    ------
    networkx.NodeNotFound
        If ``a`` or ``b`` is not in ``G``.
    ValueError
        If an arc this link would add exists and ``replace`` is false.

    Examples
    --------
    >>> G = empty_network({"chat": {"latency_ms": 100, "bytes_per_token": 8}})
    >>> add_site(G, "SEA", -122.33, 47.61)
    >>> add_site(G, "NYC", -74.01, 40.71)
    >>> add_link(G, "SEA", "NYC", bandwidth_gbps=400)
    >>> round(G.edges["NYC", "SEA"]["latency_ms"], 1)
    26.6
    """
    for end in (a, b):
        if end not in G:
            raise nx.NodeNotFound(f"link {a}-{b}: node {end!r} is not in the graph; "
                                  "add it with netprice.add_site first")
    arcs = [(a, b)] if directed else [(a, b), (b, a)]
    taken = [arc for arc in arcs if G.has_edge(*arc)]
    if taken and not replace:
        u, v = taken[0]
        raise ValueError(f"a link {u}->{v} already exists ({G.edges[u, v].get('link')!r}); "
                         "merge parallel links into one (bandwidths add), or pass replace=True")
    G.remove_edges_from(taken)
    if geometry is None:
        geometry = [(G.nodes[a]["lon"], G.nodes[a]["lat"]), (G.nodes[b]["lon"], G.nodes[b]["lat"])]
    geometry = [tuple(float(c) for c in point[:2]) for point in geometry]
    length_km = geodesic_length_km(geometry)
    data = {
        # A list holds one bandwidth per period (docs/model.md section 9).
        "bandwidth_gbps": _per_period(bandwidth_gbps),
        "cost_per_gb": float(cost_per_gb),
        "link": f"{a}-{b}" if link is None else link,
        "directed": bool(directed),
        "length_km": length_km,
        "geometry": geometry,
    }
    if route_factor is not None:
        data["route_factor"] = float(route_factor)
    if latency_ms is None:
        factor = route_factor or G.graph.get("route_factor") or DEFAULT_ROUTE_FACTOR
        data["latency_ms"] = fibre_latency_ms(length_km, factor)
        data["latency_source"] = "geodesic"
    else:
        data["latency_ms"] = float(latency_ms)
        data["latency_source"] = "given"
    data.update(attrs)
    G.add_edge(a, b, **data)
    if not directed:
        G.add_edge(b, a, **{**data, "geometry": geometry[::-1]})


def workload_specs(G) -> dict:
    """``G.graph["workloads"]`` with every field present (defaults filled in)."""
    specs = {}
    for w, spec in G.graph["workloads"].items():
        full = dict(WORKLOAD_FIELDS)
        full.update({k: v for k, v in spec.items() if v is not None or k in ("latency_ms", "voll")})
        if full["compute_intensity"] is None:
            full["compute_intensity"] = WORKLOAD_FIELDS["compute_intensity"]
        specs[w] = full
    return specs


def bytes_per_token(G, mode) -> dict:
    """Bytes each workload's tokens occupy on links in ``mode``.

    ``"baseline"`` counts every token as ``token_bytes``; ``"transfer"`` uses
    each workload's ``bytes_per_token``.
    """
    specs = workload_specs(G)
    if mode == "baseline":
        tb = float(G.graph.get("token_bytes") or DEFAULT_TOKEN_BYTES)
        return {w: tb for w in specs}
    if mode == "transfer":
        return {w: float(s["bytes_per_token"]) for w, s in specs.items()}
    raise ValueError(f"mode must be 'baseline' or 'transfer', got {mode!r}")


def node_cost(data, workload, intensity) -> float:
    """Processing cost at a node for a workload, $/Mtok (docs/model.md: cost x intensity)."""
    cost = data.get("cost", 0.0)
    if isinstance(cost, dict):
        return float(cost.get(workload, 0.0))
    return float(cost or 0.0) * intensity


def node_proc_latency(data, workload) -> float:
    """Processing latency of a node for a workload, ms."""
    value = data.get("proc_latency_ms", 0.0)
    if isinstance(value, dict):
        return float(value.get(workload, 0.0))
    return float(value or 0.0)


def serves(data, workload) -> bool:
    """Whether a node can process a workload: it has compute (or offers some) and runs it."""
    if not data.get("capacity") and not (data.get("offers")
                                         and offered_capacity(data["offers"])):
        return False
    allowed = data.get("serves")
    return allowed is None or workload in allowed


def serving_sites(G, node, workload, *, weight="latency_ms"):
    """Sites that can serve ``workload`` for demand arriving at ``node``, within its latency limit.

    Returns a dict ``{site: latency_ms}`` (fastest route plus the site's
    processing latency), sorted by latency.

    Examples
    --------
    >>> G = empty_network({"chat": {"latency_ms": 20, "bytes_per_token": 8}})
    >>> add_site(G, "A", 0.0, 0.0, capacity=1e6, cost=1.0)
    >>> add_site(G, "B", 1.0, 0.0)
    >>> add_site(G, "C", 30.0, 0.0, capacity=1e6, cost=1.0)
    >>> add_link(G, "A", "B", bandwidth_gbps=10)
    >>> add_link(G, "B", "C", bandwidth_gbps=10)
    >>> {site: round(ms, 2) for site, ms in serving_sites(G, "B", "chat").items()}
    {'A': 0.76}
    """
    limit = G.graph["workloads"][workload].get("latency_ms")
    cutoff = math.inf if limit is None else float(limit)
    dist = nx.single_source_dijkstra_path_length(G, node, cutoff=cutoff, weight=weight)
    found = {}
    for site, route_ms in dist.items():
        data = G.nodes[site]
        if serves(data, workload):
            total = route_ms + node_proc_latency(data, workload)
            if total <= cutoff:
                found[site] = total
    return dict(sorted(found.items(), key=lambda kv: kv[1]))
