"""A changed market written into an existing LP: bounds, right-hand sides, costs, outages.

Most scenario work changes numbers, not structure: a link outage, a site
outage, a capacity or bandwidth scale, a demand growth or a cost change.
:func:`describe_change` compares a changed market (compiled, in the same
node order) with the one an LP was built for and writes what differs as
row bounds, column costs and columns to drop; anything else (a latency
limit, a payload, a new arc, a site that gains compute ...) raises
:class:`NeedsRebuild` and the caller builds afresh.

The changed market keeps the base indexing of arcs: a removed arc has
zero bandwidth and, for pricing, is a self-loop, so no path can use it;
the LP keeps its row (closed) and loses the columns that use it.
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np

from .blocks import ARC, BID, OFFER, ROUTE, SERVE, UNSERVED

__all__ = ["LPChange", "NeedsRebuild", "describe_change", "scaled_row_bounds", "column_costs"]


class NeedsRebuild(Exception):
    """A change that is not one of bounds, right-hand sides and costs of the LP."""


@dataclasses.dataclass
class LPChange:
    """A changed market written into a base LP (scaled units, base indexing).

    Attributes
    ----------
    data : MarketData
        The changed market in the base's node and arc indexing; removed
        arcs have zero bandwidth and are self-loops.
    row_lower, row_upper : ndarray
        Row bounds of the base LP for the changed market.
    cost : ndarray
        Objective coefficients of every base column.
    col_upper : ndarray
        Upper bounds of every base column (unserved demand is bounded by the demand).
    keep : ndarray of bool
        Base columns that exist in the changed market; the others are fixed at 0.
    removed_arcs : ndarray of int
        Base arcs the change removes.
    closed_rows : ndarray of int
        Capacity rows of removed arcs and outaged sites (their duals are 0).
    """

    data: object
    row_lower: np.ndarray
    row_upper: np.ndarray
    cost: np.ndarray
    col_upper: np.ndarray
    keep: np.ndarray
    removed_arcs: np.ndarray
    closed_rows: np.ndarray

    @property
    def structural(self) -> bool:
        return not bool(self.keep.all())

    def view(self, lp, routes, base_data):
        """The changed market's LP and routes: the base without the columns of removed elements.

        Routes through a removed arc go; routes to a site that lost a
        workload stay (other workloads may use them) and pricing skips them
        for that workload, as the LP does.
        """
        if not self.structural:
            return dataclasses.replace(lp, row_lower=self.row_lower, row_upper=self.row_upper,
                                       cost=self.cost, col_upper=self.col_upper), routes
        out_arc = np.zeros(base_data.n_arcs)
        out_arc[self.removed_arcs] = 1.0
        keep_routes = routes.arcs @ out_arc == 0
        new_index = np.cumsum(keep_routes) - 1
        keep = self.keep
        col_route = lp.col_route[keep]
        if len(routes):
            col_route = np.where(col_route >= 0, new_index[np.maximum(col_route, 0)], -1)
        lost = base_data.can_serve & ~self.data.can_serve
        layer_block = copy.copy(lp.blocks["layer"])
        layer_block.layers = {
            w: dataclasses.replace(lg, arc_cols=lg.arc_cols[out_arc[lg.arc_cols[:, 0]] == 0],
                                   serve_cols=lg.serve_cols[~lost[lg.serve_cols[:, 0], w]])
            for w, lg in lp.layers.items()}
        view = dataclasses.replace(
            lp, cost=self.cost[keep], matrix=lp.matrix[:, keep].tocsr(),
            row_lower=self.row_lower, row_upper=self.row_upper, col_upper=self.col_upper[keep],
            col_block=lp.col_block[keep], col_kind=lp.col_kind[keep],
            col_workload=lp.col_workload[keep], col_route=col_route, col_arc=lp.col_arc[keep],
            col_node=lp.col_node[keep], col_layer=lp.col_layer[keep],
            blocks={**lp.blocks, "layer": layer_block})
        return view, routes.subset(keep_routes)


def scaled_row_bounds(lp, data):
    """Row bounds of ``lp``'s rows for the market ``data``, scaled as the builder scales them."""
    lower, upper = lp.row_lower.copy(), lp.row_upper.copy()
    flow_unit = lp.scaling.flow_unit
    for name, rows in lp.rows.items():
        block = lp.blocks[name]
        lo, up = (np.asarray(b, dtype=float) for b in block.bounds(data))
        if block.quantity == "tokens":
            lo, up = lo / flow_unit, up / flow_unit
        lower[rows] = lo * lp.row_scale[rows]
        upper[rows] = up * lp.row_scale[rows]
    return lower, upper


def column_costs(lp, routes, data):
    """Scaled objective coefficients of every column of ``lp`` for the costs of ``data``."""
    transport = data.transport_per_mtok()
    kind, w, cost = lp.col_kind, lp.col_workload, np.zeros(lp.shape[1])
    for workload in np.unique(w[kind == ROUTE]):
        cols = np.flatnonzero((kind == ROUTE) & (w == workload))
        R = lp.col_route[cols]
        cost[cols] = data.proc_cost[routes.site[R], workload] + \
            routes.rows(R) @ transport[:, workload]
    cols = np.flatnonzero(kind == ARC)
    cost[cols] = transport[lp.col_arc[cols], w[cols]]
    cols = np.flatnonzero(kind == SERVE)
    cost[cols] = data.proc_cost[lp.col_node[cols], w[cols]]
    cols = np.flatnonzero(kind == UNSERVED)
    cost[cols] = data.voll[w[cols]]
    # Offer and bid columns are in block order (lp/offers.py).
    cost[kind == OFFER] = data.offers.premium(data.n_nodes) if data.offers is not None else 0.0
    cost[kind == BID] = -data.bids.price if data.bids is not None else 0.0
    return cost / lp.scaling.cost_unit


