"""Surplus and settlement of a two-sided market (docs/model.md section 10), and their checks.

With offer and bid blocks the LP maximises welfare::

    welfare = accepted bid value - cost
    cost    = processing + transport + accepted offers + unserved demand at voll

(``MarketResult.objective`` is what the LP minimises: ``-welfare``.)  Its
duals settle it.  Each accepted bid block pays the price of its demand row
and keeps ``(bid price - price) x tokens`` as consumer surplus; each
accepted offer block is paid its site's marginal offer price and keeps
``(site price - offer price) x capacity sold`` as producer surplus; sites
that sell ``capacity`` at ``cost`` keep a compute rent, saturated links a
congestion rent.  Fixed ``demand`` states no value of its own (it bids at
voll, or must be met): in the welfare the LP maximises it counts at zero,
so what it pays comes off the consumers' side.  Then::

    welfare = consumer surplus + producer surplus + compute rents + congestion rents
    consumer surplus = sum over bids (price_b - price) z_b  -  fixed-demand payments

which is strong duality in money (``identity_gap`` below, the same
identity as the one-sided market's ``payments - rents - cost``).

:func:`acceptance_violations` checks every block against its price: a bid
above its local price accepted in full, below it rejected; an offer below
its site's price accepted in full, above it rejected; at the price,
anything.  Prices are compared relative to their size, quantities relative
to the block's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .lp.blocks import BID, OFFER, UNSERVED

__all__ = ["offer_table", "bid_table", "surplus_table", "two_sided_settlement",
           "acceptance_violations", "TOLERANCES", "HOURS"]

#: $/Mtok x tokens/s -> $/h.
HOURS = 3600.0 / 1e6

TOLERANCES = {
    # A block's price and its local price count as equal within this (relative).
    "price tie": 1e-7,
    # Share of a block on the wrong side of its price (accepted or rejected).
    "bid acceptance": 1e-7,
    "offer acceptance": 1e-7,
    # |identity gap| over the largest term of the identity.
    "surplus identity": 1e-8,
}


def _accepted(lp, tokens, kind):
    """Quantities of the columns of ``kind`` (OFFER or BID), in block order."""
    return tokens[np.flatnonzero(lp.col_kind == kind)] + 0.0     # no -0.0 in tables


def _site_price(data, prices):
    """(N,) marginal offer price of each offered site: its floor plus its row's dual."""
    return data.offers.floor(data.n_nodes) + prices.scarcity


def _share(accepted, quantity):
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(quantity > 0, accepted / quantity, np.nan)


def offer_table(data, lp, tokens, prices) -> pd.DataFrame:
    """Every offer block: offered and sold capacity, its price, the site's, its surplus.

    Index ``(node, block)``; columns ``capacity`` and ``accepted``
    (reference tokens/s), ``share`` (accepted / capacity), ``price`` (the
    block's) and ``site_price`` (the site's marginal offer price), both in
    $/Mtok per reference token, ``revenue`` and ``surplus`` in $/h.
    """
    columns = ["capacity", "accepted", "share", "price", "site_price", "revenue", "surplus"]
    offers = data.offers
    if offers is None:
        return pd.DataFrame(columns=columns, index=pd.MultiIndex.from_arrays(
            [[], []], names=["node", "block"]), dtype=float)
    accepted = _accepted(lp, tokens, OFFER)
    site_price = _site_price(data, prices)[offers.node]
    frame = pd.DataFrame({
        "capacity": offers.quantity,
        "accepted": accepted,
        "share": _share(accepted, offers.quantity),
        "price": offers.price,
        "site_price": site_price,
        "revenue": site_price * accepted * HOURS,
        "surplus": (site_price - offers.price) * accepted * HOURS + 0.0,   # no -0.0
    }, index=pd.MultiIndex.from_arrays(
        [[data.nodes[n] for n in offers.node], offers.rank], names=["node", "block"]))
    return frame


def bid_table(data, lp, tokens, prices) -> pd.DataFrame:
    """Every bid block: bid and accepted tokens, its price, the local price, its surplus.

    Index ``(node, workload, block)``; columns ``tokens_per_s`` and
    ``accepted`` (tokens/s), ``share``, ``price`` (the bid's) and
    ``local_price`` (the node's price of that workload), $/Mtok, and
    ``value``, ``payment`` and ``surplus`` in $/h.

    Payments and surplus are counted at the demand row's dual, which is
    the local price wherever a block is accepted.  Where every bid of a
    row is rejected and no token arrives, the dearest of them is the local
    price (:func:`netprice.lp.duals.demand_side_value`) and the row's dual
    the dearer cost of serving one: nothing is paid either way.
    """
    columns = ["tokens_per_s", "accepted", "share", "price", "local_price", "value", "payment",
               "surplus"]
    bids = data.bids
    if bids is None:
        return pd.DataFrame(columns=columns, index=pd.MultiIndex.from_arrays(
            [[], [], []], names=["node", "workload", "block"]), dtype=float)
    accepted = _accepted(lp, tokens, BID)
    dual = prices.demand_duals()[bids.node, bids.workload]
    frame = pd.DataFrame({
        "tokens_per_s": bids.quantity,
        "accepted": accepted,
        "share": _share(accepted, bids.quantity),
        "price": bids.price,
        "local_price": prices.price[bids.node, bids.workload],
        "value": bids.price * accepted * HOURS,
        "payment": dual * accepted * HOURS,
        "surplus": (bids.price - dual) * accepted * HOURS + 0.0,
    }, index=pd.MultiIndex.from_arrays(
        [[data.nodes[n] for n in bids.node], [data.workloads[w] for w in bids.workload],
         bids.rank], names=["node", "workload", "block"]))
    # The LP's order is workload-major; tables read node by node.
    return frame.iloc[np.lexsort((bids.rank, bids.workload, bids.node))]


