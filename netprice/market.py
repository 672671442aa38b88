"""The market: validate and compile once, hold the built LP, solve and re-solve it.

:class:`Market` is the one pipeline every clearing goes through::

    validate -> compile -> formulate (routes | layers) -> build LP from blocks
      -> solve -> prices from duals -> verify -> MarketResult

``Market(G).solve()`` is :func:`clear_market`; ``Market.resolve(change)``
writes a changed market (an outage, a scaled capacity, new costs ...) into
the same LP and re-solves it warm from the base basis, which is what sweeps
and contingency studies use; ``Market.add_columns(routes)`` appends route
columns without rebuilding.
"""

from __future__ import annotations

import dataclasses
import threading
import time

import networkx as nx
import numpy as np

from .diagnose import Diagnosis, aggregates, elastic_diagnosis, unroutable_demand
from .errors import InfeasibleMarket, SolverError, VerificationError
from .horizon import clear_horizon
from .lp.build import append_columns, build_lp
from .lp.change import LPChange, NeedsRebuild, describe_change
from .lp.colgen import generate, lower_bound, reduced_cost_tolerance, route_columns
from .lp.cycles import cancel_circulations
from .lp.data import compile_market
from .lp.duals import compute_prices
from .lp.formulation import complete_routes, formulate
from .lp.oracle import PricingOracle
from .lp.routes import DEFAULT_MAX_ROUTES_PER_PAIR
from .lp.solve import GlopSession, IncrementalSolver, solve_lp
from .periods import has_periods
from .result import MarketResult
from .validate import validate as _validate

__all__ = ["Market", "clear_market"]


