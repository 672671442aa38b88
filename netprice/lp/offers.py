"""Offer and bid blocks: the two-sided market of MODEL.md section 10 as LP columns.

A site whose capacity is offered in blocks gets one column per block,
``0 <= q[b] <= capacity[b]`` at the block's price ($/Mtok per reference
token), and its compute row becomes::

    sum_w a[w] x[routes ending at the site]  -  sum_b q[b]  <=  0

so the row's dual -- reported as the site's ``scarcity`` -- is its
*marginal offer price*, and its routes carry no processing cost (the blocks
do).  Nothing else changes: the pricing oracle reads processing cost 0 and
the row's dual there, and prices split as before, the "scarcity" part
being what the site's last accepted block costs.

A bid block at (node, workload) is a column ``0 <= z[b] <= tokens_per_s[b]``
at cost ``-price[b]`` entering the demand row with -1::

    sum x + u - sum_b z[b] = D

so the LP minimises cost minus the accepted bids' value: it maximises
welfare.  The row's dual is still the locational price; a block bidding
above it is accepted in full, below it rejected, at it possibly in part.

Without offers and bids none of this is built: the LP is the market of
section 3, column for column.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .blocks import BID, OFFER, ColumnBlock

__all__ = ["Blocks", "compile_curves", "OfferSupply", "BidDemand", "market_blocks"]


@dataclass(frozen=True)
class Blocks:
    """The blocks of every offer curve, or of every bid curve, of a market.

    Offers are in node order; bids in workload order, then node order (the
    order the LP adds their columns in).  Within a curve, blocks keep the
    order the user listed them in (``rank``).

    Attributes
    ----------
    node : ndarray of int (K,)
    workload : ndarray of int (K,)
        The bid's workload; -1 for offers (a site's offer serves every
        workload it runs).
    rank : ndarray of int (K,)
        Position of the block in its curve, from 0.
    quantity : ndarray (K,)
        Offers: reference tokens/s; bids: tokens/s.
    price : ndarray (K,)
        Offers: $/Mtok per reference token; bids: $/Mtok.
    """

    node: np.ndarray
    workload: np.ndarray
    rank: np.ndarray
    quantity: np.ndarray
    price: np.ndarray

    def __len__(self) -> int:
        return len(self.node)

    def per_node(self, n_nodes) -> np.ndarray:
        """(N,) total quantity of each node's blocks."""
        return np.bincount(self.node, weights=self.quantity, minlength=n_nodes)

    def per_node_workload(self, n_nodes, n_workloads) -> np.ndarray:
        """(N, W) total quantity of each (node, workload)'s bids."""
        total = np.zeros((n_nodes, n_workloads))
        np.add.at(total, (self.node, self.workload), self.quantity)
        return total

    def same_as(self, other) -> bool:
        """Whether ``other`` holds the same blocks (None: no blocks)."""
        if other is None:
            return False
        return all(np.array_equal(getattr(self, name), getattr(other, name))
                   for name in ("node", "workload", "rank", "quantity", "price"))

    def at_price(self, price) -> "Blocks":
        """The same blocks, every one at ``price``."""
        return Blocks(self.node, self.workload, self.rank, self.quantity,
                      np.full(len(self), float(price)))


def _blocks(rows) -> Blocks | None:
    if not rows:
        return None
    node, workload, rank, quantity, price = (np.array(column) for column in zip(*rows))
    return Blocks(node.astype(np.int64), workload.astype(np.int64), rank.astype(np.int64),
                  quantity.astype(float), price.astype(float))


def compile_curves(G, workloads) -> tuple[Blocks | None, Blocks | None]:
    """The offer and bid blocks of a (validated) network, in node order of ``G``.

    Returns ``(offers, bids)``; each is None when no node has any.
    """
    offers, bids = [], []
    w_index = {w: j for j, w in enumerate(workloads)}
    for i, (_, data) in enumerate(G.nodes(data=True)):
        for k, block in enumerate(data.get("offers") or ()):
            offers.append((i, -1, k, float(block["capacity"]), float(block["price"])))
        for w, curve in (data.get("bids") or {}).items():
            for k, block in enumerate(curve):
                bids.append((i, w_index[w], k, float(block["tokens_per_s"]),
                             float(block["price"])))
    bids.sort(key=lambda row: (row[1], row[0], row[2]))
    return _blocks(offers), _blocks(bids)


class OfferSupply(ColumnBlock):
    """q[b]: reference tokens/s sold from offer block b, at its price, up to its capacity.

    Enters its site's compute row with -1.  A site whose blocks total zero
    has no compute row (it serves nothing): its columns are bounded at zero
    and enter no row, so every block keeps a column (the result tables read
    them in block order).
    """

    name = "offer"

    def __init__(self, compute):
        self.compute = compute

    def finish(self, builder, data):
        offers = data.offers
        ids = builder.add_columns(self, OFFER, -1, offers.price, node=offers.node,
                                  upper=offers.quantity)
        rows = self.compute.row_of_node[offers.node]
        placed = rows >= 0
        builder.add_entries(rows[placed], ids[placed], -1.0)


class BidDemand(ColumnBlock):
    """z[b]: tokens/s of bid block b accepted, worth its price, up to its size.

    Enters its (node, workload) demand row with -1: accepted bids are
    demand the market then has to serve.
    """

    name = "bid"

    def __init__(self, demand):
        self.demand = demand

    def add(self, builder, data, w):
        bids = data.bids
        mine = np.flatnonzero(bids.workload == w)
        if not len(mine):
            return
        ids = builder.add_columns(self, BID, w, -bids.price[mine], node=bids.node[mine],
                                  upper=bids.quantity[mine])
        builder.add_entries(self.demand.row(bids.node[mine], w), ids, -1.0)


def market_blocks(data, row_blocks) -> list:
    """The offer and bid column blocks a market needs (none without offers and bids)."""
    rows = {block.name: block for block in row_blocks}
    blocks = []
    if data.bids is not None:
        blocks.append(BidDemand(rows["demand"]))
    if data.offers is not None:
        blocks.append(OfferSupply(rows["compute"]))
    return blocks
