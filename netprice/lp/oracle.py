"""The exact pricing oracle: the cheapest admissible route of every (origin, workload).

Given the duals of any LP of a market -- scarcity per site, rent per link --
the full cost of serving one token of workload w from origin o over route r
to site s is::

    k[s, w] + a[w] * scarcity[s] + sum over e in r of bytes[w] * g[e]
    g[e] = cost_per_gb[e] * 1e-3 + rent[e] * 8e-9 * 1e6 / 3600   ($/Mtok per byte/token)

subject to ``latency(r) + proc_latency[s, w] <= limit[w]`` with exact float
latencies (docs/model.md section 8).  Every workload's arc cost is its bytes per
token times the same ``g``, so one search per site serves every workload:

1. One Dijkstra per site on ``g`` (scipy, all sites at once) gives the
   cheapest path from every node with no latency limit.  It is a lower
   bound for every workload, and the answer wherever that path is in time.
2. Where it is not in time and the bound still matters, a *resource-
   constrained* search from that site (label setting on (cost, latency),
   Pareto dominance, pruned by latency budget and by a cost cap) covers
   every origin at once.

:meth:`PricingOracle.values` returns, for every (origin, workload), the
cheapest route's cost and the route itself; :meth:`PricingOracle.improving`
returns the routes whose reduced cost against given prices is negative --
none is the certificate that those prices are optimal for the market with
every admissible route, listed or not.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csgraph
import scipy.sparse as sp

from .routes import LATENCY_SLACK_MS, RouteSet, path_sums
from .scaling import SECONDS_PER_HOUR, TOKENS_PER_MTOK

__all__ = ["PricingOracle", "CheapestRoutes", "arc_cost_per_byte"]


def arc_cost_per_byte(data, rent):
    """``g[e]``: cost of one Mtok of one byte per token on each arc, transport plus congestion."""
    return data.cost_per_gb * 1e-3 + rent * 8e-9 * TOKENS_PER_MTOK / SECONDS_PER_HOUR


@dataclass
class CheapestRoutes:
    """The cheapest admissible route of every (origin, workload) under some duals.

    Attributes
    ----------
    value : ndarray (N, W)
        Its full cost, $/Mtok (inf where no route is admissible; nan for
        workloads without a latency limit, which the oracle does not price).
    site : ndarray (N, W)
        Its serving site (-1 where none).
    path : dict
        ``{(origin, workload): tuple of arc indexes}`` in path order.
    """

    value: np.ndarray
    site: np.ndarray
    path: dict


class PricingOracle:
    """Exact cheapest admissible routes of one market's latency-limited workloads.

    Parameters
    ----------
    data : MarketData
        The market (its arcs, latencies, sites, limits, costs).
    workloads : array of int, optional
        Workloads to price (default: every one with a latency limit).
    """

    def __init__(self, data, workloads=None):
        self.data = data
        if workloads is None:
            workloads = np.flatnonzero(np.isfinite(data.latency_limit_ms))
        self.workloads = np.asarray(workloads, dtype=np.int64)
        W = self.workloads
        # Sites that serve some priced workload, and each one's latency budget per workload.
        serves = data.can_serve[:, W] if len(W) else np.zeros((data.n_nodes, 0), bool)
        self.sites = np.flatnonzero(serves.any(axis=1))
        budget = data.latency_limit_ms[W][None, :] - data.proc_latency_ms[self.sites][:, W]
        self.budget = np.where(serves[self.sites], budget, -np.inf)      # (S, |W|)
        self.max_budget = self.budget.max(axis=1) if len(W) else np.zeros(len(self.sites))
        N = data.n_nodes
        self._reverse = None
        # A removed arc is a self-loop (netprice.lp.change): unusable.
        usable = data.arc_tail != data.arc_head
        self._usable = usable
        key = data.arc_tail * (N + 1) + data.arc_head
        self._arc_order = np.argsort(key)
        self._arc_keys = key[self._arc_order]
        # The reversed graph's sparsity pattern, fixed: each search only
        # writes its weights into it (explicit zeros stay edges for scipy).
        arcs = np.flatnonzero(usable)
        order = np.lexsort((data.arc_tail[arcs], data.arc_head[arcs]))
        self._graph_arcs = arcs[order]
        heads = data.arc_head[self._graph_arcs]
        self._graph_indptr = np.concatenate([[0], np.cumsum(np.bincount(heads, minlength=N))])
        self._graph_indices = data.arc_tail[self._graph_arcs]
        self._cache = {}
        self._trees_cache = {}
        self._bounds_cache = {}
        self._searches = {}
        self._latency_to_site = self._dijkstra(data.latency_ms)          # (S, N)

    def __getstate__(self):
        # Caches are per-process scratch: workers get the oracle without them.
        state = self.__dict__.copy()
        for cache in ("_cache", "_trees_cache", "_bounds_cache", "_searches"):
            state[cache] = {}
        return state

    def _reversed_adjacency(self):
        """In-arcs of every node as (tail, arc, latency): the constrained search walks them."""
        if self._reverse is None:
            data = self.data
            self._reverse = [[] for _ in range(data.n_nodes)]
            for e in self._graph_arcs.tolist():
                self._reverse[int(data.arc_head[e])].append(
                    (int(data.arc_tail[e]), e, float(data.latency_ms[e])))
        return self._reverse

    # -- shortest paths from the sites, on the reversed graph ------------------------------
    def _dijkstra(self, weight, predecessors=False):
        data = self.data
        graph = sp.csr_matrix((np.asarray(weight, dtype=float)[self._graph_arcs],
                               self._graph_indices, self._graph_indptr),
                              shape=(data.n_nodes, data.n_nodes))
        if not len(self.sites):
            shape = (0, data.n_nodes)
            return (np.zeros(shape), np.zeros(shape, dtype=np.int64)) if predecessors \
                else np.zeros(shape)
        return csgraph.dijkstra(graph, directed=True, indices=self.sites,
                                return_predecessors=predecessors)

    def admissible_any(self) -> np.ndarray:
        """(N, |W|): whether some admissible route exists for each (origin, priced workload)."""
        reach = self._latency_to_site[:, :, None] <= self.budget[:, None, :] + LATENCY_SLACK_MS
        return reach.any(axis=0)

    # -- the search ---------------------------------------------------------------------------
    def values(self, scarcity, rent, *, origins=None, improving_against=None, tolerance=0.0,
               costs=True):
        """Cheapest admissible routes under the duals ``scarcity`` ($/Mtok) and ``rent`` ($/h per Gbit/s).

        Parameters
        ----------
        origins : ndarray of bool (N, |W|), optional
            Only these (origin, workload) pairs are needed (default: all).
        improving_against : ndarray (N, |W|), optional
            Prices: only routes cheaper than these by more than ``tolerance``
            matter; the search prunes everything else (for column generation).
        costs : bool
            False prices with processing and transport costs set to zero
            (the elastic market of a diagnosis).

        Returns
        -------
        CheapestRoutes
            For every needed pair; with ``improving_against``, exact only
            where a route beats the price (elsewhere possibly inf).
        """
        data, W = self.data, self.workloads
        N = data.n_nodes
        need = np.ones((N, len(W)), dtype=bool) if origins is None else np.asarray(origins)
        if improving_against is None:
            # verify() asks again for what the prices were computed from:
            # the same duals give the same answer, once.
            key = (np.asarray(scarcity, dtype=float).tobytes(),
                   np.asarray(rent, dtype=float).tobytes(), need.tobytes(), costs)
            if key not in self._cache:
                self._cache.clear()
                self._cache[key] = self._values(scarcity, rent, need, None, 0.0, costs)
            return self._cache[key]
        return self._values(scarcity, rent, need, improving_against, tolerance, costs)

    def _values(self, scarcity, rent, need, improving_against, tolerance, costs):
        data, W = self.data, self.workloads
        N = data.n_nodes
        if not len(self.sites):
            value = np.full((N, data.n_workloads), np.nan)
            value[:, W] = np.inf
            return CheapestRoutes(value, np.full((N, data.n_workloads), -1, dtype=np.int64), {})
        g, bytes_w, site_cost, pred, bound, in_time, exact = self._trees(scarcity, rent, costs)
        best = exact.min(axis=0)                                           # (N, |W|)
        best_site = np.where(np.isfinite(best), exact.argmin(axis=0), -1)
        cap = best if improving_against is None else np.minimum(
            best, np.asarray(improving_against) - tolerance)
        # Sites whose bound beats the best exact route but whose cheapest path is late.
        open_ = (bound < cap[None, :, :]) & ~in_time & need[None, :, :]
        paths = {}
        for k in np.flatnonzero(open_.any(axis=(1, 2))):
            cost, path = self._constrained(k, g, open_[k], cap, bytes_w, site_cost[k])
            better = cost < best
            best = np.where(better, cost, best)
            best_site = np.where(better, k, best_site)
            for o, j in zip(*np.nonzero(better)):
                paths[(int(o), int(j))] = path[(int(o), int(j))]
        site = np.where(best_site >= 0, self.sites[np.maximum(best_site, 0)], -1)
        site = np.where(need, site, -1)
        best = np.where(need, best, np.inf)
        wanted = need & np.isfinite(best)
        if improving_against is not None:
            wanted &= best < np.asarray(improving_against) - tolerance
        for k in np.unique(best_site[wanted]):
            pairs = [(int(o), int(j)) for o, j in zip(*np.nonzero(wanted & (best_site == k)))
                     if (int(o), int(j)) not in paths]
            for (o, j), path in zip(pairs, self._tree_paths(pred[k], [o for o, _ in pairs])):
                paths[(o, j)] = path
        value = np.full((N, data.n_workloads), np.nan)
        value[:, W] = best
        full_site = np.full((N, data.n_workloads), -1, dtype=np.int64)
        full_site[:, W] = site
        return CheapestRoutes(value, full_site,
                              {(o, int(W[j])): p for (o, j), p in paths.items() if wanted[o, j]})

    def _trees(self, scarcity, rent, costs=True):
        """Cheapest paths to every site, ignoring latency, and what they bound.

        Returns ``(g, bytes, site_cost, pred, bound, in_time, exact)``:
        ``bound[k, o, j]`` is a lower bound on the cost of any admissible
        route from o to site k for workload j (inf where none is admissible),
        ``exact`` the same where the cheapest path is in time (inf elsewhere).
        The last pass of column generation and the prices ask for the same
        duals: the trees are computed once for them.
        """
        key = ("trees", np.asarray(scarcity, dtype=float).tobytes(),
               np.asarray(rent, dtype=float).tobytes(), costs)
        if key not in self._trees_cache:
            self._trees_cache.clear()
            self._trees_cache[key] = self._compute_trees(scarcity, rent, costs)
        return self._trees_cache[key]

    def _compute_trees(self, scarcity, rent, costs):
        g, bytes_w, site_cost, pred, bound = self._bounds(scarcity, rent, costs)
        lat = self._tree_latency(pred)                                     # (S, N)
        in_time = lat[:, :, None] <= self.budget[:, None, :] + LATENCY_SLACK_MS
        exact = np.where(in_time, bound, np.inf)
        return g, bytes_w, site_cost, pred, bound, in_time, exact

    def _bounds(self, scarcity, rent, costs=True):
        """Cheapest paths to every site ignoring latency: ``(g, bytes, site_cost, pred, bound)``.

        Cached for the last duals asked: the last pass of column
        generation, the prices and the certificate in verify() ask for the
        same ones.
        """
        key = ("bounds", np.asarray(scarcity, dtype=float).tobytes(),
               np.asarray(rent, dtype=float).tobytes(), costs)
        if key not in self._bounds_cache:
            self._bounds_cache.clear()
            self._bounds_cache[key] = self._compute_bounds(scarcity, rent, costs)
        return self._bounds_cache[key]

    def _compute_bounds(self, scarcity, rent, costs):
        data, W = self.data, self.workloads
        S = len(self.sites)
        rent = np.asarray(rent, dtype=float)
        g = arc_cost_per_byte(data, rent) if costs else \
            rent * 8e-9 * TOKENS_PER_MTOK / SECONDS_PER_HOUR
        bytes_w = data.bytes_per_token[W]
        proc = data.proc_cost[self.sites][:, W] if costs else np.zeros((S, len(W)))
        site_cost = proc + np.asarray(scarcity, dtype=float)[self.sites][:, None] \
            * data.intensity[W][None, :]
        site_cost = np.where(np.isfinite(self.budget), site_cost, np.inf)  # (S, |W|)
        dist, pred = self._dijkstra(g, predecessors=True)                  # (S, N)
        bound = site_cost[:, None, :] + dist[:, :, None] * bytes_w[None, None, :]
        admissible = self._latency_to_site[:, :, None] <= self.budget[:, None, :] \
            + LATENCY_SLACK_MS
        return g, bytes_w, site_cost, pred, np.where(admissible, bound, np.inf)

    def cheapest_per_site(self, scarcity, rent, *, origins, per_pair) -> RouteSet:
        """Routes of each needed (origin, workload) to its ``per_pair`` cheapest sites, and its best.

        The cheapest path to a site serves when it is in time; the best
        route overall comes from :meth:`values`.  Each route is listed once.
        """
        data, W = self.data, self.workloads
        need = np.asarray(origins)[:, W]
        if not len(self.sites):
            return RouteSet.from_paths([], [], [], [], data.n_arcs)
        _, _, _, pred, _, _, exact = self._trees(scarcity, rent)
        best = self.values(scarcity, rent, origins=np.asarray(origins)[:, W])
        chosen = {}
        order = np.argsort(exact, axis=0, kind="stable")[:per_pair]        # (per_pair, N, |W|)
        for rank in range(min(per_pair, len(self.sites))):
            k_of = order[rank]
            ok = need & np.isfinite(np.take_along_axis(exact, k_of[None], axis=0)[0])
            for k in np.unique(k_of[ok]):
                origins_k = sorted({int(o) for o, j in zip(*np.nonzero(ok & (k_of == k)))})
                for o, path in zip(origins_k, self._tree_paths(pred[k], origins_k)):
                    chosen[(o, path)] = int(self.sites[k])
        for (o, w), path in best.path.items():
            chosen[(o, path)] = int(best.site[o, w])
        keys = list(chosen)
        paths = [p for _, p in keys]
        return RouteSet.from_paths([o for o, _ in keys], [chosen[k] for k in keys], paths,
                                   path_sums(paths, data.latency_ms), data.n_arcs)

    def _row_latency(self, k, pred_row):
        """:meth:`_tree_latency` of one site's tree."""
        return self._tree_latency(pred_row[None, :], sites=self.sites[k:k + 1])[0]

    def _tree_latency(self, pred, sites=None):
        """Latency of each node's cheapest (by cost) path to each site, along the Dijkstra tree.

        Pointer doubling: after k rounds every node has summed the arcs to
        its 2^k-th successor, so the work is logarithmic in the depth.
        """
        S, N = pred.shape
        sites = self.sites if sites is None else sites
        rows = np.arange(S)[:, None]
        reached = pred >= 0
        step = np.where(reached, pred, np.arange(N)[None, :])      # the site points at itself
        step[rows[:, 0], sites] = sites
        lat = np.zeros((S, N))
        lat[reached] = self.data.latency_ms[self._arc_of(np.nonzero(reached)[1], pred[reached])]
        unreached = ~reached
        unreached[rows[:, 0], sites] = False
        for _ in range(max(1, int(np.ceil(np.log2(max(N, 2)))) + 1)):
            nxt = step[rows, step]
            if np.array_equal(nxt, step):
                break
            lat = lat + lat[rows, step]
            step = nxt
        lat[unreached] = np.inf
        return lat

    def _arc_of(self, tail, head):
        """The arc index of each (tail, head) pair (arrays)."""
        N = self.data.n_nodes
        return self._arc_order[np.searchsorted(self._arc_keys, tail * (N + 1) + head)]

    def _tree_paths(self, pred_row, origins):
        """Arc paths of ``origins`` to a site along one Dijkstra tree (shared suffixes memoised)."""
        pred = pred_row.tolist()
        reached = np.flatnonzero(pred_row >= 0)
        first = np.full(len(pred), -1, dtype=np.int64)
        first[reached] = self._arc_of(reached, pred_row[reached])
        first = first.tolist()
        done = {}
        out = []
        for o in origins:
            chain, n = [], o
            while n not in done:
                if pred[n] < 0:
                    done[n] = ()
                    break
                chain.append(n)
                n = pred[n]
            for m in reversed(chain):
                done[m] = (first[m],) + done[pred[m]]
            out.append(done[o])
        return out

    def _constrained(self, k, g, open_k, cap, bytes_w, site_cost_k):
        """Resource-constrained search from site ``k`` for the (origin, workload) pairs ``open_k``.

        Label setting on (cost, latency) from the site back to the origins:
        labels leave the heap cheapest first, and a label is kept at a node
        only if it is faster than every kept label there (all cheaper), so
        each node keeps its Pareto front.  The search only goes as far in
        cost as the needed pairs' caps require, and is kept: a later ask
        under the same rents (the certificate, the prices) resumes it.
        """
        N, Wn = open_k.shape
        budget = self.budget[k]
        # Costliest per-byte path still worth extending, over the workloads.
        caps = np.where(open_k, cap, -np.inf).max(axis=0)                   # (|W|,)
        with np.errstate(invalid="ignore"):
            per_byte = (caps - site_cost_k) / bytes_w    # nan: a workload this site cannot serve
        cost_cap = float(np.max(np.where(np.isnan(per_byte), -np.inf, per_byte)))
        search = self._search(k, g)
        search.extend(cost_cap)
        out = np.full((N, Wn), np.inf)
        paths = {}
        slack = LATENCY_SLACK_MS
        for o, j in zip(*np.nonzero(open_k)):
            for i in search.kept.get(int(o), ()):
                if search.late[i] <= budget[j] + slack:
                    out[o, j] = site_cost_k[j] + search.cost[i] * bytes_w[j]
                    paths[(int(o), int(j))] = search.path(i)
                    break
        return out, paths

    def _search(self, k, g):
        key = (k, g.tobytes())
        if key not in self._searches:
            if len(self._searches) > 4 * max(1, len(self.sites)):
                self._searches.clear()   # rents changed: the old searches are stale
            self._searches[key] = _LabelSearch(
                int(self.sites[k]), float(self.max_budget[k]) + LATENCY_SLACK_MS,
                self._reversed_adjacency(), g.tolist(), self.data.latency_ms.tolist())
        return self._searches[key]

    # -- column generation -------------------------------------------------------------------
    def improving(self, scarcity, rent, prices, demand_pairs, *, tolerance, costs=True):
        """Routes whose reduced cost against ``prices`` is below ``-tolerance``.

        Only the (site, origin, workload) triples whose latency-blind bound
        beats the price are looked at closely: the cheapest path to that
        site when it is in time, else the constrained search.  At an optimum
        they are few, so a certificate costs one shortest-path pass.

        Parameters
        ----------
        prices : ndarray (N, W)
            Row duals of the demand rows, $/Mtok.
        demand_pairs : ndarray of bool (N, W)
            The (origin, workload) pairs whose rows constrain the LP.
        tolerance : ndarray (N, W) or float
            How negative a reduced cost must be to count, $/Mtok.

        Returns
        -------
        (RouteSet, ndarray of int, ndarray)
            The improving routes (one per pair, the cheapest), the workload
            of each, and the most negative reduced cost of every pair
            (0 where none is negative).
        """
        data, W = self.data, self.workloads
        N = data.n_nodes
        need = np.asarray(demand_pairs)[:, W]
        price = np.asarray(prices, dtype=float)[:, W]
        tol = np.broadcast_to(np.asarray(tolerance, dtype=float),
                              (N, data.n_workloads))[:, W]
        best = np.full((N, len(W)), np.inf)
        best_site = np.full((N, len(W)), -1, dtype=np.int64)
        paths = {}
        if len(self.sites) and need.any():
            g, bytes_w, site_cost, pred, bound = self._bounds(scarcity, rent, costs)
            with np.errstate(invalid="ignore"):
                cap = np.where(need, price - tol, -np.inf)
            candidate = bound < cap[None, :, :]
            for k in np.flatnonzero(candidate.any(axis=(1, 2))).tolist():
                in_time = self._row_latency(k, pred[k])[:, None] \
                    <= self.budget[k][None, :] + LATENCY_SLACK_MS
                exact = np.where(candidate[k] & in_time, bound[k], np.inf)
                better = exact < best
                best = np.where(better, exact, best)
                best_site = np.where(better, k, best_site)
                for o, j in zip(*np.nonzero(better)):
                    paths.pop((int(o), int(j)), None)     # a tree path, resolved below
                late = candidate[k] & ~in_time & (bound[k] < best)
                if late.any():
                    cost, found = self._constrained(k, g, late, np.minimum(best, cap), bytes_w,
                                                    site_cost[k])
                    better = cost < best
                    best = np.where(better, cost, best)
                    best_site = np.where(better, k, best_site)
                    for o, j in zip(*np.nonzero(better)):
                        paths[(int(o), int(j))] = found[(int(o), int(j))]
            improve = need & (best < cap)
            for k in np.unique(best_site[improve]).tolist():
                pairs = [(int(o), int(j)) for o, j in zip(*np.nonzero(improve & (best_site == k)))
                         if (int(o), int(j)) not in paths]
                for pair, path in zip(pairs, self._tree_paths(pred[k], [o for o, _ in pairs])):
                    paths[pair] = path
        reduced = np.where(need & np.isfinite(best), best - price, 0.0)
        origins, workloads, sites, route_paths = [], [], [], []
        for o, j in zip(*np.nonzero(reduced < -tol)):
            origins.append(int(o))
            workloads.append(int(W[j]))
            sites.append(int(self.sites[best_site[o, j]]))
            route_paths.append(paths[(int(o), int(j))])
        routes = RouteSet.from_paths(origins, sites, route_paths,
                                     path_sums(route_paths, data.latency_ms), data.n_arcs)
        full = np.zeros((N, data.n_workloads))
        full[:, W] = np.minimum(reduced, 0.0)
        return routes, np.asarray(workloads, dtype=np.int64), full


