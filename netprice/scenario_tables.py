"""Scenario results as tables, each scenario measured against the base network.

A cleared scenario becomes plain JSON-able records (:meth:`BaseCase.records`,
or :func:`failure_records` for one that did not clear), so that they can
travel back from Dask workers and be kept in the result store; the records
of a whole run become two tables (:func:`tabulate`):

* ``summary``, one row per scenario (:data:`SUMMARY_COLUMNS`): status,
  objective ($/h) and its change from the base network ($/h and %), the
  largest price change ($/Mtok and %) and where, the three largest as
  text, saturated links and those newly saturated or relieved, unserved
  tokens/s, the reason and diagnosis of an infeasible or failed scenario;
* ``prices``, one row per scenario, node and workload: the price, its
  parts and the base price (``prices="all"``, :data:`LONG_COLUMNS`), or
  only the prices that moved (``prices="changed"``, :data:`CHANGED_COLUMNS`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import InfeasibleMarket
from .store import to_json

__all__ = ["BaseCase", "failure_records", "tabulate", "SUMMARY_COLUMNS", "LONG_COLUMNS",
           "CHANGED_COLUMNS", "PRICE_COLUMNS"]

PRICE_COLUMNS = ["price", "processing", "scarcity", "transport", "congestion", "unserved",
                 "serving_node"]

#: Columns of the per-scenario summary table (units: $/h, $/Mtok, %, tokens/s, s).
SUMMARY_COLUMNS = [
    "scenario", "parameter", "value", "mode", "status",
    "objective", "cost_change", "cost_change_pct",
    "max_price_change", "max_price_change_pct", "max_change_node", "max_change_workload",
    "top_price_changes", "saturated_links", "newly_saturated", "newly_saturated_links",
    "relieved_links", "unserved", "reused", "seconds", "reason", "diagnosis",
]

#: Columns of the long price table of a sweep (``prices="all"``).
LONG_COLUMNS = ["scenario", "parameter", "value", "mode", "status", "objective",
                "saturated_links", "node", "workload"] + PRICE_COLUMNS + [
                "demand", "reason", "base_price", "price_change"]

#: Columns of the price table of moved prices (``prices="changed"``).
CHANGED_COLUMNS = ["scenario", "node", "workload", "base_price", "price", "price_change",
                   "price_change_pct", "serving_node", "base_serving_node", "demand"]

# A price "moved" when it changed by more than this, relative to max(1, |price|).
PRICE_TOLERANCE = 1e-9


def _saturated_ids(res) -> set:
    with np.errstate(invalid="ignore", divide="ignore"):
        links = res.links
    removed = set(res.stats.get("removed_arcs") or ())
    sat = links[links["saturated"]]
    return {lid for arc, lid in zip(sat.index, sat["link"]) if arc not in removed}


def _outaged_link(scenario):
    kind, _, what = scenario.parameter.partition(":")
    return what if kind == "outage" else None


def _head(scenario, mode) -> dict:
    return {"scenario": scenario.name, "parameter": scenario.parameter,
            "value": scenario.value, "mode": mode}


class BaseCase:
    """The base network's figures that every scenario is measured against.

    Parameters
    ----------
    res : MarketResult or None
        The base network's result; None if it did not clear (changes are
        then NaN).
    """

    def __init__(self, res=None):
        self.objective = np.nan
        self.prices = None
        self.sites = None
        self.saturated = None
        if res is not None:
            prices = res.prices
            self.objective = float(res.objective)
            self.prices = prices["price"].to_dict()
            self.sites = prices["serving_node"].to_dict()
            self.saturated = _saturated_ids(res)

    def records(self, scenario, res, *, mode, seconds, prices="all") -> dict:
        """``{"summary": {...}, "prices": {column: [...]}}`` of a cleared scenario.

        Parameters
        ----------
        scenario : Scenario
        res : MarketResult
            The scenario's result.
        mode : str
        seconds : float
            Time the scenario took.
        prices : {"all", "changed"}
            Price rows to keep: every (node, workload), or those that moved.
        """
        head = _head(scenario, mode)
        table = res.prices
        index = list(table.index)
        price = table["price"].to_numpy(dtype=float)
        have_base = self.prices is not None
        base = np.array([self.prices.get(k, np.nan) if have_base else np.nan
                         for k in index], dtype=float)
        change = price - base
        with np.errstate(invalid="ignore", divide="ignore"):
            change_pct = np.where(base != 0, 100.0 * change / np.abs(base), np.nan)
        moved = np.isfinite(change) & (np.abs(change) > PRICE_TOLERANCE
                                       * np.maximum(1.0, np.abs(base)))
        saturated = _saturated_ids(res)
        summary = {**head, "status": res.status, "objective": float(res.objective)}
        summary["cost_change"] = summary["objective"] - self.objective
        summary["cost_change_pct"] = (100.0 * summary["cost_change"] / abs(self.objective)
                                      if self.objective else np.nan)
        top = []
        if have_base and np.isfinite(change).any():
            finite = np.flatnonzero(np.isfinite(change))
            order = finite[np.argsort(-np.abs(change[finite]), kind="stable")]
            k = order[0]
            if moved[k]:
                summary.update(max_price_change=float(change[k]),
                               max_price_change_pct=float(change_pct[k]),
                               max_change_node=index[k][0], max_change_workload=index[k][1])
            else:
                summary.update(max_price_change=0.0, max_price_change_pct=0.0,
                               max_change_node=None, max_change_workload=None)
            top = [k for k in order[:3] if moved[k]]
        else:
            summary.update(max_price_change=np.nan, max_price_change_pct=np.nan,
                           max_change_node=None, max_change_workload=None)
        summary["top_price_changes"] = "; ".join(
            f"{index[k][0]}/{index[k][1]} {change[k]:+.4g} ({change_pct[k]:+.3g} %)" for k in top)
        summary["saturated_links"] = len(saturated)
        if self.saturated is not None:
            gone = _outaged_link(scenario)
            new = sorted(map(str, saturated - self.saturated))
            relieved = sorted(str(x) for x in self.saturated - saturated if x != gone)
            summary.update(newly_saturated=len(new), newly_saturated_links="; ".join(new),
                           relieved_links="; ".join(relieved))
        else:
            summary.update(newly_saturated=np.nan, newly_saturated_links=None,
                           relieved_links=None)
        summary.update(unserved=float(res.nodes["unserved"].sum()),
                       reused=bool(res.stats.get("reused", False)), seconds=seconds,
                       reason=None, diagnosis=None)
        if prices == "all":
            n = len(index)
            rows = {key: [value] * n for key, value in head.items()}
            rows.update(status=[res.status] * n, objective=[summary["objective"]] * n,
                        saturated_links=[len(saturated)] * n,
                        node=[k[0] for k in index], workload=[k[1] for k in index])
            for col in PRICE_COLUMNS + ["demand"]:
                rows[col] = table[col].tolist()
            rows.update(reason=[None] * n, base_price=base.tolist(), price_change=change.tolist())
        else:
            lost = np.isnan(price) != np.isnan(base)
            keep = np.flatnonzero(moved | (lost if have_base else False))
            sites = table["serving_node"].tolist()
            demand = table["demand"].tolist()
            rows = {"scenario": [scenario.name] * len(keep),
                    "node": [index[k][0] for k in keep],
                    "workload": [index[k][1] for k in keep],
                    "base_price": base[keep].tolist(), "price": price[keep].tolist(),
                    "price_change": change[keep].tolist(),
                    "price_change_pct": change_pct[keep].tolist(),
                    "serving_node": [sites[k] for k in keep],
                    "base_serving_node": [(self.sites or {}).get(index[k]) for k in keep],
                    "demand": [demand[k] for k in keep]}
        return {"summary": summary, "prices": rows}


def failure_records(scenario, err, *, mode, seconds=np.nan) -> dict:
    """The records of a scenario that did not clear: INFEASIBLE with its diagnosis, or FAILED."""
    summary = {c: None for c in SUMMARY_COLUMNS}
    summary.update(_head(scenario, mode), objective=np.nan, cost_change=np.nan,
                   cost_change_pct=np.nan, max_price_change=np.nan, max_price_change_pct=np.nan,
                   saturated_links=np.nan, newly_saturated=np.nan, unserved=np.nan,
                   reused=False, seconds=seconds)
    if isinstance(err, InfeasibleMarket):
        summary.update(status="INFEASIBLE", reason=err.diagnosis.summary(),
                       diagnosis=to_json(err.diagnosis.to_dict()))
    else:
        summary.update(status="FAILED", reason=f"{type(err).__name__}: {err}")
    long_row = {"scenario": [scenario.name], "parameter": [scenario.parameter],
                "value": [scenario.value], "mode": [mode], "status": [summary["status"]],
                "objective": [np.nan], "saturated_links": [np.nan], "reason": [summary["reason"]]}
    return {"summary": summary, "prices": long_row}


def tabulate(results, keys, prices="all"):
    """The ``summary`` and ``prices`` tables of a run's records, in the order of ``keys``.

    Parameters
    ----------
    results : dict
        ``{key: records}`` as :meth:`BaseCase.records` and :func:`failure_records` give.
    keys : list
        One per scenario, in input order.
    prices : {"all", "changed"}
        Which price rows the records hold.

    Returns
    -------
    summary, prices : DataFrame, DataFrame
    """
    summary = pd.DataFrame([results[k]["summary"] for k in keys], columns=SUMMARY_COLUMNS)
    columns = LONG_COLUMNS if prices == "all" else CHANGED_COLUMNS
    merged = {c: [] for c in columns}
    for k in keys:
        if prices == "changed" and results[k]["summary"]["status"] != "OPTIMAL":
            continue  # no prices moved in a scenario that did not clear
        rows = results[k]["prices"]
        n = len(next(iter(rows.values()))) if rows else 0
        for c in columns:
            merged[c].extend(rows.get(c, [None] * n))
    long = pd.DataFrame(merged, columns=columns)
    for c in ("objective", "saturated_links", "price", "processing", "scarcity", "transport",
              "congestion", "unserved", "demand", "base_price", "price_change",
              "price_change_pct"):
        if c in long:
            long[c] = pd.to_numeric(long[c], errors="coerce").astype(float)
    return summary, long
