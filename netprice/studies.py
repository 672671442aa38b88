"""The case studies of the published paper, as functions returning tables.

``netprice reproduce`` (:mod:`netprice.reproduce`) turns these into a report;
tests check their numbers against the published figures (docs/model.md section 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .market import clear_market
from .sweep import sweep
from .tables import merit_order_table

__all__ = [
    "PUBLISHED",
    "mode_comparison",
    "latency_sweep",
    "largest_price_rise",
    "merit_order",
    "demand_scaling",
    "infeasibility_threshold",
    "relaxed",
]

#: Figures reported by Liu (2026) on the 5-node U.S. case.
PUBLISHED = {
    "saturated_links_transfer": 4,
    "cost_increase_pct": 2.7,
    "chat_price_rise_pct": 117.0,
    "chat_limits_ms": (100.0, 15.0),
}


@dataclass
class ModeComparison:
    baseline: object
    transfer: object

    @property
    def cost_increase_pct(self) -> float:
        return 100.0 * (self.transfer.objective / self.baseline.objective - 1.0)

    def table(self) -> pd.DataFrame:
        rows = {}
        for name, res in (("baseline", self.baseline), ("transfer", self.transfer)):
            rows[name] = {
                "cost_per_h": res.objective,
                "saturated_links": len(res.saturated_links()),
                "congestion_rents_per_h": res.settlement["congestion_rents"],
                "compute_rents_per_h": res.settlement["compute_rents"],
            }
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.index.name = "mode"
        return frame

    def rents(self) -> pd.DataFrame:
        """Congestion rent by link (each undirected link once, its dearer direction)."""
        frames = []
        for name, res in (("baseline", self.baseline), ("transfer", self.transfer)):
            links = res.links.reset_index()
            best = links.sort_values("rent", ascending=False).drop_duplicates("link")
            frames.append(best.set_index("link")[["rent", "utilisation", "saturated"]]
                          .add_prefix(f"{name}_"))
        return pd.concat(frames, axis=1).sort_values("transfer_rent", ascending=False)


def mode_comparison(G, **kwargs) -> ModeComparison:
    """Clear ``G`` in baseline and transfer-aware mode."""
    return ModeComparison(clear_market(G, mode="baseline", **kwargs),
                          clear_market(G, mode="transfer", **kwargs))


def latency_sweep(G, workload="chat", limits=(100, 80, 60, 50, 40, 30, 25, 20, 15), *,
                  mode="transfer", **kwargs) -> pd.DataFrame:
    """Prices of ``workload`` at every node against its latency limit (tidy)."""
    table = sweep(G, f"latency_ms:{workload}", [float(v) for v in limits], mode=mode, **kwargs)
    table = table.rename(columns={"value": "latency_ms"})
    return table[(table["workload"] == workload) | table["workload"].isna()]


def largest_price_rise(table, loose, tight):
    """(node, rise in %) of the largest price rise from limit ``loose`` to ``tight``."""
    prices = table.pivot_table(index="node", columns="latency_ms", values="price")
    rise = 100.0 * (prices[tight] / prices[loose] - 1.0)
    node = rise.idxmax()
    return node, float(rise[node]), rise


def relaxed(G):
    """A copy of ``G`` where neither links nor latency limits can bind."""
    H = G.copy()
    H.graph["workloads"] = {w: {**spec, "latency_ms": None}
                            for w, spec in G.graph["workloads"].items()}
    for u, v in H.edges:
        H.edges[u, v]["bandwidth_gbps"] = G.edges[u, v]["bandwidth_gbps"] * 1e6
    return H


def merit_order(res, workload=None) -> pd.DataFrame:
    """Compute sites by marginal cost: capacity, dispatch and the clearing price.

    Costs are per reference token (a workload pays ``cost x compute
    intensity``); with ``workload`` given and per-workload costs, that
    workload's costs are used instead.
    """
    nodes = res.nodes.copy()
    if workload is not None:
        cost = res.prices.xs(workload, level="workload")["processing"]
        nodes["cost"] = cost.reindex(nodes.index)
    order = merit_order_table(nodes)
    order["cumulative_capacity"] = order["end"]
    order["utilisation"] = nodes["utilisation"].reindex(order.index)
    order["marginal_cost"] = order["cost"] + order["scarcity"]
    return order[["cost", "capacity", "cumulative_capacity", "compute_used", "utilisation",
                  "scarcity", "marginal_cost"]]


def infeasibility_threshold(G) -> float:
    """Aggregate capacity / aggregate compute need: the demand scale at which compute runs out."""
    capacity = sum(float(d.get("capacity") or 0.0) for _, d in G.nodes(data=True))
    intensity = {w: float(s.get("compute_intensity") or 1.0)
                 for w, s in G.graph["workloads"].items()}
    need = sum(intensity[w] * v for _, d in G.nodes(data=True)
               for w, v in (d.get("demand") or {}).items())
    return capacity / need if need else np.inf


def demand_scaling(G, scales, *, mode="transfer", **kwargs) -> pd.DataFrame:
    """Cost and prices against a uniform demand scale, infeasible points included."""
    return sweep(G, "demand_scale", [float(s) for s in scales], mode=mode, **kwargs).rename(
        columns={"value": "demand_scale"})
