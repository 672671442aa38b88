"""Remove circulations from arc flows before anything reads them.

Where links have no transport cost, tokens of a workload without a latency
limit can go round a loop for free, and a simplex vertex may carry such a
loop at full link capacity: links would show traffic nobody sent, and
saturation nobody caused.  A loop in an optimal solution costs nothing
(else removing it would lower the cost), so cancelling it keeps the
objective, keeps every row feasible (it only lowers link loads), and keeps
the duals optimal: an arc that carries flow has zero reduced cost, and
summed around a loop that forces every rent on it to zero.
"""

from __future__ import annotations

import numpy as np

from .build import ARC

__all__ = ["cancel_circulations"]


def _cancel(tails, heads, flow, eps):
    """Cancel every directed cycle among arcs with flow > eps, in place."""
    out = {}
    for k, (u, v) in enumerate(zip(tails, heads)):
        out.setdefault(u, []).append(k)
    while True:
        # Depth-first search for one cycle among arcs still carrying flow.
        state, parent_arc, cycle = {}, {}, None
        for root in list(out):
            if root in state or cycle:
                continue
            stack = [(root, iter(out.get(root, ())))]
            state[root] = 1
            while stack and cycle is None:
                node, arcs = stack[-1]
                for k in arcs:
                    if flow[k] <= eps:
                        continue
                    nxt = heads[k]
                    if state.get(nxt) == 1:
                        cycle, back = [k], node
                        while back != nxt:
                            cycle.append(parent_arc[back])
                            back = tails[parent_arc[back]]
                        break
                    if nxt not in state:
                        state[nxt] = 1
                        parent_arc[nxt] = k
                        stack.append((nxt, iter(out.get(nxt, ()))))
                        break
                else:
                    state[node] = 2
                    stack.pop()
        if cycle is None:
            return
        flow[cycle] -= flow[cycle].min()
        flow[np.abs(flow) <= eps] = 0.0


def cancel_circulations(lp, data, x, eps=1e-12):
    """A copy of the LP solution ``x`` with no flow going round a loop.

    Arc columns of each workload are arcs between (node, layer) states;
    only arcs that stay in their layer (no limit, or zero-latency links)
    can close a loop.
    """
    x = np.array(x, dtype=float)
    scale = max(1.0, float(np.max(np.abs(x), initial=0.0)))
    for w in np.unique(lp.col_workload[lp.col_kind == ARC]):
        cols = np.flatnonzero((lp.col_kind == ARC) & (lp.col_workload == w))
        steps = (lp.layers[w].arc_steps[lp.col_arc[cols]] if w in lp.layers
                 else np.zeros(len(cols), dtype=np.int64))
        flat = cols[(steps == 0) & (x[cols] > eps * scale)]
        if len(flat) < 2:
            continue
        tails = [(int(lp.col_node[j]), int(lp.col_layer[j])) for j in flat]
        heads = [(int(data.arc_head[lp.col_arc[j]]), int(lp.col_layer[j])) for j in flat]
        flow = x[flat].copy()
        _cancel(tails, heads, flow, eps * scale)
        x[flat] = flow
    return x
