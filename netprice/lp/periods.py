"""A market over periods as one LP: the periods side by side, and deferred service between them.

docs/model.md section 9.  Every period t is the single-period LP of section 3,
built from the standard blocks with period t's demand, capacity, cost and
bandwidth, in one common scaling.  What couples the periods is the
**deferred service** block, for the workloads that may wait (``defer_h``):

* an **arrival row** per (origin o, deferrable workload w, period t) with
  tokens arriving: ``sum_s z[o,w,t,s] + u[o,w,t] = arrivals[o,w,t]``;
* a column ``z[o,w,t,s] >= 0`` for every period s in t's window (t .. t+D,
  whole periods, truncated at the end of the horizon or wrapping round a
  cyclic day): tokens arriving at t and served at s.  It enters period s's
  demand row of (o, w) with -1; that row's right-hand side is 0, so the row
  reads ``sum of routes at s = sum of tokens released at s``: for a
  deferrable workload the demand row of period s is its *service row*;
* ``0 <= u[o,w,t] <= arrivals[o,w,t]`` at the value of lost load, where
  the workload has one: demand is shed on arrival, never after waiting
  (waiting is free, so shedding later could not cost less), and never more
  than arrived -- no phantom demand (docs/model.md section 8).

One column per (arrival, serving period) rather than one backlog column
per period with a deadline bound: both give the same dispatch and cost,
but the backlog's balance duals are not unique where a deadline binds and
do not say what a token arriving at t is worth.  Here the arrival row's dual
*is* that price, and linear programming duality pins it down::

    price[o,w,t] = min over s in t's window of service[o,w,s]

where ``service[o,w,s]`` is the cheapest admissible way to serve one more
token of (o, w) in period s at that period's scarcity and rents (the service
row's dual, priced by the exact oracle like a node without demand); capped
by the value of lost load where tokens are shed.  :func:`arrival_prices`
computes it from the periods' service values and the verification checks
the whole LP's KKT conditions with it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..graph import workload_specs
from ..periods import is_cyclic, period_graph, period_hours, period_labels, window_periods
from .build import append_columns, build_lp
from .colgen import MAX_PASSES, SEED_SITES, reduced_cost_tolerance, route_columns
from .data import compile_market
from .duals import capacity_duals
from .formulation import Formulation, formulate
from .oracle import PricingOracle
from .scaling import SECONDS_PER_HOUR, TOKENS_PER_MTOK, choose_scaling
from .verify import TOLERANCES, kkt_violations, price_violations, reported_duals

__all__ = ["Horizon", "compile_horizon", "horizon_scaling", "PeriodLP", "Deferral",
           "build_horizon_lp", "append_period_columns", "HorizonGeneration", "generate_periods",
           "lower_bound", "warm_basis", "ArrivalPrices", "arrival_prices", "check_horizon", "released",
           "moved", "HORIZON_TOLERANCES"]

#: The checks of a market over periods: the LP's KKT conditions and each
#: period's price checks (netprice.lp.verify), and the arrival prices of the
#: deferrable workloads against their definition.
HORIZON_TOLERANCES = {**TOLERANCES, "arrival prices": 1e-9}


@dataclass
class Horizon:
    """A market over periods, compiled: one market per period and the deferral windows.

    Attributes
    ----------
    labels : list of str
    hours : float
        Length of each period.
    cyclic : bool
    arrivals : list of MarketData
        Period t's market as written: ``demand`` is what arrives then.
    served : list of MarketData
        The same with the deferrable workloads' demand set to 0: their demand
        rows are service rows, fed by the deferred-service block.
    window : ndarray (W,) of int
        Periods a token of each workload may wait (0: not deferrable).
    """

    labels: list
    hours: float
    cyclic: bool
    arrivals: list
    served: list
    window: np.ndarray

    @property
    def T(self) -> int:
        return len(self.labels)

    @property
    def deferrable(self) -> np.ndarray:
        return np.flatnonzero(self.window > 0)

    @property
    def coupled(self) -> bool:
        """Whether some workload may wait: otherwise the periods are independent markets."""
        return bool(self.deferrable.size) and self.T > 1

    def demand(self) -> np.ndarray:
        """(T, N, W) tokens/s arriving."""
        return np.stack([d.demand for d in self.arrivals])

    def serve_periods(self, t, w) -> np.ndarray:
        """Periods in which tokens of ``w`` arriving in period ``t`` may be served, earliest first."""
        s = t + np.arange(int(self.window[w]) + 1)
        return s % self.T if self.cyclic else s[s < self.T]

    def need(self, t) -> np.ndarray:
        """(N, W) the (origin, workload) pairs whose demand row of period t can carry tokens.

        Where tokens arrive, for a workload that cannot wait; where tokens
        arriving in some period may be served in t, for one that can.
        """
        need = self.served[t].demand > 0
        demand = self.demand()
        for w in self.deferrable:
            for a in range(self.T):
                if t in self.serve_periods(a, w):
                    need[:, w] |= demand[a, :, w] > 0
        return need


def compile_horizon(G, mode) -> Horizon:
    """One compiled market per period of ``G`` and each workload's window (G validated)."""
    labels = period_labels(G)
    arrivals = [compile_market(period_graph(G, t), mode) for t in range(len(labels))]
    specs = workload_specs(G)
    window = np.array([window_periods(G, G.graph["workloads"][w]) for w in specs],
                      dtype=np.int64)
    served = []
    for data in arrivals:
        demand = data.demand.copy()
        demand[:, window > 0] = 0.0
        served.append(dataclasses.replace(data, demand=demand))
    return Horizon(labels, period_hours(G), is_cyclic(G), arrivals, served, window)


