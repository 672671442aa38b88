"""The market LP's named blocks: constraint families (rows) and variable families (columns).

As PyPSA and linopy name their constraints and variables, every row and
every column of netprice's LP belongs to a named block.  A *row block*
knows its rows, their bounds, the unit they are written in, and how its
duals map to a result (``price``, ``scarcity``, ``rent`` ...) and back --
the sign convention is fixed here, once.  A *column block* knows which
columns it adds for each workload, their costs, the rows they enter and
what each column means (its node, arc, route, layer).

==================  ==========================================  ===========  ==========
row block           rows                                        sense        dual is
==================  ==========================================  ===========  ==========
``demand``          ``sum x + u = D`` per (node, workload)      ``=``        price
``compute``         ``sum_w a_w x <= C`` per compute site       ``<=``       -scarcity
``link``            ``sum bytes*8 x <= B`` per arc              ``<=``       -rent
``layer``           flow balance per (node, layer >= 1)         ``=``        layer value
==================  ==========================================  ===========  ==========

==================  ==========================================================
column block        columns
==================  ==========================================================
``route``           x[r, w]: tokens of w on an enumerated route
``arc``             f[e, w] and s[n, w]: arc flow and service of a workload
                    with no latency limit (the transport model)
``layered``         f[e, k, w] and s[n, k, w] on the latency-layered graph
``unserved``        u[o, w]: demand left unmet at its value of lost load
``offer``, ``bid``  q[b] and z[b]: offer and bid blocks of a two-sided market
                    (:mod:`.offers`; built only when the market has them)
==================  ==========================================================

Adding a family (a backlog over periods, an offer, a bid) is one new class
here and one line in :func:`standard_blocks`; docs/architecture.md walks
through it.
"""

from __future__ import annotations

import numpy as np

from .routes import LATENCY_SLACK_MS

__all__ = ["RowBlock", "ColumnBlock", "DemandBalance", "SiteCapacity", "LinkBandwidth",
           "LayerBalance", "RouteFlow", "ArcFlow", "LayeredFlow", "Unserved",
           "standard_blocks", "admissible_routes", "ROUTE", "ARC", "SERVE", "UNSERVED",
           "OFFER", "BID", "ROLES"]

#: What a column does, whichever block added it: carries tokens on a route,
#: on an arc, processes them at a node, or leaves them unserved; sells an
#: offer block's compute, or accepts a bid block's tokens (:mod:`.offers`).
ROUTE, ARC, SERVE, UNSERVED, OFFER, BID = 0, 1, 2, 3, 4, 5
ROLES = ("route", "arc", "serve", "unserved", "offer", "bid")


# -- rows ----------------------------------------------------------------------------------------
class RowBlock:
    """A family of constraints.

    Attributes
    ----------
    name : str
    sense : {"=", "<="}
    quantity : {"tokens", "gbps"}
        What the rows count: token rows are divided by the LP's flow unit,
        Gbit/s rows are not (their coefficients carry the unit).
    normalise : bool
        Divide each row by a power of two near its largest coefficient
        (capacity rows, whose coefficients are intensities and Gbit/s).
    result : str
        What the duals are reported as.
    """

    name = ""
    sense = "="
    quantity = "tokens"
    normalise = False
    result = ""

    def bounds(self, data):
        """``(lower, upper)`` of the rows in physical units."""
        raise NotImplementedError

    def unit(self, scaling) -> float:
        """Physical value of one LP dual unit of an unscaled row."""
        return scaling.cost_unit if self.quantity == "tokens" else scaling.dollars_per_hour

    def dual_to_result(self, lp, y):
        """Physical result values from this block's LP duals ``y``.

        A binding ``<=`` row of a minimisation has a non-positive dual;
        netprice reports its rent as a non-negative number.
        """
        sign = -1.0 if self.sense == "<=" else 1.0
        rows = lp.rows[self.name]
        return sign * np.asarray(y) * lp.row_scale[rows] * self.unit(lp.scaling)

    def result_to_dual(self, lp, values):
        """The LP duals that report ``values`` (the inverse of :meth:`dual_to_result`)."""
        sign = -1.0 if self.sense == "<=" else 1.0
        rows = lp.rows[self.name]
        return sign * np.asarray(values) / (lp.row_scale[rows] * self.unit(lp.scaling))

    def reported_dual(self, lp, prices):
        """This block's LP duals as the result reports them (what verify() checks)."""
        raise NotImplementedError


class DemandBalance(RowBlock):
    """``sum over routes of x + u = D`` at every (node, workload), in node-major order.

    For a workload without a latency limit the same row is the node's flow
    balance (tokens in, out, processed).  Its dual is the locational price.
    """

    name, sense, result = "demand", "=", "price"

    def __init__(self, data):
        self.n_workloads = data.n_workloads

    def row(self, node, workload):
        return self.start + np.asarray(node) * self.n_workloads + workload

    def bounds(self, data):
        demand = data.demand.ravel()
        return demand, demand

    def reported_dual(self, lp, prices):
        return self.result_to_dual(lp, prices.demand_duals().ravel())


