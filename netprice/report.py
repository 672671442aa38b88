"""Plain-text and rich renderings of results for terminals and reports.

Tables are built as pandas DataFrames first (so ``--json`` and Markdown
reports use the same numbers), then drawn with rich.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["summary_frame", "price_frame", "saturated_frame", "rich_table", "print_table"]


def summary_frame(results: dict) -> pd.DataFrame:
    """One column per mode: objective, saturated links, rents, LP size, seconds."""
    frame = pd.DataFrame({mode: res.summary() for mode, res in results.items()})
    frame = frame.drop(index=["mode"])
    if {"baseline", "transfer"} <= set(results):
        base = results["baseline"].objective
        change = (results["transfer"].objective / base - 1.0) if base else float("nan")
        frame.loc["transfer_vs_baseline", "transfer"] = f"{change:+.2%}"
    return frame


def price_frame(results: dict, names=None) -> pd.DataFrame:
    """Prices in $/Mtok, one row per node, one column per (workload, mode).

    Rows follow the network's node order (as ``res.nodes`` lists them), not
    the sorted order of the ids: a Topology Zoo import's ids "0", "1",
    "10", "2" ... mean nothing sorted.  With ``names`` (``{node: name}``,
    e.g. from the graph), a ``name`` column comes first.
    """
    columns = {}
    order = None
    for mode, res in results.items():
        table = res.prices["price"].unstack("workload")
        order = res.nodes.index if order is None else order
        for w in table.columns:
            columns[(w, mode) if len(results) > 1 else w] = table[w]
    frame = pd.DataFrame(columns)
    if order is not None and set(order) == set(frame.index):
        frame = frame.reindex(order)
    if len(results) > 1:
        frame.columns = pd.MultiIndex.from_tuples(frame.columns, names=["workload", "mode"])
    if names and len(results) == 1:
        shown = [names.get(n) for n in frame.index]
        if any(v is not None and str(v) != str(n) for v, n in zip(shown, frame.index)):
            frame.insert(0, "name", ["" if v is None else str(v) for v in shown])
    return frame


def saturated_frame(results: dict) -> pd.DataFrame:
    """Saturated links (each undirected link once) with utilisation and rent, per mode."""
    frames = []
    for mode, res in results.items():
        sat = res.saturated_links().reset_index()
        sat.insert(0, "mode", mode)
        frames.append(sat[["mode", "link", "source", "target", "flow_gbps", "bandwidth_gbps",
                           "rent"]])
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def _cell(value) -> str:
    if isinstance(value, (float, np.floating)):
        if value != value:
            return "-"
        if abs(value) >= 1000:
            return f"{value:,.2f}"
        # Prices of a few tenths of a $/Mtok need their significant digits.
        return f"{value:.4g}"
    return str(value)


def print_table(console, frame: pd.DataFrame, title: str, *, index=True, max_rows=None,
                rest=None) -> None:
    """Print a DataFrame as a rich table, at most ``max_rows`` rows of it.

    A terminal is no place for 25,600 rows: when rows are left out, a line
    below the table says how many, and ``rest`` where they are.
    """
    more = 0 if max_rows is None or max_rows <= 0 else max(0, len(frame) - max_rows)
    console.print(rich_table(frame.head(max_rows) if more else frame, title, index=index))
    if more:
        console.print(f"... and {more:,} more rows" + (f" ({rest})" if rest else ""),
                      soft_wrap=True)


def rich_table(frame: pd.DataFrame, title: str, *, index=True):
    """A rich Table of a DataFrame (numbers right-aligned, NaN as '-')."""
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    names = list(frame.index.names) if index else []
    for name in names:
        table.add_column(str(name or ""), style="bold", no_wrap=True)
    for col in frame.columns:
        label = "\n".join(str(c) for c in col) if isinstance(col, tuple) else str(col)
        if label == "name":  # long names give way to the numbers, never the other way
            table.add_column(label, no_wrap=True, overflow="ellipsis", max_width=16)
        else:
            table.add_column(label, justify="right", no_wrap=True)
    for key, row in frame.iterrows():
        keys = list(key) if isinstance(key, tuple) else [key]
        table.add_row(*([str(k) for k in keys] if index else []), *[_cell(v) for v in row])
    return table