def surplus_table(data, lp, tokens, prices, *, offers=None, bids=None) -> pd.DataFrame:
    """Who keeps what, node by node, $/h (see the module notes).

    Index ``node``; columns ``bid_value``, ``bid_payments``,
    ``fixed_payments`` (fixed demand at its price; shed demand at voll),
    ``consumer_surplus`` (bids' surplus minus fixed payments),
    ``offer_revenue``, ``producer_surplus`` (offer blocks) and
    ``compute_rent`` (a site selling ``capacity`` at ``cost``).  ``offers``
    and ``bids``: their tables, when already made.
    """
    N = data.n_nodes
    offers = offer_table(data, lp, tokens, prices) if offers is None else offers
    bids = bid_table(data, lp, tokens, prices) if bids is None else bids

    def per_node(frame, column):
        if not len(frame):
            return np.zeros(N)
        sums = frame[column].groupby(level="node", sort=False).sum()
        return sums.reindex(pd.Index(data.nodes), fill_value=0.0).to_numpy()

    # Fixed demand pays its price; where some of it is shed the price is
    # voll (or, all shed, a rejected bid above voll): shed demand is
    # settled at voll, as the one-sided market settles it.
    shed = lp.node_workload_totals(tokens, [UNSERVED]) > 0
    paid = np.where(shed, data.voll[None, :], prices.price)
    fixed = np.nansum(paid * data.demand, axis=1) * HOURS
    plain = ~data.offered
    rent = np.where(plain, prices.scarcity * data.capacity, 0.0) * HOURS
    frame = pd.DataFrame({
        "bid_value": per_node(bids, "value"),
        "bid_payments": per_node(bids, "payment"),
        "fixed_payments": fixed,
        "consumer_surplus": per_node(bids, "surplus") - fixed,
        "offer_revenue": per_node(offers, "revenue"),
        "producer_surplus": per_node(offers, "surplus"),
        "compute_rent": rent,
    }, index=pd.Index(data.nodes, name="node"))
    return frame


def two_sided_settlement(data, lp, tokens, prices, objective, *, surplus=None) -> dict:
    """The settlement of a market with offers or bids, $/h (see the module notes).

    Keys: ``cost``, ``bid_value``, ``welfare``, ``payments`` (fixed
    demand; shed demand at voll), ``bid_payments``, ``offer_revenue``,
    ``consumer_surplus``, ``producer_surplus``, ``compute_rents`` (sites
    not offered in blocks), ``congestion_rents``, and ``identity_gap`` =
    payments - compute rents - congestion rents - producer surplus - bids'
    surplus - objective, zero exactly when welfare = consumer + producer
    surplus + rents.  ``surplus``: :func:`surplus_table`, when already made.
    """
    nodes = surplus_table(data, lp, tokens, prices) if surplus is None else surplus
    total = {column: float(nodes[column].sum()) for column in nodes.columns}
    payments = total["fixed_payments"]
    bid_surplus = total["consumer_surplus"] + payments
    congestion_rents = float(prices.rent @ data.bandwidth_gbps)
    return {
        "cost": objective + total["bid_value"],
        "bid_value": total["bid_value"],
        "welfare": -objective,
        "payments": payments,
        "bid_payments": total["bid_payments"],
        "offer_revenue": total["offer_revenue"],
        "consumer_surplus": total["consumer_surplus"],
        "producer_surplus": total["producer_surplus"],
        "compute_rents": total["compute_rent"],
        "congestion_rents": congestion_rents,
        "identity_gap": (payments - total["compute_rent"] - congestion_rents
                         - total["producer_surplus"] - bid_surplus - objective),
    }


def _wrong_side(block_price, local, quantity, accepted, *, above_accepts):
    """Worst share of a block on the wrong side of its local price.

    ``above_accepts``: a block priced above the local price should be
    accepted (bids); else below it should (offers).
    """
    if not len(quantity):
        return 0.0
    scale = np.maximum(np.maximum(np.abs(block_price), np.abs(local)), 1e-12)
    gap = (block_price - local) / scale
    if not above_accepts:
        gap = -gap
    tie = TOLERANCES["price tie"]
    size = np.maximum(quantity, 1e-300)
    unmet = np.where(gap > tie, (quantity - accepted) / size, 0.0)
    taken = np.where(gap < -tie, accepted / size, 0.0)
    return float(np.max(np.maximum(unmet, taken), initial=0.0))


def acceptance_violations(data, lp, tokens, prices, settlement) -> dict:
    """The checks of a two-sided market: ``{check: (violation, tolerance)}``.

    ``bid acceptance`` and ``offer acceptance``: the worst share of a block
    on the wrong side of its price; ``surplus identity``: the settlement's
    ``identity_gap`` over the largest term it sums.
    """
    result = {}
    bids = data.bids
    if bids is not None:
        local = prices.demand_duals()[bids.node, bids.workload]
        result["bid acceptance"] = _wrong_side(bids.price, local, bids.quantity,
                                               _accepted(lp, tokens, BID), above_accepts=True)
    offers = data.offers
    if offers is not None:
        result["offer acceptance"] = _wrong_side(offers.price,
                                                 _site_price(data, prices)[offers.node],
                                                 offers.quantity, _accepted(lp, tokens, OFFER),
                                                 above_accepts=False)
    terms = [settlement[k] for k in ("payments", "compute_rents", "congestion_rents",
                                     "producer_surplus", "bid_value", "bid_payments", "cost")]
    scale = max([1.0] + [abs(t) for t in terms])
    result["surplus identity"] = abs(settlement["identity_gap"]) / scale
    return {name: (value, TOLERANCES[name]) for name, value in result.items()}
