"""Parameter sweeps: many scenarios, one tidy table, infeasible points recorded.

A sweep clears one network once per value of a parameter
(:mod:`netprice.scenarios`).  Scenarios run serially by default, on a local
Dask cluster with ``workers=N`` or on a running Dask scheduler with
``scheduler="tcp://HOST:PORT"`` (:mod:`netprice.distributed`); the tables
are the same either way.  With ``reuse=True`` (the default) the base LP is
built once and each scenario that only changes bounds, right-hand sides or
costs is re-solved from the base basis (:meth:`netprice.Market.resolve`); others
are cleared from scratch.  With ``out=`` every finished scenario is kept
on disk as it arrives, so an interrupted sweep resumes where it stopped.

:func:`run_scenarios` returns the two tables of
:mod:`netprice.scenario_tables`: one summary row per scenario, and the
prices per scenario, node and workload (every one, what :func:`sweep`
returns, or only those that moved).
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import pandas as pd

from .distributed import run_tasks
from .errors import InfeasibleMarket, NetpriceError
from .io.files import table_files, write_all
from .scenario_tables import LONG_COLUMNS, SUMMARY_COLUMNS, BaseCase, failure_records, tabulate
from .scenarios import Scenario
from .store import ResultStore, fingerprint, task_key

# The column lists live in netprice.scenario_tables; scripts read them from here too.
__all__ = ["sweep", "scenarios_for", "run_scenarios", "ScenarioRunner", "ScenarioTables",
           "SUMMARY_COLUMNS", "LONG_COLUMNS"]


def scenarios_for(parameter, values):
    """One :class:`Scenario` per value, named ``parameter=value``.

    Names show the shortest rounding of each value (at least six
    significant digits) that still tells the values apart; the scenario
    keeps the exact value.

    Examples
    --------
    >>> [s.name for s in scenarios_for("demand_scale", [0.5, 7 / 13, 1])]
    ['demand_scale=0.5', 'demand_scale=0.538462', 'demand_scale=1']
    >>> [s.name for s in scenarios_for("x", [1.0000001, 1.0000002])]
    ['x=1.0000001', 'x=1.0000002']
    """
    values = list(values)
    return [Scenario(f"{parameter}={label}", parameter, v)
            for label, v in zip(value_labels(values), values)]


def value_labels(values) -> list:
    """Short labels of sweep values, distinct where the values are."""
    for digits in range(6, 18):
        labels = [format(v, f".{digits}g") if isinstance(v, float) else str(v) for v in values]
        if len(set(labels)) == len({repr(v) for v in values}):
            return labels
    return [repr(v) for v in values]


class ScenarioRunner:
    """Clears scenarios of one network and tabulates each against the base network.

    It is what a Dask worker holds: the network (and, with ``reuse``, its LP
    built once, see :meth:`netprice.Market.resolve`) and the base
    figures the changes are measured from
    (:class:`~netprice.scenario_tables.BaseCase`).  Calling it on a
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
            from .market import Market

            self.model = Market(G, mode, **clear_kwargs)
            self.base, self.base_error = self.model.base, self.model.base_error
        else:
            try:
                self.base = clear_market(G, mode=mode, **clear_kwargs)
            except InfeasibleMarket as err:
                self.base_error = err
        self.base_case = BaseCase(self.base)

    def __getstate__(self):
        state = self.__dict__.copy()
        state["base"] = None  # workers need the base figures, not its result object
        return state

    def clear(self, scenario):
        """The verified :class:`~netprice.MarketResult` of one scenario (raises as clear_market)."""
        if self.model is not None:
            return self.model.resolve(scenario)
        from .market import clear_market

        res = clear_market(scenario.apply(self.G), mode=self.mode, **self.clear_kwargs)
        res.stats["reused"] = False
        return res

    def __call__(self, scenario) -> dict:
        start = time.perf_counter()
        try:
            res = self.clear(scenario)
        except (NetpriceError, ValueError) as err:  # InfeasibleMarket among them
            return failure_records(scenario, err, mode=self.mode,
                                   seconds=time.perf_counter() - start)
        return self.base_case.records(scenario, res, mode=self.mode, prices=self.prices,
                                      seconds=time.perf_counter() - start)


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
        :meth:`netprice.Market.resolve`); False clears each from scratch.
    prices : {"all", "changed"}
    runner : ScenarioRunner, optional
        Built already (it holds the base solve); made from the arguments if None.
    **clear_kwargs
        Passed to :func:`netprice.clear_market`.

    Returns
    -------
    ScenarioTables
    """
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
    summary, long = tabulate(results, keys, runner.prices)
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
