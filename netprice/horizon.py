"""Clear a market over periods (docs/model.md section 9): a day-ahead market.

:func:`clear_horizon` is what :func:`netprice.clear_market` does with a
network that declares ``G.graph["periods"]``:

* when no workload may wait (every ``defer_h`` is 0, or shorter than a
  period), the periods are independent markets: each is cleared alone, as
  :func:`netprice.clear_market` clears :func:`netprice.periods.period_graph`
  of it -- the same objective, prices and flows to the last digit
  (:func:`netprice.period_runs.clear_periods` spreads them over Dask
  workers);
* otherwise it is one LP over every period (:mod:`netprice.lp.periods`),
  solved by column generation over every period at once, its prices
  checked period by period and its KKT conditions over the whole horizon.

Either way the answer is a :class:`~netprice.period_result.PeriodResult`.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd

from .diagnose import Diagnosis, aggregates, elastic_market
from .errors import InfeasibleMarket, VerificationError
from .lp.blocks import UNSERVED
from .lp.colgen import SEED_SITES
from .lp.cycles import cancel_circulations
from .lp.duals import PARTS, capacity_duals, compute_prices
from .lp.oracle import PricingOracle
from .lp.periods import (
    Horizon,
    arrival_prices,
    build_horizon_lp,
    check_horizon,
    compile_horizon,
    generate_periods,
    lower_bound,
    moved,
    released,
    warm_basis,
)
from .lp.routes import DEFAULT_MAX_ROUTES_PER_PAIR
from .lp.solve import IncrementalSolver
from .period_result import PeriodResult, period_record
from .periods import period_graph, period_hours, period_labels, window_periods
from .result import MarketResult
from .validate import validate as _validate

__all__ = ["clear_horizon", "clear_period", "independent_periods", "assemble_periods"]

#: On networks with at most this many sites the seed reaches every site in
#: time: at a peak the few cheapest sites of each pair may not hold its
#: demand, and one infeasible solve of every period costs more than the
#: extra columns (us20-day: 3 s against 0.1 s).
SEED_EVERY_SITE_UP_TO = 20

#: Stacked LPs with at least this many rows start from each period solved
#: alone (netprice.lp.periods.warm_basis).  Kdl x 4 periods (25,192 rows):
#: 1.5 s of simplex instead of 14.6 s; us20-day (4,320 rows) solves cold in
#: 0.7 s, less than the 24 solves alone would cost.
WARM_START_ROWS = 20_000

_OPTIONS = ("formulation", "quantum_ms", "solver", "max_routes_per_pair", "time_limit",
            "iteration_limit", "verify")


def independent_periods(G) -> bool:
    """Whether no workload of ``G`` may wait a whole period: its periods are separate markets."""
    return len(period_labels(G)) < 2 or not any(
        window_periods(G, spec) > 0 for spec in G.graph["workloads"].values())


def clear_period(G, t, clear_one, mode="transfer", **options):
    """Clear period ``t`` of ``G`` alone: ``(record, result)``.

    ``clear_one`` is :func:`netprice.clear_market` (passed in: it calls this
    module for markets over periods).  Raises InfeasibleMarket naming the
    period when it cannot clear.
    """
    label = period_labels(G)[t]
    try:
        res = clear_one(period_graph(G, t), mode, validate=False, **options)
    except InfeasibleMarket as err:
        err.args = (f"period {label}: {err}",)
        raise
    return period_record(res, label), res


def assemble_periods(G, mode, records, options, *, stats=None, results=None) -> PeriodResult:
    """A PeriodResult from the records of independently cleared periods.

    ``results``: the periods' MarketResults when they are at hand, so that
    ``verify()`` can run their checks again.
    """
    def verifier():
        checks = {}
        for res in results:
            for name, (value, tol) in res.verify().items():
                checks[name] = (max(checks.get(name, (0.0, tol))[0], value), tol)
        return checks

    merged = {"rows": 0, "columns": 0, "nonzeros": 0, "solve_seconds": 0.0}
    for record in records:
        for key in merged:
            merged[key] += record["stats"].get(key) or 0
    merged.update(stats or {})
    return PeriodResult(records, periods=period_labels(G), period_hours=period_hours(G),
                        mode=mode, formulation=records[0]["formulation"],
                        solver=records[0]["solver"], independent=True, stats=merged,
                        verifier=verifier if results is not None else None)


def clear_horizon(G, clear_one, mode="transfer", *, formulation="exact", quantum_ms=None, solver="glop",
                  max_routes_per_pair=DEFAULT_MAX_ROUTES_PER_PAIR, time_limit=None,
                  iteration_limit=None, verify=True, validate=True, coupled=None) -> PeriodResult:
    """Clear every period of a network with ``G.graph["periods"]``.

    Parameters are those of :func:`netprice.clear_market`, and:

    clear_one : callable
        :func:`netprice.clear_market`, which clears each separate period.
    coupled : bool, optional
        Force one LP over every period (True) even when nothing may wait, or
        separate markets (False, only when nothing may wait).  Default:
        separate exactly when no workload may wait a whole period.

    Returns
    -------
    PeriodResult

    Raises
    ------
    InfeasibleMarket
        Naming the period (separate markets) or the (node, period) demand
        that cannot be met (one LP).

    Examples
    --------
    >>> import netprice as npx
    >>> G = npx.empty_network({"batch": {"latency_ms": None, "bytes_per_token": 8,
    ...                                  "defer_h": 2}})
    >>> G.graph["periods"] = ["2026-07-01T00:00Z", "2026-07-01T01:00Z", "2026-07-01T02:00Z"]
    >>> npx.add_site(G, "A", -100.0, 40.0, capacity=1e6, cost=[30.0, 20.0, 10.0],
    ...              demand={"batch": 1e5})
    >>> res = npx.clear_market(G)
    >>> res.prices["price"].round(6).tolist()       # each arrival served at 02:00
    [10.0, 10.0, 10.0]
    >>> round(res.objective, 6)     # $ over the three hours: 1e5 tokens/s x 3 h at 10 $/Mtok
    10800.0
    """
    start = time.perf_counter()
    if validate:
        _validate(G)
    options = {"formulation": formulation, "quantum_ms": quantum_ms, "solver": solver,
               "max_routes_per_pair": max_routes_per_pair, "time_limit": time_limit,
               "iteration_limit": iteration_limit, "verify": verify}
    separate = independent_periods(G) if coupled is None else not coupled
    if separate:
        if not independent_periods(G):
            raise ValueError("coupled=False: a workload may wait, so the periods are one market")
        cleared = [clear_period(G, t, clear_one, mode, **options)
                   for t in range(len(period_labels(G)))]
        return assemble_periods(G, mode, [r for r, _ in cleared], options,
                                stats={"total_seconds": time.perf_counter() - start},
                                results=[res for _, res in cleared])
    return _clear_coupled(G, mode, options, start)


# -- one LP over every period --------------------------------------------------------------------
def _solve(horizon, options, routes=None, seed_sites=SEED_SITES):
    """Build and solve the stacked LP: ``(generation, oracles, formulations, solver)``.

    ``routes``: per period, routes to start column generation from instead
    of the seed; ``seed_sites``: sites per pair the seed reaches (None: all).
    """
    exact = options["formulation"] in ("exact", "auto")
    plp, forms = build_horizon_lp(horizon, options["formulation"], options["quantum_ms"],
                                  options["max_routes_per_pair"], routes=routes,
                                  seed_sites=seed_sites)
    oracles = [f.oracle if f.oracle is not None else PricingOracle(horizon.served[t])
               for t, f in enumerate(forms)]
    warm = options["solver"] == "glop" and plp.shape[0] >= WARM_START_ROWS
    basis = warm_basis(horizon, plp) if warm else None
    solver = IncrementalSolver(plp, options["solver"], basis=basis,
                               time_limit=options["time_limit"],
                               iteration_limit=options["iteration_limit"])
    generation = generate_periods(horizon, plp, [f.routes for f in forms], solver, oracles,
                                  add=exact, primal_first=basis is not None)
    return generation, oracles, forms, solver


def _clear_coupled(G, mode, options, start):
    horizon = compile_horizon(G, mode)
    built = time.perf_counter()
    exact = options["formulation"] in ("exact", "auto")
    sites = int(horizon.served[0].can_serve.any(axis=1).sum())
    generation, oracles, forms, solver = _solve(
        horizon, options, seed_sites=None if sites <= SEED_EVERY_SITE_UP_TO else SEED_SITES)
    if generation.solution.status == "INFEASIBLE" and exact and sites > SEED_EVERY_SITE_UP_TO:
        # At a peak the few cheapest sites of each pair may not hold its
        # demand: seed every site in time, before asking whether anything can.
        generation, oracles, forms, solver = _solve(horizon, options, seed_sites=None)
    if generation.solution.status == "INFEASIBLE":
        diagnosis, elastic_routes = _diagnose(horizon, options)
        if len(diagnosis.unmet) or options["formulation"] not in ("exact", "auto"):
            raise InfeasibleMarket(diagnosis)
        # Every demand can be met: the seed lacked the routes that meet it.
        every = [f.routes.extend(r) for f, r in zip(forms, elastic_routes)]
        generation, oracles, forms, solver = _solve(horizon, options, routes=every)
        if generation.solution.status == "INFEASIBLE":  # pragma: no cover - the routes meet it
            raise InfeasibleMarket(diagnosis)
    solved = time.perf_counter()
    plp, routes, solution = generation.lp, generation.routes, generation.solution
    x = solution.x.copy()
    for t in range(horizon.T):
        cols = plp.columns[t]
        x[cols] = cancel_circulations(plp.periods[t], horizon.served[t], x[cols])
    prices = [compute_prices(horizon.served[t], routes[t], plp.periods[t],
                             plp.period_y(solution.y, t), plp.period_x(x, t),
                             oracle=oracles[t] if exact else None) for t in range(horizon.T)]
    references = prices      # internal: nothing changes them before verification
    shed = _shed_rows(plp, x)
    arrivals = arrival_prices(horizon, prices, plp.deferral, shed)

    def verifier():
        return check_horizon(horizon, plp, x, prices, arrivals, routes,
                             oracles if exact else None, references)

    checks = verifier() if options["verify"] else {}
    failed = [name for name, (value, tol) in checks.items() if not value <= tol]
    if failed:
        raise VerificationError(checks, failed)
    objective_h = plp.scaling.objective_per_hour(float(plp.cost @ x)) / horizon.T
    bound = lower_bound(horizon, objective_h, generation.min_reduced)
    gap = 0.0 if generation.certified else max(0.0, (objective_h - bound) / abs(objective_h)) \
        if objective_h else 0.0
    stats = {"rows": plp.shape[0], "columns": plp.shape[1], "nonzeros": int(plp.matrix.nnz),
             "solve_seconds": solver.seconds, "simplex_iterations": solver.iterations,
             "pricing_passes": generation.passes, "columns_generated": generation.generated,
             "build_seconds": built - start, "exact": generation.certified,
             "gap_bound": gap, "flow_unit_tokens_per_s": plp.scaling.flow_unit,
             "cost_unit_per_mtok": plp.scaling.cost_unit}
    records = _records(G, horizon, plp, x, solution, prices, arrivals, shed, routes,
                       generation, options, stats)
    stats["price_seconds"] = time.perf_counter() - solved
    stats["total_seconds"] = time.perf_counter() - start
    return PeriodResult(records, periods=horizon.labels, period_hours=horizon.hours, mode=mode,
                        formulation="exact" if exact else options["formulation"],
                        solver=solution.solver, independent=False, checks=checks, stats=stats,
                        deferral=_deferral_rows(horizon, plp, x), verifier=verifier)


def _shed_rows(plp, x):
    d = plp.deferral
    shed = np.zeros(len(d.node))
    np.add.at(shed, d.col_row[d.shed_columns], x[d.columns[d.shed_columns]])
    return plp.scaling.tokens(shed)


def _records(G, horizon, plp, x, solution, prices, arrivals, shed, routes, generation,
             options, stats):
    """One record per period, its tables written by MarketResult from the period's own LP."""
    release = released(horizon, plp, x)
    d = plp.deferral
    shed_at = np.zeros((horizon.T,) + horizon.arrivals[0].demand.shape)
    np.add.at(shed_at, (d.period, d.node, d.workload), shed)
    defer = horizon.deferrable
    labels = np.array(horizon.labels + [None], dtype=object)
    hours = 3600.0 / 1e6
    records = []
    for t in range(horizon.T):
        data = horizon.served[t]
        demand = data.demand.copy()
        demand[:, defer] = release[t][:, defer]
        lp_t = plp.periods[t]
        shown = _arrival_view(prices, arrivals, t, defer)
        x_t = plp.period_x(x, t)
        res = MarketResult(dataclasses.replace(data, demand=demand), routes[t], lp_t,
                           dataclasses.replace(solution, x=x_t, y=plp.period_y(solution.y, t)),
                           shown, {**stats, "formulation": "exact"})
        arriving = horizon.arrivals[t].demand
        unserved = res._unserved + shed_at[t]
        tables = {"prices": res.prices.assign(demand=arriving.ravel()),
                  "service": res.service.assign(demand=arriving.ravel(),
                                                unserved=unserved.ravel()),
                  "nodes": res.nodes.assign(demand=arriving.sum(axis=1),
                                            unserved=unserved.sum(axis=1))}
        voll = np.nan_to_num(horizon.arrivals[t].voll)
        cost = plp.scaling.objective_per_hour(float(lp_t.cost @ x_t)) + \
            float(np.sum(shed_at[t] * voll[None, :])) * hours
        settlement = {
            "cost": cost,
            "payments": float(np.nansum(shown.price * arriving)) * hours,
            "compute_rents": float(prices[t].scarcity @ data.capacity) * hours,
            "congestion_rents": float(prices[t].rent @ data.bandwidth_gbps),
        }
        settlement["identity_gap"] = (settlement["payments"] - settlement["compute_rents"]
                                      - settlement["congestion_rents"] - cost)
        served_period = np.where(np.isfinite(shown.price), horizon.labels[t], None)
        for w in defer:
            served_period[:, w] = labels[arrivals.served_period[t, :, w]]
        res.stats.update(gap_bound=stats["gap_bound"], exact=stats["exact"])
        res.checks = {}
        records.append(period_record(res, horizon.labels[t], tables=tables, objective=cost,
                                     settlement=settlement,
                                     served_period=served_period.ravel(), frames=True))
    return records


