"""``clear_market``: validate, enumerate routes, build, solve, price, verify."""

from __future__ import annotations

import time

import numpy as np

from .diagnose import Diagnosis, _aggregates, elastic_diagnosis, unroutable_demand
from .errors import InfeasibleMarket
from .lp.build import build_lp
from .lp.data import compile_market
from .lp.duals import compute_prices
from .lp.solve import solve_lp
from .result import MarketResult
from .routes import DEFAULT_MAX_ROUTES_PER_PAIR, enumerate_routes
from .validate import validate as _validate

__all__ = ["clear_market"]


def clear_market(G, mode="transfer", *, solver="glop", max_routes_per_pair=DEFAULT_MAX_ROUTES_PER_PAIR,
                 time_limit=None, verify=True, validate=True) -> MarketResult:
    """Clear the token-flow market of a network: dispatch, prices and rents.

    Parameters
    ----------
    G : networkx.DiGraph
        A network of the graph contract (:func:`netprice.read_geojson`,
        :func:`netprice.read_graphml` or built with :func:`netprice.add_site`).
    mode : {"transfer", "baseline"}
        ``"transfer"``: each workload moves its own ``bytes_per_token``;
        ``"baseline"``: every token counts ``token_bytes`` on links.
    solver : {"glop", "highs", "highs-ipm"}
        LP solver; prices are verified whichever is used.
    max_routes_per_pair : int
        Cap on enumerated routes per (origin, site) pair, shortest first;
        pairs it truncates are listed in ``result.truncated_routes``.
    time_limit : float, optional
        Seconds for the solver; a solve it stops raises SolverError.
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
    routes = enumerate_routes(data, max_routes_per_pair=max_routes_per_pair)
    routed = time.perf_counter()
    lp = build_lp(data, routes)
    built = time.perf_counter()
    no_route = unroutable_demand(data, lp)
    if len(no_route):
        need, capacity = _aggregates(data)
        raise InfeasibleMarket(Diagnosis(mode, no_route=no_route, aggregate_need=need,
                                         aggregate_capacity=capacity))
    solution = solve_lp(lp, solver=solver, time_limit=time_limit)
    if solution.status == "INFEASIBLE":
        raise InfeasibleMarket(elastic_diagnosis(data, routes, solver=solver))
    solved = time.perf_counter()
    prices = compute_prices(data, routes, lp, solution.y, solution.x)
    stats = {
        "formulation": "route",
        "solver": solution.solver,
        "rows": lp.shape[0],
        "columns": lp.shape[1],
        "nonzeros": int(lp.matrix.nnz),
        "routes": len(routes),
        "truncated_pairs": len(routes.truncated),
        "flow_unit_tokens_per_s": lp.scaling.flow_unit,
        "cost_unit_per_mtok": lp.scaling.cost_unit,
        "coefficient_range": _coefficient_range(lp),
        "route_seconds": routed - start,
        "build_seconds": built - routed,
        "solve_seconds": solution.solve_seconds,
        "link_ids": {(u, v): G.edges[u, v].get("link", f"{u}-{v}") for u, v in data.arcs},
    }
    result = MarketResult(data, routes, lp, solution, prices, stats)
    if verify:
        result.verify()
    stats["total_seconds"] = time.perf_counter() - start
    stats["price_seconds"] = stats["total_seconds"] - (solved - start)
    return result


def _coefficient_range(lp):
    values = np.abs(np.concatenate([lp.matrix.data, lp.cost[lp.cost != 0]]))
    values = values[values > 0]
    if values.size == 0:
        return (1.0, 1.0)
    return (float(values.min()), float(values.max()))
