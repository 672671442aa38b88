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
from itertools import chain

import numpy as np

from .blocks import UNSERVED, admissible_routes
from .paths import cheapest_to_targets
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
    full = site_cost[routes.site[R], w] + routes.rows(R) @ arc_cost[:, w]
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
    paths = cheapest_to_targets(data.arc_tail, data.arc_head, arc_cost[:, w], sites,
                                site_cost[sites, w], data.n_nodes)
    reached = paths.reached()
    voll = data.voll[w]
    if np.isfinite(voll):
        reached = reached[~(voll < paths.cost[reached])]  # cheaper to leave unserved: set later
    reached_paths = paths.paths(reached)
    for n, path in zip(reached.tolist(), reached_paths):
        out.path[n][w] = path
    out.site[reached, w] = paths.target_of(reached, reached_paths)
    out.price[reached, w] = paths.cost[reached]
    out.route_latency_ms[reached, w] = _path_sums(reached_paths, data.latency_ms)


def _path_sums(paths, values):
    """Sum of ``values`` over the arcs of each path (a list of tuples of arc indexes)."""
    lengths = np.fromiter(map(len, paths), dtype=np.int64, count=len(paths))
    flat = np.fromiter(chain.from_iterable(paths), dtype=np.int64, count=int(lengths.sum()))
    owner = np.repeat(np.arange(len(paths)), lengths)
    return np.bincount(owner, weights=values[flat], minlength=len(paths))


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
    priced = np.flatnonzero(np.isfinite(value[:, 0]) & (choice[:, 0] != -2))
    choice_list, head, steps = choice.tolist(), data.arc_head.tolist(), lg.arc_steps.tolist()
    paths = []
    for n in priced.tolist():
        node, k, path = n, 0, []
        e = choice_list[node][k]
        while e >= 0:
            path.append(e)
            node, k = head[e], k + steps[e]
            e = choice_list[node][k]
        out.site[n, w] = node
        out.path[n][w] = path = tuple(path)
        paths.append(path)
    out.price[priced, w] = value[priced, 0]
    out.route_latency_ms[priced, w] = _path_sums(paths, data.latency_ms)
    out.layer_values[w] = value


def compute_prices(data, routes, lp, y, x=None) -> Prices:
    """Canonical prices and their decomposition from the duals ``y`` of ``lp``.

    Where the primal ``x`` leaves demand unserved, the price is the value of
    lost load and is decomposed as such (a route may cost exactly as much).
    """
    N, W = data.n_nodes, data.n_workloads
    scarcity = np.zeros(N)
    scarcity[lp.compute_nodes] = lp.dual("compute", y)
    rent = lp.dual("link", y)
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
    unserved = (lp.node_workload_totals(x, [UNSERVED]) > 0 if x is not None
                else np.zeros((N, W), dtype=bool))
    voll = np.broadcast_to(data.voll[None, :], (N, W))
    # Priced at the value of lost load where that is cheaper than any route,
    # or where the primal leaves demand unserved (a route may cost as much).
    at_voll = np.isfinite(voll) & ((voll < out.price) | unserved)
    for n, w in zip(*np.nonzero(at_voll)):
        out.path[n][w] = ()
    out.price[at_voll] = voll[at_voll]
    out.site[at_voll] = -1
    out.route_latency_ms[at_voll] = np.nan
    out.parts[at_voll] = 0.0
    out.parts[at_voll, PARTS.index("unserved")] = voll[at_voll]
    # Everywhere else a route sets the price: decompose it along that route.
    routed = (out.site >= 0) & ~at_voll
    paths = [p for row in out.path for p in row]
    workload = np.tile(np.arange(W), N)
    lengths = np.fromiter(map(len, paths), dtype=np.int64, count=N * W)
    flat = np.fromiter(chain.from_iterable(paths), dtype=np.int64, count=int(lengths.sum()))
    owner = np.repeat(np.arange(N * W), lengths)
    along = [np.bincount(owner, weights=table[flat, workload[owner]],
                         minlength=N * W).reshape(N, W) for table in (transport, congestion)]
    site = np.where(routed, out.site, 0)
    cols = np.broadcast_to(np.arange(W)[None, :], (N, W))
    out.parts[routed, 0] = data.proc_cost[site, cols][routed]
    out.parts[routed, 1] = (data.intensity[None, :] * scarcity[site])[routed]
    out.parts[routed, 2] = along[0][routed]
    out.parts[routed, 3] = along[1][routed]
    out.parts[routed, 4] = 0.0
    out.price[~np.isfinite(out.price)] = np.nan
    return out