class Market:
    """A market compiled once into its LP, solved and re-solved on demand.

    Parameters
    ----------
    G : networkx.DiGraph
        A network of the graph contract (:func:`netprice.read_geojson`,
        :func:`netprice.read_graphml` or built with :func:`netprice.add_site`).
    mode : {"transfer", "baseline"}
        ``"transfer"``: each workload moves its own ``bytes_per_token``;
        ``"baseline"``: every token counts ``token_bytes`` on links.
    formulation : {"auto", "route", "layered"}
        How latency limits enter the LP (see :func:`clear_market`).
    quantum_ms : float, optional
        Latency step of the layered formulation.
    solver : {"glop", "highs", "highs-ipm"}
        LP solver; prices are verified whichever is used.
    max_routes_per_pair : int
        Cap on enumerated routes per (origin, site) pair, shortest first.
    time_limit, iteration_limit : optional
        Solver limits; a solve they stop raises SolverError.
    verify : bool
        Run the KKT checks on every solve (default True).
    validate : bool
        Check the graph contract first (default True).
    warm_start : bool
        Re-solve changes with GLOP warm-started from the base basis
        (default); False solves each from scratch (to measure what the
        warm start buys).  Other solvers always solve cold.

    Attributes
    ----------
    data : MarketData
        The compiled market.
    formulation : netprice.lp.formulation.Formulation
        Routes or layered graphs the LP uses.
    lp : netprice.lp.build.LPModel
        The LP, assembled from named blocks.

    Examples
    --------
    >>> import netprice as npx
    >>> G = npx.empty_network({"chat": {"latency_ms": 50, "bytes_per_token": 8}})
    >>> npx.add_site(G, "A", -100.0, 40.0, capacity=1e6, cost=10.0)
    >>> npx.add_site(G, "B", -95.0, 40.0, capacity=1e6, cost=50.0, demand={"chat": 5e5})
    >>> npx.add_link(G, "A", "B", bandwidth_gbps=0.016)
    >>> market = npx.Market(G)
    >>> market.solve().prices["price"].round(6).to_dict()
    {('A', 'chat'): 10.0, ('B', 'chat'): 50.0}
    >>> from netprice.scenarios import Scenario
    >>> res = market.resolve(Scenario("wider", "bandwidth:A-B", 0.04))
    >>> res.stats["reused"], res.prices["price"].round(6).to_dict()
    (True, {('A', 'chat'): 10.0, ('B', 'chat'): 10.0})
    """

    def __init__(self, G, mode="transfer", *, formulation="exact", quantum_ms=None,
                 solver="glop", max_routes_per_pair=DEFAULT_MAX_ROUTES_PER_PAIR,
                 time_limit=None, iteration_limit=None, verify=True, validate=True,
                 warm_start=True):
        self._started = time.perf_counter()
        if has_periods(G):
            raise ValueError("a Market holds one period; this network declares "
                             f"{len(G.graph['periods'])} periods: clear them all with "
                             "clear_market(G), or one with Market(period_graph(G, t))")
        if validate:
            _validate(G)
        self.G = G
        self.mode = mode
        self.options = {"formulation": formulation, "quantum_ms": quantum_ms, "solver": solver,
                        "max_routes_per_pair": max_routes_per_pair, "time_limit": time_limit,
                        "iteration_limit": iteration_limit, "verify": verify,
                        "validate": validate}
        self.warm_start = bool(warm_start) and solver == "glop"
        self.data = compile_market(G, mode)
        self.formulation = formulate(self.data, formulation, quantum_ms, max_routes_per_pair)
        self._seed_routes = len(self.formulation.routes)
        routed = time.perf_counter()
        self.lp = build_lp(self.data, self.formulation.routes, layers=self.formulation.layers)
        self.timings = {"route_seconds": routed - self._started,
                        "build_seconds": time.perf_counter() - routed}
        self.link_ids = {(u, v): G.edges[u, v].get("link", f"{u}-{v}")
                         for u, v in self.data.arcs}
        self._basis = None
        self._base = None
        self._known = None      # (origin, workload, arcs) of the LP's route columns
        self._tried_listing = False
        self._local = threading.local()

    @property
    def routes(self):
        return self.formulation.routes

    # -- one-shot solve ----------------------------------------------------------------------
    def solve(self) -> MarketResult:
        """Solve the market as built: its verified :class:`MarketResult`.

        Raises
        ------
        InfeasibleMarket
            No dispatch meets every demand; ``.diagnosis`` says where and why.
        SolverError
            The solver stopped without proving optimality.
        VerificationError
            A KKT check failed: the prices are not to be trusted.
        """
        # The first solve reports the time since the market was built, so
        # that clear_market's total includes validation, routes and building.
        start = self._started if self._started is not None else time.perf_counter()
        self._started = None
        if self.formulation.exact and not self.formulation.complete:
            # Column generation needs a solver that keeps its model between
            # solves: the same one the re-solves start from.
            return self._base_result(start)
        self._raise_if_unroutable(self.data, self.lp)
        opts = self.options
        solution = solve_lp(self.lp, solver=opts["solver"], time_limit=opts["time_limit"],
                            iteration_limit=opts["iteration_limit"])
        if solution.status == "INFEASIBLE":
            raise InfeasibleMarket(elastic_diagnosis(self.data, self.formulation,
                                                     solver=opts["solver"])[0])
        return self._result(self.data, self.routes, self.lp, solution, start,
                            {**self.timings, "link_ids": self.link_ids})

    # -- re-solves ---------------------------------------------------------------------------
    def resolve(self, change=None) -> MarketResult:
        """Clear a change of this market, reusing its LP where the change allows.

        Parameters
        ----------
        change : Scenario, networkx.DiGraph, LPChange or None
            A scenario (anything with ``apply(G)``, e.g.
            :class:`netprice.scenarios.Scenario`), a changed copy of the
            network, a change already written into this LP
            (:func:`netprice.lp.change.describe_change`), or None for the
            market itself as the re-solves see it (their shared base).

        Returns
        -------
        MarketResult
            Verified; ``stats["reused"]`` says whether this LP was reused,
            ``stats["rebuild_reason"]`` why not.  A change that alters more
            than bounds, right-hand sides and costs (a latency limit, a
            payload, a new link ...) is cleared from scratch, as
            :func:`clear_market` would.  Each change starts from the base
            market's basis and columns, so its answer does not depend on
            what was re-solved before.

        Raises
        ------
        What :func:`clear_market` raises on the changed market.
        """
        if change is None:
            return self._base_result()
        if isinstance(change, LPChange):
            return self._solve_change(self.G, change, time.perf_counter())
        if isinstance(change, nx.DiGraph):
            return self._resolve_graph(change)
        if hasattr(change, "apply"):
            return self._resolve_graph(change.apply(self.G))
        raise TypeError(f"resolve() takes a scenario, a changed graph or an LPChange, "
                        f"not {type(change).__name__}")

    @property
    def base(self):
        """The base result of the re-solves (None when the market is infeasible)."""
        try:
            return self._base_result()
        except InfeasibleMarket:
            return None

    @property
    def base_error(self):
        """Why the market cannot clear (an InfeasibleMarket), or None."""
        try:
            self._base_result()
        except InfeasibleMarket as err:
            return err
        return None

    def add_columns(self, routes) -> np.ndarray:
        """Append route columns for ``routes`` (a RouteSet) to the LP, without rebuilding.

        Each route becomes one column per route-formulated workload it is
        admissible for; a solver session already open takes them too, so
        the next re-solve starts from where the last one ended.  Returns
        the indexes of the new columns.
        """
        every, ids = self._append_routes(self.lp, self.routes, routes)
        self.formulation = dataclasses.replace(self.formulation, routes=every)
        self._base = None  # the base result no longer describes this LP
        self._known = None
        return ids

    # -- internals ---------------------------------------------------------------------------
    def _append_routes(self, lp, routes, new_routes, solver=None):
        """Columns for ``new_routes`` added to ``lp``: one per workload each route suits.

        The columns go to ``solver`` when given, else to this market's LP and
        its open session.
        """
        every = routes.extend(new_routes)
        among = np.arange(len(routes), len(every))
        block = lp.blocks["route"]

        def add(builder):
            for w in range(self.data.n_workloads):
                block.add(builder, self.data, w, routes=every, among=among)

        extended, ids = append_columns(lp, self.data, add)
        if solver is not None:
            solver.add_columns(extended, ids)
        elif lp is self.lp:
            self.lp = extended
            session = getattr(self._local, "session", None)
            if session is not None:
                session.add_columns(extended, ids)
        return every, ids

    def _list_routes_for_resolves(self):
        """Switch an exact market to its complete route list when that is small.

        Re-solves then need no route generated and no certificate pass: the
        LP holds every admissible route, and a change that removes links or
        closes sites keeps that true.
        """
        if not self.formulation.exact or self.formulation.complete or self._tried_listing:
            return
        self._tried_listing = True
        routes = complete_routes(self.data, self.options["max_routes_per_pair"])
        if routes is not None:
            self.formulation = dataclasses.replace(self.formulation, routes=routes, complete=True)
            self.lp = build_lp(self.data, routes)
            self._known = None

    def _base_result(self, start=None):
        if isinstance(self._base, InfeasibleMarket):
            raise self._base
        if self._base is None:
            if start is None:      # re-solves ahead: list the routes if they are few
                self._list_routes_for_resolves()
            start = time.perf_counter() if start is None else start
            try:
                self._base = self._solve_change(self.G, None, start, base=True)
            except InfeasibleMarket as err:
                self._base = err
                raise
        return self._base

    def _resolve_graph(self, H):
        try:
            self._base_result()      # the basis (and route list) every change starts from
        except InfeasibleMarket:
            pass                     # a change may still clear
        start = time.perf_counter()
        if self.options["validate"]:
            _validate(H)
        data = compile_market(H, self.mode)
        try:
            change = describe_change(self.data, self.lp, self.routes, data)
        except NeedsRebuild as why:
            return self._rebuild(H, str(why))
        try:
            return self._solve_change(H, change, start)
        except (SolverError, VerificationError) as err:
            return self._rebuild(H, f"reused solve rejected ({type(err).__name__}: {err})")

    def _rebuild(self, H, why):
        result = Market(H, self.mode, **self.options).solve()
        result.stats["reused"] = False
        result.stats["rebuild_reason"] = why
        return result

    def _session(self):
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = GlopSession(self.lp)
        return session

    def _solve_change(self, H, change, start, *, base=False):
        """Solve the LP for ``change`` (None: the base) warm; price, verify, wrap."""
        if self.formulation.exact and not self.formulation.complete:
            return self._solve_exact(change, start, base=base)
        lp, opts = self.lp, self.options
        data = self.data if change is None else change.data
        if change is None:
            lower, upper, cost, col_upper = lp.row_lower, lp.row_upper, lp.cost, lp.col_upper
            keep = np.ones(lp.shape[1], dtype=bool)
            view_lp, view_routes = lp, self.routes
        else:
            lower, upper, cost, keep = change.row_lower, change.row_upper, change.cost, change.keep
            col_upper = change.col_upper
            view_lp, view_routes = change.view(lp, self.routes, self.data)
        no_route = unroutable_demand(data, view_lp)
        if len(no_route):
            if base or self.formulation.layers:
                # A layered LP keeps dead-end layers a fresh build prunes, so
                # the fresh build gives the complete list.
                return self._rebuild(H, "demand without an admissible route")  # raises
            raise self._no_route_error(data, no_route)
        iterations = None
        if opts["solver"] == "glop" and (self.warm_start or base):
            var_upper = np.where(keep, col_upper, 0.0)
            solution, basis, iterations = self._session().solve(
                lower, upper, cost, var_upper, basis=None if base else self._basis,
                time_limit=opts["time_limit"], iteration_limit=opts["iteration_limit"])
            if base and basis is not None:
                self._basis = basis
            if solution.status == "OPTIMAL" and change is not None and change.structural:
                solution = dataclasses.replace(solution, x=solution.x[keep])
        else:
            solution = solve_lp(view_lp, solver=opts["solver"], time_limit=opts["time_limit"],
                                iteration_limit=opts["iteration_limit"])
        if solution.status == "INFEASIBLE":
            return self._rebuild(H, "infeasible")  # raises with the diagnosis
        closed = None if change is None else change.closed_rows
        return self._result(data, view_routes, view_lp, solution, start,
                            self._scenario_stats(change, base, iterations),
                            closed_rows=closed, close_dead_layers=True)

    def _scenario_stats(self, change, base, iterations):
        removed = [] if change is None else [self.data.arcs[e] for e in change.removed_arcs]
        return {
            **(self.timings if base else {"route_seconds": 0.0, "build_seconds": 0.0}),
            "link_ids": self.link_ids,
            "reused": not base,
            "warm_start": (not base) and self.options["solver"] == "glop" and self.warm_start,
            "simplex_iterations": iterations,
            "removed_arcs": removed,
        }

    def _solve_exact(self, change, start, *, base=False):
        """Column generation on the base LP, or on a change written into it.

        A change keeps the base's columns (those of removed elements fixed
        at zero), starts from the base basis, and generates what the changed
        market needs; the session drops those columns again afterwards, so
        every change starts from the same point.
        """
        opts = self.options
        data = self.data if change is None else change.data
        oracle = self.formulation.oracle if change is None else PricingOracle(data)
        self._raise_if_unroutable(data, oracle=oracle)
        lp = self.lp
        if change is not None:
            lp = dataclasses.replace(lp, row_lower=change.row_lower, row_upper=change.row_upper,
                                     cost=change.cost,
                                     col_upper=np.where(change.keep, change.col_upper, 0.0))
        glop = opts["solver"] == "glop"
        session = self._session() if glop else None
        n_base = lp.shape[1]
        warm = glop and not base and self.warm_start
        solver = IncrementalSolver(lp, opts["solver"], session=session,
                                   basis=self._basis if warm else None,
                                   time_limit=opts["time_limit"],
                                   iteration_limit=opts["iteration_limit"])
        if self._known is None:
            self._known = route_columns(self.lp, self.routes)
        known = self._known if base else set(self._known)
        try:
            generation = generate(data, lp, self.routes, solver, oracle, known=known)
            if generation.solution.status == "INFEASIBLE":
                generation = self._make_feasible(data, generation, solver, oracle, known)
            if base:
                self.lp = generation.lp
                self.formulation = dataclasses.replace(self.formulation, routes=generation.routes)
                self._basis = solver.basis
            extra = {**self._scenario_stats(change, base, solver.iterations),
                     **_generation_stats(generation), "solve_seconds": solver.seconds}
            if base:
                extra["seed_routes"] = self._seed_routes
            return self._result(data, generation.routes, generation.lp, generation.solution,
                                start, extra, oracle=oracle, generation=generation,
                                closed_rows=None if change is None else change.closed_rows)
        finally:
            if session is not None and not base:
                session.truncate(n_base)

    def _make_feasible(self, data, generation, solver, oracle, known):
        """Columns that make an infeasible restricted master feasible, from the elastic market.

        Raises InfeasibleMarket (with the diagnosis) when the market as
        written has no dispatch that meets every demand.
        """
        diagnosis, routes = elastic_diagnosis(
            data, dataclasses.replace(self.formulation, routes=generation.routes),
            solver=self.options["solver"])
        if len(diagnosis.unmet):
            raise InfeasibleMarket(diagnosis)
        listed = len(generation.routes)
        every, _ = self._append_routes(generation.lp, generation.routes,
                                       routes.subset(np.arange(listed, len(routes))),
                                       solver=solver)
        known.update(route_columns(solver.lp, every))
        more = generate(data, solver.lp, every, solver, oracle, known=known)
        more.generated += generation.generated
        more.passes += generation.passes
        return more

    def _raise_if_unroutable(self, data, lp=None, oracle=None):
        no_route = unroutable_demand(data, lp if oracle is None else None, oracle)
        if len(no_route):
            raise self._no_route_error(data, no_route)

    def _no_route_error(self, data, no_route):
        need, capacity = aggregates(data)
        return InfeasibleMarket(Diagnosis(self.mode, no_route=no_route, aggregate_need=need,
                                          aggregate_capacity=capacity,
                                          quantum_ms=self.formulation.quantum_ms))

    def _oracle(self, data):
        """The exact pricing oracle of ``data`` (the base market's is kept)."""
        if data is self.data:
            if self.formulation.oracle is None:
                self.formulation = dataclasses.replace(self.formulation,
                                                       oracle=PricingOracle(self.data))
            return self.formulation.oracle
        return PricingOracle(data)

    def _result(self, data, routes, lp, solution, start, extra, *, closed_rows=None,
                close_dead_layers=False, oracle=None, generation=None):
        """Price a solution, wrap it in a MarketResult, bound its distance from exact, verify it."""
        solution = dataclasses.replace(solution, x=cancel_circulations(lp, data, solution.x))
        solved = time.perf_counter()
        y = solution.y
        if closed_rows is not None and len(closed_rows):
            y = y.copy()
            y[closed_rows] = 0.0     # rows of removed elements bind nothing
        prices = compute_prices(data, routes, lp, y, solution.x, oracle=oracle)
        if close_dead_layers:
            _close_dead_layers(prices)
        stats = {**lp_stats(data, routes, self.formulation, lp, solution), **extra}
        objective = lp.scaling.objective_per_hour(float(lp.cost @ solution.x))
        if generation is not None:
            stats.update(_exactness(objective, lower_bound(data, objective,
                                                           generation.min_reduced),
                                    generation.certified, "column generation certificate"))
        else:
            stats.update(self._distance_from_exact(data, prices, objective))
        result = MarketResult(data, routes, lp, solution, prices, stats,
                              oracle=oracle if generation is not None else None)
        if self.options["verify"]:
            result.verify()
        stats["total_seconds"] = time.perf_counter() - start
        stats["price_seconds"] = stats["total_seconds"] - (solved - start)
        return result

    def _distance_from_exact(self, data, prices, objective):
        """How far an approximate formulation's cost can be above the exact market's (§8)."""
        if self.formulation.complete or not np.isfinite(data.latency_limit_ms).any():
            # Every admissible route is a column: the LP is the exact market.
            return _exactness(objective, objective, True, "every admissible route listed")
        oracle = self._oracle(data)
        need = data.arrivals() > 0
        found = oracle.values(prices.scarcity, prices.rent, origins=need[:, oracle.workloads])
        reduced = np.zeros_like(prices.balance)
        W = oracle.workloads
        with np.errstate(invalid="ignore"):
            gap = found.value[:, W] - prices.balance[:, W]
        reduced[:, W] = np.where(need[:, W] & np.isfinite(gap), np.minimum(gap, 0.0), 0.0)
        tol = reduced_cost_tolerance(prices.balance, self.lp.scaling.cost_unit)
        certified = not (reduced < -tol).any()
        return _exactness(objective, lower_bound(data, objective, reduced), certified,
                          "pricing oracle: no admissible route cheaper")

    # -- pickling: a solver session lives in one process and thread ----------------------------
    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_local", None)
        # Workers need the LP and the base basis, not the base's result tables.
        state["_base"] = None if not isinstance(self._base, InfeasibleMarket) else self._base
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._local = threading.local()


