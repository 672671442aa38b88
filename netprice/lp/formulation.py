"""How latency limits enter the LP: generated, enumerated or layered routes.

:func:`formulate` turns a compiled market into a :class:`Formulation`:

* ``"exact"`` (the default): column generation over every admissible
  route (:mod:`.colgen`), seeded with the cheapest routes of each
  (origin, workload); its prices are certified optimal for the market as
  written, whatever its size;
* ``"route"``: the routes enumerated up front, at most
  ``max_routes_per_pair`` per (origin, site) -- an approximation when that
  cap truncates them;
* ``"layered"``: latency-layered graphs with latencies rounded up to a
  quantum -- an approximation that never needs routes.

Workloads without a latency limit are arc flows in all three (exact and
small).  The approximations are priced by the same oracle afterwards, so
their results say how far above exact they can be (docs/model.md section 8).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .colgen import seed_routes
from .layers import layer_graph
from .oracle import PricingOracle
from .routes import DEFAULT_MAX_ROUTES_PER_PAIR, LATENCY_SLACK_MS, RouteSet, enumerate_routes, \
    latency_slack

__all__ = ["Formulation", "formulate", "complete_routes", "default_quantum", "FORMULATIONS",
           "DEFAULT_QUANTUM_MS", "COMPLETE_ROUTE_BUDGET"]

#: "auto" is the name 0.1 gave its size-based choice; it now means "exact",
#: the right choice at every size.
FORMULATIONS = ("exact", "route", "layered", "auto")

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
    name : {"exact", "route", "layered"}
    routes : RouteSet
        Routes of the latency-limited workloads: the seed (exact), all
        enumerated ones (route), none (layered).
    layers : dict
        ``{workload index: LayerGraph}`` of the layered workloads.
    quantum_ms : float or None
        Latency step of the layered graphs.
    oracle : PricingOracle or None
        The exact pricing oracle (built for "exact"; the others build one
        when their distance from exact is asked for).
    complete : bool
        ``routes`` are every admissible route (an enumeration nothing cut
        short): the route LP is the exact market as it stands, no route
        needs generating, and removing links or sites keeps it complete.
    """

    name: str
    routes: RouteSet
    layers: dict = field(default_factory=dict)
    quantum_ms: float | None = None
    oracle: PricingOracle | None = None
    complete: bool = False

    @property
    def exact(self) -> bool:
        return self.name == "exact"


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


#: Routes "exact" lists up front for re-solves (sweeps, contingency) when they
#: are at most this many and nothing cuts them short: then every re-solve is
#: exact with no route to generate (Cogentco: 1,854 routes in 0.04 s).
COMPLETE_ROUTE_BUDGET = 20_000


def complete_routes(data, max_routes_per_pair=DEFAULT_MAX_ROUTES_PER_PAIR):
    """Every admissible route, when they are few enough to list; else None."""
    routes = enumerate_routes(data, max_routes_per_pair=max_routes_per_pair,
                              max_total_routes=COMPLETE_ROUTE_BUDGET)
    return routes if routes is not None and not routes.truncated else None


def formulate(data, formulation="exact", quantum_ms=None,
              max_routes_per_pair=DEFAULT_MAX_ROUTES_PER_PAIR) -> Formulation:
    """Seeded route generation, route enumeration or layered graphs, as ``formulation`` asks."""
    if formulation not in FORMULATIONS:
        raise ValueError(f"formulation must be 'exact', 'route' or 'layered', got {formulation!r}")
    if formulation in ("exact", "auto"):
        if not np.isfinite(data.latency_limit_ms).any():
            # Arc flows only: the transport model is the exact market already.
            return Formulation("exact", enumerate_routes(data, workloads=[]), complete=True)
        oracle = PricingOracle(data)
        return Formulation("exact", seed_routes(data, oracle), oracle=oracle)
    if formulation == "route":
        routes = enumerate_routes(data, max_routes_per_pair=max_routes_per_pair)
        return Formulation("route", routes, complete=not routes.truncated)
    layers, quantum_ms = _layers(data, quantum_ms)
    return Formulation("layered", enumerate_routes(data, workloads=[]), layers, quantum_ms)
