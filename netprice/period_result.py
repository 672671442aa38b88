"""What clearing a market over periods holds: the tables of every period, with a ``period`` level.

A :class:`PeriodResult` is assembled from one *record* per period: the
single-period tables (prices, nodes, links, routes, service), objective and
settlement of that period, as plain JSON-able values.  Independent periods
(nothing may wait) are cleared one by one, here or on Dask workers, and
both ways give records that pass through JSON alike -- so the tables are
the same whichever way they were cleared.  A market whose workloads may
wait is one LP (:mod:`netprice.lp.periods`); its periods' records are
written from it the same way.

Units: per period, $/h (as a single-period result); over the horizon, $
(``objective``, ``settlement``): the sum over periods of $/h x period_hours.
"""

from __future__ import annotations

import json
from functools import cached_property

import numpy as np
import pandas as pd

from .errors import VerificationError
from .result import MarketResult

__all__ = ["PeriodResult", "PeriodView", "period_record", "frame_record", "record_frame",
           "TABLES"]

#: The per-period tables a record carries.
TABLES = ("prices", "nodes", "links", "routes", "service")
#: The index of each table, with the period level last.
_LEVELS = {"prices": ["node", "workload"], "nodes": ["node"], "links": ["source", "target"],
           "service": ["node", "workload"]}


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def plain_json(obj):
    """``obj`` as JSON reads it back: the same values whether it crossed a process or not."""
    return json.loads(json.dumps(obj, default=_plain, allow_nan=True))


def frame_record(frame: pd.DataFrame) -> dict:
    """A table as a JSON-able record, column by column (its index levels first)."""
    index = frame.index
    return {"index_names": list(index.names),
            "index": [index.get_level_values(i).tolist() for i in range(index.nlevels)],
            "columns": {str(c): frame[c].tolist() for c in frame.columns}}


def record_frame(record: dict) -> pd.DataFrame:
    """The table of :func:`frame_record` (after a JSON round trip)."""
    names, arrays = record["index_names"], record["index"]
    index = (pd.MultiIndex.from_arrays(arrays, names=names) if len(names) > 1
             else pd.Index(arrays[0], name=names[0]))
    columns = dict(record["columns"])
    if "path" in columns:
        columns["path"] = [tuple(p) for p in columns["path"]]
    return pd.DataFrame(columns, index=index)


def period_record(res, label, *, tables=None, objective=None, settlement=None,
                  served_period=None, frames=False) -> dict:
    """One period's record from a single-period result (or its tables, when given).

    ``served_period``: (N x W) labels of the periods whose service sets each
    price (default: this period).  ``frames``: keep the tables as
    DataFrames (a record that stays in this process) instead of JSON-able
    columns.
    """
    tables = _Tables(res, label, tables or {})
    prices = tables["prices"].copy()
    if served_period is None:
        served_period = np.where(np.isfinite(prices["price"].to_numpy()), label, None)
    prices["served_period"] = np.asarray(served_period, dtype=object)
    tables["prices"] = prices
    stats = {k: res.stats.get(k) for k in ("rows", "columns", "nonzeros", "solve_seconds",
                                            "total_seconds", "pricing_passes",
                                            "columns_generated", "formulation")}
    record = plain_json({
        "period": label,
        "objective": res.objective if objective is None else objective,
        "status": res.status,
        "mode": res.mode,
        "formulation": res.formulation,
        "solver": res.solver,
        "exact": res.exact,
        "gap_bound": res.stats.get("gap_bound"),
        "settlement": res.settlement if settlement is None else settlement,
        "checks": {name: list(v) for name, v in (res.checks or {}).items()},
        "stats": stats,
    })
    if frames:
        record["frames"] = tables
    else:
        record["tables"] = {name: frame_record(tables[name]) for name in TABLES}
    return record


class _Tables(dict):
    """A period's tables, each made from its single-period result when first asked for.

    Routes are the costly table on a large network (arc flows decomposed
    into paths); a result kept in this process makes them only if read.
    """

    def __init__(self, res, label, given):
        super().__init__(given)
        self.res, self.label = res, label

    def __missing__(self, name):
        frame = getattr(self.res, name)
        if name == "routes":
            frame = frame.copy()
            frame.insert(0, "period", self.label)
        self[name] = frame
        return frame


