"""Offer and bid curves in the graph contract (docs/model.md §10): their format and arithmetic.

A site may sell its compute in price blocks, a supply curve::

    G.nodes["SEA"]["offers"] = [{"capacity": 1e6, "price": 0.15},   # reference tokens/s, $/Mtok
                                {"capacity": 5e5, "price": 0.20}]    # per reference token

and a node may buy tokens of a workload in price blocks, a demand curve::

    G.nodes["CHI"]["bids"] = {"chat": [{"tokens_per_s": 2e5, "price": 0.9},   # $/Mtok
                                       {"tokens_per_s": 3e5, "price": 0.3}]}

beside (or instead of) its fixed ``demand``.  ``capacity`` + ``cost`` is one
block: a site with ``offers`` has no ``cost`` (its blocks carry the price)
and its ``capacity``, when given, is the total of its blocks.  Offers are
listed cheapest first and bids dearest first, as the curves are drawn: a
curve out of that order is almost always a typing slip, so it is refused.

Offers are one curve per site, shared by every workload it serves
(``serves`` restricts them), priced per reference token as ``cost`` is:
a token of workload w uses ``compute_intensity[w]`` reference tokens of the
blocks.  Per-workload offers (``{workload: [...]}``) are refused with a
message: capacity dedicated to one workload is, today, a site of its own.

The checks run with the rest of the graph contract's, in
:mod:`netprice.validate`; this module holds the format and its arithmetic.
"""

from __future__ import annotations

import math

__all__ = ["OFFER_FIELDS", "BID_FIELDS", "CAPACITY_RTOL", "offered_capacity", "scale_offers",
           "scale_bids"]

#: The fields of one offer block and one bid block, in the order files list them.
OFFER_FIELDS = ("capacity", "price")
BID_FIELDS = ("tokens_per_s", "price")

#: A site's ``capacity`` may differ from its offers' total by this much (relative) only.
CAPACITY_RTOL = 1e-9


def offered_capacity(offers):
    """Total capacity of an ``offers`` list, reference tokens/s (None if it is malformed).

    Examples
    --------
    >>> offered_capacity([{"capacity": 5.0, "price": 1.0}, {"capacity": 2.5, "price": 3.0}])
    7.5
    >>> offered_capacity("lots") is None
    True
    """
    try:
        return math.fsum(float(block["capacity"]) for block in offers)
    except (TypeError, KeyError, ValueError):
        return None


def scale_offers(offers, factor):
    """The offer blocks with every capacity times ``factor`` (a site's capacity scaled).

    Examples
    --------
    >>> scale_offers([{"capacity": 4.0, "price": 1.0}], 0.5)
    [{'capacity': 2.0, 'price': 1.0}]
    """
    return [{**block, "capacity": float(block["capacity"]) * factor} for block in offers]


def scale_bids(bids, *, quantity=1.0, price=1.0, workload=None):
    """The bid curves with quantities and prices scaled (of one ``workload``, when given).

    Examples
    --------
    >>> scale_bids({"chat": [{"tokens_per_s": 4.0, "price": 1.0}]}, quantity=2.0)
    {'chat': [{'tokens_per_s': 8.0, 'price': 1.0}]}
    """
    return {w: [{"tokens_per_s": float(b["tokens_per_s"]) * (quantity if workload in (None, w)
                                                             else 1.0),
                 "price": float(b["price"]) * price} for b in curve]
            for w, curve in bids.items()}
