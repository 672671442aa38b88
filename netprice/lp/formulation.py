"""How latency limits enter the LP: enumerated routes or latency-layered graphs.

:func:`formulate` turns a compiled market into a :class:`Formulation`: the
routes of the latency-limited workloads (route formulation), or their
layered graphs and the latency quantum (layered formulation).  Workloads
without a latency limit are arc flows in either.  ``"auto"`` picks one by
network size and route count (MODEL.md section 3).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .layers import layer_graph
from .routes import DEFAULT_MAX_ROUTES_PER_PAIR, LATENCY_SLACK_MS, RouteSet, enumerate_routes, \
    latency_slack

__all__ = ["Formulation", "formulate", "default_quantum", "FORMULATIONS",
           "AUTO_ROUTE_MAX_NODES", "AUTO_ROUTE_BUDGET", "DEFAULT_QUANTUM_MS"]

FORMULATIONS = ("auto", "route", "layered")

#: On networks up to this many nodes "auto" always enumerates routes.
AUTO_ROUTE_MAX_NODES = 40
#: Above it, "auto" still enumerates when the routes number at most this
#: (larger enumerations cost more Python time than the layered LP saves).
AUTO_ROUTE_BUDGET = 20_000
#: The layered formulation's default quantum: 0.1 ms, or 1/40 of the
#: tightest latency limit when that is finer; refined (halved, at most
#: QUANTUM_REFINEMENTS times) while rounding alone cuts demand off.
DEFAULT_QUANTUM_MS = 0.1
QUANTUM_SHARE_OF_LIMIT = 1 / 40
QUANTUM_REFINEMENTS = 4


@dataclass
class Formulation:
    """The columns a market's latency limits call for.

    Attributes
    ----------
    name : {"route", "layered"}
    routes : RouteSet
        Enumerated routes of the latency-limited workloads (empty when layered).
    layers : dict
        ``{workload index: LayerGraph}`` of the layered workloads.
    quantum_ms : float or None
        Latency step of the layered graphs.
    """

    name: str
    routes: RouteSet
    layers: dict = field(default_factory=dict)
    quantum_ms: float | None = None


def default_quantum(data):
    """0.1 ms, or 1/40 of the tightest latency limit when that is finer.

    Each arc's latency is rounded up to the quantum, so a route of h hops
    may lose up to h quanta of its budget.  Measured on Kdl (754 nodes):
    0.125 ms raises the objective by 0.033 % over 0.025 ms and clears 20x
    faster; 0.2 ms cuts demand off.
    """
    limits = data.latency_limit_ms[np.isfinite(data.latency_limit_ms)]
    if limits.size == 0:
        return DEFAULT_QUANTUM_MS
    return min(DEFAULT_QUANTUM_MS, float(limits.min()) * QUANTUM_SHARE_OF_LIMIT)


def cut_off_by_rounding(data, layers):
    """Whether some demand has a route in time that the rounded layers lose."""
    for w, lg in layers.items():
        needs = data.demand[:, w] > 0
        if not needs.any():
            continue
        served = np.zeros(data.n_nodes, dtype=bool)
        served[lg.serve_cols[lg.serve_cols[:, 1] == 0, 0]] = True
        served[data.arc_tail[lg.arc_cols[lg.arc_cols[:, 1] == 0, 0]]] = True
        lost = needs & ~served
        if not lost.any():
            continue
        budget = np.where(data.can_serve[:, w],
                          data.latency_limit_ms[w] - data.proc_latency_ms[:, w], -np.inf)
        if (latency_slack(data, budget)[lost] >= -LATENCY_SLACK_MS).any():
            return True
    return False


def _routes_if_wanted(data, formulation, max_routes_per_pair):
    """Enumerated routes when ``formulation`` asks for them or "auto" finds them few enough."""
    # Route counts grow exponentially with the latency budget on meshed
    # graphs (18,616 routes from 50 Kdl origins at 1.2x the nearest-site
    # latency, 1.65 million at 2x) while layers grow linearly: "auto"
    # enumerates on small networks, or when the routes are few and
    # complete, and layers otherwise.
    budget = None
    if formulation == "auto" and data.n_nodes > AUTO_ROUTE_MAX_NODES:
        budget = AUTO_ROUTE_BUDGET
    routes = enumerate_routes(data, max_routes_per_pair=max_routes_per_pair,
                              max_total_routes=budget)
    if routes is not None and (formulation == "route" or not routes.truncated
                               or data.n_nodes <= AUTO_ROUTE_MAX_NODES):
        return routes
    return None


def _layers(data, quantum_ms):
    """Layered graphs of the limited workloads, refining a default quantum while it cuts demand off."""
    limited = np.flatnonzero(np.isfinite(data.latency_limit_ms))
    refine = quantum_ms is None
    if refine:
        quantum_ms = default_quantum(data)
    if not quantum_ms > 0:
        raise ValueError(f"quantum_ms must be positive, got {quantum_ms!r}")
    for attempt in range(QUANTUM_REFINEMENTS + 1):
        layers = {int(w): layer_graph(data, int(w), quantum_ms) for w in limited}
        if not refine or attempt == QUANTUM_REFINEMENTS or not cut_off_by_rounding(data, layers):
            break
        quantum_ms /= 2
    return layers, quantum_ms


def formulate(data, formulation="auto", quantum_ms=None,
              max_routes_per_pair=DEFAULT_MAX_ROUTES_PER_PAIR) -> Formulation:
    """Route enumeration or layered graphs, as ``formulation`` asks (or ``auto`` decides)."""
    if formulation not in FORMULATIONS:
        raise ValueError(f"formulation must be 'auto', 'route' or 'layered', got {formulation!r}")
    if formulation in ("auto", "route"):
        routes = _routes_if_wanted(data, formulation, max_routes_per_pair)
        if routes is not None:
            return Formulation("route", routes)
    layers, quantum_ms = _layers(data, quantum_ms)
    return Formulation("layered", enumerate_routes(data, workloads=[]), layers, quantum_ms)