def horizon_scaling(horizon):
    """One flow and cost unit for every period: the middle of all their demands and costs."""
    costs = []
    for data in horizon.arrivals:
        costs.append(data.proc_cost[data.can_serve])
        costs.append(data.transport_per_mtok().ravel())
        costs.append(data.voll)
    return choose_scaling(horizon.demand(), np.concatenate(costs))


# -- the deferred-service block -------------------------------------------------------------
@dataclass
class Deferral:
    """The arrival rows and the columns that serve arrivals later, or shed them.

    Attributes
    ----------
    node, workload, period, amount : ndarray (R,)
        Each arrival row: origin, deferrable workload, arrival period, tokens/s.
    rows : slice
        The arrival rows in the stacked LP.
    col_row : ndarray (Z,)
        Arrival row (0 .. R-1) of each deferral column.
    col_serve : ndarray (Z,)
        Serving period of each ``z`` column, -1 for an unserved ``u`` column.
    columns : ndarray (Z,)
        Their indexes in the stacked LP.
    """

    node: np.ndarray
    workload: np.ndarray
    period: np.ndarray
    amount: np.ndarray
    rows: slice
    col_row: np.ndarray
    col_serve: np.ndarray
    columns: np.ndarray

    @property
    def shed_columns(self) -> np.ndarray:
        return self.col_serve < 0


@dataclass
class PeriodLP:
    """The LP of a market over periods in scaled units.

    Rows: period 0's, period 1's, ..., then the arrival rows.  Columns:
    period 0's, ..., the deferral columns, then columns generated later (of
    any period).  ``periods[t]`` is period t's LP as if it stood alone
    (rows and columns in its own numbering), so everything written for one
    market -- pricing, duals, verification of prices, result tables --
    works on it; ``columns[t]`` maps its columns to the stacked ones.
    """

    cost: np.ndarray
    matrix: sp.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_upper: np.ndarray
    scaling: object
    periods: list
    row_start: np.ndarray
    columns: list
    deferral: Deferral

    @property
    def shape(self):
        return self.matrix.shape

    def rows_of(self, t) -> slice:
        return slice(int(self.row_start[t]), int(self.row_start[t + 1]))

    def period_x(self, x, t):
        return x[self.columns[t]]

    def period_y(self, y, t):
        return y[self.rows_of(t)]


def _with_need(data, need):
    """``data`` whose demand marks the pairs that need columns (what formulate seeds for)."""
    demand = np.where(need, np.maximum(data.demand, 1.0), 0.0)
    return dataclasses.replace(data, demand=demand)


