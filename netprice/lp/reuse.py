"""Re-solve variants of one market without rebuilding its LP.

Most scenario work changes numbers, not structure: a link outage, a site
outage, a capacity or bandwidth scale, a demand growth or a cost change.
:class:`ReusableMarket` builds a market's LP once (validate, compile,
routes or layers, build) and solves it; a scenario is then

1. applied to the graph and compiled (cheap: milliseconds), and compared
   with the base market.  What differs must be expressible as bounds,
   right-hand sides and costs of the base LP -- otherwise (a latency limit,
   a payload, a new site, a removed node ...) the scenario is cleared from
   scratch with :func:`netprice.clear_market` instead;
2. written into the base LP: demand, compute and link right-hand sides
   from the changed market; a removed link's arcs and an outaged site get
   right-hand side 0 and the columns that use them an upper bound of 0;
   costs recomputed when they changed;
3. re-solved by GLOP through OR-Tools MathOpt, *warm-started* with dual
   simplex from the base optimal basis (a right-hand-side change keeps
   that basis dual feasible, so a few pivots usually restore optimality).
   Every scenario starts from the same base basis, so its answer does not
   depend on which scenarios a worker solved before -- serial and parallel
   runs give identical tables;
4. priced and verified exactly as :func:`~netprice.clear_market` does, on
   the LP of the changed market: the base LP with the columns of removed
   elements dropped (:func:`~netprice.lp.duals.compute_prices`, then
   :func:`~netprice.verify.check` through :meth:`MarketResult.verify`).

The answer equals a from-scratch clear of the changed graph: the same
objective and, where the duals are unique, the same prices and rents (a
degenerate LP has several valid dual solutions and the two solves may
report different ones; both are verified).  A removed link is priced as
removed (no price anywhere uses it), not as a link of zero bandwidth.
Demand left without any admissible route (a stranded metro) is diagnosed
from the changed LP directly, as :func:`~netprice.clear_market` does before
solving; any other infeasible scenario, a solve that is not proven optimal,
or a failed verification falls back to the from-scratch clear, which gives
the diagnosis or the error exactly as :func:`~netprice.clear_market` would.

A reused scenario is cleared with the formulation and latency quantum the
base network got (what ``formulation="auto"`` chose for it); a scenario
cleared from scratch gets ``clear_market``'s own choice.  The two differ
only when "auto" layered the base because its routes were too many and a
scenario brings them under the budget: pass ``formulation=`` to pin it.

The view keeps the base indexing of arcs: a removed arc stays in the
result's ``links`` table with zero bandwidth and no flow (its id is in
``result.stats["removed_arcs"]``), and for pricing it is a self-loop, so
no path can use it.
"""

from __future__ import annotations

import dataclasses
import threading
import time

import numpy as np

from ..errors import InfeasibleMarket, SolverError, VerificationError
from ..routes import DEFAULT_MAX_ROUTES_PER_PAIR, RouteSet
from .build import ARC, ROUTE, SERVE, UNSERVED, _spread, build_lp
from .data import compile_market
from .cycles import cancel_circulations
from .duals import compute_prices
from .solve import LPSolution, solve_lp

__all__ = ["ReusableMarket", "NeedsRebuild", "ScenarioChange"]

# GLOP tolerances of netprice.lp.solve.GLOP_PARAMETERS, for MathOpt.
_GLOP_TOLERANCE = 1e-9


class NeedsRebuild(Exception):
    """A scenario that is not a change of bounds, right-hand sides and costs."""