class PeriodView:
    """One period of a :class:`PeriodResult`, shaped like a single-period result.

    What :func:`netprice.annotate` and the maps read: ``prices``, ``nodes``,
    ``links``, ``service``, ``routes``, ``settlement`` ($/h), ``objective``
    ($/h), ``mode``, ``formulation``, ``solver``, ``status``.
    """

    def __init__(self, parent, index):
        self._parent = parent
        self.index = index
        self.label = parent.periods[index]
        record = parent.records[index]
        self.objective = float(record["objective"])
        self.status = record["status"]
        self.mode = parent.mode
        self.formulation = parent.formulation
        self.solver = parent.solver
        self.settlement = dict(record["settlement"])
        self.checks = parent.checks
        self.stats = dict(record["stats"])
        self.stats.update({"period": self.label, "exact": parent.exact,
                           "gap_bound": record.get("gap_bound")})

    def __repr__(self):
        return (f"<PeriodView {self.label} mode={self.mode} objective={self.objective:,.2f} $/h "
                f"saturated={int(self.links['saturated'].sum())}>")

    def _table(self, name):
        return self._parent._period_tables[self.index][name]

    prices = property(lambda self: self._table("prices"))
    nodes = property(lambda self: self._table("nodes"))
    links = property(lambda self: self._table("links"))
    service = property(lambda self: self._table("service"))
    routes = property(lambda self: self._table("routes"))

    @property
    def exact(self) -> bool:
        return self._parent.exact

    @property
    def answer(self) -> str:
        return self._parent.answer

    # It reads only ``links``, which a period has as a single-period result has.
    saturated_links = MarketResult.saturated_links

    def summary(self) -> dict:
        return {"period": self.label, "mode": self.mode, "status": self.status,
                "objective_per_h": self.objective,
                "saturated_links": int(len(self.saturated_links())),
                "congestion_rents_per_h": self.settlement["congestion_rents"],
                "compute_rents_per_h": self.settlement["compute_rents"]}