def _exactness(objective, bound, certified, how) -> dict:
    """``exact``, ``exact_by``, ``gap_bound`` (relative) and ``lower_bound_per_h`` for the stats."""
    if certified:
        return {"exact": True, "exact_by": how, "gap_bound": 0.0, "lower_bound_per_h": objective}
    gap = (objective - bound) / abs(objective) if objective else float(objective > bound)
    return {"exact": False, "exact_by": None, "gap_bound": max(0.0, float(gap)),
            "lower_bound_per_h": bound}


def _generation_stats(generation) -> dict:
    return {"pricing_passes": generation.passes, "columns_generated": generation.generated,
            "routes": len(generation.routes)}


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


def lp_stats(data, routes, formulation, lp, solution) -> dict:
    """What ``result.stats`` says of the LP and its solve (sizes, scaling, solver)."""
    return {
        "formulation": formulation.name,
        "quantum_ms": formulation.quantum_ms,
        "layers": {data.workloads[w]: lg.n_layers for w, lg in formulation.layers.items()},
        "solver": solution.solver,
        "rows": lp.shape[0],
        "columns": lp.shape[1],
        "nonzeros": int(lp.matrix.nnz),
        "routes": len(routes),
        "truncated_pairs": len(routes.truncated),
        "flow_unit_tokens_per_s": lp.scaling.flow_unit,
        "cost_unit_per_mtok": lp.scaling.cost_unit,
        "coefficient_range": _coefficient_range(lp),
        "solve_seconds": solution.solve_seconds,
    }


