"""From LP duals to prices, scarcity and rents, with each price's decomposition.

Every price is the cost of the cheapest admissible way to *serve* one
more token of a workload at a node, at the current scarcity and rents --
its *service value* -- capped by the value of lost load where the node has
demand of its own to shed (docs/model.md section 8):

* at a node with demand, the demand row's dual is the service value
  wherever tokens are served (the LP prices its cheapest route), and the
  price is ``min(service value, voll)``;
* at a node without demand there is nothing to shed: the price is the
  service value itself (no unserved column exists there, so no phantom
  demand can be shed in its name).

Each price comes with the route that sets it and splits along it::

    price = processing + a[w] * scarcity[n] + transport + congestion

(``unserved`` = voll instead, where demand is shed; or the dearest bid,
where bids meet no service: docs/model.md section 10).  The service value is
taken over the formulation's own columns -- enumerated routes, the layered
graph, arc flows -- or, for the exact formulation, over every admissible
route by the pricing oracle.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain

import numpy as np

from ..schema import PRICE_PARTS as PARTS
from .blocks import BID, ROUTE, UNSERVED, admissible_routes
from .paths import cheapest_to_targets
from .routes import path_sums
from .scaling import SECONDS_PER_HOUR, TOKENS_PER_MTOK

#: Flow below this share of the largest is round-off, not service.
FLOW_EPSILON = 1e-9

__all__ = ["Prices", "compute_prices", "prices_from_duals", "capacity_duals",
           "congestion_per_mtok", "price_parts", "demand_side_value", "PARTS"]


@dataclass
class Prices:
    """Prices and what sets them.

    Attributes
    ----------
    price : ndarray (N, W)
        $/Mtok; nan where no service is possible and no demand can be shed.
    parts : ndarray (N, W, 5)
        Decomposition in the order of PARTS.
    site : ndarray (N, W)
        Serving site of the route that sets the price, -1 if none.
    path : list
        ``[N][W]`` tuple of arc indexes of that route.
    route_latency_ms : ndarray (N, W)
    scarcity : ndarray (N,)
        $/Mtok per reference token.
    rent : ndarray (E,)
        $/h per Gbit/s.
    service : ndarray (N, W)
        Service value: cheapest admissible way to serve one more token, $/Mtok (inf: none).
    balance : ndarray (N, W)
        The demand rows' duals where they differ from the price: the
        service value where all demand is shed (price voll), a large finite
        value where no service is possible (price nan or voll).
    own_dual : ndarray of bool (N, W)
        Where ``balance`` (not ``price``) is the demand row's dual.
    layer_values : dict
        ``{workload: (N, K+1)}`` $/Mtok at each (node, layer) of a layered workload.
    """

    price: np.ndarray
    parts: np.ndarray
    site: np.ndarray
    path: list
    route_latency_ms: np.ndarray
    scarcity: np.ndarray
    rent: np.ndarray
    service: np.ndarray = None
    balance: np.ndarray = None
    own_dual: np.ndarray = None
    layer_values: dict = None

    def copy(self) -> "Prices":
        """An independent copy (arrays copied; paths are tuples, shared safely)."""
        def dup(value):
            if isinstance(value, np.ndarray):
                return value.copy()
            if isinstance(value, dict):
                return {k: dup(v) for k, v in value.items()}
            if isinstance(value, list):
                return [list(row) for row in value]
            return value
        return Prices(**{f: dup(getattr(self, f)) for f in self.__dataclass_fields__})

    def demand_duals(self) -> np.ndarray:
        """(N, W) the demand rows' duals these prices stand for, $/Mtok (what verify() checks)."""
        return np.where(self.own_dual, self.balance, self.price)


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