def build_horizon_lp(horizon, formulation="exact", quantum_ms=None, max_routes_per_pair=50,
                     routes=None, seed_sites=SEED_SITES):
    """The stacked LP of a market over periods and each period's formulation.

    Returns ``(PeriodLP, formulations)``; ``formulations[t]`` holds period
    t's routes (for "exact" seeded with each pair's cheapest routes to its
    ``seed_sites`` cheapest sites -- None: every site in time --, enumerated
    for "route", or ``routes[t]`` when given), layered graphs and pricing
    oracle.
    """
    scaling = horizon_scaling(horizon)
    forms, lps = [], []
    for t, data in enumerate(horizon.served):
        need = horizon.need(t)
        if formulation in ("exact", "auto"):
            # The oracle reads no demand: the one that seeds the routes prices them.
            oracle = PricingOracle(data)
            seed = oracle.cheapest_per_site(
                np.zeros(data.n_nodes), np.zeros(data.n_arcs), origins=need,
                per_pair=len(oracle.sites) if seed_sites is None else seed_sites)
            form = Formulation("exact", seed, oracle=oracle)
        else:
            form = formulate(_with_need(data, need), formulation, quantum_ms,
                             max_routes_per_pair)
        if routes is not None:
            form = dataclasses.replace(form, routes=routes[t])
        forms.append(form)
        lps.append(build_lp(data, form.routes, layers=form.layers, scaling=scaling))
    sizes = np.array([lp.shape for lp in lps], dtype=np.int64).reshape(-1, 2)
    row_start = np.concatenate([[0], np.cumsum(sizes[:, 0])])
    col_start = np.concatenate([[0], np.cumsum(sizes[:, 1])])
    matrix = sp.block_diag([lp.matrix for lp in lps], format="csr") if lps else sp.csr_matrix((0, 0))
    deferral, rows, extra = _deferral(horizon, lps, row_start, int(col_start[-1]), scaling)
    n_rows = int(row_start[-1]) + len(deferral.node)
    top = sp.vstack([matrix, sp.csr_matrix((len(deferral.node), matrix.shape[1]))], format="csr")
    matrix = sp.hstack([top, extra], format="csr")
    plp = PeriodLP(
        cost=np.concatenate([lp.cost for lp in lps] + [rows["cost"]]),
        matrix=matrix,
        row_lower=np.concatenate([lp.row_lower for lp in lps] + [rows["rhs"]]),
        row_upper=np.concatenate([lp.row_upper for lp in lps] + [rows["rhs"]]),
        col_upper=np.concatenate([lp.col_upper for lp in lps] + [rows["upper"]]),
        scaling=scaling, periods=lps, row_start=row_start,
        columns=[np.arange(col_start[t], col_start[t + 1]) for t in range(len(lps))],
        deferral=deferral)
    assert plp.shape[0] == n_rows
    return plp, forms


def _window_columns(horizon, period, workload):
    """``(arrival row, serving period)`` of every deferred-service column, row by row.

    Each arrival row r gets one column per period of
    ``horizon.serve_periods(period[r], workload[r])``, earliest first.
    """
    lengths = np.asarray(horizon.window, dtype=np.int64)[workload] + 1
    col_row = np.repeat(np.arange(len(period), dtype=np.int64), lengths)
    starts = np.cumsum(lengths) - lengths
    serve = period[col_row] + (np.arange(len(col_row)) - np.repeat(starts, lengths))
    if horizon.cyclic:
        return col_row, serve % horizon.T
    inside = serve < horizon.T
    return col_row[inside], serve[inside]


