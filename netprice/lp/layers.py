"""The latency-layered graph of one workload (docs/model.md section 3).

Nodes of the layered graph are (node, elapsed latency in quanta); an arc of
latency l becomes arcs from layer k to layer k + ceil(l / quantum), and a
site can serve at layer k when ``k + ceil(proc_latency / quantum) <= K``
with ``K = floor(limit / quantum)``.  Every walk in it respects the limit,
so no routes need enumerating; rounding latencies *up* keeps it
conservative, and with a quantum that divides every latency it is exact.

Only (node, layer) pairs that can still reach a serving site in time, and
that some origin can reach, are kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["LayerGraph", "layer_graph", "steps"]

# A latency that is a whole number of quanta up to floating-point noise
# (0.3 / 0.1 = 2.9999999999999996) counts as that whole number.
STEP_TOLERANCE = 1e-9


def steps(latency_ms, quantum_ms):
    """Quanta a latency takes, rounded up (conservative), as integers."""
    ratio = np.asarray(latency_ms, dtype=float) / quantum_ms
    return np.ceil(ratio - STEP_TOLERANCE).astype(np.int64)


@dataclass
class LayerGraph:
    workload: int
    quantum_ms: float
    n_layers: int                # K + 1
    arc_steps: np.ndarray        # (E,)
    alive: np.ndarray            # (N, K+1) bool: (node, layer) kept
    arc_cols: np.ndarray         # (A, 2) [arc, layer] of arc columns kept
    serve_cols: np.ndarray       # (S, 2) [node, layer] of serve columns kept


def layer_graph(data, w, quantum_ms) -> LayerGraph:
    """Build the pruned layered graph of workload ``w``."""
    N = data.n_nodes
    K = int(np.floor(data.latency_limit_ms[w] / quantum_ms + STEP_TOLERANCE))
    d = steps(data.latency_ms, quantum_ms)
    proc = steps(data.proc_latency_ms[:, w], quantum_ms)
    tail, head = data.arc_tail, data.arc_head
    # Latest layer at which each node can still reach a serving site in time:
    # Bellman-Ford on integer steps, backwards from the sites.
    INF = np.iinfo(np.int64).max // 4
    to_site = np.where(data.can_serve[:, w], proc, INF)
    for _ in range(N):
        candidate = np.full(N, INF)
        np.minimum.at(candidate, tail, np.where(to_site[head] < INF, d + to_site[head], INF))
        updated = np.minimum(to_site, candidate)
        if np.array_equal(updated, to_site):
            break
        to_site = updated
    layers = np.arange(K + 1)
    useful = layers[None, :] + to_site[:, None] <= K          # (N, K+1)
    # Forward reachability from layer 0 (every node is an origin).
    reach = np.zeros((N, K + 1), dtype=bool)
    reach[:, 0] = True
    zero = d == 0
    for k in range(K + 1):
        if k > 0:
            src_layer = k - d
            ok = (~zero) & (src_layer >= 0)
            hit = np.zeros(N, dtype=bool)
            np.logical_or.at(hit, head[ok], reach[tail[ok], src_layer[ok]])
            reach[:, k] |= hit
        if zero.any():
            while True:
                before = reach[:, k].copy()
                np.logical_or.at(reach[:, k], head[zero], reach[tail[zero], k])
                if np.array_equal(before, reach[:, k]):
                    break
    alive = useful & reach
    alive[:, 0] = True  # every demand row exists, even with no way to serve
    arc_layer = np.repeat(layers[None, :], len(d), axis=0)    # (E, K+1)
    dest_layer = arc_layer + d[:, None]
    ok = (dest_layer <= K) & alive[tail][:, :] & useful[head][np.arange(len(d))[:, None],
                                                               np.minimum(dest_layer, K)]
    ok &= reach[tail, :] & useful[tail, :]
    arcs, ks = np.nonzero(ok)
    serve_ok = data.can_serve[:, w][:, None] & (layers[None, :] + proc[:, None] <= K) & alive
    nodes, serve_ks = np.nonzero(serve_ok)
    return LayerGraph(w, quantum_ms, K + 1, d, alive,
                      np.stack([arcs, ks], axis=1), np.stack([nodes, serve_ks], axis=1))