class PeriodResult:
    """The verified outcome of clearing a market over periods (docs/model.md section 9).

    Attributes
    ----------
    periods : list of str
        The period labels.
    period_hours : float
    objective : float
        Cost over the horizon, $ (the sum of each period's $/h x period_hours).
    objective_per_h : pandas.Series
        Each period's cost, $/h.
    independent : bool
        True when no workload could wait: each period was cleared as its
        own market (identical to clearing it alone); False for one LP over
        every period with deferred service.
    checks : dict
        ``{check: (worst violation, tolerance)}`` over every period.
    stats : dict
        LP size and timings (of the whole LP, or summed over the periods).

    The tables (``prices``, ``nodes``, ``links``, ``service``) are those of
    a single-period result with a ``period`` index level last; ``routes`` has
    a ``period`` column; ``deferral`` lists what deferrable workloads moved,
    from when to when.  :meth:`period` gives one period as a single-period
    result, for :func:`netprice.annotate` and the maps.
    """

    def __init__(self, records, *, periods, period_hours, mode, formulation, solver,
                 independent, checks=None, stats=None, deferral=None, verifier=None):
        self.records = records
        self.periods = list(periods)
        self.period_hours = float(period_hours)
        self.mode = mode
        self.formulation = formulation
        self.solver = solver
        self.independent = independent
        self.status = ("OPTIMAL" if all(r["status"] == "OPTIMAL" for r in records)
                       else "NOT OPTIMAL")
        self._verifier = verifier
        if checks is None:
            checks = {}
            for record in records:
                for name, (value, tol) in record["checks"].items():
                    checks[name] = (max(checks.get(name, (0.0, tol))[0], value), tol)
        self.checks = {name: tuple(v) for name, v in checks.items()}
        self.stats = dict(stats or {})
        self._deferral = deferral

    def __repr__(self):
        return (f"<PeriodResult {self.status} mode={self.mode} periods={len(self.periods)} "
                f"objective={self.objective:,.2f} $>")

    # -- headline figures -------------------------------------------------------------------
    @cached_property
    def objective_per_h(self) -> pd.Series:
        return pd.Series([float(r["objective"]) for r in self.records],
                         index=pd.Index(self.periods, name="period"), name="cost_per_h")

    @property
    def objective(self) -> float:
        return float(self.objective_per_h.sum() * self.period_hours)

    @property
    def exact(self) -> bool:
        return all(bool(r["exact"]) for r in self.records)

    @property
    def answer(self) -> str:
        if self.exact:
            return "exact (certified)"
        gaps = [r.get("gap_bound") for r in self.records]
        gap = max((g for g in gaps if g is not None), default=float("nan"))
        return f"approximate: at most {100 * gap:.3g} % above exact"

    def verify(self) -> dict:
        """Run the checks again where the solved LPs are at hand; raise if one fails.

        For periods cleared on Dask workers the LPs stayed there: the checks
        they ran are returned (each period was verified before it was sent).
        """
        if self._verifier is not None:
            self.checks = self._verifier()
        failed = [name for name, (value, tol) in self.checks.items() if not value <= tol]
        if failed:
            raise VerificationError(self.checks, failed)
        return self.checks

    # -- tables -----------------------------------------------------------------------------
    @cached_property
    def _period_tables(self) -> list:
        return [r["frames"] if "frames" in r else
                {name: record_frame(r["tables"][name]) for name in TABLES}
                for r in self.records]

    def _stack(self, name) -> pd.DataFrame:
        """The periods' tables one under the other, the period as the last index level."""
        frames = [tables[name] for tables in self._period_tables]
        first = frames[0].index
        same = all(f.index.equals(first) for f in frames[1:])
        if not same or not isinstance(first, pd.MultiIndex):
            stacked = pd.concat(frames, keys=self.periods, names=["period"])
            return stacked.reorder_levels(_LEVELS[name] + ["period"])
        # Every period has the same rows: the index is built from codes, not
        # factorized again (pandas' concat with keys is the slow part here).
        T, n = len(frames), len(first)
        index = pd.MultiIndex(
            levels=list(first.levels) + [pd.Index(self.periods)],
            codes=[np.tile(c, T) for c in first.codes] + [np.repeat(np.arange(T), n)],
            names=list(first.names) + ["period"], verify_integrity=False)
        columns = {c: np.concatenate([f[c].to_numpy() for f in frames]) for c in frames[0].columns}
        return pd.DataFrame(columns, index=index)

    @cached_property
    def prices(self) -> pd.DataFrame:
        """Price per (node, workload, period), $/Mtok, its parts, and the period that sets it.

        For a workload that may wait, the price is that of a token arriving
        then: the cheapest way to serve it within its window
        (``served_period`` names the period), or its value of lost load.
        """
        return self._stack("prices")

    @cached_property
    def nodes(self) -> pd.DataFrame:
        """Per (node, period): capacity, compute used, utilisation, scarcity, served, demand."""
        return self._stack("nodes")

    @cached_property
    def links(self) -> pd.DataFrame:
        """Per (source, target, period): flow, utilisation, saturation, rent."""
        return self._stack("links")

    @cached_property
    def service(self) -> pd.DataFrame:
        """Per (node, workload, period): tokens/s arriving (``demand``), served here, unserved."""
        return self._stack("service")

    @cached_property
    def routes(self) -> pd.DataFrame:
        """Routes with flow, each with its ``period``."""
        return pd.concat([tables["routes"] for tables in self._period_tables],
                         ignore_index=True)

    @cached_property
    def deferral(self) -> pd.DataFrame:
        """Tokens of deferrable workloads served after they arrived.

        Columns: origin, workload, ``arrived`` and ``served`` (period
        labels), ``hours`` waited and ``tokens_per_s`` (a rate over one
        period); tokens served in the period they arrive are included with
        0 hours.  Empty when nothing may wait.
        """
        columns = ["origin", "workload", "arrived", "served", "hours", "tokens_per_s"]
        if self._deferral is None:
            return pd.DataFrame(columns=columns)
        return pd.DataFrame(self._deferral, columns=columns)

    def moved(self) -> pd.DataFrame:
        """Per deferrable workload: tokens arriving, tokens served later, and the share, over the horizon."""
        table = self.deferral
        hours = self.period_hours
        if not len(table):
            return pd.DataFrame(columns=["arrived_mtok", "moved_mtok", "moved_share",
                                         "mean_wait_h"])
        tokens = table["tokens_per_s"] * hours * 3600 / 1e6
        later = table["hours"] > 0
        frame = pd.DataFrame({"workload": table["workload"], "arrived_mtok": tokens,
                              "moved_mtok": np.where(later, tokens, 0.0),
                              "wait": tokens * table["hours"]})
        out = frame.groupby("workload", sort=False).sum()
        out["moved_share"] = out["moved_mtok"] / out["arrived_mtok"]
        out["mean_wait_h"] = out.pop("wait") / out["arrived_mtok"]
        return out

    @cached_property
    def settlement_by_period(self) -> pd.DataFrame:
        """Per period, $/h: cost, payments, compute rents, congestion rents.

        A token that waits pays where and when it arrives and costs where and
        when it is served, so the identity cost = payments - rents holds over
        the horizon (:attr:`settlement`), not period by period.
        """
        rows = [{k: r["settlement"][k] for k in ("cost", "payments", "compute_rents",
                                                 "congestion_rents")} for r in self.records]
        return pd.DataFrame(rows, index=pd.Index(self.periods, name="period"))

    @property
    def settlement(self) -> dict:
        """Over the horizon, $: ``cost = payments - compute_rents - congestion_rents``."""
        total = self.settlement_by_period.sum() * self.period_hours
        out = {k: float(total[k]) for k in total.index}
        out["cost"] = self.objective
        out["identity_gap"] = (out["payments"] - out["compute_rents"]
                               - out["congestion_rents"] - out["cost"])
        return out

    def saturated_links(self, *, undirected=True) -> pd.DataFrame:
        """Saturated links of every period (each undirected link once per period)."""
        frames = [self.period(i).saturated_links(undirected=undirected).assign(period=label)
                  for i, label in enumerate(self.periods)]
        return pd.concat(frames) if frames else pd.DataFrame()

    # -- one period ---------------------------------------------------------------------------
    def period(self, period) -> PeriodView:
        """One period (a label or an index) as a single-period result."""
        if period in self.periods:
            index = self.periods.index(period)
        elif isinstance(period, (int, np.integer)) and -len(self.periods) <= period < len(self.periods):
            index = int(period) % len(self.periods)
        else:
            raise ValueError(f"no period {period!r}: give one of the labels "
                             f"{self.periods[0]!r} ... {self.periods[-1]!r} or an index "
                             f"0..{len(self.periods) - 1}")
        return PeriodView(self, index)

    def peak_period(self) -> str:
        """The label of the period with the highest cost per hour."""
        return str(self.objective_per_h.idxmax())

    def summary(self) -> dict:
        """Headline figures: horizon cost ($), cost per hour of each period, exactness, checks."""
        saturated = sum(len(self.period(i).saturated_links()) for i in range(len(self.periods)))
        return {
            "mode": self.mode,
            "status": self.status,
            "formulation": self.formulation,
            "answer": self.answer,
            "exact": self.exact,
            "periods": len(self.periods),
            "period_hours": self.period_hours,
            "independent": self.independent,
            "objective": self.objective,
            "objective_per_h": {p: float(v) for p, v in self.objective_per_h.items()},
            "peak_period": self.peak_period(),
            "saturated_link_periods": int(saturated),
            "congestion_rents": self.settlement["congestion_rents"],
            "compute_rents": self.settlement["compute_rents"],
            "rows": self.stats.get("rows"),
            "columns": self.stats.get("columns"),
            "solve_seconds": self.stats.get("solve_seconds"),
            "total_seconds": self.stats.get("total_seconds"),
        }