def _coefficient_range(lp):
    values = np.abs(np.concatenate([lp.matrix.data, lp.cost[lp.cost != 0]]))
    values = values[values > 0]
    if values.size == 0:
        return (1.0, 1.0)
    return (float(values.min()), float(values.max()))


def clear_market(G, mode="transfer", *, formulation="exact", quantum_ms=None,
                 solver="glop", max_routes_per_pair=DEFAULT_MAX_ROUTES_PER_PAIR,
                 time_limit=None, iteration_limit=None, verify=True,
                 validate=True) -> MarketResult:
    """Clear the token-flow market of a network: dispatch, prices and rents.

    ``clear_market(G, ...)`` is ``Market(G, ...).solve()``.

    Parameters
    ----------
    G : networkx.DiGraph
        A network of the graph contract (:func:`netprice.read_geojson`,
        :func:`netprice.read_graphml` or built with :func:`netprice.add_site`).
    mode : {"transfer", "baseline"}
        ``"transfer"``: each workload moves its own ``bytes_per_token``;
        ``"baseline"``: every token counts ``token_bytes`` on links.
    formulation : {"auto", "route", "layered"}
        How latency limits enter the LP: enumerated routes (exact when the
        enumeration is complete), or the latency-layered arc formulation
        (no enumeration; latencies rounded up to ``quantum_ms``, so it is
        conservative, and exact when the quantum divides every latency).
        ``"auto"`` enumerates routes on networks of up to 40 nodes, and on
        larger ones when at most 20,000 routes cover every pair; it layers
        otherwise.
    quantum_ms : float, optional
        Latency step of the layered formulation (default: 0.1 ms, or 1/40
        of the tightest latency limit when that is finer, halved while the
        rounding alone would leave demand without a route).
    solver : {"glop", "highs", "highs-ipm"}
        LP solver; prices are verified whichever is used.
    max_routes_per_pair : int
        Cap on enumerated routes per (origin, site) pair, shortest first;
        pairs it truncates are listed in ``result.truncated_routes``.
    time_limit : float, optional
        Seconds for the solver; a solve it stops raises SolverError.
    iteration_limit : int, optional
        Simplex iterations for the solver; likewise.
    verify : bool
        Run :meth:`MarketResult.verify` (default True; turning it off is for
        benchmarks of the checks themselves).
    validate : bool
        Check the graph contract first (default True).

    Returns
    -------
    MarketResult

    Raises
    ------
    ValidationError
        The graph breaks the contract.
    InfeasibleMarket
        No dispatch meets every demand; ``.diagnosis`` says where and why.
    SolverError
        The solver stopped without proving optimality.
    VerificationError
        A KKT check failed: the prices are not to be trusted.

    Examples
    --------
    >>> import netprice as npx
    >>> G = npx.empty_network({"chat": {"latency_ms": 50, "bytes_per_token": 8}})
    >>> npx.add_site(G, "A", -100.0, 40.0, capacity=1e6, cost=10.0)
    >>> npx.add_site(G, "B", -95.0, 40.0, capacity=1e6, cost=50.0, demand={"chat": 5e5})
    >>> npx.add_link(G, "A", "B", bandwidth_gbps=0.016)
    >>> res = npx.clear_market(G)
    >>> res.prices["price"].round(6).to_dict()
    {('A', 'chat'): 10.0, ('B', 'chat'): 50.0}

    A network with ``G.graph["periods"]`` is cleared over all its periods
    (:func:`netprice.horizon.clear_horizon`): the result is a
    :class:`~netprice.period_result.PeriodResult`.
    """
    if has_periods(G):
        return clear_horizon(G, clear_market, mode, formulation=formulation,
                             quantum_ms=quantum_ms, solver=solver,
                             max_routes_per_pair=max_routes_per_pair, time_limit=time_limit,
                             iteration_limit=iteration_limit, verify=verify, validate=validate)
    return Market(G, mode, formulation=formulation, quantum_ms=quantum_ms, solver=solver,
                  max_routes_per_pair=max_routes_per_pair, time_limit=time_limit,
                  iteration_limit=iteration_limit, verify=verify, validate=validate).solve()
