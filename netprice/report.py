"""Plain-text and rich renderings of results for terminals and reports.

Tables are built as pandas DataFrames first (so ``--json`` and Markdown
reports use the same numbers), then drawn with rich.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["summary_frame", "price_frame", "saturated_frame", "rich_table"]


def summary_frame(results: dict) -> pd.DataFrame:
    """One column per mode: objective, saturated links, rents, LP size, seconds."""
    frame = pd.DataFrame({mode: res.summary() for mode, res in results.items()})
    frame = frame.drop(index=["mode"])
    if {"baseline", "transfer"} <= set(results):
        base = results["baseline"].objective
        change = (results["transfer"].objective / base - 1.0) if base else float("nan")
        frame.loc["transfer_vs_baseline", "transfer"] = f"{change:+.2%}"
    return frame


def price_frame(results: dict) -> pd.DataFrame:
    """Prices in $/Mtok, one row per node, one column per (workload, mode)."""
    columns = {}
    for mode, res in results.items():
        table = res.prices["price"].unstack("workload")
        for w in table.columns:
            columns[(w, mode) if len(results) > 1 else w] = table[w]
    frame = pd.DataFrame(columns)
    if len(results) > 1:
        frame.columns = pd.MultiIndex.from_tuples(frame.columns, names=["workload", "mode"])
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


def rich_table(frame: pd.DataFrame, title: str, *, index=True):
    """A rich Table of a DataFrame (numbers right-aligned, NaN as '-')."""
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    names = list(frame.index.names) if index else []
    for name in names:
        table.add_column(str(name or ""), style="bold")
    for col in frame.columns:
        label = " ".join(str(c) for c in col) if isinstance(col, tuple) else str(col)
        table.add_column(label, justify="right")
    for key, row in frame.iterrows():
        keys = list(key) if isinstance(key, tuple) else [key]
        table.add_row(*([str(k) for k in keys] if index else []), *[_cell(v) for v in row])
    return table
