"""Parameter sweeps: many scenarios, one tidy table, infeasible points recorded.

A sweep clears one network once per value of a parameter
(:mod:`netprice.scenarios`).  Scenarios run serially by default, on a local
Dask cluster with ``workers=N`` or on a running Dask scheduler with
``scheduler="tcp://HOST:PORT"`` (:mod:`netprice.distributed`); the tables
are the same either way.  With ``reuse=True`` (the default) the base LP is
built once and each scenario that only changes bounds, right-hand sides or
costs is re-solved from the base basis (:mod:`netprice.lp.reuse`); others
are cleared from scratch.  With ``out=`` every finished scenario is kept
on disk as it arrives, so an interrupted sweep resumes where it stopped.

Two tables come out of :func:`run_scenarios`:

* ``summary``, one row per scenario (:data:`SUMMARY_COLUMNS`): status,
  objective ($/h) and its change from the base network ($/h and %), the
  largest price change ($/Mtok and %) and where, the three largest as
  text, saturated links and those newly saturated or relieved, unserved
  tokens/s, the reason and diagnosis of an infeasible or failed scenario;
* ``prices``, one row per scenario, node and workload: the price, its
  parts and the base price (``prices="all"``, what :func:`sweep` returns),
  or only the prices that moved (``prices="changed"``).
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import InfeasibleMarket, NetpriceError
from .io.files import table_files, write_all
from .scenarios import Scenario

__all__ = ["sweep", "run_scenario", "scenarios_for", "run_scenarios", "ScenarioRunner",
           "ScenarioTables", "SUMMARY_COLUMNS"]

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


def scenarios_for(parameter, values):
    """One :class:`Scenario` per value, named ``parameter=value``."""
    return [Scenario(f"{parameter}={v}", parameter, v) for v in values]


def run_scenario(G, scenario, *, mode="transfer", **clear_kwargs) -> pd.DataFrame:
    """Clear one scenario; a tidy frame of prices, or one row saying why it failed."""
    from .market import clear_market

    head = {"scenario": scenario.name, "parameter": scenario.parameter,
            "value": scenario.value, "mode": mode}
    try:
        res = clear_market(scenario.apply(G), mode=mode, **clear_kwargs)
    except InfeasibleMarket as err:
        return pd.DataFrame([{**head, "status": "INFEASIBLE", "objective": np.nan,
                              "saturated_links": np.nan, "reason": err.diagnosis.summary()}])
    except (NetpriceError, ValueError) as err:
        return pd.DataFrame([{**head, "status": "FAILED", "objective": np.nan,
                              "saturated_links": np.nan,
                              "reason": f"{type(err).__name__}: {err}"}])
    frame = res.prices[PRICE_COLUMNS + ["demand"]].reset_index()
    for key, value in reversed(list(head.items())):
        frame.insert(0, key, value)
    frame.insert(4, "status", res.status)
    frame.insert(5, "objective", res.objective)
    frame.insert(6, "saturated_links", len(res.saturated_links()))
    frame["reason"] = None
    return frame


# -- one scenario, tabulated against the base ------------------------------------------------
def _saturated_ids(res) -> set:
    with np.errstate(invalid="ignore", divide="ignore"):
        links = res.links
    removed = set(res.stats.get("removed_arcs") or ())
    sat = links[links["saturated"]]
    return {lid for arc, lid in zip(sat.index, sat["link"]) if arc not in removed}


def _outaged_link(scenario):
    kind, _, what = scenario.parameter.partition(":")
    return what if kind == "outage" else None


class ScenarioRunner:
    """Clears scenarios of one network and tabulates each against the base network.

    It is what a Dask worker holds: the network (and, with ``reuse``, its LP
    built once, see :class:`~netprice.lp.reuse.ReusableMarket`) and the base
    figures the changes are measured from.  Calling it on a
    :class:`~netprice.scenarios.Scenario` returns plain JSON-able records
    (``{"summary": {...}, "prices": {column: [...]}}``) and never raises
    for a scenario that cannot clear: its status and reason are recorded.

    Parameters
    ----------
    G : networkx.DiGraph
    mode : {"transfer", "baseline"}
    reuse : bool
        Build the base LP once and re-solve scenarios from it where possible.
    prices : {"all", "changed"}
        Price rows to keep per scenario: every (node, workload), or those that moved.
    **clear_kwargs
        Passed to :func:`netprice.clear_market` (formulation, solver, ...).
    """

    def __init__(self, G, *, mode="transfer", reuse=True, prices="all", **clear_kwargs):
        from .market import clear_market

        if prices not in ("all", "changed"):
            raise ValueError(f"prices must be 'all' or 'changed', got {prices!r}")
        self.G, self.mode, self.reuse, self.prices = G, mode, bool(reuse), prices
        self.clear_kwargs = dict(clear_kwargs)
        self.model = None
        self.base, self.base_error = None, None
        if self.reuse:
            from .lp.reuse import ReusableMarket

            self.model = ReusableMarket(G, mode, **clear_kwargs)
            self.base, self.base_error = self.model.base, self.model.base_error
        else:
            try:
                self.base = clear_market(G, mode=mode, **clear_kwargs)
            except InfeasibleMarket as err:
                self.base_error = err
        self.base_objective = np.nan
        self.base_prices = None
        self.base_sites = None
        self.base_saturated = None
        if self.base is not None:
            prices = self.base.prices
            self.base_objective = float(self.base.objective)
            self.base_prices = prices["price"].to_dict()
            self.base_sites = prices["serving_node"].to_dict()
            self.base_saturated = _saturated_ids(self.base)

    def __getstate__(self):
        state = self.__dict__.copy()
        state["base"] = None  # workers need the base figures, not its result object
        return state

    def clear(self, scenario):
        """The verified :class:`~netprice.MarketResult` of one scenario (raises as clear_market)."""
        if self.model is not None:
            return self.model.clear(scenario)
        from .market import clear_market

        res = clear_market(scenario.apply(self.G), mode=self.mode, **self.clear_kwargs)
        res.stats["reused"] = False
        return res

    def __call__(self, scenario) -> dict:
        start = time.perf_counter()
        head = {"scenario": scenario.name, "parameter": scenario.parameter,
                "value": scenario.value, "mode": self.mode}
        try:
            res = self.clear(scenario)
        except InfeasibleMarket as err:
            return failure_records(scenario, err, mode=self.mode,
                                   seconds=time.perf_counter() - start)
        except (NetpriceError, ValueError) as err:
            return failure_records(scenario, err, mode=self.mode,
                                   seconds=time.perf_counter() - start)
        return self._records(head, scenario, res, time.perf_counter() - start)

    def _records(self, head, scenario, res, seconds):
        prices = res.prices
        index = list(prices.index)
        price = prices["price"].to_numpy(dtype=float)
        have_base = self.base_prices is not None
        base = np.array([self.base_prices.get(k, np.nan) if have_base else np.nan
                         for k in index], dtype=float)
        change = price - base
        with np.errstate(invalid="ignore", divide="ignore"):
            change_pct = np.where(base != 0, 100.0 * change / np.abs(base), np.nan)
        moved = np.isfinite(change) & (np.abs(change) > PRICE_TOLERANCE
                                       * np.maximum(1.0, np.abs(base)))
        saturated = _saturated_ids(res)
        summary = {**head, "status": res.status, "objective": float(res.objective)}
        summary["cost_change"] = summary["objective"] - self.base_objective
        summary["cost_change_pct"] = (100.0 * summary["cost_change"] / abs(self.base_objective)
                                      if self.base_objective else np.nan)
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
        if self.base_saturated is not None:
            gone = _outaged_link(scenario)
            new = sorted(map(str, saturated - self.base_saturated))
            relieved = sorted(str(x) for x in self.base_saturated - saturated if x != gone)
            summary.update(newly_saturated=len(new), newly_saturated_links="; ".join(new),
                           relieved_links="; ".join(relieved))
        else:
            summary.update(newly_saturated=np.nan, newly_saturated_links=None,
                           relieved_links=None)
        summary.update(unserved=float(res.nodes["unserved"].sum()),
                       reused=bool(res.stats.get("reused", False)), seconds=seconds,
                       reason=None, diagnosis=None)
        if self.prices == "all":
            n = len(index)
            rows = {key: [value] * n for key, value in head.items()}
            rows.update(status=[res.status] * n, objective=[summary["objective"]] * n,
                        saturated_links=[len(saturated)] * n,
                        node=[k[0] for k in index], workload=[k[1] for k in index])
            for col in PRICE_COLUMNS + ["demand"]:
                rows[col] = prices[col].tolist()
            rows.update(reason=[None] * n, base_price=base.tolist(), price_change=change.tolist())
        else:
            lost = np.isnan(price) != np.isnan(base)
            keep = np.flatnonzero(moved | (lost if have_base else False))
            sites = prices["serving_node"].tolist()
            demand = prices["demand"].tolist()
            rows = {"scenario": [scenario.name] * len(keep),
                    "node": [index[k][0] for k in keep],
                    "workload": [index[k][1] for k in keep],
                    "base_price": base[keep].tolist(), "price": price[keep].tolist(),
                    "price_change": change[keep].tolist(),
                    "price_change_pct": change_pct[keep].tolist(),
                    "serving_node": [sites[k] for k in keep],
                    "base_serving_node": [(self.base_sites or {}).get(index[k]) for k in keep],
                    "demand": [demand[k] for k in keep]}
        return {"summary": summary, "prices": rows}


def failure_records(scenario, err, *, mode, seconds=np.nan) -> dict:
    """The records of a scenario that did not clear: INFEASIBLE with its diagnosis, or FAILED."""
    from .store import to_json

    summary = {c: None for c in SUMMARY_COLUMNS}
    summary.update(scenario=scenario.name, parameter=scenario.parameter, value=scenario.value,
                   mode=mode, objective=np.nan, cost_change=np.nan, cost_change_pct=np.nan,
                   max_price_change=np.nan, max_price_change_pct=np.nan,
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


def _run_one(runner, scenario):
    return runner(scenario)


def _is_failure(result):
    return result["summary"]["status"] != "OPTIMAL"


@dataclass
class ScenarioTables:
    """What :func:`run_scenarios` returns.

    Attributes
    ----------
    summary : DataFrame
        One row per scenario, in input order (:data:`SUMMARY_COLUMNS`).
    prices : DataFrame
        Prices per scenario, node and workload (see the module docs).
    base : MarketResult or None
        The base network's result (None if it is infeasible).
    base_error : InfeasibleMarket or None
    runner : ScenarioRunner
        Clears further scenarios of the same network (e.g. for a map).
    """

    summary: pd.DataFrame
    prices: pd.DataFrame
    base: object
    base_error: object
    runner: ScenarioRunner


def graph_digest(G) -> str:
    """A hash of a network's content (graph, node and edge attributes, in order)."""
    from .store import fingerprint

    return fingerprint(G.graph, list(G.nodes(data=True)), list(G.edges(data=True)))