def _flowing_route_prices(data, routes, lp, x, site_cost, arc_cost, out):
    """Demand that is served: priced by the cheapest route column carrying it.

    At an optimum every route column with flow has a zero reduced cost, so
    its full cost is the demand row's dual; the certificate (no admissible
    route is cheaper) is checked separately.  Returns the (N, W) pairs priced.
    """
    done = np.zeros(out.price.shape, dtype=bool)
    if x is None:
        return done
    cols = np.flatnonzero((lp.col_kind == ROUTE) & (x > FLOW_EPSILON * max(1.0, x.max(initial=0))))
    for w in np.unique(lp.col_workload[cols]).tolist():
        mine = cols[lp.col_workload[cols] == w]
        R = lp.col_route[mine]
        full = site_cost[routes.site[R], w] + routes.rows(R) @ arc_cost[:, w]
        origin = routes.origin[R]
        order = np.lexsort((routes.latency_ms[R], full, origin))
        first = np.ones(len(order), dtype=bool)
        first[1:] = origin[order][1:] != origin[order][:-1]
        for k in order[first].tolist():
            o, r = int(origin[k]), int(R[k])
            out.price[o, w] = full[k]
            out.site[o, w] = routes.site[r]
            out.path[o][w] = tuple(routes.arcs_of(r))
            out.route_latency_ms[o, w] = routes.latency_ms[r]
            done[o, w] = True
    return done


def _oracle_prices(data, oracle, scarcity, rent, site_cost, arc_cost, out, need):
    """The ``need`` pairs priced over every admissible route (exact formulation)."""
    found = oracle.values(scarcity, rent, origins=need[:, oracle.workloads])
    for w in oracle.workloads.tolist():
        reached = np.flatnonzero(np.isfinite(found.value[:, w]) & need[:, w])
        if not len(reached):
            continue
        paths = [found.path[(int(n), w)] for n in reached]
        sites = found.site[reached, w]
        # The value in the decomposition's own arithmetic: site cost, then arcs in path order.
        out.price[reached, w] = site_cost[sites, w] + path_sums(paths, arc_cost[:, w])
        out.site[reached, w] = sites
        for n, path in zip(reached.tolist(), paths):
            out.path[n][w] = path
        out.route_latency_ms[reached, w] = path_sums(paths, data.latency_ms)


def _arc_prices(data, w, site_cost, arc_cost, out):
    sites = np.flatnonzero(data.can_serve[:, w])
    if len(sites) == 0:
        return
    paths = cheapest_to_targets(data.arc_tail, data.arc_head, arc_cost[:, w], sites,
                                site_cost[sites, w], data.n_nodes)
    reached = paths.reached()
    reached_paths = paths.paths(reached)
    for n, path in zip(reached.tolist(), reached_paths):
        out.path[n][w] = path
    out.site[reached, w] = paths.target_of(reached, reached_paths)
    out.price[reached, w] = paths.cost[reached]
    out.route_latency_ms[reached, w] = path_sums(reached_paths, data.latency_ms)


def _layered_prices(data, lg, w, site_cost, arc_cost, out):
    """Cheapest completion from every (node, layer), by backward induction over layers.

    Runs over exactly the LP's columns, so the values are a dual solution of
    the LP's layer rows.
    """
    N, L = lg.alive.shape
    value = np.full((N, L), np.inf)
    choice = np.full((N, L), -1, dtype=np.int64)      # arc index, -1 serve
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

    for k in range(L - 1, -1, -1):
        idx = by_layer[bounds[k]:bounds[k + 1]]
        relax(idx[d[idx] > 0], k)
        flat = idx[d[idx] == 0]
        for _ in range(N):
            if not relax(flat, k):
                break
    priced = np.flatnonzero(np.isfinite(value[:, 0]))
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
    out.route_latency_ms[priced, w] = path_sums(paths, data.latency_ms)
    out.layer_values[w] = value


