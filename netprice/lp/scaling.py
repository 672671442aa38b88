"""Units of the LP and the conversions back to user units.

The LP is written in *scaled* units so its coefficients are of order one
(docs/model.md section 2: in tokens/s and $/token GLOP and HiGHS stop 7 % above
the optimum with wrong prices).  One LP flow unit is ``flow_unit`` tokens/s
and one LP cost unit is ``cost_unit`` $/Mtok, both powers of ten near the
middle of the data's ranges; each capacity row is further divided by a power of two near
its largest coefficient.  Every conversion between LP duals and prices,
scarcity and rents lives here, with its sign: a binding ``<=`` row of a
minimisation has a non-positive dual, and netprice reports rents as
non-negative numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Scaling", "choose_scaling", "power_of_ten_near", "power_of_two_near"]

SECONDS_PER_HOUR = 3600.0
TOKENS_PER_MTOK = 1e6


def power_of_ten_near(values) -> float:
    """The power of ten at the middle of the positive values' logarithmic range (1 if none).

    The middle of the range, not the median: with many tiny transport costs
    and a few large site costs, a median unit puts the large ones at 1e9
    LP units, where round-off exceeds the verification tolerances; the
    middle keeps both ends as close to one as the data allows.

    Examples
    --------
    >>> power_of_ten_near([1e-4, 1e-4, 1e-4, 100.0])
    0.1
    """
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values) & (values > 0)]
    if values.size == 0:
        return 1.0
    logs = np.log10(values)
    return float(10.0 ** np.round((logs.min() + logs.max()) / 2))


def power_of_two_near(values) -> np.ndarray:
    """Elementwise power of two nearest each positive value (1 for zeros)."""
    values = np.asarray(values, dtype=float)
    out = np.ones_like(values)
    positive = values > 0
    out[positive] = 2.0 ** np.round(np.log2(values[positive]))
    return out


@dataclass(frozen=True)
class Scaling:
    """LP units: ``flow_unit`` tokens/s and ``cost_unit`` $/Mtok per LP unit."""

    flow_unit: float
    cost_unit: float

    @property
    def dollars_per_hour(self) -> float:
        """$/h of one LP objective unit."""
        return SECONDS_PER_HOUR * self.cost_unit * self.flow_unit / TOKENS_PER_MTOK

    def objective_per_hour(self, lp_objective: float) -> float:
        return lp_objective * self.dollars_per_hour

    def prices(self, demand_duals) -> np.ndarray:
        """$/Mtok from duals of the demand rows (``sum x + u = D``): the price directly."""
        return np.asarray(demand_duals) * self.cost_unit

    def demand_duals(self, prices) -> np.ndarray:
        return np.asarray(prices) / self.cost_unit

    def scarcity(self, compute_duals, row_scale) -> np.ndarray:
        """$/Mtok per reference token, >= 0, from duals of the compute rows."""
        return -np.asarray(compute_duals) * row_scale * self.cost_unit

    def rents(self, link_duals, row_scale) -> np.ndarray:
        """$/h per Gbit/s, >= 0, from duals of the link rows."""
        return -np.asarray(link_duals) * row_scale * self.dollars_per_hour

    def tokens(self, lp_flow) -> np.ndarray:
        """tokens/s from LP flow units."""
        return np.asarray(lp_flow) * self.flow_unit


def choose_scaling(demand, costs) -> Scaling:
    """Flow and cost units at the middle of the positive demands' and costs' ranges."""
    return Scaling(flow_unit=power_of_ten_near(demand), cost_unit=power_of_ten_near(costs))