def run_scenarios(G, scenarios, *, mode="transfer", workers=None, scheduler=None, client=None,
                  out=None, resume=True, progress=False, reuse=True, prices="all",
                  description="scenarios", kind="scenarios", runner=None,
                  **clear_kwargs) -> ScenarioTables:
    """Clear every scenario of ``G``; one summary row per scenario and their prices.

    Parameters
    ----------
    G : networkx.DiGraph
    scenarios : list of Scenario
    mode : {"transfer", "baseline"}
    workers : int, optional
        Run on a local Dask cluster of this many single-threaded processes.
    scheduler : str, optional
        Run on the Dask scheduler at this address (``tcp://HOST:PORT``).
    client : distributed.Client, optional
        Run through this Dask client.
    out : path-like, optional
        Keep each finished scenario in ``out/parts/`` as it arrives; a rerun
        with the same network and options skips them.
    resume : bool
        Reuse finished scenarios found in ``out`` (default); False starts over.
    progress : bool
        Show a progress bar.
    reuse : bool
        Build the base LP once and re-solve scenarios from it (see
        :mod:`netprice.lp.reuse`); False clears each from scratch.
    prices : {"all", "changed"}
    runner : ScenarioRunner, optional
        Built already (it holds the base solve); made from the arguments if None.
    **clear_kwargs
        Passed to :func:`netprice.clear_market`.

    Returns
    -------
    ScenarioTables
    """
    from .distributed import run_tasks
    from .store import ResultStore, fingerprint, task_key

    scenarios = list(scenarios)
    if runner is None:
        runner = ScenarioRunner(G, mode=mode, reuse=reuse, prices=prices, **clear_kwargs)
    keys = [task_key(s.name, s.parameter, s.value) for s in scenarios]
    store = None
    if out is not None:
        run_id = fingerprint(kind, graph_digest(G), runner.mode, runner.prices,
                             sorted(runner.clear_kwargs.items()))
        store = ResultStore(out, run_id, resume=resume, kind=kind)
    results = run_tasks(_run_one, runner, scenarios, keys,
                        on_error=functools.partial(failure_records, mode=runner.mode),
                        workers=workers, scheduler=scheduler, client=client, store=store,
                        progress=progress, description=description, is_failure=_is_failure)
    summary = pd.DataFrame([results[k]["summary"] for k in keys], columns=SUMMARY_COLUMNS)
    columns = LONG_COLUMNS if runner.prices == "all" else CHANGED_COLUMNS
    merged = {c: [] for c in columns}
    for k in keys:
        if columns is CHANGED_COLUMNS and results[k]["summary"]["status"] != "OPTIMAL":
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
    return ScenarioTables(summary, long, runner.base, runner.base_error, runner)


