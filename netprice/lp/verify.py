"""Karush-Kuhn-Tucker checks: no price leaves netprice unchecked.

The checks run on the LP in its scaled units (coefficients of order one,
see :mod:`netprice.lp.scaling`), with the *reported* duals: every row block
maps the results it reports (prices, scarcity, rents ...) back to its LP
duals (:meth:`~netprice.lp.blocks.RowBlock.reported_dual`), so what is
checked is exactly what the user reads.  Tolerances are
absolute in scaled units unless marked relative:

=========================  =======================================  ==========
check                      measure                                  tolerance
=========================  =======================================  ==========
primal feasibility         row activity outside its bounds,         1e-7 x (1 + |bound|)
                           negative variables
dual feasibility           negative reduced cost, wrong-signed      1e-7 x (1 + |cost|)
                           dual of a capacity row
complementary slackness    |dual x slack|, |x x reduced cost|       1e-7
strong duality             |c'x - b'y| / max(1, |c'x|)              1e-8 (relative)
price decomposition        |sum of parts - price| / max(1, price)   1e-9 (relative)
=========================  =======================================  ==========
"""

from __future__ import annotations

import numpy as np

from ..errors import VerificationError

__all__ = ["TOLERANCES", "kkt_violations", "check"]

TOLERANCES = {
    "primal feasibility": 1e-7,
    "dual feasibility": 1e-7,
    "complementary slackness": 1e-7,
    "strong duality": 1e-8,
    "price decomposition": 1e-9,
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
    complementary = max(
        float(np.max(np.abs(y * slack), initial=0.0)),
        float(np.max(np.abs(x[~bounded] * reduced[~bounded]), initial=0.0)),
        float(np.max(np.abs(x[bounded] * np.maximum(reduced[bounded], 0.0)), initial=0.0)),
        float(np.max(np.abs((lp.col_upper[bounded] - x[bounded]) * at_upper), initial=0.0)),
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


def check(lp, x, y, prices=None) -> dict:
    """Run :func:`kkt_violations` and raise VerificationError if any check fails."""
    checks = kkt_violations(lp, x, y, prices)
    failed = [name for name, (value, tol) in checks.items() if not value <= tol]
    if failed:
        raise VerificationError(checks, failed)
    return checks