@dataclasses.dataclass
class ScenarioChange:
    """A scenario written into the base LP (scaled units, base indexing).

    Attributes
    ----------
    data : MarketData
        The changed market in the base's node and arc indexing; removed
        arcs have zero bandwidth and are self-loops (see module docs).
    row_lower, row_upper : ndarray
        Row bounds of the base LP for the changed market.
    cost : ndarray
        Objective coefficients of every base column.
    keep : ndarray of bool
        Base columns that exist in the changed market; the others are fixed at 0.
    removed_arcs : ndarray of int
        Base arcs that the scenario removes.
    closed_rows : ndarray of int
        Capacity rows of removed arcs and outaged sites (their duals are 0).
    """

    data: object
    row_lower: np.ndarray
    row_upper: np.ndarray
    cost: np.ndarray
    keep: np.ndarray
    removed_arcs: np.ndarray
    closed_rows: np.ndarray

    @property
    def structural(self) -> bool:
        return not bool(self.keep.all())


class _GlopSession:
    """The base LP held by GLOP in OR-Tools MathOpt, updated in place between solves."""

    def __init__(self, lp):
        from ortools.math_opt import model_pb2, parameters_pb2
        from ortools.math_opt.core.python import solver as core

        n_rows, n_cols = lp.matrix.shape
        model = model_pb2.ModelProto()
        model.variables.ids[:] = range(n_cols)
        model.variables.lower_bounds[:] = np.zeros(n_cols).tolist()
        model.variables.upper_bounds[:] = np.full(n_cols, np.inf).tolist()
        model.variables.integers[:] = [False] * n_cols
        nonzero = np.flatnonzero(lp.cost)
        model.objective.linear_coefficients.ids[:] = nonzero.tolist()
        model.objective.linear_coefficients.values[:] = lp.cost[nonzero].tolist()
        model.linear_constraints.ids[:] = range(n_rows)
        model.linear_constraints.lower_bounds[:] = lp.row_lower.tolist()
        model.linear_constraints.upper_bounds[:] = lp.row_upper.tolist()
        matrix = lp.matrix.tocsr()
        matrix.sort_indices()
        rows = np.repeat(np.arange(n_rows), np.diff(matrix.indptr))
        model.linear_constraint_matrix.row_ids[:] = rows.tolist()
        model.linear_constraint_matrix.column_ids[:] = matrix.indices.tolist()
        model.linear_constraint_matrix.coefficients[:] = matrix.data.tolist()
        self._solver = core.new(parameters_pb2.SOLVER_TYPE_GLOP, model,
                                parameters_pb2.SolverInitializerProto())
        self._lower = lp.row_lower.copy()
        self._upper = lp.row_upper.copy()
        self._cost = lp.cost.copy()
        self._var_upper = np.full(n_cols, np.inf)

    def _update(self, lower, upper, cost, var_upper):
        from ortools.math_opt import model_update_pb2

        update = model_update_pb2.ModelUpdateProto()
        changed = False
        for new, old, field in ((lower, self._lower, update.linear_constraint_updates.lower_bounds),
                                (upper, self._upper, update.linear_constraint_updates.upper_bounds),
                                (cost, self._cost, update.objective_updates.linear_coefficients),
                                (var_upper, self._var_upper, update.variable_updates.upper_bounds)):
            ids = np.flatnonzero(new != old)
            if len(ids):
                field.ids[:] = ids.tolist()
                field.values[:] = new[ids].tolist()
                old[ids] = new[ids]
                changed = True
        if changed and not self._solver.update(update):  # pragma: no cover - GLOP takes these
            raise SolverError("UPDATE_REJECTED", "MathOpt could not update the GLOP model")

    def solve(self, lower, upper, cost, var_upper, *, basis=None, time_limit=None,
              iteration_limit=None):
        """Solve with these bounds and costs; ``basis`` (serialized BasisProto) warm-starts it.

        Returns ``(LPSolution, basis bytes or None, simplex iterations)``.
        """
        from ortools.math_opt import (
            callback_pb2,
            model_parameters_pb2,
            parameters_pb2,
            result_pb2,
            solution_pb2,
        )

        self._update(lower, upper, cost, var_upper)
        params = parameters_pb2.SolveParametersProto()
        params.glop.primal_feasibility_tolerance = _GLOP_TOLERANCE
        params.glop.dual_feasibility_tolerance = _GLOP_TOLERANCE
        if time_limit is not None:
            params.time_limit.FromNanoseconds(int(float(time_limit) * 1e9))
        if iteration_limit is not None:
            params.iteration_limit = int(iteration_limit)
        model_params = model_parameters_pb2.ModelSolveParametersProto()
        if basis is not None:
            # A changed right-hand side leaves the base basis dual feasible:
            # dual simplex from it needs a few pivots, not a fresh solve.
            params.lp_algorithm = parameters_pb2.LP_ALGORITHM_DUAL_SIMPLEX
            model_params.initial_basis.CopyFrom(solution_pb2.BasisProto.FromString(basis))
        start = time.perf_counter()
        result = self._solver.solve(params, model_params, None,
                                    callback_pb2.CallbackRegistrationProto(), None, None)
        seconds = time.perf_counter() - start
        reason = result.termination.reason
        iterations = int(result.solve_stats.simplex_iterations)
        if reason == result_pb2.TERMINATION_REASON_OPTIMAL:
            solution = result.solutions[0]
            x = _dense(solution.primal_solution.variable_values, len(self._cost))
            y = _dense(solution.dual_solution.dual_values, len(self._lower))
            new_basis = solution.basis.SerializeToString() if solution.HasField("basis") else None
            return (LPSolution("OPTIMAL", x, y, float(self._cost @ x), "glop", seconds),
                    new_basis, iterations)
        if reason == result_pb2.TERMINATION_REASON_INFEASIBLE:
            return LPSolution("INFEASIBLE", None, None, None, "glop", seconds), None, iterations
        name = result_pb2.TerminationReasonProto.Name(reason).replace("TERMINATION_REASON_", "")
        raise SolverError(name, result.termination.detail or "the solution is not proven optimal; "
                          "raise time_limit or iteration_limit if one was set")


