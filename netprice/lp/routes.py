"""Latency-admissible routes, enumerated with networkx, shortest first.

A route of (origin o, workload w) is a simple path from o to a site n that
serves w with ``latency(path) + proc_latency[n, w] <= latency_limit[w]``;
o itself is a route with no links when it serves w.  Enumeration lists
every admissible simple path by a depth-first search pruned by the latency
budget (falling back to Yen's algorithm, ``nx.shortest_simple_paths``, where
the search would explode) and keeps, per (origin, site) pair, the
``max_routes_per_pair`` shortest; pairs where the cap cut off admissible
routes are recorded, never dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain, islice

import networkx as nx
import numpy as np
import scipy.sparse as sp

from .paths import cheapest_to_targets

__all__ = ["RouteSet", "enumerate_routes", "latency_slack", "path_sums",
           "DEFAULT_MAX_ROUTES_PER_PAIR", "LATENCY_SLACK_MS"]

DEFAULT_MAX_ROUTES_PER_PAIR = 50

# Latencies are sums of floats; a route exactly at the limit must stay admissible.
LATENCY_SLACK_MS = 1e-9


@dataclass
class RouteSet:
    """Routes and their route-arc incidence.

    ``arcs`` is a sparse (routes x arcs) matrix of ones whose row r lists
    route r's arcs *in path order* (its indices are deliberately not
    sorted), so ``arcs @ c`` sums an arc quantity along every route,
    ``arcs.T @ x`` loads arcs with route flows, and ``arcs @ out`` counts
    the removed arcs each route uses.
    """

    origin: np.ndarray
    site: np.ndarray
    latency_ms: np.ndarray
    arcs: sp.csr_matrix
    truncated: list = field(default_factory=list)
    max_routes_per_pair: int = DEFAULT_MAX_ROUTES_PER_PAIR

    def __len__(self) -> int:
        return len(self.origin)

    def arcs_of(self, r: int) -> np.ndarray:
        return self.arcs.indices[self.arcs.indptr[r]:self.arcs.indptr[r + 1]]

    def hops(self) -> np.ndarray:
        return np.diff(self.arcs.indptr)

    def rows(self, routes) -> sp.csr_matrix:
        """The incidence rows of ``routes``, arcs still in path order."""
        return self.arcs[np.asarray(routes, dtype=np.int64)]

    def subset(self, keep) -> "RouteSet":
        """The routes ``keep`` (indexes or a boolean mask), renumbered in order."""
        keep = np.asarray(keep)
        idx = np.flatnonzero(keep) if keep.dtype == bool else keep.astype(np.int64)
        return RouteSet(self.origin[idx], self.site[idx], self.latency_ms[idx], self.rows(idx),
                        list(self.truncated), self.max_routes_per_pair)

    def extend(self, other: "RouteSet") -> "RouteSet":
        """These routes followed by ``other``'s."""
        return RouteSet(np.concatenate([self.origin, other.origin]),
                        np.concatenate([self.site, other.site]),
                        np.concatenate([self.latency_ms, other.latency_ms]),
                        sp.vstack([self.arcs, other.arcs], format="csr"),
                        list(self.truncated) + list(other.truncated), self.max_routes_per_pair)

    @classmethod
    def from_paths(cls, origins, sites, paths, latency_ms, n_arcs, *, truncated=(),
                   max_routes_per_pair=DEFAULT_MAX_ROUTES_PER_PAIR) -> "RouteSet":
        """Routes from tuples of arc indexes, each in path order."""
        lengths = np.fromiter((len(p) for p in paths), dtype=np.int64, count=len(paths))
        indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        indices = (np.fromiter((a for p in paths for a in p), dtype=np.int64,
                               count=int(indptr[-1])) if paths else np.zeros(0, dtype=np.int64))
        # Built from its arrays, not from coordinates: scipy would sort each
        # row's indices, and the path order is what the reports print.
        arcs = sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(paths), n_arcs))
        return cls(origin=np.asarray(origins, dtype=np.int64),
                   site=np.asarray(sites, dtype=np.int64),
                   latency_ms=np.asarray(latency_ms, dtype=float), arcs=arcs,
                   truncated=list(truncated), max_routes_per_pair=max_routes_per_pair)


