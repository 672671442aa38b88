"""A market compiled from its graph into arrays indexed by node, arc and workload."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..graph import bytes_per_token, node_cost, node_proc_latency, serves, workload_specs

__all__ = ["MarketData", "compile_market", "MODES"]

MODES = ("baseline", "transfer")


@dataclass
class MarketData:
    """Everything the LP needs, as arrays; physical units (tokens/s, $/Mtok, Gbit/s, ms)."""

    mode: str
    nodes: list
    workloads: list
    arc_tail: np.ndarray          # (E,) node index
    arc_head: np.ndarray          # (E,)
    arcs: list                    # [(u, v)] node ids, in arc order
    bandwidth_gbps: np.ndarray    # (E,)
    latency_ms: np.ndarray        # (E,)
    cost_per_gb: np.ndarray       # (E,)
    latency_limit_ms: np.ndarray  # (W,) inf where there is no limit
    bytes_per_token: np.ndarray   # (W,) in this mode
    intensity: np.ndarray         # (W,) reference tokens per token
    voll: np.ndarray              # (W,) $/Mtok, nan where none
    demand: np.ndarray            # (N, W) tokens/s
    capacity: np.ndarray          # (N,) reference tokens/s
    proc_cost: np.ndarray         # (N, W) $/Mtok
    proc_latency_ms: np.ndarray   # (N, W)
    can_serve: np.ndarray         # (N, W) bool
    base_cost: np.ndarray         # (N,) $/Mtok per reference token (nan if per-workload)

    @property
    def n_nodes(self) -> int:
        return len(self.nodes)

    @property
    def n_arcs(self) -> int:
        return len(self.arcs)

    @property
    def n_workloads(self) -> int:
        return len(self.workloads)

    def transport_per_mtok(self) -> np.ndarray:
        """(E, W) transport cost of one Mtok of each workload on each arc, $/Mtok."""
        # $/GB x bytes/token x 1e6 tokens / 1e9 bytes per GB
        return np.outer(self.cost_per_gb, self.bytes_per_token) * 1e-3

    def gbps_per_token_rate(self) -> np.ndarray:
        """(W,) link load of one token/s of each workload, Gbit/s."""
        return self.bytes_per_token * 8e-9


def compile_market(G, mode: str) -> MarketData:
    """Read the graph contract into arrays for one mode (``"baseline"`` or ``"transfer"``)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    specs = workload_specs(G)
    workloads = list(specs)
    nodes = list(G.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    arcs = list(G.edges)
    edge_data = [G.edges[a] for a in arcs]
    intensity = np.array([float(specs[w]["compute_intensity"]) for w in workloads])
    bpt = bytes_per_token(G, mode)

    demand = np.zeros((len(nodes), len(workloads)))
    proc_cost = np.zeros_like(demand)
    proc_latency = np.zeros_like(demand)
    can_serve = np.zeros(demand.shape, dtype=bool)
    capacity = np.zeros(len(nodes))
    base_cost = np.full(len(nodes), np.nan)
    for i, n in enumerate(nodes):
        data = G.nodes[n]
        capacity[i] = float(data.get("capacity") or 0.0)
        cost = data.get("cost", 0.0)
        if not isinstance(cost, dict):
            base_cost[i] = float(cost or 0.0)
        for j, w in enumerate(workloads):
            demand[i, j] = float((data.get("demand") or {}).get(w, 0.0))
            proc_cost[i, j] = node_cost(data, w, intensity[j])
            proc_latency[i, j] = node_proc_latency(data, w)
            can_serve[i, j] = serves(data, w)
    limits = np.array([np.inf if specs[w]["latency_ms"] is None else float(specs[w]["latency_ms"])
                       for w in workloads])
    voll = np.array([np.nan if specs[w]["voll"] is None else float(specs[w]["voll"])
                     for w in workloads])
    return MarketData(
        mode=mode,
        nodes=nodes,
        workloads=workloads,
        arc_tail=np.array([index[u] for u, _ in arcs], dtype=np.int64),
        arc_head=np.array([index[v] for _, v in arcs], dtype=np.int64),
        arcs=arcs,
        bandwidth_gbps=np.array([float(d["bandwidth_gbps"]) for d in edge_data]),
        latency_ms=np.array([float(d["latency_ms"]) for d in edge_data]),
        cost_per_gb=np.array([float(d.get("cost_per_gb") or 0.0) for d in edge_data]),
        latency_limit_ms=limits,
        bytes_per_token=np.array([bpt[w] for w in workloads]),
        intensity=intensity,
        voll=voll,
        demand=demand,
        capacity=capacity,
        proc_cost=proc_cost,
        proc_latency_ms=proc_latency,
        can_serve=can_serve,
        base_cost=base_cost,
    )