def _dense(sparse, size):
    out = np.zeros(size)
    if len(sparse.ids):
        out[np.asarray(sparse.ids, dtype=np.int64)] = np.asarray(sparse.values, dtype=float)
    return out


class ReusableMarket:
    """A market whose LP is built and solved once, then re-solved for scenarios.

    Parameters
    ----------
    G : networkx.DiGraph
        The base network (graph contract).
    mode, formulation, quantum_ms, solver, max_routes_per_pair, time_limit, iteration_limit,
    verify, validate
        As for :func:`netprice.clear_market`; scenarios are cleared with the same.
    warm_start : bool
        Warm-start GLOP from the base basis (default).  False re-solves the
        reused LP from scratch (for measuring what the warm start buys);
        solvers other than GLOP always solve cold.

    Attributes
    ----------
    base : MarketResult or None
        The base market's result (None when it is infeasible).
    base_error : InfeasibleMarket or None
        Why the base market cannot clear, if it cannot.

    Examples
    --------
    >>> import netprice as npx
    >>> from netprice.scenarios import Scenario
    >>> G = npx.empty_network({"chat": {"latency_ms": 50, "bytes_per_token": 8}})
    >>> npx.add_site(G, "A", -100.0, 40.0, capacity=1e6, cost=10.0)
    >>> npx.add_site(G, "B", -95.0, 40.0, capacity=1e6, cost=50.0, demand={"chat": 5e5})
    >>> npx.add_link(G, "A", "B", bandwidth_gbps=0.016)
    >>> market = ReusableMarket(G)
    >>> res = market.clear(Scenario("wider", "bandwidth:A-B", 0.04))
    >>> res.stats["reused"], res.prices["price"].round(6).to_dict()
    (True, {('A', 'chat'): 10.0, ('B', 'chat'): 10.0})
    """

    def __init__(self, G, mode="transfer", *, formulation="auto", quantum_ms=None,
                 solver="glop", max_routes_per_pair=DEFAULT_MAX_ROUTES_PER_PAIR, time_limit=None,
                 iteration_limit=None, verify=True, validate=True, warm_start=True):
        from ..market import prepare_routes
        from ..validate import validate as _validate

        start = time.perf_counter()
        if validate:
            _validate(G)
        self.G = G
        self.mode = mode
        self.options = {"formulation": formulation, "quantum_ms": quantum_ms, "solver": solver,
                        "max_routes_per_pair": max_routes_per_pair, "time_limit": time_limit,
                        "iteration_limit": iteration_limit, "verify": verify,
                        "validate": validate}
        self.warm_start = bool(warm_start) and solver == "glop"
        data = compile_market(G, mode)
        self.formulation, routes, layers, self.quantum_ms = prepare_routes(
            data, formulation, quantum_ms, max_routes_per_pair)
        routed = time.perf_counter()
        self.data, self.routes, self.layers = data, routes, layers
        self.lp = build_lp(data, routes, layers=layers)
        self._route_owner = np.repeat(np.arange(len(routes)), np.diff(routes.arc_ptr))
        truncated = {(data.nodes.index(o), data.nodes.index(s)) for o, s in routes.truncated}
        self._truncated_routes = np.array(
            [(int(o), int(s)) in truncated for o, s in zip(routes.origin, routes.site)],
            dtype=bool) if truncated else np.zeros(len(routes), dtype=bool)
        self.link_ids = {(u, v): G.edges[u, v].get("link", f"{u}-{v}") for u, v in data.arcs}
        self.build_seconds = {"route_seconds": routed - start,
                              "build_seconds": time.perf_counter() - routed}
        self._basis = None
        self._local = threading.local()
        self.base, self.base_error = None, None
        try:
            self.base = self._solve(G, data, None, base=True)
        except InfeasibleMarket as err:
            self.base_error = err

    # -- pickling: the solver lives in one process and thread ---------------------------
    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_local", None)
        state["base"] = None  # workers need the base LP and basis, not its result tables
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._local = threading.local()

    def _session(self):
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = _GlopSession(self.lp)
        return session

    # -- public --------------------------------------------------------------------------
    def clear(self, scenario):
        """Clear one scenario (a :class:`~netprice.scenarios.Scenario`, or None for the base).

        Returns a verified :class:`~netprice.MarketResult` whose
        ``stats["reused"]`` says whether the base LP was reused; raises what
        :func:`netprice.clear_market` raises on the changed graph.
        """
        if scenario is None:
            if self.base_error is not None:
                raise self.base_error
            if self.base is not None:
                return self.base
            return self._solve(self.G, self.data, None, base=True)
        H = scenario.apply(self.G)
        return self.clear_graph(H)

    def clear_graph(self, H):
        """Clear a changed copy ``H`` of the base graph, reusing the base LP when possible."""
        start = time.perf_counter()
        if self.options["validate"]:
            from ..validate import validate as _validate

            _validate(H)
        data = compile_market(H, self.mode)
        try:
            change = self.change(data)
        except NeedsRebuild as why:
            return self._rebuild(H, str(why))
        try:
            return self._solve(H, change.data, change, start=start)
        except (SolverError, VerificationError) as err:
            return self._rebuild(H, f"reused solve rejected ({type(err).__name__}: {err})")

    def change(self, data) -> ScenarioChange:
        """Express a changed market (compiled) as bounds and costs of the base LP.

        Raises :class:`NeedsRebuild` when the change is structural beyond
        removing links and closing sites.
        """
        d0, lp = self.data, self.lp
        if list(data.nodes) != list(d0.nodes) or list(data.workloads) != list(d0.workloads):
            raise NeedsRebuild("nodes or workloads differ")
        for name in ("latency_limit_ms", "bytes_per_token", "intensity", "proc_latency_ms"):
            if not np.array_equal(getattr(data, name), getattr(d0, name)):
                raise NeedsRebuild(f"{name} differs")
        if not np.array_equal(np.isfinite(data.voll), np.isfinite(d0.voll)):
            raise NeedsRebuild("a value of lost load was added or removed")
        position = {a: e for e, a in enumerate(d0.arcs)}
        kept = np.array([position.get(a, -1) for a in data.arcs], dtype=np.int64)
        if (kept < 0).any():
            raise NeedsRebuild("new arcs")
        if not np.array_equal(data.latency_ms, d0.latency_ms[kept]):
            raise NeedsRebuild("link latencies differ")
        removed = np.setdiff1d(np.arange(d0.n_arcs), kept)
        if len(removed) and self._truncated_routes.any():
            # A pair whose enumeration the cap cut short may, without a removed
            # arc its routes used, have routes the base LP does not have.
            out = np.zeros(d0.n_arcs, dtype=bool)
            out[removed] = True
            hit = np.bincount(self._route_owner, weights=out[self.routes.arc_idx],
                              minlength=len(self.routes)) > 0
            if (hit & self._truncated_routes).any():
                raise NeedsRebuild("a truncated route enumeration used a removed link")
        gains = (data.can_serve & ~d0.can_serve).any() or (
            (data.capacity > 0) & ~(d0.capacity > 0)).any()
        if gains:
            raise NeedsRebuild("a site gains compute or a workload")

        bandwidth = np.zeros(d0.n_arcs)
        bandwidth[kept] = data.bandwidth_gbps
        cost_per_gb = d0.cost_per_gb.copy()
        cost_per_gb[kept] = data.cost_per_gb
        head = d0.arc_head.copy()
        head[removed] = d0.arc_tail[removed]      # a self-loop: no path can use it
        view = dataclasses.replace(
            d0, arc_head=head, bandwidth_gbps=bandwidth, cost_per_gb=cost_per_gb,
            voll=data.voll, demand=data.demand, capacity=data.capacity,
            proc_cost=data.proc_cost, can_serve=data.can_serve, base_cost=data.base_cost)

        # Row bounds, exactly as build_lp writes them.
        s, scale = lp.scaling, lp.row_scale
        lower, upper = lp.row_lower.copy(), lp.row_upper.copy()
        block = lp.blocks["demand"]
        demand = view.demand.ravel() / s.flow_unit
        lower[block] = demand * scale[block]
        upper[block] = demand * scale[block]
        block = lp.blocks["compute"]
        upper[block] = view.capacity[lp.compute_nodes] / s.flow_unit * scale[block]
        block = lp.blocks["link"]
        upper[block] = view.bandwidth_gbps * scale[block]

        cost = lp.cost
        if not (np.array_equal(view.proc_cost, d0.proc_cost)
                and np.array_equal(view.cost_per_gb, d0.cost_per_gb)
                and np.array_equal(np.nan_to_num(view.voll), np.nan_to_num(d0.voll))):
            cost = self._column_costs(view)

        keep = np.ones(lp.shape[1], dtype=bool)
        kind = lp.col_kind
        if len(removed):
            out = np.zeros(d0.n_arcs, dtype=bool)
            out[removed] = True
            arcs = kind == ARC
            keep[arcs] &= ~out[lp.col_arc[arcs]]
            routes = kind == ROUTE
            if routes.any():
                hit = np.bincount(self._route_owner, weights=out[self.routes.arc_idx],
                                  minlength=len(self.routes)) > 0
                keep[routes] &= ~hit[lp.col_route[routes]]
        lost = d0.can_serve & ~view.can_serve
        if lost.any():
            serving = (kind == ROUTE) | (kind == SERVE)
            keep[serving] &= ~lost[lp.col_node[serving], lp.col_workload[serving]]
        closed_sites = np.flatnonzero(view.capacity[lp.compute_nodes] <= 0)
        closed_rows = np.concatenate([lp.blocks["compute"].start + closed_sites,
                                      lp.blocks["link"].start + removed]).astype(np.int64)
        return ScenarioChange(view, lower, upper, cost, keep, removed, closed_rows)

    # -- internals -------------------------------------------------------------------------
    def _column_costs(self, view):
        """Scaled objective coefficients of every base column for changed costs."""
        lp, routes = self.lp, self.routes
        transport = view.transport_per_mtok()
        kind, w, cost = lp.col_kind, lp.col_workload, np.zeros(lp.shape[1])
        cols = np.flatnonzero(kind == ROUTE)
        if len(cols):
            R = lp.col_route[cols]
            positions, counts = _spread(routes.arc_ptr, R)
            arcs = routes.arc_idx[positions]
            along = np.bincount(np.repeat(np.arange(len(R)), counts),
                                weights=transport[arcs, np.repeat(w[cols], counts)],
                                minlength=len(R))
            cost[cols] = view.proc_cost[routes.site[R], w[cols]] + along
        cols = np.flatnonzero(kind == ARC)
        cost[cols] = transport[lp.col_arc[cols], w[cols]]
        cols = np.flatnonzero(kind == SERVE)
        cost[cols] = view.proc_cost[lp.col_node[cols], w[cols]]
        cols = np.flatnonzero(kind == UNSERVED)
        cost[cols] = view.voll[w[cols]]
        return cost / lp.scaling.cost_unit

    def _rebuild(self, H, why):
        from ..market import clear_market

        result = clear_market(H, self.mode, **self.options)
        result.stats["reused"] = False
        result.stats["rebuild_reason"] = why
        return result

    def _solve(self, H, data, change, *, base=False, start=None):
        """Solve the base LP (``change`` None) or a change of it; price, verify, wrap."""
        from ..diagnose import Diagnosis, _aggregates, unroutable_demand
        from ..market import lp_stats
        from ..result import MarketResult

        start = time.perf_counter() if start is None else start
        lp = self.lp
        solver = self.options["solver"]
        iterations = None
        if change is None:
            lower, upper, cost = lp.row_lower, lp.row_upper, lp.cost
            keep = np.ones(lp.shape[1], dtype=bool)
        else:
            lower, upper, cost, keep = change.row_lower, change.row_upper, change.cost, change.keep
        view_lp, view_routes = self._view(lp, lower, upper, cost, keep, change)
        no_route = unroutable_demand(data, view_lp)
        if len(no_route):
            if base or self.layers:
                # A layered LP keeps dead-end layers a fresh build prunes, so
                # the fresh build gives the complete list.
                return self._rebuild(H, "demand without an admissible route")  # raises
            need, capacity = _aggregates(data)
            raise InfeasibleMarket(Diagnosis(self.mode, no_route=no_route, aggregate_need=need,
                                             aggregate_capacity=capacity,
                                             quantum_ms=self.quantum_ms))
        if solver == "glop" and (self.warm_start or base):
            var_upper = np.where(keep, np.inf, 0.0)
            solution, basis, iterations = self._session().solve(
                lower, upper, cost, var_upper, basis=None if base else self._basis,
                time_limit=self.options["time_limit"],
                iteration_limit=self.options["iteration_limit"])
            if base and basis is not None:
                self._basis = basis
            if solution.status == "OPTIMAL" and change is not None and change.structural:
                solution = dataclasses.replace(solution, x=solution.x[keep])
        else:
            solution = solve_lp(view_lp, solver=solver, time_limit=self.options["time_limit"],
                                iteration_limit=self.options["iteration_limit"])
        if solution.status == "INFEASIBLE":
            return self._rebuild(H, "infeasible")  # raises with the diagnosis
        solution = dataclasses.replace(
            solution, x=cancel_circulations(view_lp, data, solution.x))
        solved = time.perf_counter()
        y = solution.y
        if change is not None and len(change.closed_rows):
            y = y.copy()
            y[change.closed_rows] = 0.0     # rows of removed elements bind nothing
        prices = compute_prices(data, view_routes, view_lp, y, solution.x)
        _close_dead_layers(prices)
        removed = [] if change is None else [data.arcs[e] for e in change.removed_arcs]
        stats = {
            **lp_stats(data, view_routes, self.layers, view_lp, solution, self.formulation,
                       self.quantum_ms),
            **(self.build_seconds if base else {"route_seconds": 0.0, "build_seconds": 0.0}),
            "link_ids": self.link_ids,
            "reused": not base,
            "warm_start": (not base) and solver == "glop" and self.warm_start,
            "simplex_iterations": iterations,
            "removed_arcs": removed,
        }
        result = MarketResult(data, view_routes, view_lp, solution, prices, stats)
        if self.options["verify"]:
            result.verify()
        stats["total_seconds"] = time.perf_counter() - start
        stats["price_seconds"] = stats["total_seconds"] - (solved - start)
        return result

    def _view(self, lp, lower, upper, cost, keep, change):
        """The changed market's LP: the base LP without the columns of removed elements."""
        if change is None or not change.structural:
            return dataclasses.replace(lp, row_lower=lower, row_upper=upper, cost=cost), self.routes
        routes = self.routes
        out_arc = np.zeros(self.data.n_arcs, dtype=bool)
        out_arc[change.removed_arcs] = True
        # Routes through a removed arc go; routes to a site that lost a
        # workload stay (other workloads may use them) and pricing skips
        # them for that workload, as the LP does.
        keep_routes = np.bincount(self._route_owner, weights=out_arc[routes.arc_idx],
                                  minlength=len(routes)) == 0
        new_index = np.cumsum(keep_routes) - 1
        col_route = lp.col_route[keep]
        if len(routes):
            col_route = np.where(col_route >= 0, new_index[np.maximum(col_route, 0)], -1)
        idx = np.flatnonzero(keep_routes)
        positions, counts = _spread(routes.arc_ptr, idx)
        view_routes = RouteSet(
            origin=routes.origin[idx], site=routes.site[idx], latency_ms=routes.latency_ms[idx],
            arc_ptr=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
            arc_idx=routes.arc_idx[positions], truncated=list(routes.truncated),
            max_routes_per_pair=routes.max_routes_per_pair)
        lost = self.data.can_serve & ~change.data.can_serve
        layers = {}
        for w, lg in lp.layers.items():
            arc_ok = ~out_arc[lg.arc_cols[:, 0]]
            serve_ok = ~lost[lg.serve_cols[:, 0], w]
            layers[w] = dataclasses.replace(lg, arc_cols=lg.arc_cols[arc_ok],
                                            serve_cols=lg.serve_cols[serve_ok])
        view = dataclasses.replace(
            lp, cost=cost[keep], matrix=lp.matrix[:, keep].tocsr(), row_lower=lower,
            row_upper=upper, col_kind=lp.col_kind[keep], col_workload=lp.col_workload[keep],
            col_route=col_route, col_arc=lp.col_arc[keep], col_node=lp.col_node[keep],
            col_layer=lp.col_layer[keep], layers=layers)
        return view, view_routes


def _close_dead_layers(prices):
    """Give (node, layer) rows that can no longer reach a site a finite dual.

    After an outage some rows of the base's layered graph lead nowhere in
    time; their cheapest completion is infinite.  Any value at least the
    largest finite one is a valid dual there (flow into them is zero, and
    every arc into them then has a non-negative reduced cost), so the
    checks see finite numbers.
    """
    values = prices.layer_values or {}
    finite = [v[np.isfinite(v)] for v in values.values()]
    finite = np.concatenate(finite) if finite else np.zeros(0)
    if not len(finite):
        return
    top = float(finite.max(initial=0.0)) + 1.0
    for v in values.values():
        v[~np.isfinite(v)] = top
