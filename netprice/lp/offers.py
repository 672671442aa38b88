"""Offer and bid blocks: the two-sided market of docs/model.md section 10 as LP columns.

A site whose capacity is offered in blocks gets one column per block,
``0 <= q[b] <= capacity[b]``, and its compute row becomes::

    sum_w a[w] x[routes ending at the site]  -  sum_b q[b]  =  0

Its routes keep a processing cost: the price of its cheapest block
(``floor``, $/Mtok per reference token, times a[w]), and each block costs
its *premium* over that floor.  The objective is the same as pricing every
block at its own price (every token processed there uses exactly as much
of the blocks), but the route costs stay of the size of the prices they
are compared with -- as with ``capacity`` + ``cost``, which is exactly an
offer of one block, column for column.  With processing cost 0 and the
whole price in the row's dual, a route's reduced cost would be the
difference of two numbers each much larger than its cost, and the checks
that compare them to the cost would see round-off as a violation (Kdl with
offers did).  The row's dual -- reported as the site's ``scarcity`` -- is
then how far up its curve the site is dispatched: its marginal offer price
is ``floor + scarcity``.  The pricing oracle and the price decomposition
need nothing new.  The row is an equality -- the blocks sold are the
compute used, not more -- because the cheapest block's premium is zero: as
an inequality it could be "sold" beyond its use whenever the site is not
scarce.  Its dual may then be negative where the site is unused, and any
value up to zero is valid there; netprice reports zero, as it does for
every capacity row.

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

    def floor(self, n_nodes) -> np.ndarray:
        """(N,) each node's cheapest block price (nan where it has none)."""
        floor = np.full(n_nodes, np.inf)
        np.minimum.at(floor, self.node, self.price)
        return np.where(np.isfinite(floor), floor, np.nan)

    def premium(self, n_nodes) -> np.ndarray:
        """(K,) each block's price above its node's cheapest."""
        return self.price - self.floor(n_nodes)[self.node]

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
    """q[b]: reference tokens/s sold from offer block b, at its premium, up to its capacity.

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
        ids = builder.add_columns(self, OFFER, -1, offers.premium(data.n_nodes),
                                  node=offers.node, upper=offers.quantity)
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