def price_parts(data, scarcity, rent, site, path):
    """(N, W, 5) decomposition of the routes ``site``/``path``, each part by its own definition.

    processing = proc_cost[site, w]; scarcity = a[w] * scarcity[site];
    transport and congestion summed along the path in path order; unserved 0.
    """
    N, W = site.shape
    transport = data.transport_per_mtok()
    congestion = congestion_per_mtok(data, rent)
    paths = [p for row in path for p in row]
    workload = np.tile(np.arange(W), N)
    lengths = np.fromiter(map(len, paths), dtype=np.int64, count=N * W)
    flat = np.fromiter(chain.from_iterable(paths), dtype=np.int64, count=int(lengths.sum()))
    owner = np.repeat(np.arange(N * W), lengths)
    along = [np.bincount(owner, weights=table[flat, workload[owner]],
                         minlength=N * W).reshape(N, W) for table in (transport, congestion)]
    routed = site >= 0
    at = np.where(routed, site, 0)
    cols = np.broadcast_to(np.arange(W)[None, :], (N, W))
    parts = np.zeros((N, W, len(PARTS)))
    parts[routed, 0] = data.proc_cost[at, cols][routed]
    parts[routed, 1] = (data.intensity[None, :] * scarcity[at])[routed]
    parts[routed, 2] = along[0][routed]
    parts[routed, 3] = along[1][routed]
    return parts


def capacity_duals(lp, y):
    """``(scarcity, rent)`` from the LP duals ``y``, round-off below zero cleared.

    The sign is verified on the raw duals; a slack link reads 0, not -1e-13.
    """
    scarcity = np.zeros(lp.n_nodes)
    scarcity[lp.compute_nodes] = lp.dual("compute", y)
    rent = lp.dual("link", y)
    return np.where(scarcity > 0, scarcity, 0.0), np.where(rent > 0, rent, 0.0)


def compute_prices(data, routes, lp, y, x=None, oracle=None) -> Prices:
    """Prices and their decomposition from the LP duals ``y`` (see :func:`prices_from_duals`)."""
    scarcity, rent = capacity_duals(lp, y)
    return prices_from_duals(data, routes, lp, scarcity, rent, x, oracle)


def prices_from_duals(data, routes, lp, scarcity, rent, x=None, oracle=None) -> Prices:
    """Prices, service values and decompositions for given scarcity and rents.

    Parameters
    ----------
    data, routes, lp
        The market, its routes and its LP (for the layered graphs and the
        unserved columns).
    scarcity : ndarray (N,)
        $/Mtok per reference token.
    rent : ndarray (E,)
        $/h per Gbit/s.
    x : ndarray, optional
        The primal solution: where it leaves demand unserved, the price is
        the value of lost load (a route may cost exactly as much).
    oracle : PricingOracle, optional
        Price the latency-limited workloads over every admissible route
        (the exact formulation) instead of over ``routes``.
    """
    N, W = data.n_nodes, data.n_workloads
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
    if oracle is not None:
        # Served demand is priced by the routes that serve it; the rest --
        # nodes without demand, demand shed -- over every admissible route.
        served = _flowing_route_prices(data, routes, lp, x, site_cost, arc_cost, out)
        _oracle_prices(data, oracle, scarcity, rent, site_cost, arc_cost, out, ~served)
    for w in range(W):
        if w in lp.layers:
            _layered_prices(data, lp.layers[w], w, site_cost, arc_cost, out)
        elif not np.isfinite(data.latency_limit_ms[w]):
            _arc_prices(data, w, site_cost, arc_cost, out)
        elif oracle is None:
            _route_prices(data, routes, w, site_cost, arc_cost, out)
    out.service = out.price.copy()
    out.parts = price_parts(data, scarcity, rent, out.site, out.path)
    _shed_at_voll(data, lp, x, out)
    _priced_by_bids(data, lp, x, out)
    return out