def sweep(G, parameter, values, *, mode="transfer", progress=False, workers=None,
          scheduler=None, client=None, out=None, resume=True, reuse=True, **clear_kwargs):
    """Clear ``G`` once per value of ``parameter``; return one tidy DataFrame.

    Parameters
    ----------
    G : networkx.DiGraph
    parameter : str
        What to vary (see :mod:`netprice.scenarios`), e.g. ``"latency_ms:chat"``
        or ``"demand_scale"``.
    values : iterable
        Values to try, in order.
    mode : {"transfer", "baseline"}
    progress : bool
        Show a progress bar (rich) while scenarios run.
    workers : int, optional
        Run on a local Dask cluster of this many processes.
    scheduler : str, optional
        Run on an existing Dask scheduler (``"tcp://HOST:PORT"``).
    client : distributed.Client, optional
        Run through a Dask client you hold.
    out : path-like, optional
        Write ``sweep.csv``/``.parquet`` (this table) and
        ``sweep_summary.csv``/``.parquet`` (one row per value) here, keeping
        finished scenarios in ``out/parts/`` as they arrive.
    resume : bool
        With ``out``: skip scenarios a previous run finished (default).
    reuse : bool
        Reuse the base LP for scenarios that change only bounds, right-hand
        sides or costs (default); results equal a clear from scratch.
    **clear_kwargs
        Passed to :func:`netprice.clear_market`.

    Returns
    -------
    DataFrame
        Columns scenario, parameter, value, mode, status, objective ($/h),
        saturated_links, node, workload, price and its parts ($/Mtok),
        serving_node, demand, reason, base_price and price_change ($/Mtok,
        against ``G`` itself).  An infeasible or failed point is one row
        with its status and the reason, not an exception.

    Examples
    --------
    >>> import netprice as npx
    >>> G = npx.read_geojson(npx.dataset_path("us5"))
    >>> table = npx.sweep(G, "demand_scale", [1.0, 100.0])
    >>> table.groupby("value")["status"].first().to_dict()
    {1.0: 'OPTIMAL', 100.0: 'INFEASIBLE'}
    """
    tables = run_scenarios(G, scenarios_for(parameter, values), mode=mode, workers=workers,
                           scheduler=scheduler, client=client, out=out, resume=resume,
                           progress=progress, reuse=reuse, prices="all",
                           description=f"sweeping {parameter}", kind="sweep", **clear_kwargs)
    if out is not None:
        write_all(table_files({"sweep": tables.prices, "sweep_summary": tables.summary}, out))
    return tables.prices