def _arrival_view(prices, arrivals, t, defer):
    """Period t's prices as the tables show them: a deferrable workload's token where it arrives.

    Only what the tables read is kept (the paths are not: MarketResult copies
    its prices, and for tables they are dead weight).
    """
    source = prices[t]
    shown = dataclasses.replace(source, price=source.price.copy(), parts=source.parts.copy(),
                                site=source.site.copy(), path=[],
                                route_latency_ms=source.route_latency_ms.copy())
    N = shown.price.shape[0]
    unserved = PARTS.index("unserved")
    for w in defer:
        for n in range(N):
            s = int(arrivals.served_period[t, n, w])
            price = arrivals.price[t, n, w]
            shown.price[n, w] = price
            if s >= 0:
                serving = prices[s]
                shown.parts[n, w] = serving.parts[n, w]
                shown.site[n, w] = serving.site[n, w]
                shown.route_latency_ms[n, w] = serving.route_latency_ms[n, w]
            else:
                shown.parts[n, w] = 0.0
                shown.parts[n, w, unserved] = price if np.isfinite(price) else 0.0
                shown.site[n, w] = -1
                shown.route_latency_ms[n, w] = np.nan
    return shown


def _deferral_rows(horizon, plp, x):
    node, workload, arrived, served, tokens = moved(horizon, plp, x)
    data = horizon.arrivals[0]
    waited = (served - arrived) % horizon.T
    return [(data.nodes[n], data.workloads[w], horizon.labels[a], horizon.labels[s],
             float(k * horizon.hours), float(v))
            for n, w, a, s, k, v in zip(node.tolist(), workload.tolist(), arrived.tolist(),
                                        served.tolist(), waited.tolist(), tokens.tolist())]


