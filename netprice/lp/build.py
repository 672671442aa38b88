"""Build the market LP from arrays: one sparse matrix, no loop per coefficient.

Rows, in this order and named by kind (:attr:`LPModel.blocks`):

* ``demand[n, w]``  ``sum x + u = D``             dual: price (free sign)
* ``compute[n]``    ``sum_w a_w x <= C``          dual: -scarcity (<= 0)
* ``link[e]``       ``sum bytes*8 x <= B``        dual: -rent (<= 0)
* ``layer[n, k, w]`` flow balance at (node, layer k >= 1) of a layered workload

Columns, by kind (:data:`COLUMN_KINDS`):

* ``route``    x[r, w], tokens of w on an enumerated route (latency-limited w)
* ``arc``      f[e, w], arc flow of a workload with no latency limit, or
               f[e, k, w] from layer k of a layered workload (:mod:`.layers`)
* ``serve``    s[n, w] (or s[n, k, w]), tokens processed at n
* ``unserved`` u[o, w], demand left unmet at its value of lost load
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..routes import LATENCY_SLACK_MS
from .scaling import Scaling, choose_scaling, power_of_two_near

__all__ = ["LPModel", "build_lp", "COLUMN_KINDS", "ROUTE", "ARC", "SERVE", "UNSERVED"]

ROUTE, ARC, SERVE, UNSERVED = 0, 1, 2, 3
COLUMN_KINDS = ("route", "arc", "serve", "unserved")


@dataclass
class LPModel:
    """The LP in scaled units plus what each row and column means."""

    cost: np.ndarray            # (J,) scaled objective coefficients
    matrix: sp.csr_matrix       # (I, J)
    row_lower: np.ndarray
    row_upper: np.ndarray
    blocks: dict                # kind -> slice of rows
    compute_nodes: np.ndarray   # node index of each compute row
    row_scale: np.ndarray       # (I,) factor each row was multiplied by
    col_kind: np.ndarray        # (J,) ROUTE / ARC / SERVE / UNSERVED
    col_workload: np.ndarray
    col_route: np.ndarray       # route index or -1
    col_arc: np.ndarray         # arc index or -1
    col_node: np.ndarray        # serving node (route, serve), origin (unserved), tail (arc)
    col_layer: np.ndarray       # layer of a layered arc or serve column, else 0
    scaling: Scaling
    n_nodes: int
    n_workloads: int
    layers: dict                # workload -> LayerGraph, for layered workloads
    layer_rows: dict            # workload -> (N, K+1) row of each (node, layer), -1 if none

    @property
    def shape(self):
        return self.matrix.shape

    def node_workload_totals(self, values, kinds) -> np.ndarray:
        """(N, W) sums of ``values`` over the columns of the given kinds, by node and workload.

        ``col_node`` is the serving node of route and serve columns and the
        origin of unserved ones, so this gives service or unmet demand.
        """
        total = np.zeros((self.n_nodes, self.n_workloads))
        cols = np.flatnonzero(np.isin(self.col_kind, kinds))
        np.add.at(total, (self.col_node[cols], self.col_workload[cols]), values[cols])
        return total

    def demand_row(self, node, workload):
        return node * self.n_workloads + workload

    def row_names(self) -> list[str]:
        """Constraint names by kind, e.g. ``demand[3,1]``, ``compute[0]``, ``link[7]``."""
        names = [f"demand[{n},{w}]" for n in range(self.n_nodes)
                 for w in range(self.n_workloads)]
        names += [f"compute[{n}]" for n in self.compute_nodes]
        names += [f"link[{e}]" for e in range(self.blocks["link"].stop
                                              - self.blocks["link"].start)]
        for w, rows in self.layer_rows.items():
            for n, k in zip(*np.nonzero(rows >= 0)):
                if k > 0:
                    names.append(f"layer[{n},{k},{w}]")
        return names


def _spread(ptr, rows):
    """Flat positions of the slices ``[ptr[r], ptr[r+1])`` for each r in ``rows``."""
    counts = ptr[rows + 1] - ptr[rows]
    total = int(counts.sum())
    starts = np.repeat(ptr[rows], counts)
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    return starts + offsets, counts


def admissible_routes(data, routes, w):
    """Indexes of the routes that serve workload w within its latency limit."""
    if len(routes) == 0:
        return np.zeros(0, dtype=np.int64)
    site = routes.site
    total = routes.latency_ms + data.proc_latency_ms[site, w]
    ok = data.can_serve[site, w] & (total <= data.latency_limit_ms[w] + LATENCY_SLACK_MS)
    return np.flatnonzero(ok)


def build_lp(data, routes, *, layers=None, scaling=None) -> LPModel:
    """Assemble the LP of a compiled market.

    Workloads with a finite latency limit get route columns from ``routes``,
    or, when ``layers`` holds their :class:`~netprice.lp.layers.LayerGraph`,
    arc and serve columns on the layered graph; workloads with no limit get
    arc-flow and serve columns (the transport model: exact and small).
    Workloads with a ``voll`` get an unserved column at every node.
    """
    layers = layers or {}
    N, W, E = data.n_nodes, data.n_workloads, data.n_arcs
    compute_nodes = np.flatnonzero(data.capacity > 0)
    compute_row = np.full(N, -1, dtype=np.int64)
    compute_row[compute_nodes] = N * W + np.arange(len(compute_nodes))
    link_row0 = N * W + len(compute_nodes)
    n_rows = link_row0 + E
    layer_rows = {}
    for w, lg in layers.items():
        rows_w = np.full(lg.alive.shape, -1, dtype=np.int64)
        rows_w[:, 0] = np.arange(N) * W + w
        deeper = lg.alive.copy()
        deeper[:, 0] = False
        count = int(deeper.sum())
        rows_w[deeper] = n_rows + np.arange(count)
        n_rows += count
        layer_rows[w] = rows_w
    transport = data.transport_per_mtok()          # (E, W) $/Mtok
    gbps = data.gbps_per_token_rate()               # (W,) Gbit/s per token/s

    rows, cols, vals = [], [], []                   # physical coefficients, flow in tokens/s
    cost, kind, wl, route_of, arc_of, node_of, layer_of = [], [], [], [], [], [], []
    n_cols = 0

    def add_columns(count, col_cost, col_kind, w, route=None, arc=None, node=None, layer=None):
        nonlocal n_cols
        layer_of.append(np.zeros(count, dtype=np.int64) if layer is None else layer)
        ids = np.arange(n_cols, n_cols + count)
        cost.append(np.asarray(col_cost, dtype=float))
        kind.append(np.full(count, col_kind, dtype=np.int8))
        wl.append(np.full(count, w, dtype=np.int64))
        route_of.append(np.full(count, -1, dtype=np.int64) if route is None else route)
        arc_of.append(np.full(count, -1, dtype=np.int64) if arc is None else arc)
        node_of.append(np.full(count, -1, dtype=np.int64) if node is None else node)
        n_cols += count
        return ids

    def add_entries(r, c, v):
        rows.append(np.asarray(r, dtype=np.int64))
        cols.append(np.asarray(c, dtype=np.int64))
        vals.append(np.broadcast_to(np.asarray(v, dtype=float), np.shape(r)).copy())

    for w in range(W):
        if w in layers:
            lg, rows_w = layers[w], layer_rows[w]
            arcs, ks = lg.arc_cols[:, 0], lg.arc_cols[:, 1]
            ids = add_columns(len(arcs), transport[arcs, w], ARC, w, arc=arcs,
                              node=data.arc_tail[arcs], layer=ks)
            add_entries(rows_w[data.arc_tail[arcs], ks], ids, 1.0)
            add_entries(rows_w[data.arc_head[arcs], ks + lg.arc_steps[arcs]], ids, -1.0)
            add_entries(link_row0 + arcs, ids, gbps[w])
            sites, ks = lg.serve_cols[:, 0], lg.serve_cols[:, 1]
            ids = add_columns(len(sites), data.proc_cost[sites, w], SERVE, w, node=sites,
                              layer=ks)
            add_entries(rows_w[sites, ks], ids, 1.0)
            add_entries(compute_row[sites], ids, data.intensity[w])
        elif np.isfinite(data.latency_limit_ms[w]):
            R = admissible_routes(data, routes, w)
            site = routes.site[R]
            positions, counts = _spread(routes.arc_ptr, R)
            arcs = routes.arc_idx[positions]
            route_transport = np.bincount(np.repeat(np.arange(len(R)), counts),
                                          weights=transport[arcs, w], minlength=len(R))
            ids = add_columns(len(R), data.proc_cost[site, w] + route_transport, ROUTE, w,
                              route=R, node=site)
            add_entries(routes.origin[R] * W + w, ids, 1.0)
            add_entries(compute_row[site], ids, data.intensity[w])
            add_entries(link_row0 + arcs, np.repeat(ids, counts), gbps[w])
        else:
            ids = add_columns(E, transport[:, w], ARC, w, arc=np.arange(E), node=data.arc_tail)
            add_entries(data.arc_tail * W + w, ids, 1.0)
            add_entries(data.arc_head * W + w, ids, -1.0)
            add_entries(link_row0 + np.arange(E), ids, gbps[w])
            sites = np.flatnonzero(data.can_serve[:, w])
            ids = add_columns(len(sites), data.proc_cost[sites, w], SERVE, w, node=sites)
            add_entries(sites * W + w, ids, 1.0)
            add_entries(compute_row[sites], ids, data.intensity[w])
        if np.isfinite(data.voll[w]):
            # At every node, not only where demand is: the price at a node
            # without demand is then capped by voll as the LP sees it.
            origins = np.arange(N)
            ids = add_columns(len(origins), np.full(len(origins), data.voll[w]), UNSERVED, w,
                              node=origins)
            add_entries(origins * W + w, ids, 1.0)

    cost = np.concatenate(cost) if cost else np.zeros(0)
    if scaling is None:
        scaling = choose_scaling(data.demand, cost)
    link_end = link_row0 + E
    n_layer_rows = n_rows - link_end
    rhs_upper = np.concatenate([data.demand.ravel(), data.capacity[compute_nodes],
                                data.bandwidth_gbps, np.zeros(n_layer_rows)])
    rhs_lower = np.concatenate([data.demand.ravel(), np.full(len(compute_nodes) + E, -np.inf),
                                np.zeros(n_layer_rows)])
    # Flow variables in LP units of scaling.flow_unit tokens/s; demand,
    # compute and layer rows hold tokens/s: divide them by the flow unit.
    # (Coefficients are scaled before the one sparse matrix is assembled: no
    # (row, column) pair occurs twice, so this is the same arithmetic as
    # scaling the assembled matrix, without its copies.)
    token_rows = np.ones(n_rows, dtype=bool)
    token_rows[link_row0:link_end] = False
    rhs_upper[token_rows] /= scaling.flow_unit
    rhs_lower[token_rows] /= scaling.flow_unit
    rows = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    cols = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    vals = (np.concatenate(vals) if vals else np.zeros(0)) * scaling.flow_unit
    vals *= np.where(token_rows, 1.0 / scaling.flow_unit, 1.0)[rows]
    matrix = sp.csr_matrix((vals, (rows, cols)), shape=(n_rows, n_cols))
    matrix.sum_duplicates()
    # Capacity rows: divide by a power of two near their largest coefficient
    # (exact in floating point, so the duals unscale exactly).
    counts = np.diff(matrix.indptr)
    row_max = np.zeros(n_rows)
    nonempty = counts > 0
    if matrix.nnz:
        row_max[nonempty] = np.maximum.reduceat(np.abs(matrix.data),
                                                matrix.indptr[:-1][nonempty])
    row_scale = np.ones(n_rows)
    capacity_rows = slice(N * W, link_end)
    row_scale[capacity_rows] = 1.0 / power_of_two_near(row_max[capacity_rows])
    matrix.data *= np.repeat(row_scale, counts)
    return LPModel(
        cost=cost / scaling.cost_unit,
        matrix=matrix,
        row_lower=rhs_lower * row_scale,
        row_upper=rhs_upper * row_scale,
        blocks={"demand": slice(0, N * W), "compute": slice(N * W, link_row0),
                "link": slice(link_row0, link_end), "layer": slice(link_end, n_rows)},
        compute_nodes=compute_nodes,
        row_scale=row_scale,
        col_kind=np.concatenate(kind) if kind else np.zeros(0, dtype=np.int8),
        col_workload=np.concatenate(wl) if wl else np.zeros(0, dtype=np.int64),
        col_route=np.concatenate(route_of) if route_of else np.zeros(0, dtype=np.int64),
        col_arc=np.concatenate(arc_of) if arc_of else np.zeros(0, dtype=np.int64),
        col_node=np.concatenate(node_of) if node_of else np.zeros(0, dtype=np.int64),
        col_layer=np.concatenate(layer_of) if layer_of else np.zeros(0, dtype=np.int64),
        scaling=scaling,
        n_nodes=N,
        n_workloads=W,
        layers=layers,
        layer_rows=layer_rows,
    )