def path_sums(paths, values) -> np.ndarray:
    """Sum of ``values`` over the arcs of each path (tuples of arc indexes), in path order."""
    lengths = np.fromiter(map(len, paths), dtype=np.int64, count=len(paths))
    flat = np.fromiter(chain.from_iterable(paths), dtype=np.int64, count=int(lengths.sum()))
    owner = np.repeat(np.arange(len(paths)), lengths)
    return np.bincount(owner, weights=np.asarray(values, dtype=float)[flat],
                       minlength=len(paths))


def _latency_graph(data) -> nx.DiGraph:
    H = nx.DiGraph()
    H.add_nodes_from(range(data.n_nodes))
    for e, (u, v, ms) in enumerate(zip(data.arc_tail, data.arc_head, data.latency_ms)):
        H.add_edge(int(u), int(v), latency=float(ms), arc=e)
    return H


def latency_slack(data, site_budget):
    """``slack[v]``: how late a token may be at v and still reach a site in time (ms).

    ``slack[v] = max over sites s of (budget[s] - latency(v -> s))``;
    ``site_budget[s]`` is the latency a route may take to end at site s
    (-inf where s cannot serve); negative slack means no site is reachable.
    Offsetting every budget from the largest keeps the target costs of the
    shortest-path search non-negative.
    """
    site_budget = np.asarray(site_budget, dtype=float)
    finite = np.flatnonzero(np.isfinite(site_budget))
    if not len(finite):
        return np.full(data.n_nodes, -np.inf)
    top = float(site_budget[finite].max())
    paths = cheapest_to_targets(data.arc_tail, data.arc_head, data.latency_ms, finite,
                                top - site_budget[finite], data.n_nodes)
    return top - paths.cost


def _depth_first(adjacency, origin, slack, site_budget, limit):
    """All simple paths from ``origin`` ending at a site within its budget.

    Every prefix explored can still reach some site in time (``slack``), so
    the work is close to the size of the output.  Returns None when more
    than ``limit`` prefixes would be explored.
    """
    found = []
    if site_budget[origin] >= 0:
        found.append((origin, 0.0, ()))
    on_path = {origin}
    arcs = []
    stack = [(origin, 0.0, iter(adjacency[origin]))]
    explored = 0
    while stack:
        node, elapsed, options = stack[-1]
        for nxt, arc, ms in options:
            if nxt in on_path:
                continue
            reach = elapsed + ms
            if reach > slack[nxt] + LATENCY_SLACK_MS:
                continue
            explored += 1
            if explored > limit:
                return None
            arcs.append(arc)
            on_path.add(nxt)
            if reach <= site_budget[nxt] + LATENCY_SLACK_MS:
                found.append((nxt, reach, tuple(arcs)))
            stack.append((nxt, reach, iter(adjacency[nxt])))
            break
        else:
            stack.pop()
            if arcs:
                arcs.pop()
                on_path.discard(node)
    return found


def _yen(H, data, origin, site, budget, cap):
    """Up to ``cap`` shortest routes origin -> site within ``budget`` (Yen's algorithm)."""
    routes, truncated = [], False
    for path in islice(nx.shortest_simple_paths(H, origin, site, weight="latency"), cap + 1):
        arcs = tuple(H.edges[a, b]["arc"] for a, b in zip(path, path[1:]))
        ms = float(data.latency_ms[list(arcs)].sum())
        if ms > budget:
            break
        if len(routes) == cap:
            truncated = True
            break
        routes.append((site, ms, arcs))
    return routes, truncated


def _site_budgets(data, workloads):
    """Latency a route ending at each node may take: the loosest over the workloads it serves."""
    budget = np.where(data.can_serve[:, workloads],
                      data.latency_limit_ms[workloads][None, :]
                      - data.proc_latency_ms[:, workloads], -np.inf)
    site_budget = budget.max(axis=1)
    site_budget[site_budget < -LATENCY_SLACK_MS] = -np.inf
    return site_budget


def _sorted_adjacency(data):
    """Out-arcs of every node as (head, arc, latency), fastest first (shortest routes first)."""
    adjacency = [[] for _ in range(data.n_nodes)]
    for e, (u, v, ms) in enumerate(zip(data.arc_tail, data.arc_head, data.latency_ms)):
        adjacency[int(u)].append((int(v), e, float(ms)))
    for row in adjacency:
        row.sort(key=lambda item: item[2])
    return adjacency


