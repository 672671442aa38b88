"""Parameter sweeps: many scenarios, one tidy table, infeasible points recorded."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import InfeasibleMarket, NetpriceError
from .scenarios import Scenario

__all__ = ["sweep", "run_scenario", "scenarios_for"]

PRICE_COLUMNS = ["price", "processing", "scarcity", "transport", "congestion", "unserved",
                 "serving_node"]


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


def sweep(G, parameter, values, *, mode="transfer", progress=False, **clear_kwargs):
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

    Returns
    -------
    DataFrame
        Columns scenario, parameter, value, mode, status, objective ($/h),
        saturated_links, node, workload, price and its parts ($/Mtok),
        serving_node, demand, reason.  An infeasible or failed point is one
        row with its status and the reason, not an exception.

    Examples
    --------
    >>> import netprice as npx
    >>> G = npx.read_geojson(npx.dataset_path("us5"))
    >>> table = npx.sweep(G, "demand_scale", [1.0, 100.0])
    >>> table.groupby("value")["status"].first().to_dict()
    {1.0: 'OPTIMAL', 100.0: 'INFEASIBLE'}
    """
    scenarios = scenarios_for(parameter, values)
    frames = []
    iterator = scenarios
    if progress:
        from rich.progress import track

        iterator = track(scenarios, description=f"sweeping {parameter}", transient=True)
    for scenario in iterator:
        frames.append(run_scenario(G, scenario, mode=mode, **clear_kwargs))
    return pd.concat(frames, ignore_index=True)