def _deferral(horizon, lps, row_start, n_cols, scaling):
    """The arrival rows and their columns, as a sparse block under and beside the periods."""
    demand = horizon.demand()
    node, workload, period = [], [], []
    for t in range(horizon.T):
        for w in horizon.deferrable:
            origins = np.flatnonzero(demand[t, :, w] > 0)
            node.append(origins)
            workload.append(np.full(len(origins), w))
            period.append(np.full(len(origins), t))
    node, workload, period = (np.concatenate(a).astype(np.int64) if a else np.zeros(0, np.int64)
                              for a in (node, workload, period))
    amount = demand[period, node, workload]
    R = len(node)
    first = int(row_start[-1])
    col_row, col_serve = _window_columns(horizon, period, workload)
    # Unserved columns on the arrival rows of workloads with a value of lost load.
    voll = horizon.arrivals[0].voll
    shed = np.flatnonzero(np.isfinite(voll[workload]))
    col_row = np.concatenate([col_row, shed])
    col_serve = np.concatenate([col_serve, np.full(len(shed), -1, dtype=np.int64)])
    Z = len(col_row)
    # z: +1 in its arrival row, -1 in the serving period's demand row of (o, w).
    served = col_serve >= 0
    n_workloads = len(horizon.arrivals[0].workloads)
    service_row = row_start[np.maximum(col_serve, 0)] + lps[0].blocks["demand"].start + \
        node[col_row] * n_workloads + workload[col_row]
    rows_idx = np.concatenate([first + col_row, service_row[served]])
    cols_idx = np.concatenate([np.arange(Z), np.flatnonzero(served)])
    vals = np.concatenate([np.ones(Z), -np.ones(int(served.sum()))])
    extra = sp.csr_matrix((vals, (rows_idx, cols_idx)), shape=(first + R, Z))
    cost = np.where(served, 0.0, voll[workload[col_row]] / scaling.cost_unit)
    cost = np.nan_to_num(cost)
    upper = np.where(served, np.inf, amount[col_row] / scaling.flow_unit)
    deferral = Deferral(node, workload, period, amount, slice(first, first + R), col_row,
                        col_serve, np.arange(n_cols, n_cols + Z))
    return deferral, {"cost": cost, "upper": upper, "rhs": amount / scaling.flow_unit}, extra


def append_period_columns(plp, additions):
    """``plp`` with columns added to some periods: ``additions`` is ``[(t, data, add)]``.

    ``add(builder)`` adds period t's columns to a builder of period t's own
    LP (as :func:`netprice.lp.build.append_columns`).  Returns the extended
    LP (a new object) and the stacked indexes of the new columns.
    """
    periods, columns = list(plp.periods), list(plp.columns)
    blocks, costs, uppers = [], [], []
    first = plp.shape[1]
    for t, data, add in additions:
        view, ids = append_columns(periods[t], data, add)
        if not len(ids):
            continue
        block = view.matrix[:, ids].tocoo()
        blocks.append(sp.csr_matrix((block.data, (block.row + plp.row_start[t], block.col)),
                                    shape=(plp.shape[0], len(ids))))
        start = first + sum(b.shape[1] for b in blocks[:-1])
        periods[t] = view
        columns[t] = np.concatenate([columns[t], np.arange(start, start + len(ids))])
        costs.append(view.cost[ids])
        uppers.append(view.col_upper[ids])
    if not blocks:
        return plp, np.zeros(0, dtype=np.int64)
    # One stack per pass: the stacked matrix is the large one.
    new = sp.hstack(blocks, format="csr")
    return dataclasses.replace(
        plp, cost=np.concatenate([plp.cost] + costs),
        matrix=sp.hstack([plp.matrix, new], format="csr"),
        col_upper=np.concatenate([plp.col_upper] + uppers),
        periods=periods, columns=columns), np.arange(first, first + new.shape[1])


