"""Assemble the market LP from its named blocks: one sparse matrix, no loop per coefficient.

:class:`LPBuilder` places the row blocks one after the other, lets every
column block add its columns workload by workload (:mod:`.blocks`), and
writes the whole LP at once in scaled units (:mod:`.scaling`).  The
:class:`LPModel` it returns knows, for every row and column, the block it
belongs to, so that duals are read by name (``lp.dual("link", y)``) and
verification checks each family against its own definition.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .blocks import ARC, ROUTE, SERVE, UNSERVED, admissible_routes, standard_blocks
from .offers import market_blocks
from .scaling import Scaling, choose_scaling, power_of_two_near

__all__ = ["LPModel", "LPBuilder", "build_lp", "append_columns", "admissible_routes",
           "ROUTE", "ARC", "SERVE", "UNSERVED"]


@dataclass
class LPModel:
    """The LP in scaled units plus what each row and column means.

    Columns are ``0 <= x <= col_upper``; rows ``row_lower <= A x <= row_upper``.
    """

    cost: np.ndarray            # (J,) scaled objective coefficients
    matrix: sp.csr_matrix       # (I, J)
    row_lower: np.ndarray
    row_upper: np.ndarray
    row_scale: np.ndarray       # (I,) factor each row was multiplied by
    col_upper: np.ndarray       # (J,) in LP flow units (inf: unbounded)
    rows: dict                  # row block name -> slice of rows
    blocks: dict                # block name -> RowBlock or ColumnBlock
    col_block: np.ndarray       # (J,) index into column_blocks
    column_blocks: tuple        # names of the column blocks, in col_block's numbering
    col_kind: np.ndarray        # (J,) ROUTE / ARC / SERVE / UNSERVED
    col_workload: np.ndarray
    col_route: np.ndarray       # route index or -1
    col_arc: np.ndarray         # arc index or -1
    col_node: np.ndarray        # serving node (route, serve), origin (unserved), tail (arc)
    col_layer: np.ndarray       # layer of a layered arc or serve column, else 0
    scaling: Scaling
    n_nodes: int
    n_workloads: int

    @property
    def shape(self):
        return self.matrix.shape

    @property
    def compute_nodes(self) -> np.ndarray:
        return self.blocks["compute"].nodes

    @property
    def layers(self) -> dict:
        """``{workload: LayerGraph}`` of the layered workloads."""
        return self.blocks["layer"].layers

    @property
    def layer_rows(self) -> dict:
        """``{workload: (N, K+1) row of each (node, layer), -1 if none}``."""
        return self.blocks["layer"].rows

    def columns(self, *names) -> np.ndarray:
        """Indexes of the columns of the named column blocks."""
        codes = [self.column_blocks.index(n) for n in names if n in self.column_blocks]
        return np.flatnonzero(np.isin(self.col_block, codes))

    def dual(self, name, y) -> np.ndarray:
        """The physical result of the duals of row block ``name`` (price, scarcity, rent ...)."""
        return self.blocks[name].dual_to_result(self, np.asarray(y)[self.rows[name]])

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
        return self.blocks["demand"].row(node, workload)

    def row_names(self) -> list[str]:
        """Constraint names by block, e.g. ``demand[3,1]``, ``compute[0]``, ``link[7]``."""
        names = [f"demand[{n},{w}]" for n in range(self.n_nodes)
                 for w in range(self.n_workloads)]
        names += [f"compute[{n}]" for n in self.compute_nodes]
        rows = self.rows["link"]
        names += [f"link[{e}]" for e in range(rows.stop - rows.start)]
        for w, rows in self.layer_rows.items():
            for n, k in zip(*np.nonzero(rows >= 0)):
                if k > 0:
                    names.append(f"layer[{n},{k},{w}]")
        return names


class LPBuilder:
    """Collects rows and columns from blocks in physical units; :meth:`build` scales them.

    Parameters
    ----------
    data : MarketData
    row_blocks : list of RowBlock
        Placed in this order; each gets ``start`` (and its ``placed`` hook).
    """

    def __init__(self, data, row_blocks):
        self.data = data
        self.row_blocks = list(row_blocks)
        lower, upper, token_rows, normalise = [], [], [], []
        self.row_slices = {}
        start = 0
        for block in self.row_blocks:
            block.start = start
            if hasattr(block, "placed"):
                block.placed(start)
            lo, up = block.bounds(data)
            lower.append(np.asarray(lo, dtype=float))
            upper.append(np.asarray(up, dtype=float))
            token_rows.append(np.full(len(lo), block.quantity == "tokens"))
            normalise.append(np.full(len(lo), block.normalise))
            self.row_slices[block.name] = slice(start, start + len(lo))
            start += len(lo)
        self.n_rows = start
        self.row_lower = np.concatenate(lower) if lower else np.zeros(0)
        self.row_upper = np.concatenate(upper) if upper else np.zeros(0)
        self.token_rows = np.concatenate(token_rows) if token_rows else np.zeros(0, bool)
        self.normalise = np.concatenate(normalise) if normalise else np.zeros(0, bool)
        self._start_columns()

    def _start_columns(self, column_blocks=()):
        self.column_blocks = list(column_blocks)
        self.n_cols = 0
        self._rows, self._cols, self._vals = [], [], []
        self._columns = {key: [] for key in ("cost", "upper", "kind", "block", "workload",
                                             "route", "arc", "node", "layer")}

    @classmethod
    def for_columns(cls, lp, data) -> "LPBuilder":
        """A builder that adds columns to the rows of an existing ``lp`` (see :func:`append_columns`)."""
        builder = cls.__new__(cls)
        builder.data = data
        builder._start_columns(lp.column_blocks)
        return builder

    def add_columns(self, block, kind, w, cost, *, route=None, arc=None, node=None, layer=None,
                    upper=None) -> np.ndarray:
        """Columns of ``block`` (physical cost, $/Mtok); returns their indexes."""
        if block.name not in self.column_blocks:
            self.column_blocks.append(block.name)
        cost = np.asarray(cost, dtype=float)
        count = len(cost)

        def ints(values, fill):
            return np.full(count, fill, dtype=np.int64) if values is None else \
                np.asarray(values, dtype=np.int64)

        columns = self._columns
        columns["cost"].append(cost)
        columns["upper"].append(np.full(count, np.inf) if upper is None
                                else np.asarray(upper, dtype=float))
        columns["kind"].append(np.full(count, kind, dtype=np.int8))
        columns["block"].append(np.full(count, self.column_blocks.index(block.name),
                                        dtype=np.int8))
        columns["workload"].append(np.full(count, w, dtype=np.int64))
        columns["route"].append(ints(route, -1))
        columns["arc"].append(ints(arc, -1))
        columns["node"].append(ints(node, -1))
        columns["layer"].append(ints(layer, 0))
        ids = np.arange(self.n_cols, self.n_cols + count)
        self.n_cols += count
        return ids

    def add_entries(self, rows, cols, values) -> None:
        """Coefficients in physical units (tokens/s of flow; Gbit/s on link rows)."""
        self._rows.append(np.asarray(rows, dtype=np.int64))
        self._cols.append(np.asarray(cols, dtype=np.int64))
        self._vals.append(np.broadcast_to(np.asarray(values, dtype=float),
                                          np.shape(rows)).copy())

    def add_blocks(self, column_blocks) -> None:
        """Let each column block add its columns, workload by workload, then its others."""
        for w in range(self.data.n_workloads):
            for block in column_blocks:
                block.add(self, self.data, w)
        for block in column_blocks:
            block.finish(self, self.data)

    def build(self, blocks, scaling=None) -> LPModel:
        """The LP in scaled units (``scaling`` chosen from the data when not given)."""
        data = self.data
        columns = {key: (np.concatenate(parts) if parts else np.zeros(0))
                   for key, parts in self._columns.items()}
        cost = columns["cost"]
        if scaling is None:
            # Bids are negative costs and possible demand, offers flows too:
            # all count (a market of offers alone still gets a flow unit).
            flows = data.arrivals() if data.offers is None else \
                np.concatenate([data.arrivals().ravel(), data.offers.quantity])
            scaling = choose_scaling(flows, np.abs(cost))
        n_rows, n_cols = self.n_rows, self.n_cols
        # Flow variables in LP units of scaling.flow_unit tokens/s; token
        # rows hold tokens/s: divide them by the flow unit.  (Coefficients
        # are scaled before the one sparse matrix is assembled: no (row,
        # column) pair occurs twice, so this is the same arithmetic as
        # scaling the assembled matrix, without its copies.)
        rhs_lower = np.where(self.token_rows, self.row_lower / scaling.flow_unit, self.row_lower)
        rhs_upper = np.where(self.token_rows, self.row_upper / scaling.flow_unit, self.row_upper)
        rows = np.concatenate(self._rows) if self._rows else np.zeros(0, dtype=np.int64)
        cols = np.concatenate(self._cols) if self._cols else np.zeros(0, dtype=np.int64)
        vals = (np.concatenate(self._vals) if self._vals else np.zeros(0)) * scaling.flow_unit
        vals *= np.where(self.token_rows, 1.0 / scaling.flow_unit, 1.0)[rows]
        matrix = sp.csr_matrix((vals, (rows, cols)), shape=(n_rows, n_cols))
        matrix.sum_duplicates()
        # Capacity rows: divide by a power of two near their largest
        # coefficient (exact in floating point, so the duals unscale exactly).
        counts = np.diff(matrix.indptr)
        row_max = np.zeros(n_rows)
        nonempty = counts > 0
        if matrix.nnz:
            row_max[nonempty] = np.maximum.reduceat(np.abs(matrix.data),
                                                    matrix.indptr[:-1][nonempty])
        row_scale = np.ones(n_rows)
        row_scale[self.normalise] = 1.0 / power_of_two_near(row_max[self.normalise])
        matrix.data *= np.repeat(row_scale, counts)
        int_or_empty = {key: columns[key].astype(np.int64) for key in
                        ("workload", "route", "arc", "node", "layer")}
        return LPModel(
            cost=cost / scaling.cost_unit,
            matrix=matrix,
            row_lower=rhs_lower * row_scale,
            row_upper=rhs_upper * row_scale,
            row_scale=row_scale,
            col_upper=columns["upper"] / scaling.flow_unit,
            rows=dict(self.row_slices),
            blocks={b.name: b for b in list(self.row_blocks) + list(blocks)},
            col_block=columns["block"].astype(np.int8),
            column_blocks=tuple(self.column_blocks),
            col_kind=columns["kind"].astype(np.int8),
            col_workload=int_or_empty["workload"],
            col_route=int_or_empty["route"],
            col_arc=int_or_empty["arc"],
            col_node=int_or_empty["node"],
            col_layer=int_or_empty["layer"],
            scaling=scaling,
            n_nodes=data.n_nodes,
            n_workloads=data.n_workloads,
        )


def append_columns(lp, data, add) -> tuple[LPModel, np.ndarray]:
    """``lp`` with more columns, scaled as the builder scaled the first ones.

    ``add(builder)`` adds them (e.g. ``lambda b: block.add(b, data, w, routes)``)
    to a builder whose rows are ``lp``'s.  Returns the extended LP (a new
    object; ``lp`` is left as it was) and the indexes of the new columns.
    """
    builder = LPBuilder.for_columns(lp, data)
    add(builder)
    if builder.n_cols == 0:
        return lp, np.zeros(0, dtype=np.int64)
    token_rows = np.zeros(lp.shape[0], dtype=bool)
    for name, rows in lp.rows.items():
        token_rows[rows] = lp.blocks[name].quantity == "tokens"
    columns = {key: np.concatenate(parts) for key, parts in builder._columns.items()}
    s = lp.scaling
    rows = np.concatenate(builder._rows)
    cols = np.concatenate(builder._cols)
    # The builder's arithmetic, in its order: flow unit, token rows, row scale.
    vals = np.concatenate(builder._vals) * s.flow_unit
    vals *= np.where(token_rows, 1.0 / s.flow_unit, 1.0)[rows]
    vals *= lp.row_scale[rows]
    new = sp.csr_matrix((vals, (rows, cols)), shape=(lp.shape[0], builder.n_cols))
    new.sum_duplicates()
    ids = np.arange(lp.shape[1], lp.shape[1] + builder.n_cols)
    extended = dataclasses.replace(
        lp,
        cost=np.concatenate([lp.cost, columns["cost"] / s.cost_unit]),
        matrix=sp.hstack([lp.matrix, new], format="csr"),
        col_upper=np.concatenate([lp.col_upper, columns["upper"] / s.flow_unit]),
        col_block=np.concatenate([lp.col_block, columns["block"].astype(np.int8)]),
        column_blocks=tuple(builder.column_blocks),
        col_kind=np.concatenate([lp.col_kind, columns["kind"].astype(np.int8)]),
        **{f"col_{key}": np.concatenate([getattr(lp, f"col_{key}"),
                                         columns[key].astype(np.int64)])
           for key in ("workload", "route", "arc", "node", "layer")})
    return extended, ids


def build_lp(data, routes, *, layers=None, scaling=None) -> LPModel:
    """Assemble the LP of a compiled market from the standard blocks.

    Workloads with a finite latency limit get route columns from ``routes``,
    or, when ``layers`` holds their :class:`~netprice.lp.layers.LayerGraph`,
    arc and serve columns on the layered graph; workloads with no limit get
    arc-flow and serve columns (the transport model: exact and small).
    Workloads with a ``voll`` get an unserved column at every node with
    demand; offer and bid blocks get theirs when the market has any
    (:mod:`.offers`).
    """
    row_blocks, column_blocks = standard_blocks(data, routes, layers or {})
    column_blocks += market_blocks(data, row_blocks)
    builder = LPBuilder(data, row_blocks)
    builder.add_blocks(column_blocks)
    return builder.build(column_blocks, scaling)
