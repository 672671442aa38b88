"""What a market clearing holds: prices, dispatch, flows, rents, settlement."""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd

from . import welfare as _welfare
from .errors import VerificationError
from .lp import verify as _verify
from .lp.blocks import ARC, BID, ROUTE, SERVE, UNSERVED
from .lp.duals import PARTS

__all__ = ["MarketResult", "SATURATION_THRESHOLD"]

#: A link is saturated when its utilisation is at least 1 - 1e-6.
SATURATION_THRESHOLD = 1.0 - 1e-6


class MarketResult:
    """The verified outcome of :func:`netprice.clear_market`.

    Attributes
    ----------
    status : str
        ``"OPTIMAL"``: a result exists only for a proven optimum.
    objective : float
        What the LP minimises, $/h: the total operating cost; with bids,
        cost minus the accepted bids' value (minus the welfare).
    mode : str
        ``"baseline"`` or ``"transfer"``.
    formulation : str
        ``"exact"`` (column generation, certified), or one of the named
        approximations ``"route"`` (enumerated routes, capped per pair) and
        ``"layered"`` (latencies rounded up to a quantum).
    exact : bool
        Certified optimal for the market as written.
    answer : str
        ``"exact (certified)"`` or ``"approximate: at most x % above exact"``.
    stats : dict
        LP size, scaling, timings, routes, truncated pairs; ``exact``,
        ``gap_bound`` (relative: the cost is at most this far above the exact
        market's; 0.0 when certified), ``lower_bound_per_h``, and for the
        exact formulation ``pricing_passes`` and ``columns_generated``.
    checks : dict
        The KKT checks run on this solution: ``{check: (violation, tolerance)}``.
    """

    def __init__(self, data, routes, lp, solution, prices, stats, oracle=None):
        self._data = data
        self._oracle = oracle
        # What verify() compares the reported prices with: an untouched copy.
        self._reference = prices.copy()
        self._routes = routes
        self._lp = lp
        self._x = solution.x
        self._prices = prices
        self.status = solution.status
        self.mode = data.mode
        self.formulation = stats.get("formulation", "route")
        self.solver = solution.solver
        self.objective = lp.scaling.objective_per_hour(float(lp.cost @ solution.x))
        self.stats = stats
        self.truncated_routes = list(routes.truncated)
        self.checks = {}

    def __repr__(self):
        return (f"<MarketResult {self.status} mode={self.mode} objective={self.objective:,.2f} $/h "
                f"saturated={int(self.links['saturated'].sum())}>")

    # -- verification -------------------------------------------------------
    def verify(self) -> dict:
        """Check the KKT conditions and every price against its definition.

        Primal and dual feasibility, complementary slackness and strong
        duality of the LP; each price and each of its parts; prices at
        nodes without demand; and, for the exact formulation, that no
        admissible route undercuts a price (the certificate).  With offers
        or bids, every block against its price and the surplus identity too
        (:mod:`netprice.welfare`).  Returns the checks ``{name: (worst
        violation, tolerance)}``; raises
        :class:`~netprice.errors.VerificationError` if any fails.  The
        tolerances are documented in :mod:`netprice.lp.verify`.
        """
        y = _verify.reported_duals(self._lp, self._prices)
        checks = _verify.check(self._lp, self._x, y, self._prices, data=self._data,
                               routes=self._routes, oracle=self._oracle,
                               reference=self._reference)
        if self._data.two_sided:
            checks.update(_welfare.acceptance_violations(self._data, self._lp, self._tokens,
                                                         self._prices, self.settlement))
            failed = [name for name, (value, tol) in checks.items() if not value <= tol]
            if failed:
                raise VerificationError(checks, failed)
        self.checks = checks
        return self.checks

    # -- flows in user units -----------------------------------------------
    @cached_property
    def _tokens(self) -> np.ndarray:
        return self._lp.scaling.tokens(self._x)

    @cached_property
    def _arc_tokens(self) -> np.ndarray:
        """(E, W) tokens/s of each workload on each arc."""
        data, lp, x = self._data, self._lp, self._tokens
        flow = np.zeros((data.n_arcs, data.n_workloads))
        route_cols = np.flatnonzero((lp.col_kind == ROUTE) & (x > 0))
        for w in np.unique(lp.col_workload[route_cols]):
            cols = route_cols[lp.col_workload[route_cols] == w]
            flow[:, w] += self._routes.rows(lp.col_route[cols]).T @ x[cols]
        arc_cols = np.flatnonzero(lp.col_kind == ARC)
        np.add.at(flow, (lp.col_arc[arc_cols], lp.col_workload[arc_cols]), x[arc_cols])
        return flow

    @cached_property
    def _served(self) -> np.ndarray:
        """(N, W) tokens/s processed at each node."""
        return self._lp.node_workload_totals(self._tokens, [ROUTE, SERVE])

    @cached_property
    def _unserved(self) -> np.ndarray:
        return self._lp.node_workload_totals(self._tokens, [UNSERVED])

    @cached_property
    def _arrived(self) -> np.ndarray:
        """(N, W) tokens/s that arrive and are served: demand met plus accepted bids."""
        arrived = self._data.demand - self._unserved
        if self._data.bids is not None:
            arrived = arrived + self._lp.node_workload_totals(self._tokens, [BID])
        return arrived

    # -- tables ---------------------------------------------------------------
    @cached_property
    def prices(self) -> pd.DataFrame:
        """Price per (node, workload) in $/Mtok and its decomposition.

        Columns: ``price = processing + scarcity + transport + congestion``
        (``unserved`` instead when the price is the value of lost load),
        ``serving_node`` and ``route_latency_ms`` of the route that sets it,
        and ``demand`` (tokens/s).
        """
        data, p = self._data, self._prices
        index = self._node_workload_index
        price = p.price.ravel()
        parts = p.parts.reshape(len(price), len(PARTS)).copy()
        parts[np.isnan(price)] = np.nan
        # Node ids of any hashable type, with None where no route sets the price.
        names = np.empty(data.n_nodes + 1, dtype=object)
        for i, node in enumerate(data.nodes):
            names[i] = node
        columns = {"price": price}
        columns.update({part: parts[:, k] for k, part in enumerate(PARTS)})
        columns["serving_node"] = pd.Series(names[p.site.ravel()], index=index, dtype=object)
        columns["route_latency_ms"] = p.route_latency_ms.ravel()
        columns["demand"] = data.demand.ravel()
        return pd.DataFrame(columns, index=index)

    @cached_property
    def _node_workload_index(self) -> pd.MultiIndex:
        data = self._data
        nodes, workloads = _sorted_level(data.nodes), _sorted_level(data.workloads)
        if nodes is None or workloads is None:
            return pd.MultiIndex.from_product([data.nodes, data.workloads],
                                              names=["node", "workload"])
        (node_level, node_code), (workload_level, workload_code) = nodes, workloads
        codes = [np.repeat(node_code, len(workload_code)), np.tile(workload_code, len(node_code))]
        return pd.MultiIndex(levels=[node_level, workload_level], codes=codes,
                             names=["node", "workload"], verify_integrity=False)

    @cached_property
    def _arc_index(self) -> pd.MultiIndex:
        data = self._data
        nodes = _sorted_level(data.nodes) if data.arcs else None
        if nodes is None:
            return pd.MultiIndex.from_tuples(data.arcs, names=["source", "target"])
        level, code = nodes
        levels, codes = [], []
        for ends in (data.arc_tail, data.arc_head):
            # Like from_tuples: each level holds the nodes that occur at that end.
            present = np.unique(code[ends])
            levels.append(level.take(present))
            codes.append(np.searchsorted(present, code[ends]))
        return pd.MultiIndex(levels=levels, codes=codes, names=["source", "target"],
                             verify_integrity=False)

    @cached_property
    def nodes(self) -> pd.DataFrame:
        """Per node: capacity, compute used, utilisation, scarcity rent, served and demand.

        A site that offers its capacity in blocks has no single ``cost``
        (nan); its ``scarcity`` is how far above its cheapest block it is
        dispatched (its marginal offer price is that block's price plus it,
        :attr:`offers` ``site_price``).
        """
        data = self._data
        used = self._served @ data.intensity
        with np.errstate(invalid="ignore", divide="ignore"):
            utilisation = np.where(data.capacity > 0, used / data.capacity, np.nan)
        frame = pd.DataFrame({
            "capacity": data.capacity,
            "cost": data.base_cost,
            "compute_used": used,
            "utilisation": utilisation,
            "scarcity": self._prices.scarcity,
            "served": self._served.sum(axis=1),
            "demand": data.demand.sum(axis=1),
            "unserved": self._unserved.sum(axis=1),
        }, index=pd.Index(data.nodes, name="node"))
        return frame

    @cached_property
    def service(self) -> pd.DataFrame:
        """Per (node, workload): tokens/s demanded, served here, and left unserved."""
        data = self._data
        index = self._node_workload_index
        return pd.DataFrame({"demand": data.demand.ravel(), "served": self._served.ravel(),
                             "unserved": self._unserved.ravel()}, index=index)

    @cached_property
    def links(self) -> pd.DataFrame:
        """Per arc: flow (Gbit/s and tokens/s per workload), utilisation, saturation, rent."""
        data = self._data
        flow_gbps = self._arc_tokens @ data.gbps_per_token_rate()
        utilisation = flow_gbps / data.bandwidth_gbps
        index = self._arc_index
        link_ids = self._link_ids
        columns = {
            "link": [link_ids[a] for a in data.arcs],
            "bandwidth_gbps": data.bandwidth_gbps,
            "latency_ms": data.latency_ms,
            "flow_gbps": flow_gbps,
            "utilisation": utilisation,
            "saturated": utilisation >= SATURATION_THRESHOLD,
            "rent": self._prices.rent,
        }
        for w, name in enumerate(data.workloads):
            columns[f"tokens_{name}"] = self._arc_tokens[:, w]
        return pd.DataFrame(columns, index=index)

    @cached_property
    def _link_ids(self):
        link_ids = self.stats.get("link_ids")
        if link_ids is None:
            link_ids = {a: f"{a[0]}-{a[1]}" for a in self._data.arcs}
        return link_ids

    @cached_property
    def routes(self) -> pd.DataFrame:
        """Routes with flow: origin, workload, serving node, path, latency, tokens/s.

        For workloads without a latency limit the arc flows are decomposed
        into paths (one of the possibly many decompositions).
        """
        data, lp, x = self._data, self._lp, self._tokens
        records = []
        for j in np.flatnonzero((lp.col_kind == ROUTE) & (x > 0)):
            r = lp.col_route[j]
            arcs = self._routes.arcs_of(r)
            records.append((data.nodes[self._routes.origin[r]],
                            data.workloads[lp.col_workload[j]],
                            data.nodes[self._routes.site[r]],
                            self._path_nodes(self._routes.origin[r], arcs),
                            float(self._routes.latency_ms[r]), float(x[j])))
        for w in lp.layers:
            records.extend(self._layered_routes(w))
        for w in np.flatnonzero(~np.isfinite(data.latency_limit_ms)):
            for origin, site, arcs, amount in _decompose(data, self._arc_tokens[:, w],
                                                         self._served[:, w],
                                                         self._arrived[:, w]):
                records.append((data.nodes[origin], data.workloads[w], data.nodes[site],
                                self._path_nodes(origin, arcs),
                                float(data.latency_ms[list(arcs)].sum()) if arcs else 0.0,
                                amount))
        frame = pd.DataFrame(records, columns=["origin", "workload", "node", "path",
                                               "latency_ms", "tokens_per_s"])
        return frame.sort_values(["origin", "workload", "node", "latency_ms"],
                                 ignore_index=True, kind="stable")

    def _layered_routes(self, w):
        """Paths of a layered workload, decomposed on its layered graph."""
        from types import SimpleNamespace

        data, lp, x = self._data, self._lp, self._tokens
        L = lp.layers[w].n_layers
        steps = lp.layers[w].arc_steps
        arc_cols = np.flatnonzero((lp.col_kind == ARC) & (lp.col_workload == w))
        serve_cols = np.flatnonzero((lp.col_kind == SERVE) & (lp.col_workload == w))
        arcs, ks = lp.col_arc[arc_cols], lp.col_layer[arc_cols]
        layered = SimpleNamespace(
            n_nodes=data.n_nodes * L, n_arcs=len(arcs),
            arc_tail=data.arc_tail[arcs] * L + ks,
            arc_head=data.arc_head[arcs] * L + ks + steps[arcs])
        served = np.zeros(data.n_nodes * L)
        np.add.at(served, lp.col_node[serve_cols] * L + lp.col_layer[serve_cols], x[serve_cols])
        supply = np.zeros(data.n_nodes * L)
        supply[np.arange(data.n_nodes) * L] = self._arrived[:, w]
        records = []
        for origin, site, path, amount in _decompose(layered, x[arc_cols], served, supply):
            original = [int(arcs[a]) for a in path]
            records.append((data.nodes[origin // L], data.workloads[w], data.nodes[site // L],
                            self._path_nodes(origin // L, original),
                            float(data.latency_ms[original].sum()) if original else 0.0,
                            amount))
        return records

    def _path_nodes(self, origin, arcs):
        data = self._data
        return tuple([data.nodes[origin]] + [data.nodes[data.arc_head[a]] for a in arcs])

    @cached_property
    def offers(self) -> pd.DataFrame:
        """Offer blocks: capacity offered and sold, block and site prices, revenue and surplus.

        Empty without offers; see :func:`netprice.welfare.offer_table`.
        """
        return _welfare.offer_table(self._data, self._lp, self._tokens, self._prices)

    @cached_property
    def bids(self) -> pd.DataFrame:
        """Bid blocks: tokens bid and accepted, bid and local prices, value, payment, surplus.

        Empty without bids; see :func:`netprice.welfare.bid_table`.
        """
        return _welfare.bid_table(self._data, self._lp, self._tokens, self._prices)

    @cached_property
    def surplus(self) -> pd.DataFrame:
        """Who keeps what, per node, $/h: bids' value and payments, fixed payments, consumer
        and producer surplus, offer revenue, compute rents.

        See :func:`netprice.welfare.surplus_table`; summed (with the link
        rents) it is the two-sided :attr:`settlement`.
        """
        return _welfare.surplus_table(self._data, self._lp, self._tokens, self._prices,
                                      offers=self.offers, bids=self.bids)

    @cached_property
    def settlement(self) -> dict:
        """Payments, rents and cost in $/h; ``cost = payments - compute_rents - congestion_rents``.

        With offers or bids, also the bids' value, the welfare, consumer
        and producer surplus, and the identity ``welfare = consumer surplus
        + producer surplus + compute rents + congestion rents``
        (:func:`netprice.welfare.two_sided_settlement`).
        """
        data, p = self._data, self._prices
        if data.two_sided:
            return _welfare.two_sided_settlement(data, self._lp, self._tokens, p, self.objective,
                                                 surplus=self.surplus)
        hours = 3600.0 / 1e6  # $/Mtok x tokens/s -> $/h
        payments = float(np.nansum(p.price * data.demand)) * hours
        compute_rents = float(p.scarcity @ data.capacity) * hours
        congestion_rents = float(p.rent @ data.bandwidth_gbps)
        return {
            "cost": self.objective,
            "payments": payments,
            "compute_rents": compute_rents,
            "congestion_rents": congestion_rents,
            "identity_gap": payments - compute_rents - congestion_rents - self.objective,
        }

    def saturated_links(self, *, undirected=True) -> pd.DataFrame:
        """Saturated links; with ``undirected`` each link once, its worse direction."""
        sat = self.links[self.links["saturated"]]
        if not undirected:
            return sat
        return (sat.sort_values("rent", ascending=False)
                .reset_index().drop_duplicates("link").set_index(["source", "target"]))

    @property
    def exact(self) -> bool:
        """Whether the result is certified optimal for the market as written (docs/model.md §8)."""
        return bool(self.stats.get("exact", False))

    @property
    def answer(self) -> str:
        """What the result is: ``"exact (certified)"`` or how far above exact it can be."""
        if self.exact:
            return "exact (certified)"
        gap = self.stats.get("gap_bound", float("nan"))
        return f"approximate: at most {100 * gap:.3g} % above exact"

    def summary(self) -> dict:
        """Headline figures: objective, exactness, saturated links, rents, LP size, seconds.

        With offers or bids, the welfare and the two surpluses too.
        """
        two_sided = {} if not self._data.two_sided else {
            f"{key}_per_h": self.settlement[key]
            for key in ("welfare", "consumer_surplus", "producer_surplus")}
        return {
            "mode": self.mode,
            "status": self.status,
            "formulation": self.formulation,
            "answer": self.answer,
            "exact": self.exact,
            "gap_bound": self.stats.get("gap_bound"),
            "objective_per_h": self.objective,
            "saturated_links": int(len(self.saturated_links())),
            "congestion_rents_per_h": self.settlement["congestion_rents"],
            "compute_rents_per_h": self.settlement["compute_rents"],
            **two_sided,
            "rows": self.stats["rows"],
            "columns": self.stats["columns"],
            "solve_seconds": self.stats["solve_seconds"],
            "total_seconds": self.stats["total_seconds"],
        }


def _sorted_level(values):
    """``(level, codes)`` as ``MultiIndex.from_product`` / ``from_tuples`` factorize ``values``.

    The sorted unique values and each value's position among them, built
    without pandas' general factorization (the slow part of those
    constructors).  Only for unique strings or integers; None otherwise
    (mixed types, tuples, floats ...), and the caller falls back.
    """
    level = pd.Index(values)
    if (isinstance(level, pd.MultiIndex) or not level.is_unique
            or not (pd.api.types.is_integer_dtype(level.dtype)
                    or (pd.api.types.is_string_dtype(level.dtype) and level.dtype != object))):
        return None
    order = level.argsort()
    code = np.empty(len(level), dtype=np.int64)
    code[order] = np.arange(len(level))
    return level.take(order), code


def _decompose(data, arc_flow, served, supply, eps=1e-9):
    """Split one workload's arc flows into (origin, site, arcs, tokens/s) paths.

    Walks from each origin along arcs that still carry flow, stopping at the
    first node with unassigned service; a cycle met on the way is cancelled
    (it carries no tokens to anyone).
    """
    flow = arc_flow.copy()
    left = served.copy()
    supply = np.maximum(supply, 0.0)
    out_arcs = [[] for _ in range(data.n_nodes)]
    for e, u in enumerate(data.arc_tail):
        out_arcs[u].append(e)
    scale = max(1.0, float(np.max(supply, initial=0.0)))
    paths = []
    for origin in np.flatnonzero(supply > eps * scale):
        guard = 0
        while supply[origin] > eps * scale and guard < 10 * (data.n_arcs + data.n_nodes):
            guard += 1
            node, arcs, seen = origin, [], {origin: 0}
            while left[node] <= eps * scale:
                nxt = next((e for e in out_arcs[node] if flow[e] > eps * scale), None)
                if nxt is None:
                    break
                arcs.append(nxt)
                node = int(data.arc_head[nxt])
                if node in seen:
                    cycle = arcs[seen[node]:]
                    flow[cycle] -= flow[cycle].min()
                    arcs = arcs[:seen[node]]
                    seen = {n: i for n, i in seen.items() if i <= seen[node]}
                    continue
                seen[node] = len(arcs)
            if left[node] <= eps * scale:
                break
            amount = min([supply[origin], left[node]] + [flow[e] for e in arcs])
            supply[origin] -= amount
            left[node] -= amount
            flow[arcs] -= amount
            paths.append((int(origin), int(node), tuple(arcs), float(amount)))
    return paths