class SiteCapacity(RowBlock):
    """``sum_w a_w x <= C`` at every node with compute.  Dual: -scarcity rent."""

    name, sense, normalise, result = "compute", "<=", True, "scarcity"

    def __init__(self, data):
        self.nodes = np.flatnonzero(data.capacity > 0)
        self.row_of_node = np.full(data.n_nodes, -1, dtype=np.int64)

    def placed(self, start):
        self.row_of_node[self.nodes] = start + np.arange(len(self.nodes))

    def bounds(self, data):
        lower, upper = np.full(len(self.nodes), -np.inf), data.capacity[self.nodes]
        if data.offers is not None:
            # A site that offers its capacity in blocks sells exactly what it
            # uses (lp/offers.py): its row is an equality, zero on both sides.
            offered = data.offered[self.nodes]
            lower, upper = np.where(offered, 0.0, lower), np.where(offered, 0.0, upper)
        return lower, upper

    def reported_dual(self, lp, prices):
        return self.result_to_dual(lp, prices.scarcity[self.nodes])


class LinkBandwidth(RowBlock):
    """``sum_w bytes_w * 8 x <= B`` on every arc, in Gbit/s.  Dual: -congestion rent."""

    name, sense, quantity, normalise, result = "link", "<=", "gbps", True, "rent"

    def row(self, arc):
        return self.start + np.asarray(arc)

    def bounds(self, data):
        return np.full(data.n_arcs, -np.inf), data.bandwidth_gbps

    def reported_dual(self, lp, prices):
        return self.result_to_dual(lp, prices.rent)


class LayerBalance(RowBlock):
    """Flow balance at every kept (node, layer >= 1) of each layered workload.

    Layer 0 is the demand row itself.  The dual is the cheapest completion
    from that (node, layer), in $/Mtok.
    """

    name, sense, result = "layer", "=", "layer_value"

    def __init__(self, data, layers, demand):
        self.layers = layers
        self.demand = demand
        self.n_nodes = data.n_nodes
        self.rows = {}

    def size(self):
        return sum(int(lg.alive[:, 1:].sum()) for lg in self.layers.values())

    def placed(self, start):
        for w, lg in self.layers.items():
            rows_w = np.full(lg.alive.shape, -1, dtype=np.int64)
            rows_w[:, 0] = self.demand.row(np.arange(self.n_nodes), w)
            deeper = lg.alive.copy()
            deeper[:, 0] = False
            count = int(deeper.sum())
            rows_w[deeper] = start + np.arange(count)
            start += count
            self.rows[w] = rows_w

    def bounds(self, data):
        zeros = np.zeros(self.size())
        return zeros, zeros

    def reported_dual(self, lp, prices):
        # Row order is the row-major order of each workload's kept (node, layer >= 1).
        values = [prices.layer_values[w][self._deeper(rows)] for w, rows in self.rows.items()]
        return self.result_to_dual(lp, np.concatenate(values) if values else np.zeros(0))

    @staticmethod
    def _deeper(rows):
        deeper = rows >= 0
        deeper[:, 0] = False
        return deeper


# -- columns -----------------------------------------------------------------------------------
class ColumnBlock:
    """A family of variables.

    The builder calls :meth:`add` for each workload in turn (a block adds
    nothing for a workload it does not apply to), then :meth:`finish` once
    for columns that belong to no single workload.
    """

    name = ""

    def add(self, builder, data, w):
        pass

    def finish(self, builder, data):
        pass


def admissible_routes(data, routes, w):
    """Indexes of the routes that serve workload w within its latency limit."""
    if len(routes) == 0:
        return np.zeros(0, dtype=np.int64)
    site = routes.site
    total = routes.latency_ms + data.proc_latency_ms[site, w]
    ok = data.can_serve[site, w] & (total <= data.latency_limit_ms[w] + LATENCY_SLACK_MS)
    return np.flatnonzero(ok)


class RouteFlow(ColumnBlock):
    """x[r, w]: tokens of a latency-limited workload on one admissible route.

    Cost: processing at the route's site plus transport along it.  Enters
    the origin's demand row, the site's compute row and each arc's link row.
    """

    name = "route"

    def __init__(self, routes, demand, compute, link, layered=()):
        self.routes, self.demand, self.compute, self.link = routes, demand, compute, link
        self.layered = set(layered)

    def add(self, builder, data, w, routes=None, among=None):
        """Columns of workload ``w`` for the admissible routes (of ``among``, when given)."""
        if not np.isfinite(data.latency_limit_ms[w]) or w in self.layered:
            return None
        routes = self.routes if routes is None else routes
        R = admissible_routes(data, routes, w)
        if among is not None:
            R = R[np.isin(R, among)]
        incidence = routes.rows(R)
        site = routes.site[R]
        transport = data.transport_per_mtok()[:, w]
        ids = builder.add_columns(self, ROUTE, w, data.proc_cost[site, w] + incidence @ transport,
                                  route=R, node=site)
        counts = np.diff(incidence.indptr)
        builder.add_entries(self.demand.row(routes.origin[R], w), ids, 1.0)
        builder.add_entries(self.compute.row_of_node[site], ids, data.intensity[w])
        builder.add_entries(self.link.row(incidence.indices), np.repeat(ids, counts),
                            data.gbps_per_token_rate()[w])
        return ids


