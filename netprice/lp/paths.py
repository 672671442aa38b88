"""Shortest paths *to* a set of targets: the one routine every part of netprice uses.

Pricing an arc-flow workload (cheapest way from each node to a serving
site), the latency slack that prunes route enumeration (how late a token
may be at a node and still reach a site in time), and the nearest site a
diagnosis names are all the same question: the cheapest path from every
node to any of several targets, each target with a cost of its own.  It is
answered by one Dijkstra on the reversed graph out of a super source whose
edge to each target weighs that target's cost (scipy's C implementation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

__all__ = ["PathsToTargets", "cheapest_to_targets", "reaches"]


@dataclass
class PathsToTargets:
    """Cheapest paths from every node to a target set.

    Attributes
    ----------
    cost : ndarray (N,)
        Path cost plus the target's own cost; inf where no target is reachable.
    first_arc : ndarray (N,)
        Arc each node leaves by on its cheapest path; -1 at a target (or unreachable).
    next_node : ndarray (N,)
        Head of ``first_arc``; the node itself at a target, -1 where unreachable.
    arc_head : ndarray (E,)
        Head of every arc, to name where a path ends.
    """

    cost: np.ndarray
    first_arc: np.ndarray
    next_node: np.ndarray
    arc_head: np.ndarray

    def reached(self) -> np.ndarray:
        return np.flatnonzero(np.isfinite(self.cost))

    def paths(self, nodes) -> list:
        """Arc sequence (a tuple) of each node's cheapest path, following ``first_arc``.

        Chains are resolved from the target end and shared, so the work is
        linear in the number of nodes whatever the path lengths.
        """
        step_of, next_of = self.first_arc.tolist(), self.next_node.tolist()
        done = {}
        out = []
        for start in np.asarray(nodes, dtype=np.int64).tolist():
            chain, n = [], start
            while n not in done:
                if step_of[n] < 0:
                    done[n] = ()
                    break
                chain.append(n)
                n = next_of[n]
            for m in reversed(chain):
                done[m] = (step_of[m],) + done[next_of[m]]
            out.append(done[start])
        return out

    def target_of(self, nodes, paths=None) -> np.ndarray:
        """The target each node's cheapest path ends at (-1 where unreachable).

        ``paths``: the nodes' :meth:`paths`, when already at hand.
        """
        paths = self.paths(nodes) if paths is None else paths
        nodes = np.asarray(nodes, dtype=np.int64)
        out = np.where(np.isfinite(self.cost[nodes]), nodes, -1)
        for k, path in enumerate(paths):
            if path:
                out[k] = self.arc_head[path[-1]]
        return out


def cheapest_to_targets(tail, head, arc_cost, targets, target_cost, n_nodes) -> PathsToTargets:
    """Cheapest path from every node to any target, target costs included.

    Parameters
    ----------
    tail, head : ndarray of int (E,)
        Arc ends; at most one arc per ordered pair (a DiGraph's arcs).
    arc_cost : ndarray (E,)
        Non-negative arc costs (zeros allowed).
    targets : ndarray of int
        Target nodes.
    target_cost : ndarray
        Non-negative cost of ending at each target.
    n_nodes : int

    Returns
    -------
    PathsToTargets

    Examples
    --------
    >>> import numpy as np
    >>> p = cheapest_to_targets(np.array([0, 1]), np.array([1, 2]), np.array([1.0, 1.0]),
    ...                         np.array([1, 2]), np.array([5.0, 0.0]), 3)
    >>> p.cost.tolist(), p.paths([0])
    ([2.0, 1.0, 0.0], [(0, 1)])
    """
    tail = np.asarray(tail, dtype=np.int64)
    head = np.asarray(head, dtype=np.int64)
    targets = np.asarray(targets, dtype=np.int64)
    N = n_nodes
    source = N
    # Explicit zeros of a sparse matrix are edges to scipy's Dijkstra (zero
    # costs are common), and a DiGraph has no parallel arcs for the matrix to merge.
    graph = sp.csr_matrix(
        (np.concatenate([np.asarray(arc_cost, dtype=float), np.asarray(target_cost, dtype=float)]),
         (np.concatenate([head, np.full(len(targets), source)]),
          np.concatenate([tail, targets]))),
        shape=(N + 1, N + 1))
    dist, pred = csgraph.dijkstra(graph, directed=True, indices=source,
                                  return_predecessors=True)
    # The arc each node leaves by on its cheapest path (reversed edge pred -> n).
    arc_key = tail * (N + 1) + head
    order = np.argsort(arc_key)
    reached = np.flatnonzero(np.isfinite(dist[:N]))
    first_arc = np.full(N, -1, dtype=np.int64)
    inner = reached[pred[reached] != source]
    first_arc[inner] = order[np.searchsorted(arc_key[order], inner * (N + 1) + pred[inner])]
    next_node = np.full(N, -1, dtype=np.int64)
    next_node[reached] = np.where(first_arc[reached] >= 0, pred[reached], reached)
    return PathsToTargets(dist[:N], first_arc, next_node, head)


def reaches(tail, head, targets, n_nodes) -> np.ndarray:
    """(N,) whether each node has a path to some target (a breadth-first search, no costs).

    Examples
    --------
    >>> reaches(np.array([0, 1]), np.array([1, 2]), np.array([1]), 3).tolist()
    [True, True, False]
    """
    targets = np.asarray(targets, dtype=np.int64)
    out = np.zeros(n_nodes, dtype=bool)
    if not len(targets):
        return out
    source = n_nodes
    rows = np.concatenate([np.asarray(head, dtype=np.int64), np.full(len(targets), source)])
    cols = np.concatenate([np.asarray(tail, dtype=np.int64), targets])
    graph = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_nodes + 1, n_nodes + 1))
    order = csgraph.breadth_first_order(graph, source, directed=True, return_predecessors=False)
    out[order[order < n_nodes]] = True
    return out
