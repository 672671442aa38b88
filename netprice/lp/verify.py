"""Karush-Kuhn-Tucker checks and price definitions: no price leaves netprice unchecked.

The LP checks run in its scaled units (coefficients of order one, see
:mod:`netprice.lp.scaling`), with the *reported* duals: every row block
maps the results it reports (prices, scarcity, rents ...) back to its LP
duals (:meth:`~netprice.lp.blocks.RowBlock.reported_dual`), so what is
checked is exactly what the user reads.  Then every price is checked
against its own definition (docs/model.md section 8), each part of it too,
and, for the exact formulation, the route certificate: no admissible
route -- listed in the LP or not -- costs less than the price it serves.

=======================  ============================================  =========
check                    measure                                       tolerance
=======================  ============================================  =========
primal feasibility       row activity outside its bounds, variables    1e-7
                         outside theirs; relative to 1 + |bound|
dual feasibility         negative reduced cost of an unbounded         1e-7
                         column (relative to 1 + |cost|), wrong-signed
                         dual of a capacity row
complementary slackness  |dual x slack| and |x x reduced cost|,        1e-7
                         relative to the size of both factors
strong duality           |c'x - b'y + u'z| / max(1, |c'x|)             1e-8
price decomposition      |sum of parts - price| / max(1, |price|)      1e-9
price parts              each part against its own definition along    1e-9
                         the pricing route / max(1, |price|)
zero-demand prices       price at a node without demand against the    1e-9
                         cheapest admissible way to serve a token there
route certificate        most negative reduced cost of any admissible  1e-7
                         route / max(|price|, cost unit) (exact only)
=======================  ============================================  =========
"""

from __future__ import annotations

import numpy as np

from ..errors import VerificationError

__all__ = ["TOLERANCES", "kkt_violations", "price_violations", "check", "reported_duals"]

TOLERANCES = {
    "primal feasibility": 1e-7,
    "dual feasibility": 1e-7,
    "complementary slackness": 1e-7,
    "strong duality": 1e-8,
    "price decomposition": 1e-9,
    "price parts": 1e-9,
    "zero-demand prices": 1e-9,
    "route certificate": 1e-7,
}


def reported_duals(lp, prices) -> np.ndarray:
    """The LP dual vector that reports ``prices``: each row block maps its own results back."""
    y = np.zeros(lp.matrix.shape[0])
    for name, rows in lp.rows.items():
        if rows.stop > rows.start:
            y[rows] = lp.blocks[name].reported_dual(lp, prices)
    return y


def kkt_violations(lp, x, y, prices=None) -> dict:
    """Worst violation of each KKT condition: ``{check: (violation, tolerance)}``.

    Columns are ``0 <= x <= col_upper``: a column with a finite upper bound
    may have a negative reduced cost (it is then at its bound), which the
    strong-duality identity credits as ``upper x reduced cost``.
    """
    A, c = lp.matrix, lp.cost
    activity = A @ x
    lower, upper = lp.row_lower, lp.row_upper
    bounded = np.isfinite(lp.col_upper)
    finite_lower = np.isfinite(lower)
    primal = max(
        float(np.max(-x, initial=0.0)),
        float(np.max((x - lp.col_upper)[bounded] / (1 + lp.col_upper[bounded]), initial=0.0)),
        float(np.max((lower[finite_lower] - activity[finite_lower])
                     / (1 + np.abs(lower[finite_lower])), initial=0.0)),
        float(np.max((activity - upper) / (1 + np.abs(upper)), initial=0.0)),
    )
    reduced = c - A.T @ y
    inequality = ~finite_lower
    dual = max(
        float(np.max(-reduced[~bounded] / (1 + np.abs(c[~bounded])), initial=0.0)),
        float(np.max(y[inequality], initial=0.0)),
    )
    slack = np.where(inequality, upper - activity, 0.0)
    at_upper = np.maximum(-reduced[bounded], 0.0)
    # Relative to the size of the two factors: a product of 1e-9 reduced
    # cost and 700 units of flow is round-off, not a violated condition.
    row_size = (1 + np.abs(y)) * (1 + np.abs(np.where(inequality, upper, 0.0)))
    col_size = (1 + np.abs(x)) * (1 + np.abs(c))
    room = lp.col_upper[bounded] - x[bounded]
    complementary = max(
        float(np.max(np.abs(y * slack) / row_size, initial=0.0)),
        float(np.max(np.abs(x[~bounded] * reduced[~bounded]) / col_size[~bounded],
                     initial=0.0)),
        float(np.max(np.abs(x[bounded] * np.maximum(reduced[bounded], 0.0))
                     / col_size[bounded], initial=0.0)),
        float(np.max(np.abs(room * at_upper) / ((1 + np.abs(room)) * (1 + np.abs(c[bounded]))),
                     initial=0.0)),
    )
    primal_objective = float(c @ x)
    rhs = np.where(finite_lower, lower, upper)
    dual_objective = float(rhs @ y) - float(lp.col_upper[bounded] @ at_upper)
    gap = abs(primal_objective - dual_objective) / max(1.0, abs(primal_objective))
    result = {
        "primal feasibility": primal,
        "dual feasibility": dual,
        "complementary slackness": complementary,
        "strong duality": gap,
    }
    if prices is not None:
        finite = np.isfinite(prices.price)
        total = prices.parts.sum(axis=2)
        error = np.abs(total - prices.price)[finite] / np.maximum(1.0, np.abs(prices.price[finite]))
        result["price decomposition"] = float(np.max(error, initial=0.0))
    return {name: (value, TOLERANCES[name]) for name, value in result.items()}


