"""A solve that is not proven optimal never yields prices (issue: solver outcomes)."""

import numpy as np
import pytest

import netprice as npx
from netprice.lp.build import build_lp
from netprice.lp.data import compile_market
from netprice.lp.duals import compute_prices
from netprice.lp.solve import solve_lp
from netprice.lp.routes import enumerate_routes
from netprice.lp.verify import VerificationError, check, reported_duals


@pytest.mark.parametrize("solver", ["glop", "highs", "highs-ipm"])
def test_iteration_limit_raises_instead_of_pricing(us5, solver):
    if solver.startswith("highs"):
        pytest.importorskip("highspy")
    with pytest.raises(npx.SolverError) as info:
        npx.clear_market(us5, solver=solver, iteration_limit=1)
    assert "no prices" in str(info.value) and "iteration_limit=1" in str(info.value)


def test_time_limit_raises_instead_of_pricing(us5):
    with pytest.raises(npx.SolverError) as info:
        npx.clear_market(us5, formulation="layered", quantum_ms=0.05, time_limit=1e-4)
    assert "time_limit" in str(info.value)


@pytest.fixture
def solved(us5):
    """The us5 LP, its solution and its verified prices."""
    data = compile_market(us5, "transfer")
    routes = enumerate_routes(data)
    lp = build_lp(data, routes)
    solution = solve_lp(lp)
    prices = compute_prices(data, routes, lp, solution.y, solution.x)
    check(lp, solution.x, reported_duals(lp, prices), prices)
    return lp, solution, prices


def test_wrong_duals_fail_verification(solved):
    """verify() is not a rubber stamp: a perturbed price is caught."""
    lp, solution, prices = solved
    prices.price[0, 0] *= 1.01
    with pytest.raises(VerificationError) as info:
        check(lp, solution.x, reported_duals(lp, prices), prices)
    assert "strong duality" in str(info.value) or "dual feasibility" in str(info.value)


def test_perturbed_rent_fails_verification(solved):
    lp, solution, prices = solved
    saturated = np.flatnonzero(prices.rent > 0)[0]
    prices.rent[saturated] *= 0.9
    with pytest.raises(VerificationError):
        check(lp, solution.x, reported_duals(lp, prices), prices)


def test_infeasible_primal_is_caught(solved):
    lp, solution, prices = solved
    x = solution.x.copy()
    x[np.argmax(x)] *= 1.5
    with pytest.raises(VerificationError) as info:
        check(lp, x, reported_duals(lp, prices), prices)
    assert "primal feasibility" in str(info.value)
