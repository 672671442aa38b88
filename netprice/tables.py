"""Tables derived from a cleared market's result, for charts, studies and reports.

They read the result tables (:attr:`~netprice.MarketResult.nodes` ...)
and never solve; :mod:`netprice.plots` draws them and
:mod:`netprice.studies` builds on them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["merit_order_table", "result_table"]


def result_table(obj, attr) -> pd.DataFrame:
    """``obj.attr`` when it is a result, else ``obj`` itself, as a DataFrame."""
    table = getattr(obj, attr, obj)
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"expected a result with .{attr} or a pandas DataFrame, "
                        f"got {type(obj).__name__}")
    return table


def merit_order_table(res_or_table) -> pd.DataFrame:
    """Compute sites in merit order: cheapest first, with cumulative capacity.

    Parameters
    ----------
    res_or_table : result or pandas.DataFrame
        A result (its ``nodes`` table is used) or a table indexed by node
        with columns ``capacity`` (reference tokens/s) and ``cost``
        ($/Mtok per reference token); ``compute_used`` and ``scarcity``
        are used when present.

    Returns
    -------
    pandas.DataFrame
        Index ``node``; columns ``capacity``, ``cost``, ``compute_used``,
        ``scarcity``, ``start``, ``end`` (cumulative capacity), sorted by cost.

    Examples
    --------
    >>> import pandas as pd
    >>> nodes = pd.DataFrame({"capacity": [100, 0, 50], "cost": [50.0, None, 10.0]},
    ...                      index=pd.Index(["dear", "metro", "cheap"], name="node"))
    >>> t = merit_order_table(nodes)
    >>> list(t.index), t["end"].tolist()
    (['cheap', 'dear'], [50.0, 150.0])
    """
    nodes = result_table(res_or_table, "nodes")
    if "capacity" not in nodes.columns or "cost" not in nodes.columns:
        raise ValueError("merit order needs columns 'capacity' (reference tokens/s) and "
                         f"'cost' ($/Mtok); the table has {list(nodes.columns)}")
    t = nodes.copy()
    if t.index.name is None:
        t.index.name = "node"
    t["capacity"] = pd.to_numeric(t["capacity"], errors="coerce").fillna(0.0).astype(float)
    t["cost"] = pd.to_numeric(t["cost"], errors="coerce")
    # a per-workload cost dict has no single merit-order position: drop it with the metros
    t = t[(t["capacity"] > 0) & t["cost"].notna()]
    for col in ("compute_used", "scarcity"):
        t[col] = (pd.to_numeric(t[col], errors="coerce").fillna(0.0) if col in t.columns
                  else np.nan if col == "compute_used" else 0.0)
    t = t.sort_values(["cost", "capacity"], kind="stable")
    t["end"] = t["capacity"].cumsum()
    t["start"] = t["end"] - t["capacity"]
    return t[["capacity", "cost", "compute_used", "scarcity", "start", "end"]]
