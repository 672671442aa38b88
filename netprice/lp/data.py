"""A market compiled from its graph into arrays indexed by node, arc and workload."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..graph import bytes_per_token, node_cost, node_proc_latency, serves, workload_specs
from .offers import Blocks, compile_curves

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
    base_cost: np.ndarray         # (N,) $/Mtok per reference token (nan if per-workload or offered)
    offers: Blocks | None = None  # offer blocks of the sites that sell capacity in blocks
    bids: Blocks | None = None    # bid blocks (price-responsive demand)

    @property
    def n_nodes(self) -> int:
        return len(self.nodes)

    @property
    def n_arcs(self) -> int:
        return len(self.arcs)

    @property
    def n_workloads(self) -> int:
        return len(self.workloads)

    @property
    def two_sided(self) -> bool:
        """Whether the market has offer or bid blocks (docs/model.md section 10)."""
        return self.offers is not None or self.bids is not None

    @property
    def offered(self) -> np.ndarray:
        """(N,) bool: sites whose capacity is offered in blocks."""
        offered = np.zeros(self.n_nodes, dtype=bool)
        if self.offers is not None:
            offered[self.offers.node] = True
        return offered

    def arrivals(self) -> np.ndarray:
        """(N, W) most tokens/s that may arrive: fixed demand plus every bid block."""
        if self.bids is None:
            return self.demand
        return self.demand + self.bids.per_node_workload(self.n_nodes, self.n_workloads)

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
    # One pass over the adjacency (plain dicts): the order of list(G.edges),
    # without a view lookup per arc.
    arcs, edge_data = [], []
    for u, nbrs in G.adjacency():
        for v, d in nbrs.items():
            arcs.append((u, v))
            edge_data.append(d)
    intensity = np.array([float(specs[w]["compute_intensity"]) for w in workloads])
    bpt = bytes_per_token(G, mode)

    # Per node, plain Python lists (one numpy conversion at the end): the
    # values of node_cost, node_proc_latency and serves for every workload.
    W = len(workloads)
    capacity, base_cost, demand, proc_latency, can_serve = [], [], [], [], []
    cost_by_workload = {}
    no_demand, no_service = [0.0] * W, [False] * W
    for i, (n, data) in enumerate(G.nodes(data=True)):
        capacity.append(float(data.get("capacity") or 0.0))
        cost = data.get("cost", 0.0)
        if isinstance(cost, dict):
            base_cost.append(np.nan)
            cost_by_workload[i] = [node_cost(data, w, a) for w, a in zip(workloads, intensity)]
        else:
            base_cost.append(float(cost or 0.0))
        wanted = data.get("demand")
        demand.append([float(wanted.get(w, 0.0)) for w in workloads] if wanted else no_demand)
        latency = data.get("proc_latency_ms", 0.0)
        proc_latency.append([node_proc_latency(data, w) for w in workloads]
                            if isinstance(latency, dict) else [float(latency or 0.0)] * W)
        can_serve.append([serves(data, w) for w in workloads]
                         if data.get("capacity") or data.get("offers") else no_service)
    shape = (len(nodes), W)
    capacity = np.array(capacity, dtype=float)
    base_cost = np.array(base_cost, dtype=float)
    demand = np.array(demand, dtype=float).reshape(shape)
    proc_latency = np.array(proc_latency, dtype=float).reshape(shape)
    can_serve = np.array(can_serve, dtype=bool).reshape(shape)
    offers, bids = compile_curves(G, workloads)
    if offers is not None:
        # An offered site's capacity is its blocks' total.
        offered = np.unique(offers.node)
        capacity[offered] = offers.per_node(len(nodes))[offered]
    # node_cost(): cost per reference token x intensity, or the per-workload cost.
    proc_cost = base_cost[:, None] * intensity[None, :]
    for i, row in cost_by_workload.items():
        proc_cost[i] = row
    if offers is not None:
        # Its cost is in the blocks (validation refuses a cost beside offers):
        # processing costs the cheapest block, the rest is up the curve
        # (lp/offers.py).  No single cost stands for the site.
        proc_cost[offered] = offers.floor(len(nodes))[offered, None] * intensity[None, :]
        base_cost[offered] = np.nan
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
        offers=offers,
        bids=bids,
    )
