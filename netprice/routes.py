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
from itertools import islice

import networkx as nx
import numpy as np

__all__ = ["RouteSet", "enumerate_routes", "DEFAULT_MAX_ROUTES_PER_PAIR"]

DEFAULT_MAX_ROUTES_PER_PAIR = 50

# Latencies are sums of floats; a route exactly at the limit must stay admissible.
LATENCY_SLACK_MS = 1e-9


@dataclass
class RouteSet:
    """Routes as flat arrays: route r uses arcs ``arc_idx[arc_ptr[r]:arc_ptr[r+1]]``."""

    origin: np.ndarray
    site: np.ndarray
    latency_ms: np.ndarray
    arc_ptr: np.ndarray
    arc_idx: np.ndarray
    truncated: list = field(default_factory=list)
    max_routes_per_pair: int = DEFAULT_MAX_ROUTES_PER_PAIR

    def __len__(self) -> int:
        return len(self.origin)

    def arcs_of(self, r: int) -> np.ndarray:
        return self.arc_idx[self.arc_ptr[r]:self.arc_ptr[r + 1]]


def _latency_graph(data) -> nx.DiGraph:
    H = nx.DiGraph()
    H.add_nodes_from(range(data.n_nodes))
    for e, (u, v, ms) in enumerate(zip(data.arc_tail, data.arc_head, data.latency_ms)):
        H.add_edge(int(u), int(v), latency=float(ms), arc=e)
    return H


def _slack_to_sites(H, site_budget, n_nodes):
    """Latest elapsed latency at each node from which some site is still in time.

    ``slack[v] = max over sites s of (budget[s] - latency(v -> s))``, from one
    Dijkstra on the reversed graph out of a super source whose edge to each
    site weighs ``max_budget - budget[s]`` (non-negative).
    """
    finite = np.isfinite(site_budget)
    if not finite.any():
        return np.full(n_nodes, -np.inf)
    top = float(site_budget[finite].max())
    R = H.reverse(copy=False)
    source = n_nodes
    R = nx.DiGraph(R)
    for s in np.flatnonzero(finite):
        R.add_edge(source, int(s), latency=top - float(site_budget[s]))
    dist = nx.single_source_dijkstra_path_length(R, source, weight="latency")
    slack = np.full(n_nodes, -np.inf)
    for v, d in dist.items():
        if v != source:
            slack[v] = top - d
    return slack


def exact_slack(data, site_budget):
    """``slack[v]``: how late a token may be at v and still reach a site in time (ms).

    ``site_budget[s]`` is the latency a route may take to end at site s
    (-inf where s cannot serve); negative slack means no site is reachable.
    """
    return _slack_to_sites(_latency_graph(data), np.asarray(site_budget, dtype=float),
                           data.n_nodes)


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
        # Budget of a path ending at site n: the loosest limit among the
        # workloads n serves, less n's processing latency for it.
        budget = np.where(data.can_serve[:, workloads],
                          data.latency_limit_ms[workloads][None, :]
                          - data.proc_latency_ms[:, workloads], -np.inf)
        site_budget = budget.max(axis=1)
        site_budget[site_budget < -LATENCY_SLACK_MS] = -np.inf
        slack = _slack_to_sites(H, site_budget, data.n_nodes)
        adjacency = [[] for _ in range(data.n_nodes)]
        for e, (u, v, ms) in enumerate(zip(data.arc_tail, data.arc_head, data.latency_ms)):
            adjacency[int(u)].append((int(v), e, float(ms)))
        for row in adjacency:
            row.sort(key=lambda item: item[2])
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
                by_site = {}
                for site, ms, arcs in found:
                    by_site.setdefault(site, []).append((ms, arcs))
                chosen = []
                for site in sorted(by_site):
                    options = sorted(by_site[site])
                    if len(options) > max_routes_per_pair:
                        truncated.append((data.nodes[o], data.nodes[site]))
                    chosen.extend((site, ms, arcs) for ms, arcs in options[:max_routes_per_pair])
            else:
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
                    routes, cut = _yen(H, data, o, site, site_budget[site] + LATENCY_SLACK_MS,
                                       max_routes_per_pair)
                    chosen.extend(routes)
                    if cut:
                        truncated.append((data.nodes[o], data.nodes[site]))
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
    lengths = np.fromiter((len(p) for p in paths), dtype=np.int64, count=len(paths))
    arc_ptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    arc_idx = (np.fromiter((a for p in paths for a in p), dtype=np.int64, count=int(arc_ptr[-1]))
               if paths else np.zeros(0, dtype=np.int64))
    return RouteSet(
        origin=np.asarray(origins, dtype=np.int64),
        site=np.asarray(sites, dtype=np.int64),
        latency_ms=np.asarray(latencies, dtype=float),
        arc_ptr=arc_ptr,
        arc_idx=arc_idx,
        truncated=truncated,
        max_routes_per_pair=max_routes_per_pair,
    )