def price_violations(data, routes, lp, prices, x=None, oracle=None, reference=None) -> dict:
    """Every price and every part of it against its own definition.

    The prices are recomputed from the reported scarcity and rents alone
    (:func:`~netprice.lp.duals.prices_from_duals`), over every admissible
    route when ``oracle`` is given (the exact formulation): a node without
    demand must be priced at exactly the cheapest way to serve a token
    there, and no route may serve a node with demand for less than its
    price (the certificate).  ``reference``: the prices as first computed
    (an untouched copy), used when the reported scarcity and rents are still
    the ones they were computed from.
    """
    from .duals import demand_side_value, price_parts, prices_from_duals

    if reference is None or not (np.array_equal(reference.scarcity, prices.scarcity)
                                 and np.array_equal(reference.rent, prices.rent)):
        reference = prices_from_duals(data, routes, lp, prices.scarcity, prices.rent, x, oracle)
    price = prices.price
    scale = np.maximum(1.0, np.abs(np.nan_to_num(price)))
    # Each part by its definition along the route the price names.
    parts = price_parts(data, prices.scarcity, prices.rent, prices.site, prices.path)
    shed = prices.site < 0
    parts[shed] = 0.0
    # Set by the demand left out: voll, or the dearest rejected bid (section 10).
    parts[shed, -1] = np.where(np.isfinite(price[shed]), demand_side_value(data)[shed], 0.0)
    finite = np.isfinite(price)
    part_error = np.abs(parts - np.nan_to_num(prices.parts)).max(axis=2) / scale
    # Without demand: exactly the cheapest way to serve (nan where none exists).
    empty = data.demand <= 0
    mismatch = empty & (np.isfinite(reference.price) != finite)
    with np.errstate(invalid="ignore"):
        zero_error = np.where(empty & finite & np.isfinite(reference.price),
                              np.abs(price - reference.price) / scale, 0.0)
    result = {
        "price parts": float(np.max(np.where(finite, part_error, 0.0), initial=0.0)),
        "zero-demand prices": np.inf if mismatch.any() else float(zero_error.max(initial=0.0)),
    }
    if oracle is not None:
        # The certificate: no admissible route, listed or not, undercuts a
        # demand row's dual (its most negative reduced cost, relative) --
        # every row with demand or bids, as both constrain the LP.
        dual = prices.demand_duals()
        pairs = (data.arrivals() > 0) & np.isfinite(data.latency_limit_ms)[None, :]
        unit = np.maximum(np.abs(dual), lp.scaling.cost_unit)
        _, _, reduced = oracle.improving(prices.scarcity, prices.rent, dual, pairs,
                                         tolerance=0.0)
        result["route certificate"] = float(np.max(-reduced / unit, initial=0.0))
    return {name: (value, TOLERANCES[name]) for name, value in result.items()}


def check(lp, x, y, prices=None, *, data=None, routes=None, oracle=None, reference=None) -> dict:
    """Run the KKT checks (and, given ``data``, the price checks); raise VerificationError if any fails."""
    checks = kkt_violations(lp, x, y, prices)
    if prices is not None and data is not None:
        checks.update(price_violations(data, routes, lp, prices, x, oracle, reference))
    failed = [name for name, (value, tol) in checks.items() if not value <= tol]
    if failed:
        raise VerificationError(checks, failed)
    return checks