def _check_same_structure(base, data):
    """Raise NeedsRebuild unless ``data`` differs from ``base`` only in LP numbers."""
    if list(data.nodes) != list(base.nodes) or list(data.workloads) != list(base.workloads):
        raise NeedsRebuild("nodes or workloads differ")
    for name in ("latency_limit_ms", "bytes_per_token", "intensity", "proc_latency_ms"):
        if not np.array_equal(getattr(data, name), getattr(base, name)):
            raise NeedsRebuild(f"{name} differs")
    if not np.array_equal(np.isfinite(data.voll), np.isfinite(base.voll)):
        raise NeedsRebuild("a value of lost load was added or removed")
    if (data.can_serve & ~base.can_serve).any() or ((data.capacity > 0) & ~(base.capacity > 0)).any():
        raise NeedsRebuild("a site gains compute or a workload")
    sheddable = np.isfinite(data.voll)[None, :]
    if ((data.demand > 0) & (base.demand <= 0) & sheddable).any():
        raise NeedsRebuild("demand that may be shed appears where there was none")
    for name in ("offers", "bids"):
        mine, theirs = getattr(data, name), getattr(base, name)
        if (mine is None) != (theirs is None) or (mine is not None and not mine.same_as(theirs)):
            raise NeedsRebuild(f"{name} differ")


def _kept_arcs(base, data):
    """Position in ``base`` of each arc of ``data``; NeedsRebuild for new arcs or latencies."""
    position = {a: e for e, a in enumerate(base.arcs)}
    kept = np.array([position.get(a, -1) for a in data.arcs], dtype=np.int64)
    if (kept < 0).any():
        raise NeedsRebuild("new arcs")
    if not np.array_equal(data.latency_ms, base.latency_ms[kept]):
        raise NeedsRebuild("link latencies differ")
    return kept


def describe_change(base, lp, routes, data) -> LPChange:
    """Express a changed market ``data`` (compiled) as bounds and costs of ``lp``.

    Parameters
    ----------
    base : MarketData
        The market ``lp`` was built for.
    lp : LPModel
    routes : RouteSet
        The routes ``lp``'s route columns use.
    data : MarketData
        The changed market.

    Raises
    ------
    NeedsRebuild
        When the change is structural beyond removing links and closing sites.
    """
    _check_same_structure(base, data)
    kept = _kept_arcs(base, data)
    removed = np.setdiff1d(np.arange(base.n_arcs), kept)
    out = np.zeros(base.n_arcs)
    out[removed] = 1.0
    if len(removed) and routes.truncated:
        # A pair whose enumeration the cap cut short may, without a removed
        # arc its routes used, have routes the base LP does not have.
        names = {n: i for i, n in enumerate(base.nodes)}
        truncated = {(names[o], names[s]) for o, s in routes.truncated}
        cut = np.array([(int(o), int(s)) in truncated for o, s in zip(routes.origin, routes.site)],
                       dtype=bool)
        if ((routes.arcs @ out > 0) & cut).any():
            raise NeedsRebuild("a truncated route enumeration used a removed link")

    bandwidth = np.zeros(base.n_arcs)
    bandwidth[kept] = data.bandwidth_gbps
    cost_per_gb = base.cost_per_gb.copy()
    cost_per_gb[kept] = data.cost_per_gb
    head = base.arc_head.copy()
    head[removed] = base.arc_tail[removed]      # a self-loop: no path can use it
    view = dataclasses.replace(
        base, arc_head=head, bandwidth_gbps=bandwidth, cost_per_gb=cost_per_gb,
        voll=data.voll, demand=data.demand, capacity=data.capacity,
        proc_cost=data.proc_cost, can_serve=data.can_serve, base_cost=data.base_cost)

    lower, upper = scaled_row_bounds(lp, view)
    cost = lp.cost
    if not (np.array_equal(view.proc_cost, base.proc_cost)
            and np.array_equal(view.cost_per_gb, base.cost_per_gb)
            and np.array_equal(np.nan_to_num(view.voll), np.nan_to_num(base.voll))):
        cost = column_costs(lp, routes, view)

    col_upper = lp.col_upper.copy()
    shed = np.flatnonzero(lp.col_kind == UNSERVED)
    col_upper[shed] = view.demand[lp.col_node[shed], lp.col_workload[shed]] / lp.scaling.flow_unit

    keep = np.ones(lp.shape[1], dtype=bool)
    kind = lp.col_kind
    if len(removed):
        arcs = kind == ARC
        keep[arcs] &= out[lp.col_arc[arcs]] == 0
        on_route = kind == ROUTE
        if on_route.any():
            hit = routes.arcs @ out > 0
            keep[on_route] &= ~hit[lp.col_route[on_route]]
    lost = base.can_serve & ~view.can_serve
    if lost.any():
        serving = (kind == ROUTE) | (kind == SERVE)
        keep[serving] &= ~lost[lp.col_node[serving], lp.col_workload[serving]]
    closed_sites = np.flatnonzero(view.capacity[lp.compute_nodes] <= 0)
    closed_rows = np.concatenate([lp.rows["compute"].start + closed_sites,
                                  lp.rows["link"].start + removed]).astype(np.int64)
    return LPChange(view, lower, upper, cost, col_upper, keep, removed, closed_rows)
