"""Seeded synthesis of market data for a geolocated network.

Real topologies (the Internet Topology Zoo) give sites, links, coordinates
and sometimes link speeds, but no compute, costs or demand.  This module
fills those in, reproducibly from one seed, so that any geolocated graph
becomes a market netprice can clear.  The rules, and why they were chosen,
are in ``docs/graphml.md``; in short:

* **sites** -- half at the best-connected places (hubs), half spread out by
  farthest-first coverage, as an operator would place GPU regions: about
  20 % of the nodes, at least 2, at most 40;
* **demand** -- a population proxy (node degree times seeded lognormal
  noise), split over the workloads by a seeded mix, and scaled down where
  the links on the way to the nearest site could not carry it;
* **capacity** -- every site can serve the demand closest to it, and the
  network as a whole runs at a seeded 60-80 % utilisation;
* **costs** -- a GPU-hour cost plus regional electricity prices (a smooth
  interpolation of a small table of regional industrial prices);
* **latency limits** -- relative to the network's own geography, so that
  they bind (not every site can serve every node) yet every node has a
  site within reach.

Together these make a *feasible* market by construction: serving every
node at its nearest site respects every latency limit, compute capacity
and link bandwidth, so the LP has an optimum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx
import numpy as np

from .errors import ValidationError
from .geo import geodesic_length_km, great_circle_km
from .schema import DEFAULT_TOKEN_BYTES, WORKLOAD_FIELDS

__all__ = [
    "DEFAULT_WORKLOADS",
    "ELECTRICITY_ANCHORS",
    "GPU_COST",
    "electricity_price",
    "site_cost",
    "synthesise_market",
]

#: Workloads of a synthesised market.  Besides the contract fields, two
#: synthesis hints: ``share`` (fraction of a node's tokens) and ``reach``
#: (how far the latency limit stretches between the tightest feasible
#: limit and the farthest site, see :func:`synthesise_market`).  A workload
#: without ``reach`` has no latency limit.
DEFAULT_WORKLOADS = {
    "chat": {"bytes_per_token": 8.0, "compute_intensity": 1.0, "share": 0.45, "reach": 0.25,
             "description": "interactive chat: tight latency, small text payload"},
    "code": {"bytes_per_token": 24.0, "compute_intensity": 1.5, "share": 0.25, "reach": 0.5,
             "description": "code completion: repository context travels with each request"},
    "batch": {"bytes_per_token": 8.0, "compute_intensity": 0.8, "share": 0.25,
              "description": "batch summarisation: no latency limit, batched for efficiency"},
    "image": {"bytes_per_token": 1024.0, "compute_intensity": 4.0, "share": 0.05,
              "description": "image generation: seconds of compute dwarf network latency; "
                             "heavy payload"},
}

#: Regional industrial electricity prices, $/MWh, as (lon, lat, price, place).
#: Illustrative round numbers of the 2022-2024 range, not a price forecast:
#: enough to make some regions cheap and others dear, as they are.
ELECTRICITY_ANCHORS = (
    (-122.3, 47.6, 60, "Seattle"), (-122.4, 37.8, 180, "San Francisco"),
    (-118.2, 34.1, 170, "Los Angeles"), (-112.1, 33.4, 80, "Phoenix"),
    (-105.0, 39.7, 80, "Denver"), (-96.8, 32.8, 70, "Dallas"),
    (-87.6, 41.9, 85, "Chicago"), (-84.4, 33.7, 75, "Atlanta"),
    (-77.5, 39.0, 85, "Ashburn"), (-74.0, 40.7, 140, "New York"),
    (-71.1, 42.4, 170, "Boston"), (-73.6, 45.5, 50, "Montreal"),
    (-79.4, 43.7, 90, "Toronto"), (-99.1, 19.4, 110, "Mexico City"),
    (-46.6, -23.5, 110, "Sao Paulo"), (-70.7, -33.4, 120, "Santiago"),
    (-0.1, 51.5, 230, "London"), (2.35, 48.9, 140, "Paris"),
    (8.7, 50.1, 200, "Frankfurt"), (4.9, 52.4, 180, "Amsterdam"),
    (18.1, 59.3, 70, "Stockholm"), (10.8, 59.9, 60, "Oslo"),
    (-3.7, 40.4, 130, "Madrid"), (12.5, 41.9, 220, "Rome"),
    (21.0, 52.2, 170, "Warsaw"), (14.4, 50.1, 170, "Prague"),
    (26.1, 44.4, 160, "Bucharest"), (23.7, 38.0, 170, "Athens"),
    (29.0, 41.0, 110, "Istanbul"), (37.6, 55.8, 60, "Moscow"),
    (28.0, -26.2, 70, "Johannesburg"), (3.4, 6.5, 90, "Lagos"),
    (31.2, 30.0, 50, "Cairo"), (72.9, 19.1, 100, "Mumbai"),
    (116.4, 39.9, 90, "Beijing"), (139.7, 35.7, 170, "Tokyo"),
    (127.0, 37.6, 110, "Seoul"), (103.8, 1.35, 150, "Singapore"),
    (151.2, -33.9, 150, "Sydney"), (174.8, -36.8, 110, "Auckland"),
)

#: What one reference token costs to produce: a GPU-hour (server share,
#: amortised, with staff and networking) plus its power at the site's
#: electricity price, over the tokens it produces in that hour.
GPU_COST = {"gpu_hour_usd": 1.5, "gpu_kw": 1.0, "pue": 1.3, "tokens_per_gpu_s": 2500.0}

# Interpolation length: prices blend over a few hundred km instead of
# jumping at the midpoint between two anchors.
_SMOOTHING_KM = 300.0
# Headroom left on every link by the nearest-site dispatch the demand is
# sized against, so the certificate of feasibility survives rounding.
_LINK_HEADROOM = 0.8


def electricity_price(lon, lat):
    """Regional industrial electricity price at a place, $/MWh.

    An inverse-fourth-power distance blend of :data:`ELECTRICITY_ANCHORS`
    (great-circle distance, smoothed over 300 km): smooth, defined
    everywhere, and close to the anchor's price near an anchor.  The
    distance is on the sphere (:func:`netprice.geo.great_circle_km`), not
    the WGS84 ellipsoid: the blend is no more exact than its anchors, and
    the ellipsoid would move the rounded costs of 115 of the 276 Topology
    Zoo markets synthesised with seed 0.

    Parameters
    ----------
    lon, lat : float or array_like
        WGS84 degrees.

    Examples
    --------
    >>> round(float(electricity_price(-122.3, 47.6)))  # Seattle: hydro power
    61
    >>> round(float(electricity_price(-0.1, 51.5)))  # London
    210
    """
    lon = np.asarray(lon, dtype=float)[..., None]
    lat = np.asarray(lat, dtype=float)[..., None]
    anchors = np.array([a[:3] for a in ELECTRICITY_ANCHORS], dtype=float)
    dist = great_circle_km(lon, lat, anchors[:, 0], anchors[:, 1])
    # Inverse fourth power: the nearest anchors decide, far ones fade out.
    weights = 1.0 / (dist ** 2 + _SMOOTHING_KM ** 2) ** 2
    price = (weights * anchors[:, 2]).sum(axis=-1) / weights.sum(axis=-1)
    return float(price[()]) if price.ndim == 0 else price


def site_cost(price_usd_mwh, *, gpu_hour_usd=GPU_COST["gpu_hour_usd"], gpu_kw=GPU_COST["gpu_kw"],
              pue=GPU_COST["pue"], tokens_per_gpu_s=GPU_COST["tokens_per_gpu_s"]):
    """Processing cost of one million reference tokens at an electricity price, $/Mtok.

    ``(gpu_hour_usd + gpu_kw * pue * price / 1000) / (tokens_per_gpu_s * 3600 / 1e6)``

    Examples
    --------
    >>> round(site_cost(100.0), 4)
    0.1811
    """
    per_hour = gpu_hour_usd + gpu_kw * pue * np.asarray(price_usd_mwh, dtype=float) / 1000.0
    cost = per_hour / (tokens_per_gpu_s * 3600.0 / 1e6)
    return float(cost) if cost.ndim == 0 else cost


def _sig(x, digits=4) -> float:
    """Round to significant digits: readable files, identical across runs."""
    return float(f"{float(x):.{digits}g}")


def _sig_up(x, digits=4) -> float:
    """Round up to significant digits (a capacity must not shrink below its need)."""
    x = float(x)
    value = _sig(x, digits)
    if value < x:
        value = _sig(value + 10.0 ** (math.floor(math.log10(x)) - digits + 1), digits)
    return value


def _ceil_ms(x) -> float:
    """Round a latency limit up to 0.01 ms, never below ``x``."""
    value = math.ceil(x * 100.0 - 1e-9) / 100.0
    return value if value >= x else value + 0.01


def _workload_plan(workloads):
    specs, hints = {}, {}
    for name, spec in workloads.items():
        spec = dict(spec)
        hint = {"share": spec.pop("share", None), "reach": spec.pop("reach", None)}
        if "bytes_per_token" not in spec:
            raise ValidationError("is missing", feature=f"workload '{name}'",
                                  field="bytes_per_token",
                                  fix="give the payload per token in bytes")
        spec.setdefault("compute_intensity", WORKLOAD_FIELDS["compute_intensity"])
        spec.setdefault("voll", WORKLOAD_FIELDS["voll"])
        if "latency_ms" in spec:
            hint["reach"] = None
        elif hint["reach"] is None:
            spec["latency_ms"] = None
        specs[name] = spec
        hints[name] = hint
    given = [h["share"] for h in hints.values() if h["share"] is not None]
    default_share = (1.0 - sum(given)) / max(1, len(hints) - len(given)) if given else 1.0
    shares = np.array([h["share"] if h["share"] is not None else max(default_share, 0.0)
                       for h in hints.values()], dtype=float)
    if shares.sum() <= 0:
        shares = np.ones(len(hints))
    shares = shares / shares.sum()
    for (name, hint), share in zip(hints.items(), shares):
        hint["share"] = float(share)
    return specs, hints


def _neighbours(G, n):
    if G.is_directed():
        return set(G.successors(n)) | set(G.predecessors(n))
    return set(G.neighbors(n))


def synthesise_market(G, seed=0, *, workloads=None, site_fraction=0.2, max_sites=40,
                      demand_per_node=2e5, utilisation=(0.6, 0.8), token_bytes=DEFAULT_TOKEN_BYTES,
                      voll=None, role="role", weight="latency_ms") -> nx.DiGraph:
    """Fill a geolocated network with seeded compute, costs, demand and workloads.

    The topology (coordinates, links, bandwidths, latencies) is kept; every
    market attribute is replaced.  All draws come from
    ``numpy.random.default_rng(seed)`` in a fixed order, so the same graph
    and seed give byte-identical attributes.

    Parameters
    ----------
    G : networkx.DiGraph
        Nodes with ``lon``/``lat``; links with ``bandwidth_gbps`` and
        ``latency_ms`` (as :func:`netprice.add_link` makes them).
    seed : int
        Seed of every random draw.
    workloads : dict, optional
        ``{name: spec}`` in the contract's format (default
        :data:`DEFAULT_WORKLOADS`).  Two synthesis hints may be added:
        ``share``, the workload's fraction of a node's tokens (default: an
        equal split of what the others leave), and ``reach`` in [0, 1]: the
        latency limit is ``min(M + reach * (D - M), (1 + reach) * M)``,
        where M is the largest nearest-site latency over all nodes (the
        tightest limit every node can meet) and D the largest latency from
        any node to any site (the loosest limit that still excludes
        nothing).  A spec with ``latency_ms`` keeps it; one with neither
        has no limit.
    site_fraction : float
        Compute sites per demand node (default 0.2), at least 2 ...
    max_sites : int or None
        ... and at most this many (default 40).
    demand_per_node : float
        Mean total demand of a node before scaling for bandwidth, tokens/s.
    utilisation : (float, float)
        Range of the seeded ratio total demand / total compute (reference
        tokens).
    token_bytes : float
        Bytes per token in baseline mode.
    voll : float, optional
        Value of lost load given to every workload, $/Mtok (default none:
        demand must be served).
    role : str
        Node attribute saying what a node is: ``"metro"`` (default when
        absent: demand and possibly compute), ``"external"`` (a peer or
        exchange: demand, never compute) or ``"junction"`` (a point of the
        network, e.g. one placed by the GraphML reader: neither).
    weight : str
        Edge attribute of link latency, ms.

    Returns
    -------
    networkx.DiGraph
        A copy of ``G`` with ``workloads``, ``token_bytes`` and a
        ``synthesis`` summary in ``G.graph``; ``demand`` on every metro and
        external node; ``capacity``, ``cost``, ``proc_latency_ms`` and
        ``electricity_usd_mwh`` on the sites; ``cost_per_gb`` on links.

    Raises
    ------
    ValidationError
        When no node can carry demand.

    Examples
    --------
    >>> import netprice as npx
    >>> G = npx.empty_network({})
    >>> for i, (lon, lat) in enumerate([(-122.3, 47.6), (-104.9, 39.7), (-87.6, 41.9),
    ...                                 (-84.4, 33.7), (-74.0, 40.7)]):
    ...     npx.add_site(G, f"n{i}", lon, lat)
    >>> for a, b in [("n0", "n1"), ("n1", "n2"), ("n2", "n4"), ("n1", "n3"), ("n3", "n4")]:
    ...     npx.add_link(G, a, b, bandwidth_gbps=100)
    >>> H = synthesise_market(G, seed=1)
    >>> sorted(H.graph["workloads"])
    ['batch', 'chat', 'code', 'image']
    >>> sum(1 for _, cap in H.nodes(data="capacity") if cap)
    2
    >>> npx.validate(H)
    """
    H = G.copy()
    nodes = list(H.nodes)
    if not nodes:
        raise ValidationError("the network has no nodes", fix="add geolocated sites first")
    specs, hints = _workload_plan(DEFAULT_WORKLOADS if workloads is None else workloads)
    names = list(specs)
    origins, eligible = _demand_nodes(H, nodes, role)
    degree = {n: float(len(_neighbours(H, n) - {n})) for n in nodes}
    draws = _Draws.take(seed, nodes, len(names), utilisation)
    reach = _Reach(H, weight)

    sites = _place_sites(origins, eligible, degree, draws, reach, site_fraction=site_fraction,
                         max_sites=max_sites)
    # Each origin's latency to the sites it reaches, processing included;
    # its home is the nearest, where the certificate of feasibility serves it.
    proc = {s: round(float(draws.proc[s]), 1) for s in sites}
    latency = {o: {s: reach.latency[s][o] + proc[s] for s in sites if o in reach.latency[s]}
               for o in origins}
    home = {o: min(latency[o], key=latency[o].get) for o in origins}
    nearest_max = max(latency[o][home[o]] for o in origins)
    farthest = max(max(lat.values()) for lat in latency.values())
    _set_latency_limits(specs, hints, nearest_max, farthest, voll)

    demand = _demand(origins, names, hints, degree, draws, demand_per_node)
    scaled = _fit_demand_to_links(H, demand, home, reach, specs, token_bytes)
    demand = {o: [_sig(x) for x in d] for o, d in demand.items()}
    intensity = np.array([float(specs[w]["compute_intensity"]) for w in names])
    capacity = _capacity(sites, home, demand, intensity, degree, draws)

    _write_nodes(H, names, demand, capacity, proc, draws)
    _write_link_costs(H)
    total_demand = sum(float(np.dot(demand[o], intensity)) for o in origins)
    H.graph["workloads"] = specs
    H.graph["token_bytes"] = float(token_bytes)
    H.graph["synthesis"] = {
        "generator": "netprice.synth.synthesise_market",
        "seed": int(seed) if isinstance(seed, (int, np.integer)) else seed,
        "sites": list(sites),
        "utilisation": _sig(total_demand / sum(capacity.values()), 4),
        "nearest_site_max_ms": _sig(nearest_max, 6),
        "farthest_site_max_ms": _sig(farthest, 6),
        "latency_binding_pairs": _latency_binding_pairs(specs, latency, len(sites)),
        "workload_hints": {w: dict(h) for w, h in hints.items()},
        "demand_scaled_for_bandwidth": scaled,
    }
    return H


def _demand_nodes(H, nodes, role):
    """The nodes that carry demand (all but junctions), and those eligible for compute.

    Compute goes to metros; a network of peers and exchanges only puts it
    on them rather than nowhere.
    """
    roles = {n: H.nodes[n].get(role) or "metro" for n in nodes}
    origins = [n for n in nodes if roles[n] != "junction"]
    if not origins:
        raise ValidationError(
            "no node can carry demand: every node is a junction", field=role,
            fix="mark at least one node as a metro (or remove the role attribute)")
    eligible = [n for n in origins if roles[n] == "metro"] or list(origins)
    return origins, eligible


@dataclass(frozen=True)
class _Draws:
    """Every random number of a synthesis, per node, drawn up front in a fixed order.

    One draw per node for everything, whatever is chosen later, so a
    node's numbers do not shift when another node changes role; and a new
    draw goes last, so that the markets of existing seeds do not change.
    """

    tiebreak: dict      # uniform [0, 1): order among equally good nodes
    size: dict          # lognormal noise on the demand of a node
    mix: dict           # lognormal noise on each workload's share of it
    proc: dict          # processing latency of a site, ms
    cost: dict          # lognormal noise on the cost of a site
    spare: dict         # lognormal noise on a site's share of spare capacity
    utilisation: float  # total demand / total compute

    @classmethod
    def take(cls, seed, nodes, n_workloads, utilisation):
        rng = np.random.default_rng(seed)
        n = len(nodes)

        def per_node(values):
            return dict(zip(nodes, values))

        # Keyword arguments are evaluated in the order written: the draw order.
        return cls(tiebreak=per_node(rng.random(n)),
                   size=per_node(rng.lognormal(0.0, 0.75, n)),
                   mix=per_node(rng.lognormal(0.0, 0.3, (n, n_workloads))),
                   proc=per_node(rng.uniform(0.5, 2.0, n)),
                   cost=per_node(rng.lognormal(0.0, 0.1, n)),
                   spare=per_node(rng.lognormal(0.0, 0.5, n)),
                   utilisation=float(rng.uniform(*utilisation)))


class _Reach:
    """Latency and fastest path from every node *to* a site, one Dijkstra per site.

    The search runs from the site on the reversed graph (the same as
    forward on an undirected network), and only for the sites chosen.
    """

    def __init__(self, H, weight):
        self._graph = H.reverse(copy=False) if H.is_directed() else H
        self._weight = weight
        self.latency, self.path = {}, {}

    def add(self, site):
        if site not in self.latency:
            self.latency[site], self.path[site] = nx.single_source_dijkstra(
                self._graph, site, weight=self._weight)


def _place_sites(origins, eligible, degree, draws, reach, *, site_fraction, max_sites):
    """Compute sites, as an operator places GPU regions.

    Half at the best-connected nodes (hubs), the rest farthest-first, each
    at the node worst served by the sites so far; then any node no site
    can reach (a directed or split network) gets compute of its own
    rather than demand that nothing can serve.
    """
    n_sites = max(2, round(site_fraction * len(origins)))
    if max_sites is not None:
        n_sites = min(n_sites, max_sites)
    n_sites = min(n_sites, len(eligible))
    by_degree = sorted(eligible, key=lambda n: (-degree[n], draws.tiebreak[n]))
    sites = by_degree[: math.ceil(n_sites / 2)]
    for s in sites:
        reach.add(s)

    def gap(n):
        return min(reach.latency[s].get(n, math.inf) for s in sites)

    while len(sites) < n_sites:
        far = max((n for n in eligible if n not in sites),
                  key=lambda n: (gap(n), -draws.tiebreak[n]))
        sites.append(far)
        reach.add(far)
    for o in origins:
        if all(o not in reach.latency[s] for s in sites):
            sites.append(o)
            reach.add(o)
    return sites


def _set_latency_limits(specs, hints, nearest_max, farthest, voll):
    """Latency limits from each workload's ``reach``, and the value of lost load.

    A limit never below ``nearest_max`` keeps every node's nearest site
    admissible (the market stays feasible); below ``farthest`` it binds.
    """
    for w, spec in specs.items():
        reach = hints[w]["reach"]
        if reach is not None:
            reach = float(reach)
            limit = min(nearest_max + reach * (farthest - nearest_max),
                        (1.0 + reach) * nearest_max)
            spec["latency_ms"] = _ceil_ms(max(limit, nearest_max))
        if voll is not None:
            spec["voll"] = float(voll)


def _demand(origins, names, hints, degree, draws, demand_per_node):
    """Tokens/s per origin and workload: a population proxy (connectivity x
    lognormal noise) scaled to ``demand_per_node`` on average, split by the
    workload shares perturbed per node."""
    size = np.array([max(degree[o], 1.0) * draws.size[o] for o in origins])
    totals = demand_per_node * size / size.mean()
    shares = np.array([hints[w]["share"] for w in names])
    demand = {}
    for k, o in enumerate(origins):
        mix = shares * draws.mix[o]
        demand[o] = totals[k] * mix / mix.sum()
    return demand


def _fit_demand_to_links(H, demand, home, reach, specs, token_bytes):
    """Scale down, in place, the demand of origins whose route to their
    nearest site would overload a link; return the factors applied.

    Loads are counted in the mode that loads links most (each workload's
    bytes, at least ``token_bytes``), so that serving every node at its
    nearest site fits the links in both modes.
    """
    bits = np.array([max(float(spec["bytes_per_token"]), float(token_bytes)) * 8.0
                     for spec in specs.values()])
    routes, load = {}, {}
    for o, d in demand.items():
        path = reach.path[home[o]][o][::-1]
        routes[o] = list(zip(path, path[1:]))
        for arc in routes[o]:
            load[arc] = load.get(arc, 0.0) + float(d @ bits)
    scaled = {}
    for o in demand:
        factor = 1.0
        for arc in routes[o]:
            room = _LINK_HEADROOM * float(H.edges[arc]["bandwidth_gbps"]) * 1e9
            factor = min(factor, room / load[arc])
        if factor < 1.0:
            demand[o] = demand[o] * factor
            scaled[o] = _sig(factor, 3)
    return scaled


def _capacity(sites, home, demand, intensity, degree, draws):
    """Compute capacity per site: each covers the demand nearest to it,
    and the spare that makes the seeded utilisation goes to sites by size."""
    homed = {s: 0.0 for s in sites}
    for o, d in demand.items():
        homed[home[o]] += float(np.dot(d, intensity))
    need = sum(homed.values())
    spare = need / draws.utilisation - need
    weights = np.array([max(degree[s], 1.0) * draws.spare[s] for s in sites])
    weights = weights / weights.sum()
    return {s: _sig_up(homed[s] + spare * wgt) for s, wgt in zip(sites, weights)}


def _write_nodes(H, names, demand, capacity, proc, draws):
    """Replace every node's market attributes: demand on origins; compute,
    cost (GPU-hour plus the local electricity price) and processing
    latency on sites."""
    for n, data in H.nodes(data=True):
        for key in ("demand", "cost", "proc_latency_ms", "serves", "electricity_usd_mwh"):
            data.pop(key, None)
        data["capacity"] = 0.0
        if n in demand:
            data["demand"] = dict(zip(names, demand[n]))
        if n in capacity:
            price = float(electricity_price(data["lon"], data["lat"]))
            data["capacity"] = capacity[n]
            data["cost"] = _sig(site_cost(price) * draws.cost[n])
            data["proc_latency_ms"] = proc[n]
            data["electricity_usd_mwh"] = _sig(price, 3)


def _write_link_costs(H):
    """Transit is cheap and grows with distance: 0.1 cent per GB plus half
    a cent per 1000 km of geodesic length."""
    for u, v, data in H.edges(data=True):
        length = data.get("length_km")
        if length is None:
            length = geodesic_length_km([(H.nodes[u]["lon"], H.nodes[u]["lat"]),
                                         (H.nodes[v]["lon"], H.nodes[v]["lat"])])
        data["cost_per_gb"] = _sig(0.001 + 0.005 * float(length) / 1000.0)


def _latency_binding_pairs(specs, latency, n_sites):
    """How many (origin, workload) pairs cannot reach every site within the limit."""
    binding = 0
    for spec in specs.values():
        limit = spec["latency_ms"]
        if limit is not None:
            binding += sum(1 for sites in latency.values()
                           if sum(1 for ms in sites.values() if ms <= limit) < n_sites)
    return binding