class _LabelSearch:
    """A resumable label-setting search from one site over (cost, latency).

    Labels are popped cheapest first; :meth:`extend` pops until the next
    one costs more than asked, so a search run to one cost cap continues
    to a higher one without repeating work.  ``kept[v]`` lists node v's
    Pareto front, cheapest (and slowest) first.
    """

    def __init__(self, site, max_latency, reverse, g, latency):
        self.reverse, self.g, self.latency = reverse, g, latency
        self.max_latency = max_latency
        self.node, self.cost, self.late, self.nxt, self.arc = [site], [0.0], [0.0], [-1], [-1]
        self.front, self.kept = {}, {}
        self.heap = [(0.0, 0.0, 0)]

    def extend(self, cost_cap):
        heap, front, kept, reverse = self.heap, self.front, self.kept, self.reverse
        g, latency, max_latency = self.g, self.latency, self.max_latency
        node, cost, late, nxt, arc = self.node, self.cost, self.late, self.nxt, self.arc
        while heap and heap[0][0] <= cost_cap:
            c, lt, i = heapq.heappop(heap)
            v = node[i]
            last = front.get(v)
            if last is not None and last <= lt:
                continue
            front[v] = lt
            kept.setdefault(v, []).append(i)
            for u, e, ms in reverse[v]:
                nl = lt + latency[e]
                if nl > max_latency:
                    continue
                lu = front.get(u)
                if lu is not None and lu <= nl:
                    continue
                node.append(u)
                cost.append(c + g[e])
                late.append(nl)
                nxt.append(i)
                arc.append(e)
                heapq.heappush(heap, (c + g[e], nl, len(node) - 1))

    def path(self, i):
        """Arcs of label i's path, from its node to the site."""
        path = []
        while self.arc[i] >= 0:
            path.append(self.arc[i])
            i = self.nxt[i]
        return tuple(path)
