"""Independent periods on Dask workers: a day-ahead market cleared in parallel.

When no workload may wait, the periods of a market are separate markets
(:mod:`netprice.horizon`).  :func:`clear_periods` clears them through the
scenario executor (:func:`netprice.distributed.run_tasks`): serially, on
a local Dask cluster (``workers=N``) or on a running scheduler.  Every
period comes back as the same JSON record a serial clearing makes, so the
tables are identical whichever way the periods ran.  A market whose
workloads may wait is one LP: it is cleared here, in one process.
"""

from __future__ import annotations

import time
import warnings

from .distributed import run_tasks
from .errors import InputWarning
from .horizon import assemble_periods, clear_period, independent_periods
from .market import clear_market
from .periods import has_periods, period_labels
from .store import task_key
from .validate import validate as _validate

__all__ = ["clear_periods"]


def _clear_one(shared, t):
    G, mode, options = shared
    record, _ = clear_period(G, t, clear_market, mode, **options)
    return record


def _failed(item, error):
    return {"error": f"{type(error).__name__}: {error}", "period": item}


def clear_periods(G, mode="transfer", *, workers=None, scheduler=None, client=None,
                  progress=False, validate=True, **options):
    """Clear a market over periods, its independent periods spread over Dask workers.

    Parameters
    ----------
    G : networkx.DiGraph
        With ``G.graph["periods"]``.
    mode, options
        As :func:`netprice.clear_market`.
    workers, scheduler, client
        As :func:`netprice.distributed.run_tasks`; none of them clears
        in this process, as :func:`netprice.clear_market` does.
    progress : bool
        A progress bar of the periods done (on stderr).

    Returns
    -------
    netprice.period_result.PeriodResult
        Identical tables to ``clear_market(G, mode, **options)``.

    Raises
    ------
    What :func:`netprice.clear_market` raises, for the first period that fails.
    """
    start = time.perf_counter()
    parallel = any(v is not None for v in (workers, scheduler, client))
    if not has_periods(G) or not parallel:
        return clear_market(G, mode, validate=validate, **options)
    if not independent_periods(G):
        warnings.warn(InputWarning(
            "a workload may wait (defer_h > 0), which couples the periods into one LP: it is "
            "cleared in this process, not on the Dask workers"), stacklevel=2)
        return clear_market(G, mode, validate=validate, **options)
    if validate:
        _validate(G)
    labels = period_labels(G)
    keys = [task_key("period", label) for label in labels]
    results = run_tasks(_clear_one, (G, mode, options), range(len(labels)), keys,
                        on_error=_failed, workers=workers, scheduler=scheduler, client=client,
                        progress=progress, description="clearing periods", batch=1)
    records = []
    for t, key in enumerate(keys):
        record = results[key]
        if "error" in record:
            # Cleared again here, so that the error is the real one, with its diagnosis.
            clear_period(G, t, clear_market, mode, **options)
            raise RuntimeError(f"period {labels[t]} failed on a worker: {record['error']}")
        records.append(record)
    return assemble_periods(G, mode, records, options,
                            stats={"total_seconds": time.perf_counter() - start,
                                   "workers": workers})
