"""From LP duals to prices, scarcity and rents, with each price's decomposition.

The duals of the demand rows are the prices where demand is positive.  A
row with zero demand constrains its dual only from above (it must not
exceed the full cost of any route), so its simplex dual is arbitrary below
that bound; netprice reports the *canonical* value instead: the cheapest
way to serve one more token there at the current rents,
``min(voll, min over admissible routes of full route cost)``.  It is still
a valid dual solution (feasible, complementary), it equals the simplex dual
wherever tokens flow, and it comes with the route that decomposes it:

    price = processing + a[w] * scarcity[n] + transport + congestion
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from .build import UNSERVED, _spread, admissible_routes
from .scaling import SECONDS_PER_HOUR, TOKENS_PER_MTOK

__all__ = ["Prices", "compute_prices", "congestion_per_mtok"]

PARTS = ("processing", "scarcity", "transport", "congestion", "unserved")


@dataclass
class Prices:
    price: np.ndarray          # (N, W) $/Mtok, nan where no service is possible
    parts: np.ndarray          # (N, W, 5) in the order of PARTS
    site: np.ndarray           # (N, W) node index of the pricing route's site, -1 if none
    path: list                 # [N][W] tuple of arc indexes of the pricing route
    route_latency_ms: np.ndarray  # (N, W)
    scarcity: np.ndarray       # (N,) $/Mtok per reference token
    rent: np.ndarray           # (E,) $/h per Gbit/s
    layer_values: dict = None  # workload -> (N, K+1) $/Mtok at each (node, layer)


def congestion_per_mtok(data, rent) -> np.ndarray:
    """(E, W) congestion charge of one Mtok of each workload on each arc, $/Mtok."""
    return np.outer(rent, data.gbps_per_token_rate()) * TOKENS_PER_MTOK / SECONDS_PER_HOUR


def _route_prices(data, routes, w, site_cost, arc_cost, out):
    R = admissible_routes(data, routes, w)
    if len(R) == 0:
        return
    positions, counts = _spread(routes.arc_ptr, R)
    arcs = routes.arc_idx[positions]
    owner = np.repeat(np.arange(len(R)), counts)
    full = site_cost[routes.site[R], w] + np.bincount(owner, weights=arc_cost[arcs, w],
                                                      minlength=len(R))
    origin = routes.origin[R]
    # Cheapest route per origin; ties go to the shortest latency, then the first found.
    order = np.lexsort((routes.latency_ms[R], full, origin))
    first = np.ones(len(order), dtype=bool)
    first[1:] = origin[order][1:] != origin[order][:-1]
    for k in order[first]:
        o, r = origin[k], R[k]
        out.price[o, w] = full[k]
        out.site[o, w] = routes.site[r]
        out.path[o][w] = tuple(routes.arcs_of(r))
        out.route_latency_ms[o, w] = routes.latency_ms[r]


def _arc_prices(data, w, site_cost, arc_cost, out):
    sites = np.flatnonzero(data.can_serve[:, w])
    if len(sites) == 0:
        return
    # Shortest paths *to* a serving site: search the reversed graph from a
    # super source whose edges to the sites cost their processing.
    source = data.n_nodes
    H = nx.DiGraph()
    for e, (u, v) in enumerate(zip(data.arc_tail, data.arc_head)):
        H.add_edge(int(v), int(u), weight=float(arc_cost[e, w]), arc=e)
    for s in sites:
        H.add_edge(source, int(s), weight=float(site_cost[s, w]))
    dist, paths = nx.single_source_dijkstra(H, source, weight="weight")
    for n, d in dist.items():
        if n == source:
            continue
        path = paths[n]                     # source, site, ..., n
        if np.isfinite(data.voll[w]) and data.voll[w] < d:
            continue                        # cheaper to leave it unserved: set below
        arcs = tuple(H.edges[a, b]["arc"] for a, b in zip(path[1:], path[2:]))[::-1]
        out.price[n, w] = d
        out.site[n, w] = path[1]
        out.path[n][w] = arcs
        out.route_latency_ms[n, w] = float(data.latency_ms[list(arcs)].sum()) if arcs else 0.0


def _layered_prices(data, lg, w, site_cost, arc_cost, out):
    """Cheapest completion from every (node, layer), by backward induction over layers.

    Runs over exactly the LP's columns, so the values are a dual solution of
    the LP's layer rows; at layer 0 unmet demand (voll) is one more option.
    """
    N, L = lg.alive.shape
    value = np.full((N, L), np.inf)
    choice = np.full((N, L), -1, dtype=np.int64)      # arc index, -1 serve, -2 voll
    arcs, ks = lg.arc_cols[:, 0], lg.arc_cols[:, 1]
    tails, heads, d = data.arc_tail[arcs], data.arc_head[arcs], lg.arc_steps[arcs]
    cost = arc_cost[arcs, w]
    by_layer = np.argsort(ks, kind="stable")
    bounds = np.searchsorted(ks[by_layer], np.arange(L + 1))
    sites, site_ks = lg.serve_cols[:, 0], lg.serve_cols[:, 1]
    value[sites, site_ks] = site_cost[sites, w]

    def relax(idx, k):
        if len(idx) == 0:
            return False
        candidate = cost[idx] + value[heads[idx], k + d[idx]]
        best = value[:, k].copy()
        np.minimum.at(best, tails[idx], candidate)
        better = candidate < value[tails[idx], k]
        winner = better & (candidate == best[tails[idx]])
        choice[tails[idx][winner], k] = arcs[idx][winner]
        changed = bool(better.any())
        value[:, k] = best
        return changed

    voll = data.voll[w]
    for k in range(L - 1, -1, -1):
        idx = by_layer[bounds[k]:bounds[k + 1]]
        relax(idx[d[idx] > 0], k)
        if k == 0 and np.isfinite(voll):
            cheaper = voll < value[:, 0]
            value[cheaper, 0] = voll
            choice[cheaper, 0] = -2
        flat = idx[d[idx] == 0]
        for _ in range(N):
            if not relax(flat, k):
                break
    for n in range(N):
        if not np.isfinite(value[n, 0]) or choice[n, 0] == -2:
            continue
        node, k, path = n, 0, []
        while choice[node, k] >= 0:
            e = choice[node, k]
            path.append(int(e))
            node, k = int(data.arc_head[e]), k + int(lg.arc_steps[e])
        out.price[n, w] = value[n, 0]
        out.site[n, w] = node
        out.path[n][w] = tuple(path)
        out.route_latency_ms[n, w] = float(data.latency_ms[path].sum()) if path else 0.0
    out.layer_values[w] = value


def compute_prices(data, routes, lp, y, x=None) -> Prices:
    """Canonical prices and their decomposition from the duals ``y`` of ``lp``.

    Where the primal ``x`` leaves demand unserved, the price is the value of
    lost load and is decomposed as such (a route may cost exactly as much).
    """
    N, W, E = data.n_nodes, data.n_workloads, data.n_arcs
    s = lp.scaling
    scarcity = np.zeros(N)
    block = lp.blocks["compute"]
    scarcity[lp.compute_nodes] = s.scarcity(y[block], lp.row_scale[block])
    block = lp.blocks["link"]
    rent = s.rents(y[block], lp.row_scale[block])
    # The sign is verified on the raw duals; clear round-off so a slack link
    # reads 0, not -1e-13.
    scarcity = np.where(scarcity > 0, scarcity, 0.0)
    rent = np.where(rent > 0, rent, 0.0)

    site_cost = data.proc_cost + scarcity[:, None] * data.intensity[None, :]
    arc_cost = data.transport_per_mtok() + congestion_per_mtok(data, rent)
    out = Prices(
        price=np.full((N, W), np.inf),
        parts=np.zeros((N, W, len(PARTS))),
        site=np.full((N, W), -1, dtype=np.int64),
        path=[[() for _ in range(W)] for _ in range(N)],
        route_latency_ms=np.full((N, W), np.nan),
        scarcity=scarcity,
        rent=rent,
        layer_values={},
    )
    for w in range(W):
        if w in lp.layers:
            _layered_prices(data, lp.layers[w], w, site_cost, arc_cost, out)
        elif np.isfinite(data.latency_limit_ms[w]):
            _route_prices(data, routes, w, site_cost, arc_cost, out)
        else:
            _arc_prices(data, w, site_cost, arc_cost, out)

    transport = data.transport_per_mtok()
    congestion = congestion_per_mtok(data, rent)
    unserved = np.zeros((N, W), dtype=bool)
    if x is not None:
        cols = np.flatnonzero((lp.col_kind == UNSERVED) & (x > 0))
        unserved[lp.col_node[cols], lp.col_workload[cols]] = True
    for n in range(N):
        for w in range(W):
            site = out.site[n, w]
            if np.isfinite(data.voll[w]) and (data.voll[w] < out.price[n, w] or unserved[n, w]):
                out.price[n, w] = data.voll[w]
                out.parts[n, w] = (0.0, 0.0, 0.0, 0.0, data.voll[w])
                out.site[n, w] = -1
                out.path[n][w] = ()
                out.route_latency_ms[n, w] = np.nan
            elif site >= 0:
                arcs = list(out.path[n][w])
                out.parts[n, w] = (data.proc_cost[site, w],
                                   data.intensity[w] * scarcity[site],
                                   transport[arcs, w].sum(), congestion[arcs, w].sum(), 0.0)
    out.price[~np.isfinite(out.price)] = np.nan
    return out