def _diagnose(horizon, options):
    """Why the horizon cannot clear: the demand an elastic LP over every period leaves unmet.

    Returns ``(Diagnosis, routes per period)``: the routes the elastic
    solution uses, which make the restricted master feasible when nothing
    is unmet.
    """
    elastic = Horizon(horizon.labels, horizon.hours, horizon.cyclic,
                      [elastic_market(d) for d in horizon.arrivals],
                      [elastic_market(d) for d in horizon.served], horizon.window)
    generation, _, _, _ = _solve(elastic, {**options, "time_limit": None,
                                           "iteration_limit": None})
    data = horizon.arrivals[0]
    need = sum(aggregates(d)[0] for d in horizon.arrivals) / horizon.T
    capacity = sum(aggregates(d)[1] for d in horizon.arrivals) / horizon.T
    if generation.solution.status != "OPTIMAL":  # pragma: no cover - an elastic LP is feasible
        return Diagnosis(data.mode, aggregate_need=need, aggregate_capacity=capacity), \
            generation.routes
    plp, x = generation.lp, generation.solution.x
    records = []
    shed = _shed_rows(plp, x)
    d = plp.deferral
    for r in np.flatnonzero(shed > 1e-9 * max(1.0, float(d.amount.max(initial=0.0)))):
        records.append((f"{data.nodes[d.node[r]]} ({horizon.labels[d.period[r]]})",
                        data.workloads[d.workload[r]], d.amount[r], shed[r]))
    for t in range(horizon.T):
        lp_t = plp.periods[t]
        unmet = lp_t.node_workload_totals(plp.scaling.tokens(plp.period_x(x, t)), [UNSERVED])
        demand = horizon.arrivals[t].demand
        for n, w in zip(*np.nonzero(unmet > 1e-9 * max(1.0, float(demand.max())))):
            records.append((f"{data.nodes[n]} ({horizon.labels[t]})", data.workloads[w],
                            demand[n, w], unmet[n, w]))
    frame = pd.DataFrame(records, columns=["node", "workload", "demand", "unmet"])
    frame = frame.set_index(["node", "workload"])
    # Elastic duals of capacity rows: unmet tokens one more unit would serve.
    binding = []
    y = generation.solution.y
    for t in range(horizon.T):
        lp_t = plp.periods[t]
        scarcity, rent = capacity_duals(lp_t, plp.period_y(y, t))
        when = horizon.labels[t]
        for n in np.flatnonzero(scarcity > 1e-9):
            binding.append(("compute", f"{data.nodes[n]} ({when})",
                            horizon.arrivals[t].capacity[n], float(scarcity[n])))
        for e in np.flatnonzero(rent > 1e-9):
            u, v = data.arcs[e]
            binding.append(("link", f"{u}->{v} ({when})", horizon.arrivals[t].bandwidth_gbps[e],
                            float(rent[e])))
    binding = pd.DataFrame(binding, columns=["kind", "element", "capacity", "marginal_service"])
    binding = binding.sort_values("marginal_service", ascending=False, ignore_index=True)
    return (Diagnosis(data.mode, unmet=frame, binding=binding, aggregate_need=need,
                      aggregate_capacity=capacity), generation.routes)
