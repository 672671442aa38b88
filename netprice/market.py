"""``clear_market``: validate, enumerate routes, build, solve, price, verify."""

from __future__ import annotations

import time

import numpy as np

from .diagnose import Diagnosis, _aggregates, elastic_diagnosis, unroutable_demand
from .errors import InfeasibleMarket
from .lp.build import build_lp
from .lp.cycles import cancel_circulations
from .lp.data import compile_market
from .lp.duals import compute_prices
from .lp.layers import layer_graph
from .lp.solve import solve_lp
from .result import MarketResult
from .routes import DEFAULT_MAX_ROUTES_PER_PAIR, LATENCY_SLACK_MS, enumerate_routes, exact_slack
from .validate import validate as _validate

__all__ = ["clear_market"]


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


def _cut_off_by_rounding(data, layers):
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
        exact = exact_slack(data, budget)
        if (exact[lost] >= -LATENCY_SLACK_MS).any():
            return True
    return False


def prepare_routes(data, formulation, quantum_ms, max_routes_per_pair):
    """Route enumeration or layered graphs, as ``formulation`` asks (or ``auto`` decides).

    Returns ``(formulation, routes, layers, quantum_ms)``: the formulation
    used, the RouteSet (empty when layered), the LayerGraph of each
    latency-limited workload (empty when routed) and the quantum used.
    """
    if formulation not in ("auto", "route", "layered"):
        raise ValueError(f"formulation must be 'auto', 'route' or 'layered', got {formulation!r}")
    limited = np.flatnonzero(np.isfinite(data.latency_limit_ms))
    if formulation in ("auto", "route"):
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
            return "route", routes, {}, None
    refine = quantum_ms is None
    if refine:
        quantum_ms = default_quantum(data)
    if not quantum_ms > 0:
        raise ValueError(f"quantum_ms must be positive, got {quantum_ms!r}")
    routes = enumerate_routes(data, workloads=[])
    for attempt in range(QUANTUM_REFINEMENTS + 1):
        layers = {int(w): layer_graph(data, int(w), quantum_ms) for w in limited}
        if not refine or attempt == QUANTUM_REFINEMENTS or not _cut_off_by_rounding(data, layers):
            break
        quantum_ms /= 2
    return "layered", routes, layers, quantum_ms


def clear_market(G, mode="transfer", *, formulation="auto", quantum_ms=None,
                 solver="glop", max_routes_per_pair=DEFAULT_MAX_ROUTES_PER_PAIR,
                 time_limit=None, iteration_limit=None, verify=True,
                 validate=True) -> MarketResult:
    """Clear the token-flow market of a network: dispatch, prices and rents.

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
    """
    start = time.perf_counter()
    if validate:
        _validate(G)
    data = compile_market(G, mode)
    formulation, routes, layers, quantum_ms = prepare_routes(
        data, formulation, quantum_ms, max_routes_per_pair)
    routed = time.perf_counter()
    lp = build_lp(data, routes, layers=layers)
    built = time.perf_counter()
    no_route = unroutable_demand(data, lp)
    if len(no_route):
        need, capacity = _aggregates(data)
        raise InfeasibleMarket(Diagnosis(mode, no_route=no_route, aggregate_need=need,
                                         aggregate_capacity=capacity, quantum_ms=quantum_ms))
    solution = solve_lp(lp, solver=solver, time_limit=time_limit,
                        iteration_limit=iteration_limit)
    if solution.status == "INFEASIBLE":
        raise InfeasibleMarket(elastic_diagnosis(data, routes, layers=layers, solver=solver))
    solution.x = cancel_circulations(lp, data, solution.x)
    solved = time.perf_counter()
    prices = compute_prices(data, routes, lp, solution.y, solution.x)
    stats = {
        **lp_stats(data, routes, layers, lp, solution, formulation, quantum_ms),
        "route_seconds": routed - start,
        "build_seconds": built - routed,
        "link_ids": {(u, v): G.edges[u, v].get("link", f"{u}-{v}") for u, v in data.arcs},
    }
    result = MarketResult(data, routes, lp, solution, prices, stats)
    if verify:
        result.verify()
    stats["total_seconds"] = time.perf_counter() - start
    stats["price_seconds"] = stats["total_seconds"] - (solved - start)
    return result


def lp_stats(data, routes, layers, lp, solution, formulation, quantum_ms) -> dict:
    """What ``result.stats`` says of the LP and its solve (sizes, scaling, solver)."""
    return {
        "formulation": formulation,
        "quantum_ms": quantum_ms,
        "layers": {data.workloads[w]: lg.n_layers for w, lg in layers.items()},
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
