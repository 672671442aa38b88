"""Column generation: the exact route LP without listing its routes (docs/model.md section 8).

The route LP of a market has a column for every admissible route, far too
many to list on a meshed backbone.  Column generation solves it exactly
with a few of them:

1. *seed* a restricted master LP with the cheapest routes of every
   (origin, workload) to a few sites (:func:`seed_routes`);
2. solve it, read its duals (prices, scarcity, rents);
3. ask the pricing oracle (:class:`~netprice.lp.oracle.PricingOracle`) for
   routes whose reduced cost against those prices is negative; add them
   (warm: the solver continues from its basis) and go to 2;
4. when the oracle finds none, the restricted master's prices are optimal
   for the LP with *every* admissible route: that last pass is the
   certificate.

At every pass ``objective + sum D[o,w] * min(0, min reduced cost)`` is a
valid lower bound on the exact market's cost, so a run stopped early (or
any approximate formulation, priced by the same oracle) still says how far
from exact it can be (:func:`lower_bound`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .blocks import ROUTE
from .build import append_columns
from .duals import capacity_duals
from .routes import RouteSet
from .scaling import SECONDS_PER_HOUR, TOKENS_PER_MTOK

__all__ = ["seed_routes", "generate", "route_columns", "Generation", "lower_bound",
           "reduced_cost_tolerance",
           "MAX_PASSES", "SEED_SITES"]

#: Pricing passes before column generation gives up (and reports a bound).
MAX_PASSES = 500
#: Sites per (origin, workload) whose cheapest routes seed the master.
SEED_SITES = 4
#: A reduced cost counts as negative below -RELATIVE_TOLERANCE x max(price, cost unit):
#: ten times GLOP's dual feasibility tolerance in the LP's scaled units.
RELATIVE_TOLERANCE = 1e-8


@dataclass
class Generation:
    """Where column generation stopped.

    Attributes
    ----------
    lp : LPModel
        The restricted master, with every generated column.
    routes : RouteSet
        Its routes.
    solution : LPSolution
        Its last solve.
    passes : int
        Pricing passes run (the last one is the certificate when ``certified``).
    generated : int
        Columns added after the seed.
    certified : bool
        The last pass found no route with a negative reduced cost.
    min_reduced : ndarray (N, W)
        Most negative reduced cost of each (origin, workload) in the last pass, $/Mtok.
    """

    lp: object
    routes: RouteSet
    solution: object
    passes: int
    generated: int
    certified: bool
    min_reduced: np.ndarray


def reduced_cost_tolerance(price, cost_unit):
    """How negative a reduced cost must be to count, $/Mtok, for prices ``price``."""
    return RELATIVE_TOLERANCE * np.maximum(np.abs(np.nan_to_num(price)), cost_unit)


def seed_routes(data, oracle, *, per_pair=SEED_SITES) -> RouteSet:
    """The cheapest routes of every (origin, workload) with demand (or bids) to its ``per_pair`` cheapest sites.

    Priced at zero scarcity and rents: processing plus transport.  Each
    route is listed once, whichever workloads it suits.
    """
    return oracle.cheapest_per_site(np.zeros(data.n_nodes), np.zeros(data.n_arcs),
                                    origins=data.arrivals() > 0, per_pair=per_pair)


def _duals(lp, y):
    price = lp.dual("demand", y).reshape(lp.n_nodes, lp.n_workloads)
    return (price, *capacity_duals(lp, y))


def lower_bound(data, objective_per_h, min_reduced) -> float:
    """``objective + sum D x min(0, reduced cost)``, $/h: no admissible dispatch costs less.

    With bids, D counts every bid block too: at most that many tokens of a
    pair can arrive to be routed.
    """
    shortfall = float(np.sum(data.arrivals() * np.minimum(np.nan_to_num(min_reduced), 0.0)))
    return objective_per_h + shortfall * SECONDS_PER_HOUR / TOKENS_PER_MTOK


def route_columns(lp, routes) -> set:
    """``{(origin, workload, arcs)}`` of the route columns ``lp`` has."""
    cols = np.flatnonzero(lp.col_kind == ROUTE)
    return {(int(routes.origin[r]), int(w), tuple(routes.arcs_of(r)))
            for r, w in zip(lp.col_route[cols].tolist(), lp.col_workload[cols].tolist())}


def generate(data, lp, routes, solver, oracle, *, max_passes=MAX_PASSES,
             known=None) -> Generation:
    """Column generation from a restricted master ``lp`` over ``routes`` until certified.

    Parameters
    ----------
    data : MarketData
    lp : LPModel
        The restricted master; its route block's columns use ``routes``.
    routes : RouteSet
    solver : netprice.lp.solve.IncrementalSolver
        Holds ``lp``; solves it warm and takes added columns.
    oracle : PricingOracle
    max_passes : int
    known : set, optional
        :func:`route_columns` of ``lp`` when the caller has them (the set is
        extended in place with the generated columns).

    Returns
    -------
    Generation
        With ``solution.status`` "INFEASIBLE" when the restricted master is
        (the caller decides whether the full market is, see
        :func:`netprice.diagnose.elastic_diagnosis`).
    """
    # A pair with bids constrains the LP as one with demand does.
    pairs = (data.arrivals() > 0) & np.isfinite(data.latency_limit_ms)[None, :]
    have = route_columns(lp, routes) if known is None else known
    block = lp.blocks["route"]
    solution = solver.solve()
    passes = generated = 0
    reduced = np.zeros((data.n_nodes, data.n_workloads))
    certified = False
    while solution.status == "OPTIMAL" and passes < max_passes:
        price, scarcity, rent = _duals(lp, solution.y)
        tol = reduced_cost_tolerance(price, lp.scaling.cost_unit)
        found, workload, reduced = oracle.improving(scarcity, rent, price, pairs, tolerance=tol)
        passes += 1
        fresh = [k for k in range(len(found))
                 if (int(found.origin[k]), int(workload[k]), tuple(found.arcs_of(k))) not in have]
        if not fresh:
            # None negative -- or only routes the LP already has, whose
            # reduced cost the solver rounds to zero: nothing left to add.
            certified = not len(found)
            break
        for k in fresh:
            have.add((int(found.origin[k]), int(workload[k]), tuple(found.arcs_of(k))))
        offset = len(routes)
        routes = routes.extend(found.subset(np.asarray(fresh)))
        kept = workload[fresh]

        def add(builder, routes=routes, offset=offset, kept=kept):
            for w in np.unique(kept):
                block.add(builder, data, int(w), routes=routes,
                          among=offset + np.flatnonzero(kept == w))

        lp, ids = append_columns(lp, data, add)
        generated += len(ids)
        solver.add_columns(lp, ids)
        solution = solver.solve(added=ids)
    return Generation(lp, routes, solution, passes, generated, certified, reduced)
