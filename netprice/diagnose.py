"""Why a market is infeasible: an answer, not a crash (docs/model.md section 4).

Two causes are told apart.  Demand with *no admissible route* (no serving
site within the latency limit) is found before solving; the diagnosis
gives the nearest serving site and its latency.  When every demand has
routes but capacity falls short, an *elastic* re-solve minimises the unmet
demand (every token equal, costs ignored): it says how much demand cannot
be met, where, and which compute sites and links bind, next to aggregate
demand against aggregate capacity.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .lp.blocks import UNSERVED
from .lp.build import build_lp
from .lp.colgen import generate
from .lp.oracle import PricingOracle
from .lp.paths import cheapest_to_targets, reaches
from .lp.solve import IncrementalSolver, solve_lp

__all__ = ["Diagnosis", "unroutable_demand", "elastic_diagnosis", "elastic_market", "aggregates"]


@dataclass
class Diagnosis:
    """Where and why a market cannot clear.

    Attributes
    ----------
    no_route : DataFrame
        (node, workload) with demand but no serving site within the latency
        limit: demand, limit, nearest serving site and its latency (route +
        processing), or None when no site serving the workload is reachable.
    unmet : DataFrame
        (node, workload) demand that cannot be met even with every route
        available, from the elastic re-solve (tokens/s).
    binding : DataFrame
        Capacities that limit service in the elastic re-solve: kind
        (``compute`` or ``link``), element, capacity and the unmet tokens/s
        one more unit of it would serve.
    aggregate_need : float
        Sum over nodes and workloads of compute intensity x demand, reference tokens/s.
    aggregate_capacity : float
        Sum of compute capacities, reference tokens/s.
    """

    mode: str
    no_route: pd.DataFrame = field(default_factory=pd.DataFrame)
    unmet: pd.DataFrame = field(default_factory=pd.DataFrame)
    binding: pd.DataFrame = field(default_factory=pd.DataFrame)
    aggregate_need: float = 0.0
    aggregate_capacity: float = 0.0
    quantum_ms: float | None = None

    def summary(self) -> str:
        ratio = (self.aggregate_need / self.aggregate_capacity
                 if self.aggregate_capacity else np.inf)
        head = (f"infeasible market ({self.mode} mode): compute need {self.aggregate_need:,.0f} "
                f"vs capacity {self.aggregate_capacity:,.0f} reference tokens/s "
                f"({ratio:.1%} of capacity)")
        if len(self.no_route):
            pairs = ", ".join(self._no_route_text(n, w, row)
                              for (n, w), row in self.no_route.head(5).iterrows())
            more = f" and {len(self.no_route) - 5} more" if len(self.no_route) > 5 else ""
            return f"{head}; no admissible route for {pairs}{more}"
        if len(self.unmet):
            total = self.unmet["unmet"].sum()
            where = ", ".join(f"{n}/{w} {v:,.0f}" for (n, w), v in
                              self.unmet["unmet"].nlargest(5).items())
            bind = ", ".join(f"{k} {e}" for k, e in
                             self.binding[["kind", "element"]].head(5).itertuples(index=False))
            return (f"{head}; {total:,.0f} tokens/s cannot be served ({where}); "
                    f"binding: {bind or 'none found'}")
        return head

    def _no_route_text(self, n, w, row):
        if row.nearest_site is None:
            if not getattr(row, "served_anywhere", True):
                return f"{n}/{w} (no site serves {w}: give a site capacity and list {w} in " \
                       "its serves)"
            return f"{n}/{w} (no compute reachable from {n}: no site that serves {w} is " \
                   "connected to it)"
        if row.nearest_latency_ms <= row.latency_limit_ms:
            # Reachable in time, but not once the layered formulation rounds
            # every link's latency up to the quantum.
            return (f"{n}/{w} (nearest {row.nearest_site} at {row.nearest_latency_ms:.3g} ms is "
                    f"within {row.latency_limit_ms:g} ms, but not with latencies rounded up to "
                    f"{self.quantum_ms:g} ms steps: use a smaller quantum_ms or "
                    f"formulation='route')")
        return (f"{n}/{w} (nearest {row.nearest_site} at {row.nearest_latency_ms:.1f} ms > "
                f"{row.latency_limit_ms:g} ms)")

    def to_dict(self) -> dict:
        """A JSON-friendly form (for sweeps and ``--json``)."""
        return {
            "summary": self.summary(),
            "aggregate_need": self.aggregate_need,
            "aggregate_capacity": self.aggregate_capacity,
            "no_route": self.no_route.reset_index().to_dict("records"),
            "unmet": self.unmet.reset_index().to_dict("records"),
            "binding": self.binding.to_dict("records"),
        }


def aggregates(data):
    """Aggregate compute need and capacity, reference tokens/s."""
    return float((data.demand @ data.intensity).sum()), float(data.capacity.sum())


def _no_route_pairs(data, lp=None, oracle=None):
    """(N, W) demand that no admissible route can serve.

    For latency-limited workloads: per the exact oracle when given, else
    per the LP's own columns (a layered LP's rounding may lose routes that
    exist); for unlimited ones: no serving site reachable at all.
    """
    need = data.demand > 0
    limited = np.isfinite(data.latency_limit_ms)
    missing = np.zeros_like(need)
    if oracle is not None:
        ok = np.zeros_like(need)
        ok[:, oracle.workloads] = oracle.admissible_any()
        missing[:, limited] = (need & ~ok)[:, limited]
    elif lp is not None:
        has_column = (np.diff(lp.matrix.indptr)[lp.rows["demand"]] > 0).reshape(need.shape)
        missing[:, limited] = (need & ~has_column)[:, limited]
    reach = {}
    for w in np.flatnonzero(~limited):
        if not need[:, w].any():
            continue
        sites = np.flatnonzero(data.can_serve[:, w])
        key = sites.tobytes()
        if key not in reach:   # workloads served by the same sites share one search
            usable = data.arc_tail != data.arc_head      # a removed arc is a self-loop
            reach[key] = reaches(data.arc_tail[usable], data.arc_head[usable], sites,
                                 data.n_nodes)
        missing[:, w] = need[:, w] & ~reach[key]
    # Demand with a value of lost load can always be shed: that is an answer.
    return missing & ~np.isfinite(data.voll)[None, :]


def unroutable_demand(data, lp=None, oracle=None) -> pd.DataFrame:
    """(node, workload) pairs with demand but no admissible route, and the nearest site."""
    missing = _no_route_pairs(data, lp, oracle)
    if not missing.any():
        return pd.DataFrame()
    nearest = {}
    records = []
    for n, w in zip(*np.nonzero(missing)):
        n, w = int(n), int(w)
        if w not in nearest:
            sites = np.flatnonzero(data.can_serve[:, w])
            paths = cheapest_to_targets(data.arc_tail, data.arc_head, data.latency_ms, sites,
                                        data.proc_latency_ms[sites, w], data.n_nodes)
            reached = np.flatnonzero(np.isfinite(paths.cost))
            site = np.full(data.n_nodes, -1, dtype=np.int64)
            site[reached] = paths.target_of(reached)
            nearest[w] = (paths.cost, site)
        cost, site = nearest[w]
        best = None if site[n] < 0 else int(site[n])
        records.append({"node": data.nodes[n], "workload": data.workloads[w],
                        "demand": data.demand[n, w],
                        "latency_limit_ms": data.latency_limit_ms[w],
                        "served_anywhere": bool(data.can_serve[:, w].any()),
                        "nearest_site": None if best is None else data.nodes[best],
                        "nearest_latency_ms": float(cost[n]) if best is not None else np.nan})
    return pd.DataFrame(records).set_index(["node", "workload"])


def elastic_market(data):
    """The market whose cost is its unmet demand: every token equal, processing and transport free.

    Offered capacity is free too, and bids go: they never make a market
    infeasible (a bid may always be rejected).
    """
    offers = None if data.offers is None else data.offers.at_price(0.0)
    return dataclasses.replace(data, proc_cost=np.zeros_like(data.proc_cost),
                               cost_per_gb=np.zeros_like(data.cost_per_gb),
                               voll=np.ones_like(data.voll), offers=offers, bids=None)


def elastic_diagnosis(data, formulation, *, solver="glop"):
    """Diagnose a market by minimising its unmet demand.

    With the exact formulation the elastic market is solved by column
    generation over every admissible route too, so "cannot be served"
    holds for the market as written.

    Returns
    -------
    (Diagnosis, RouteSet)
        The diagnosis (its ``unmet`` is empty when every demand can in fact
        be met) and the routes the elastic solution uses -- with the exact
        formulation, columns that make the restricted market feasible.
    """
    need, capacity = aggregates(data)
    elastic = elastic_market(data)
    lp = build_lp(elastic, formulation.routes, layers=formulation.layers)
    routes = formulation.routes
    if formulation.exact:
        generation = generate(elastic, lp, routes, IncrementalSolver(lp, solver),
                              PricingOracle(elastic))
        lp, routes, solution = generation.lp, generation.routes, generation.solution
    else:
        solution = solve_lp(lp, solver=solver)
    if solution.status != "OPTIMAL":  # pragma: no cover - an elastic LP is always feasible
        return Diagnosis(data.mode, aggregate_need=need, aggregate_capacity=capacity), routes
    unmet = lp.node_workload_totals(lp.scaling.tokens(solution.x), [UNSERVED])
    index = pd.MultiIndex.from_product([data.nodes, data.workloads], names=["node", "workload"])
    unmet_frame = pd.DataFrame({"demand": data.demand.ravel(), "unmet": unmet.ravel()},
                               index=index)
    scale = max(1.0, float(data.demand.max()))
    unmet_frame = unmet_frame[unmet_frame["unmet"] > 1e-9 * scale]
    # Dual of a capacity row in the elastic LP: unmet tokens one more unit would serve.
    records = []
    y = solution.y
    block = lp.rows["compute"]
    value = -y[block] * lp.row_scale[block]
    for n, v in zip(lp.compute_nodes, value):
        if v > 1e-9:
            records.append({"kind": "compute", "element": data.nodes[n],
                            "capacity": data.capacity[n], "marginal_service": float(v)})
    block = lp.rows["link"]
    value = -y[block] * lp.row_scale[block] * lp.scaling.flow_unit
    for e, v in enumerate(value):
        if v > 1e-9:
            u, t = data.arcs[e]
            records.append({"kind": "link", "element": f"{u}->{t}",
                            "capacity": data.bandwidth_gbps[e], "marginal_service": float(v)})
    binding = pd.DataFrame(records, columns=["kind", "element", "capacity", "marginal_service"])
    binding = binding.sort_values("marginal_service", ascending=False, ignore_index=True)
    return Diagnosis(data.mode, unmet=unmet_frame, binding=binding,
                     aggregate_need=need, aggregate_capacity=capacity), routes