def _shed_at_voll(data, lp, x, out):
    """Price demand that is (or would be) shed at its value of lost load; set the row duals."""
    N, W = out.price.shape
    unserved = (lp.node_workload_totals(x, [UNSERVED]) > 0 if x is not None
                else np.zeros((N, W), dtype=bool))
    voll = np.broadcast_to(data.voll[None, :], (N, W))
    has_demand = data.demand > 0
    # Only a node with demand of its own can shed it: there, the value of
    # lost load caps the price, and sets it where the primal sheds demand
    # (a route may cost exactly as much).
    at_voll = has_demand & np.isfinite(voll) & ((voll < out.service) | unserved)
    if data.bids is not None and x is not None:
        # Tokens served to accepted bids pin the row's dual to the service
        # value, even where fixed demand is shed (for bids dearer than voll).
        at_voll &= ~(lp.node_workload_totals(x, [BID]) > 0)
    service = out.service
    # A row that no service reaches takes any dual above every other value
    # (its demand, if any, is all shed: its dual must not be below voll).
    bids = [] if data.bids is None else [data.bids.price]    # a rejected bid needs a dual above it
    finite = np.concatenate([service[np.isfinite(service)], data.voll[np.isfinite(data.voll)],
                             *bids])
    top = float(finite.max(initial=0.0)) + 1.0
    balance = np.where(np.isfinite(service), service, top)
    out.balance = balance
    # All shed (voll below any route), or nothing to serve with: the row's
    # dual is the service value (or above every other), not the price.
    out.own_dual = ~np.isfinite(service) | (at_voll & (voll < service))
    _priced_by_demand(out, at_voll, voll)
    out.price[~np.isfinite(out.price)] = np.nan


def _priced_by_demand(out, rows, value):
    """Give ``rows`` the price ``value`` of the demand left out: no route, all of it ``unserved``."""
    for n, w in zip(*np.nonzero(rows)):
        out.path[n][w] = ()
    out.price[rows] = value[rows]
    out.site[rows] = -1
    out.route_latency_ms[rows] = np.nan
    out.parts[rows] = 0.0
    out.parts[rows, PARTS.index("unserved")] = value[rows]


def demand_side_value(data) -> np.ndarray:
    """(N, W) what the demand of each row pays at most for a token it does without, $/Mtok.

    Voll where the node has fixed demand of a workload with one, the
    dearest bid where it bids (the larger of the two); -inf where neither.
    """
    N, W = data.demand.shape
    value = np.where((data.demand > 0) & np.isfinite(data.voll)[None, :],
                     np.broadcast_to(data.voll[None, :], (N, W)), -np.inf)
    if data.bids is not None:
        np.maximum.at(value, (data.bids.node, data.bids.workload), data.bids.price)
    return value


def _priced_by_bids(data, lp, x, out):
    """Where a row's bids are all rejected and no token arrives, its demand sets the price.

    The row's dual may then be anything from the dearest demand left out
    (a rejected bid, or voll where fixed demand is all shed) up to the
    service value; as the one-sided market reports voll where it sheds
    everything, the price is the lower end: the dearest bid or voll.  Every
    block is then on the right side of the price its table shows (a rejected
    bid at or below it), and bids at voll price a market exactly as the
    fixed demand they stand for.  The service value stays the row's dual.
    """
    if data.bids is None or x is None:
        return
    N, W = out.price.shape
    unit = lp.scaling.flow_unit
    wanted = data.demand / unit
    arrived = wanted - lp.node_workload_totals(x, [UNSERVED]) + lp.node_workload_totals(x, [BID])
    size = wanted + data.bids.per_node_workload(N, W) / unit
    bidding = np.zeros((N, W), dtype=bool)
    bidding[data.bids.node, data.bids.workload] = True
    value = demand_side_value(data)
    idle = bidding & (arrived <= 1e-9 * np.maximum(1.0, size)) & np.isfinite(value)
    by_bids = idle & ((value < out.service) | (out.site < 0))
    _priced_by_demand(out, by_bids, value)
    out.own_dual = out.own_dual | by_bids
