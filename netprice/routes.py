"""Latency-admissible routes, enumerated with networkx, shortest first.

A route of (origin o, workload w) is a simple path from o to a site n that
serves w with ``latency(path) + proc_latency[n, w] <= latency_limit[w]``;
o itself is a route with no links when it serves w.  Enumeration is per
(origin, site) pair with Yen's algorithm (``nx.shortest_simple_paths``),
stopped at the latency budget or at ``max_routes_per_pair``; pairs where
the cap cut off admissible routes are recorded, never dropped silently.
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


def enumerate_routes(data, *, max_routes_per_pair=DEFAULT_MAX_ROUTES_PER_PAIR,
                     workloads=None, progress=None) -> RouteSet:
    """Enumerate the admissible routes of every node for the latency-limited workloads.

    Parameters
    ----------
    data : netprice.lp.data.MarketData
    max_routes_per_pair : int
        At most this many routes per (origin, site) pair, shortest first.
    workloads : array of int, optional
        Workload indexes to enumerate for (default: all with a finite limit).
    progress : callable, optional
        Called with (done, total) origins.
    """
    if workloads is None:
        workloads = np.flatnonzero(np.isfinite(data.latency_limit_ms))
    workloads = np.asarray(workloads, dtype=int)
    origins, sites, latencies, paths, truncated = [], [], [], [], []
    if len(workloads):
        H = _latency_graph(data)
        # Budget of a path ending at site n: the loosest limit among the
        # workloads n serves, less n's processing latency for it.
        slack = np.where(data.can_serve[:, workloads],
                         data.latency_limit_ms[workloads][None, :]
                         - data.proc_latency_ms[:, workloads], -np.inf)
        site_budget = slack.max(axis=1)
        max_budget = float(site_budget.max()) if len(site_budget) else -np.inf
        for o in range(data.n_nodes):
            if progress is not None:
                progress(o, data.n_nodes)
            if max_budget < 0:
                break
            reach = nx.single_source_dijkstra_path_length(
                H, o, cutoff=max_budget + LATENCY_SLACK_MS, weight="latency")
            for s, shortest in reach.items():
                budget = site_budget[s] + LATENCY_SLACK_MS
                if shortest > budget:
                    continue
                if s == o:
                    origins.append(o); sites.append(s); latencies.append(0.0); paths.append(())
                    continue
                found = 0
                for path in islice(nx.shortest_simple_paths(H, o, s, weight="latency"),
                                   max_routes_per_pair + 1):
                    arcs = tuple(H.edges[a, b]["arc"] for a, b in zip(path, path[1:]))
                    ms = float(data.latency_ms[list(arcs)].sum())
                    if ms > budget:
                        break
                    if found == max_routes_per_pair:
                        truncated.append((data.nodes[o], data.nodes[s]))
                        break
                    origins.append(o); sites.append(s); latencies.append(ms); paths.append(arcs)
                    found += 1
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