def _shortest_per_site(found, cap, origin_name, site_names, truncated):
    """Keep each site's ``cap`` fastest routes of a depth-first search; note truncated pairs."""
    by_site = {}
    for site, ms, arcs in found:
        by_site.setdefault(site, []).append((ms, arcs))
    chosen = []
    for site in sorted(by_site):
        options = sorted(by_site[site])
        if len(options) > cap:
            truncated.append((origin_name, site_names[site]))
        chosen.extend((site, ms, arcs) for ms, arcs in options[:cap])
    return chosen


def _yen_per_site(H, data, o, slack, site_budget, cap, truncated):
    """Routes of origin ``o`` by Yen's algorithm, site by site (where depth-first explodes)."""
    chosen = []
    reach = nx.single_source_dijkstra_path_length(
        H, o, cutoff=float(slack[o]) + LATENCY_SLACK_MS, weight="latency")
    for site in sorted(reach):
        if not np.isfinite(site_budget[site]) or reach[site] > site_budget[site] \
                + LATENCY_SLACK_MS:
            continue
        if site == o:
            chosen.append((o, 0.0, ()))
            continue
        routes, cut = _yen(H, data, o, site, site_budget[site] + LATENCY_SLACK_MS, cap)
        chosen.extend(routes)
        if cut:
            truncated.append((data.nodes[o], data.nodes[site]))
    return chosen


def enumerate_routes(data, *, max_routes_per_pair=DEFAULT_MAX_ROUTES_PER_PAIR,
                     workloads=None, progress=None, prefix_limit=None,
                     max_total_routes=None):
    """Enumerate the admissible routes of every node for the latency-limited workloads.

    A depth-first search pruned by the latency budget lists every admissible
    simple path from an origin at once; each (origin, site) pair keeps its
    ``max_routes_per_pair`` shortest.  Where the search would explode (more
    than ``50 x max_routes_per_pair`` prefixes per site), that origin falls
    back to Yen's k-shortest paths per pair, which stops at the cap.

    Parameters
    ----------
    data : netprice.lp.data.MarketData
    max_routes_per_pair : int
        At most this many routes per (origin, site) pair, shortest first.
    workloads : array of int, optional
        Workload indexes to enumerate for (default: all with a finite limit).
    progress : callable, optional
        Called with (done, total) origins.
    prefix_limit : int, optional
        Path prefixes the depth-first search may explore per origin before
        that origin falls back to Yen's algorithm (default
        ``50 x max_routes_per_pair x sites``; 0 always uses Yen's).
    max_total_routes : int, optional
        Give up and return None once more routes than this are found.

    Returns
    -------
    RouteSet or None
    """
    if workloads is None:
        workloads = np.flatnonzero(np.isfinite(data.latency_limit_ms))
    workloads = np.asarray(workloads, dtype=int)
    origins, sites, latencies, paths, truncated = [], [], [], [], []
    if len(workloads):
        H = _latency_graph(data)
        site_budget = _site_budgets(data, workloads)
        slack = latency_slack(data, site_budget)
        adjacency = _sorted_adjacency(data)
        n_sites = int(np.isfinite(site_budget).sum())
        limit = (50 * max_routes_per_pair * max(n_sites, 1) if prefix_limit is None
                 else prefix_limit)
        for o in range(data.n_nodes):
            if progress is not None:
                progress(o, data.n_nodes)
            if slack[o] < -LATENCY_SLACK_MS:
                continue
            found = _depth_first(adjacency, o, slack, site_budget, limit)
            if found is not None:
                chosen = _shortest_per_site(found, max_routes_per_pair, data.nodes[o],
                                            data.nodes, truncated)
            else:
                chosen = _yen_per_site(H, data, o, slack, site_budget, max_routes_per_pair,
                                       truncated)
            if max_total_routes is not None and len(origins) + len(chosen) > max_total_routes:
                return None
            for site, ms, arcs in chosen:
                origins.append(o)
                sites.append(site)
                # Latency summed in arc order, as the LP and the reports do.
                latencies.append(float(data.latency_ms[list(arcs)].sum()) if arcs else 0.0)
                paths.append(arcs)
        if progress is not None:
            progress(data.n_nodes, data.n_nodes)
    return RouteSet.from_paths(origins, sites, paths, latencies, data.n_arcs,
                               truncated=truncated, max_routes_per_pair=max_routes_per_pair)