def warm_basis(horizon, plp):
    """A starting basis of the stacked LP from each period solved alone (GLOP), or None.

    Period t alone is its own LP with the tokens of the deferrable
    workloads served where they arrive (their service rows' right-hand
    side set to the arrivals).  Its optimal basis, with each arrival served
    on arrival (``z[t, t]`` basic) and every other deferral column at zero,
    is a basis of the stacked LP -- block triangular, so nonsingular -- and
    primal feasible: primal simplex starts there and moves only what
    waiting makes cheaper, instead of solving every period again inside
    one large LP.  None when a period cannot clear alone (where it needs to
    wait to be feasible, or sheds what arrives).
    """
    from ortools.math_opt import solution_pb2

    from .solve import GlopSession

    d = plp.deferral
    if np.isfinite(horizon.arrivals[0].voll[horizon.deferrable]).any():
        return None
    basis = solution_pb2.BasisProto()
    rows, row_status, cols, col_status = [], [], [], []
    for t in range(horizon.T):
        lp_t = plp.periods[t]
        lower, upper = lp_t.row_lower.copy(), lp_t.row_upper.copy()
        demand = lp_t.blocks["demand"]
        for w in horizon.deferrable:
            n = np.arange(lp_t.n_nodes)
            r = demand.row(n, w)
            lower[r] = upper[r] = horizon.arrivals[t].demand[n, w] / plp.scaling.flow_unit
        alone = dataclasses.replace(lp_t, row_lower=lower, row_upper=upper)
        solution, period_basis, _ = GlopSession(alone).solve()
        if solution.status != "OPTIMAL" or period_basis is None:
            return None
        proto = solution_pb2.BasisProto.FromString(period_basis)
        c = proto.constraint_status
        rows.append(plp.row_start[t] + np.asarray(c.ids, dtype=np.int64))
        row_status.append(np.asarray(c.values, dtype=np.int64))
        v = proto.variable_status
        cols.append(plp.columns[t][np.asarray(v.ids, dtype=np.int64)])
        col_status.append(np.asarray(v.values, dtype=np.int64))
    served_now = (d.col_serve >= 0) & (d.col_serve == d.period[d.col_row])
    rows.append(np.arange(d.rows.start, d.rows.stop))
    row_status.append(np.full(len(d.node), solution_pb2.BASIS_STATUS_FIXED_VALUE))
    cols.append(d.columns)
    col_status.append(np.where(served_now, solution_pb2.BASIS_STATUS_BASIC,
                               solution_pb2.BASIS_STATUS_AT_LOWER_BOUND))
    rows, row_status = np.concatenate(rows), np.concatenate(row_status)
    cols, col_status = np.concatenate(cols), np.concatenate(col_status)
    order, col_order = np.argsort(rows), np.argsort(cols)
    basis.constraint_status.ids[:] = rows[order].tolist()
    basis.constraint_status.values[:] = row_status[order].tolist()
    basis.variable_status.ids[:] = cols[col_order].tolist()
    basis.variable_status.values[:] = col_status[col_order].tolist()
    return basis.SerializeToString()


# -- column generation over the periods -----------------------------------------------------
@dataclass
class HorizonGeneration:
    """Where column generation over the periods stopped (see :class:`netprice.lp.colgen.Generation`)."""

    lp: PeriodLP
    routes: list
    solution: object
    passes: int
    generated: int
    certified: bool
    min_reduced: list


def generate_periods(horizon, plp, routes, solver, oracles, *, max_passes=MAX_PASSES,
                     add=True, primal_first=False):
    """Column generation on the stacked LP, each period priced by its own oracle.

    A pass prices every period against its own duals (its demand or service
    rows' duals, scarcity and rents) and adds each period's improving routes
    to that period; the solver re-solves the whole LP warm.  The pass that
    finds no improving route in any period is the certificate.  With
    ``add=False`` (enumerated or layered formulations) the LP is solved
    once and priced once: how far from exact it can be.
    """
    T = horizon.T
    limited = np.isfinite(horizon.served[0].latency_limit_ms)
    pairs = [horizon.need(t) & limited[None, :] for t in range(T)]
    have = [route_columns(plp.periods[t], routes[t]) for t in range(T)]
    routes = list(routes)
    # From a primal feasible basis (warm_basis), primal simplex.
    solution = solver.solve(added=np.zeros(0, dtype=np.int64) if primal_first else None)
    passes = generated = 0
    reduced = [np.zeros(pairs[t].shape) for t in range(T)]
    certified = not limited.any()
    while solution.status == "OPTIMAL" and passes < max_passes and limited.any():
        passes += 1
        additions, found_any = [], False
        for t in range(T):
            lp_t = plp.periods[t]
            y_t = plp.period_y(solution.y, t)
            price = lp_t.dual("demand", y_t).reshape(lp_t.n_nodes, lp_t.n_workloads)
            scarcity, rent = capacity_duals(lp_t, y_t)
            tol = reduced_cost_tolerance(price, plp.scaling.cost_unit)
            found, workload, reduced[t] = oracles[t].improving(scarcity, rent, price, pairs[t],
                                                               tolerance=tol)
            found_any |= bool(len(found))
            if not add:
                continue
            keys = [(int(found.origin[k]), int(workload[k]), tuple(found.arcs_of(k)))
                    for k in range(len(found))]
            fresh = [k for k, key in enumerate(keys) if key not in have[t]]
            if not fresh:
                continue
            have[t].update(keys[k] for k in fresh)
            offset = len(routes[t])
            routes[t] = routes[t].extend(found.subset(np.asarray(fresh)))
            kept = workload[fresh]

            def add_routes(builder, every=routes[t], offset=offset, kept=kept,
                           data=horizon.served[t], block=lp_t.blocks["route"]):
                for w in np.unique(kept):
                    block.add(builder, data, int(w), routes=every,
                              among=offset + np.flatnonzero(kept == w))

            additions.append((t, horizon.served[t], add_routes))
        if not additions:
            # None negative in any period -- or only columns the LP has.
            certified = not found_any
            break
        plp, ids = append_period_columns(plp, additions)
        generated += len(ids)
        solver.add_columns(plp, ids)
        solution = solver.solve(added=ids)
    return HorizonGeneration(plp, routes, solution, passes, generated, certified, reduced)