class ArcFlow(ColumnBlock):
    """The transport model of a workload with no latency limit.

    f[e, w] >= 0 on every arc (cost: transport) and s[n, w] >= 0 at every
    site that serves w (cost: processing); the demand rows are the nodes'
    flow balances.  Exact and small: no routes to enumerate.
    """

    name = "arc"

    def __init__(self, demand, compute, link):
        self.demand, self.compute, self.link = demand, compute, link

    def add(self, builder, data, w):
        if np.isfinite(data.latency_limit_ms[w]):
            return
        E = data.n_arcs
        ids = builder.add_columns(self, ARC, w, data.transport_per_mtok()[:, w],
                                  arc=np.arange(E), node=data.arc_tail)
        builder.add_entries(self.demand.row(data.arc_tail, w), ids, 1.0)
        builder.add_entries(self.demand.row(data.arc_head, w), ids, -1.0)
        builder.add_entries(self.link.row(np.arange(E)), ids, data.gbps_per_token_rate()[w])
        sites = np.flatnonzero(data.can_serve[:, w])
        ids = builder.add_columns(self, SERVE, w, data.proc_cost[sites, w], node=sites)
        builder.add_entries(self.demand.row(sites, w), ids, 1.0)
        builder.add_entries(self.compute.row_of_node[sites], ids, data.intensity[w])


class LayeredFlow(ColumnBlock):
    """Arc and service columns of a latency-limited workload on its layered graph.

    f[e, k, w] moves tokens from (tail, k) to (head, k + steps[e]); s[n, k, w]
    processes them at a site reached at layer k with time left to process.
    """

    name = "layered"

    def __init__(self, layer_rows, compute, link):
        self.layer_rows, self.compute, self.link = layer_rows, compute, link

    def add(self, builder, data, w):
        if w not in self.layer_rows.layers:
            return
        lg, rows_w = self.layer_rows.layers[w], self.layer_rows.rows[w]
        arcs, ks = lg.arc_cols[:, 0], lg.arc_cols[:, 1]
        ids = builder.add_columns(self, ARC, w, data.transport_per_mtok()[arcs, w], arc=arcs,
                                  node=data.arc_tail[arcs], layer=ks)
        builder.add_entries(rows_w[data.arc_tail[arcs], ks], ids, 1.0)
        builder.add_entries(rows_w[data.arc_head[arcs], ks + lg.arc_steps[arcs]], ids, -1.0)
        builder.add_entries(self.link.row(arcs), ids, data.gbps_per_token_rate()[w])
        sites, ks = lg.serve_cols[:, 0], lg.serve_cols[:, 1]
        ids = builder.add_columns(self, SERVE, w, data.proc_cost[sites, w], node=sites, layer=ks)
        builder.add_entries(rows_w[sites, ks], ids, 1.0)
        builder.add_entries(self.compute.row_of_node[sites], ids, data.intensity[w])


class Unserved(ColumnBlock):
    """0 <= u[o, w] <= D[o, w]: demand left unmet at its value of lost load.

    Only where there is demand, and never more than it: an unserved column
    at a node without demand (or a larger one) would let the LP ship other
    nodes' tokens there and shed them -- demand shed where there is none,
    and traffic nobody sent (docs/model.md section 8).
    """

    name = "unserved"

    def __init__(self, demand):
        self.demand = demand

    def add(self, builder, data, w):
        if not np.isfinite(data.voll[w]):
            return
        origins = np.flatnonzero(data.demand[:, w] > 0)
        ids = builder.add_columns(self, UNSERVED, w, np.full(len(origins), data.voll[w]),
                                  node=origins, upper=data.demand[origins, w])
        builder.add_entries(self.demand.row(origins, w), ids, 1.0)


def standard_blocks(data, routes, layers):
    """The row and column blocks of the market of docs/model.md section 3, in LP order.

    Rows: demand, compute, link, layer.  Columns, workload by workload: its
    layered, route or arc flows (whichever its limit and the formulation
    call for), then its unserved demand.
    """
    demand = DemandBalance(data)
    compute = SiteCapacity(data)
    link = LinkBandwidth()
    layer = LayerBalance(data, layers, demand)
    columns = [LayeredFlow(layer, compute, link),
               RouteFlow(routes, demand, compute, link, layered=layers),
               ArcFlow(demand, compute, link), Unserved(demand)]
    return [demand, compute, link, layer], columns