def lower_bound(horizon, objective_per_h, min_reduced):
    """A lower bound on the horizon's mean cost per hour (docs/model.md section 8, per period).

    Period t's service rows can carry at most what may be served then: its
    own arrivals, or every deferrable arrival whose window holds t.
    """
    shortfall = 0.0
    demand = horizon.demand()
    for t, reduced in enumerate(min_reduced):
        most = horizon.served[t].demand.copy()
        for w in horizon.deferrable:
            for a in range(horizon.T):
                if t in horizon.serve_periods(a, w):
                    most[:, w] += demand[a, :, w]
        shortfall += float(np.sum(most * np.minimum(np.nan_to_num(reduced), 0.0)))
    return objective_per_h + shortfall * SECONDS_PER_HOUR / TOKENS_PER_MTOK / horizon.T


# -- prices of arrivals -----------------------------------------------------------------------
@dataclass
class ArrivalPrices:
    """Prices of the deferrable workloads' tokens where and when they arrive.

    Attributes
    ----------
    price : ndarray (T, N, W)
        $/Mtok: the cheapest admissible way to serve one more token arriving
        at (node, period) within its window, or the value of lost load where
        arriving tokens are shed (nan for workloads that cannot wait).
    served_period : ndarray (T, N, W)
        The period whose service sets the price (earliest of equals; -1 where
        shed or unpriced).
    service : ndarray (T, N, W)
        The cheapest way to serve within the window, voll aside (inf: none).
    row_dual : ndarray (R,)
        The arrival rows' duals these prices stand for (what verify checks).
    """

    price: np.ndarray
    served_period: np.ndarray
    service: np.ndarray
    row_dual: np.ndarray


def arrival_prices(horizon, prices, deferral, shed) -> ArrivalPrices:
    """Arrival prices from each period's service values (:class:`netprice.lp.duals.Prices`).

    ``shed`` (R,) is the unserved amount of each arrival row.  The rule is
    that of a demand row (:mod:`netprice.lp.duals`): the value of lost load
    caps the price where tokens arrive, and sets it where they are shed;
    where they are all shed because serving costs more, the row's dual is
    the service value.  Without arrivals there is nothing to shed: the
    price is the cheapest way to serve.
    """
    T = horizon.T
    N, W = horizon.arrivals[0].demand.shape
    service = np.stack([p.service for p in prices])               # (T, N, W)
    price = np.full((T, N, W), np.nan)
    best = np.full((T, N, W), np.inf)
    when = np.full((T, N, W), -1, dtype=np.int64)
    for w in horizon.deferrable:
        for t in range(T):
            window = horizon.serve_periods(t, w)
            values = service[window, :, w]                           # (D+1, N)
            k = np.argmin(values, axis=0)                            # earliest of equals
            best[t, :, w] = values[k, np.arange(N)]
            when[t, :, w] = np.where(np.isfinite(best[t, :, w]), window[k], -1)
    price[:, :, horizon.deferrable] = best[:, :, horizon.deferrable]
    voll = horizon.arrivals[0].voll
    r_t, r_n, r_w = deferral.period, deferral.node, deferral.workload
    row_best = best[r_t, r_n, r_w]
    row_voll = voll[r_w]
    at_voll = np.isfinite(row_voll) & ((row_voll < row_best) | (shed > 0))
    price[r_t[at_voll], r_n[at_voll], r_w[at_voll]] = row_voll[at_voll]
    when[r_t[at_voll], r_n[at_voll], r_w[at_voll]] = -1
    # The dual of a row that no service reaches: above every other value.
    finite = np.concatenate([best[np.isfinite(best)], voll[np.isfinite(voll)], [0.0]])
    top = float(finite.max()) + 1.0
    dual = np.where(np.isfinite(row_best), row_best, top)
    dual = np.where(at_voll & ~(row_voll < dual), row_voll, dual)
    price[~np.isfinite(price)] = np.nan
    return ArrivalPrices(price, when, best, dual)


# -- verification -------------------------------------------------------------------------------
def check_horizon(horizon, plp, x, prices, arrivals, routes, oracles=None, references=None):
    """Every check of :mod:`netprice.lp.verify`, over the whole LP and period by period.

    The stacked LP's KKT conditions with the duals the results report
    (each period's rows from its prices, the arrival rows from the arrival
    prices); each period's prices against their definitions (and, for the
    exact formulation, the route certificate); the arrival prices against
    theirs: the cheapest service within the window, or the value of lost
    load.  Returns ``{check: (worst violation, tolerance)}``.
    """
    y = np.zeros(plp.shape[0])
    for t in range(horizon.T):
        y[plp.rows_of(t)] = reported_duals(plp.periods[t], prices[t])
    y[plp.deferral.rows] = arrivals.row_dual / plp.scaling.cost_unit
    checks = {name: value for name, (value, _) in kkt_violations(plp, x, y).items()}
    for t in range(horizon.T):
        lp_t = plp.periods[t]
        found = price_violations(horizon.served[t], routes[t], lp_t, prices[t],
                                 plp.period_x(x, t), None if oracles is None else oracles[t],
                                 None if references is None else references[t])
        for name, (value, _) in found.items():
            checks[name] = max(checks.get(name, 0.0), value)
        total = prices[t].parts.sum(axis=2)
        finite = np.isfinite(prices[t].price)
        error = np.abs(total - prices[t].price)[finite] / np.maximum(
            1.0, np.abs(prices[t].price[finite]))
        checks["price decomposition"] = max(checks.get("price decomposition", 0.0),
                                            float(np.max(error, initial=0.0)))
    recomputed = arrival_prices(horizon, prices, plp.deferral, _shed(plp, x))
    with np.errstate(invalid="ignore"):
        gap = np.abs(np.nan_to_num(arrivals.price, nan=-1.0)
                     - np.nan_to_num(recomputed.price, nan=-1.0))
    scale = np.maximum(1.0, np.abs(np.nan_to_num(recomputed.price)))
    checks["arrival prices"] = float(np.max(gap / scale, initial=0.0))
    return {name: (value, HORIZON_TOLERANCES[name]) for name, value in checks.items()}


def _shed(plp, x):
    """(R,) tokens/s shed on arrival, per arrival row."""
    d = plp.deferral
    shed = np.zeros(len(d.node))
    cols = d.shed_columns
    np.add.at(shed, d.col_row[cols], x[d.columns[cols]])
    return plp.scaling.tokens(shed)


def released(horizon, plp, x):
    """(T, N, W) tokens/s of deferrable workloads released for service in each period."""
    d = plp.deferral
    out = np.zeros((horizon.T,) + horizon.arrivals[0].demand.shape)
    z = d.col_serve >= 0
    np.add.at(out, (d.col_serve[z], d.node[d.col_row[z]], d.workload[d.col_row[z]]),
              plp.scaling.tokens(x[d.columns[z]]))
    return out


def moved(horizon, plp, x, eps=1e-9):
    """The deferred service with flow: (origin, workload, arrival period, serving period, tokens/s)."""
    d = plp.deferral
    tokens = plp.scaling.tokens(x[d.columns])
    scale = max(1.0, float(np.max(d.amount, initial=0.0)))
    keep = (d.col_serve >= 0) & (tokens > eps * scale)
    r = d.col_row[keep]
    return d.node[r], d.workload[r], d.period[r], d.col_serve[keep], tokens[keep]

