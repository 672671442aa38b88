"""N-1 contingency: each backbone link and each compute site out in turn.

:func:`contingency` clears the network once per outage -- a link removed
(both arcs), or a compute site's capacity set to 0 (its metro keeps its
demand) -- and ranks the outages by how much they move prices.  It runs
serially, on a local Dask cluster (``workers=N``) or on a running Dask
scheduler (``scheduler="tcp://HOST:PORT"``) with identical results
(:mod:`netprice.distributed`), reuses the base LP across outages
(:meth:`netprice.Market.resolve`), and records an outage that leaves the market
infeasible with its diagnosis instead of raising.

Outputs (with ``out=``, or ``netprice contingency FILE --out DIR``):

==========================  ==================================================
``contingency.csv/.parquet``       one row per outage, ranked (:func:`rank`)
``contingency_prices.csv/.parquet`` every price that moved: base, outage, change
``contingency_ranking.png``        the outages that move prices most
                                   (:func:`~netprice.plots.ranking_plot`)
``worst_outage.html``              price map of the worst outage, the outaged
                                   element marked (:func:`outage_map`)
``parts/``                         finished outages as they arrive (resume)
==========================  ==================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .io.files import png_bytes, table_files, write_all
from .plots import ranking_plot
from .scenarios import Scenario, apply_parameter
from .sweep import ScenarioRunner, run_scenarios

__all__ = ["contingency", "run_contingency", "contingency_scenarios", "contingency_outputs",
           "rank", "ranking_plot", "outage_map", "ContingencyResult", "RANKING_COLUMNS"]

ELEMENTS = ("all", "links", "sites")

#: Columns of the ranking table (units: $/h, $/Mtok, %, tokens/s, seconds).
RANKING_COLUMNS = [
    "rank", "scenario", "element_type", "element", "status",
    "objective", "cost_change", "cost_change_pct",
    "max_price_change", "max_price_change_pct", "max_change_node", "max_change_workload",
    "top_price_changes", "saturated_links", "newly_saturated", "newly_saturated_links",
    "relieved_links", "unserved", "reason", "diagnosis", "parameter", "mode", "reused", "seconds",
]

_STATUS_ORDER = {"INFEASIBLE": 0, "OPTIMAL": 1, "FAILED": 2}


def contingency_scenarios(G, elements="all") -> list:
    """The N-1 scenarios of ``G``: each link out, each compute site out.

    A link outage is ``outage:LINK`` (both arcs removed), a site outage
    ``capacity:NODE`` set to 0 (see :mod:`netprice.scenarios`).

    Links are named by their ``link`` id (both arcs of an undirected link
    go together), in edge order; sites are the nodes with compute capacity.

    Examples
    --------
    >>> import netprice as npx
    >>> G = npx.empty_network({"chat": {"latency_ms": 50, "bytes_per_token": 8}})
    >>> npx.add_site(G, "A", -100.0, 40.0, capacity=1e6, cost=10.0)
    >>> npx.add_site(G, "B", -95.0, 40.0, demand={"chat": 5e5})
    >>> npx.add_link(G, "A", "B", bandwidth_gbps=1.0)
    >>> [s.name for s in contingency_scenarios(G)]
    ['link A-B', 'site A']
    """
    if elements not in ELEMENTS:
        raise ValueError(f"elements must be one of {ELEMENTS}, got {elements!r}")
    scenarios = []
    if elements in ("all", "links"):
        seen = set()
        for u, v, lid in G.edges(data="link"):
            if lid is None:
                raise ValueError(f"edge {u!r}->{v!r} has no 'link' id; contingency names links "
                                 "by it (netprice.add_link and the readers set it)")
            if lid not in seen:
                seen.add(lid)
                scenarios.append(Scenario(f"link {lid}", f"outage:{lid}", None))
    if elements in ("all", "sites"):
        for n, capacity in G.nodes(data="capacity"):
            if capacity and float(capacity) > 0:
                scenarios.append(Scenario(f"site {n}", f"capacity:{n}", 0.0))
    return scenarios


def _element(parameter):
    """``("link", LINK)`` for ``outage:LINK``, ``("site", NODE)`` for ``capacity:NODE``."""
    kind, _, element = parameter.partition(":")
    return ("link" if kind == "outage" else "site"), element


def rank(summary) -> pd.DataFrame:
    """Order outages, worst first, and number them.

    Outages that leave demand unservable (INFEASIBLE) come first; then the
    feasible ones by the absolute size of their largest price change, then
    by their cost change; outages that failed to solve come last.
    """
    frame = summary.copy()
    elements = [_element(p) for p in frame["parameter"]]
    frame["element_type"] = [kind for kind, _ in elements]
    frame["element"] = [element for _, element in elements]
    key = pd.DataFrame({
        "status": frame["status"].map(_STATUS_ORDER).fillna(3),
        "price": -frame["max_price_change"].abs().fillna(-np.inf),
        "cost": -frame["cost_change"].fillna(-np.inf),
        "name": frame["scenario"].astype(str),
    })
    order = key.sort_values(["status", "price", "cost", "name"], kind="stable").index
    frame = frame.loc[order].reset_index(drop=True)
    frame["rank"] = np.arange(1, len(frame) + 1)
    return frame[RANKING_COLUMNS]


@dataclass
class ContingencyResult:
    """What :func:`run_contingency` returns.

    Attributes
    ----------
    ranking : DataFrame
        One row per outage, worst first (:data:`RANKING_COLUMNS`).
    prices : DataFrame
        Every (outage, node, workload) price that moved: base and outage
        price, change ($/Mtok and %), serving site before and after.
    base : MarketResult
        The intact network's result.
    files : list of Path
        What was written under ``out``.
    """

    ranking: pd.DataFrame
    prices: pd.DataFrame
    base: object
    files: list = field(default_factory=list)
    runner: object = None


def run_contingency(G, *, mode="transfer", elements="all", workers=None, scheduler=None,
                    client=None, out=None, resume=True, progress=True, reuse=True, top=20,
                    plot=True, map=True, write=True, **clear_kwargs) -> ContingencyResult:
    """N-1 contingency of ``G`` with its tables, plot and map (see :func:`contingency`).

    ``top`` outages are drawn on the ranking plot; ``plot`` and ``map``
    switch the PNG and the HTML map off.  Files are written only with
    ``out`` and ``write`` (finished outages are kept in ``out/parts/``
    either way).
    """
    scenarios = contingency_scenarios(G, elements)
    runner = ScenarioRunner(G, mode=mode, reuse=reuse, prices="changed", **clear_kwargs)
    if runner.base_error is not None:
        raise runner.base_error  # an N-1 study needs an intact network that clears
    tables = run_scenarios(G, scenarios, workers=workers, scheduler=scheduler, client=client,
                           out=out, resume=resume, progress=progress, runner=runner,
                           description="N-1 contingency", kind="contingency")
    result = ContingencyResult(rank(tables.summary), tables.prices, tables.base, runner=runner)
    if out is not None and write:
        result.files = write_all(contingency_outputs(G, result, out, top=top, plot=plot,
                                                     map=map, mode=mode, **clear_kwargs))
    return result


def contingency_outputs(G, result, out, *, top=20, plot=True, map=True, mode="transfer",
                        **clear_kwargs) -> dict:
    """``{path: content}`` of a contingency's tables, ranking plot and worst-outage map."""
    out = Path(out)
    ranking = result.ranking
    files = table_files({"contingency": ranking, "contingency_prices": result.prices}, out)
    if plot:
        files[out / "contingency_ranking.png"] = png_bytes(
            ranking_plot(ranking, top=top, title=_title(G)))
    worst = ranking[ranking["status"] == "OPTIMAL"].head(1)
    if map and len(worst):
        m = outage_map(G, worst.iloc[0], mode=mode, **clear_kwargs)
        files[out / "worst_outage.html"] = m.get_root().render()
    return files


def contingency(G, *, mode="transfer", elements="all", workers=None, scheduler=None, client=None,
                out=None, resume=True, progress=True, reuse=True, **clear_kwargs) -> pd.DataFrame:
    """N-1 contingency: clear ``G`` with each link and each compute site out in turn.

    Parameters
    ----------
    G : networkx.DiGraph
        A network that clears (an N-1 study of an infeasible network raises
        its :class:`~netprice.InfeasibleMarket`).
    mode : {"transfer", "baseline"}
    elements : {"all", "links", "sites"}
        Which elements to take out.  A link outage removes both arcs; a site
        outage sets the site's compute capacity to 0 (its demand stays).
    workers : int, optional
        Run on a local Dask cluster of this many single-threaded processes.
    scheduler : str, optional
        Run on a running Dask scheduler, ``"tcp://HOST:PORT"``.
    client : distributed.Client, optional
        Run through a Dask client you hold.
    out : path-like, optional
        Write the ranking and price tables (CSV, Parquet), the ranking plot
        (PNG) and the worst outage's map (HTML) here, and keep each finished
        outage in ``out/parts/`` as it arrives (an interrupted run resumes).
    resume : bool
        With ``out``: skip outages a previous run of the same network finished.
    progress : bool
        Show a progress bar while outages run.
    reuse : bool
        Build the base LP once and re-solve each outage from the base basis
        (default); False clears every outage from scratch.
    **clear_kwargs
        Passed to :func:`netprice.clear_market` (formulation, solver, ...).

    Returns
    -------
    DataFrame
        One row per outage, worst first (:data:`RANKING_COLUMNS`): rank,
        element, status, objective ($/h), cost_change ($/h and %), the
        largest price change ($/Mtok and %) with its node and workload, the
        three largest, saturated, newly saturated and relieved links,
        unserved tokens/s, and for an infeasible outage its reason and
        diagnosis (JSON).

    Examples
    --------
    >>> import netprice as npx
    >>> G = npx.empty_network({"chat": {"latency_ms": 50, "bytes_per_token": 8}})
    >>> npx.add_site(G, "A", -100.0, 40.0, capacity=1e6, cost=10.0)
    >>> npx.add_site(G, "B", -95.0, 40.0, capacity=1e6, cost=50.0, demand={"chat": 5e5})
    >>> npx.add_link(G, "A", "B", bandwidth_gbps=1.0)
    >>> table = contingency(G, progress=False)
    >>> table[["scenario", "status", "max_price_change"]].round(6).values.tolist()
    [['link A-B', 'OPTIMAL', 40.0], ['site A', 'OPTIMAL', 40.0], ['site B', 'OPTIMAL', 0.0]]
    """
    return run_contingency(G, mode=mode, elements=elements, workers=workers,
                           scheduler=scheduler, client=client, out=out, resume=resume,
                           progress=progress, reuse=reuse, **clear_kwargs).ranking


def _title(G):
    name = G.graph.get("name") or (G.graph.get("source") or {}).get("file") or "network"
    return f"N-1 contingency of {name}"


#: What the outage map shows of an outage's row.
_FIGURES = ("cost_change", "cost_change_pct", "max_price_change", "max_price_change_pct",
            "max_change_node", "max_change_workload")


def outage_map(G, row, *, mode="transfer", workload=None, tiles="auto", offline=True,
               **clear_kwargs):
    """A price map of the network with one outage, the outaged element marked.

    Clears the outage (from scratch, so the map shows exactly the changed
    network), annotates it and draws it with
    :func:`netprice.outage_maps.outage_price_map`: the removed link is drawn
    dashed in black with a cross at its middle, an outaged site gets a cross
    in a red ring, and a title box gives the outage's cost and largest price
    change.

    Parameters
    ----------
    G : networkx.DiGraph
        The intact network.
    row : pandas Series or namedtuple
        A row of :func:`contingency`'s table (``parameter``, ``scenario`` ...).
    workload : str, optional
        Workload shown first (default: where the largest price change is).

    Returns
    -------
    folium.Map
    """
    from .annotate import annotate
    from .market import clear_market
    from .outage_maps import outage_price_map

    get = row.get if hasattr(row, "get") else lambda k, d=None: getattr(row, k, d)
    parameter = get("parameter")
    H = apply_parameter(G, parameter, 0.0 if parameter.startswith("capacity:") else None)
    res = clear_market(H, mode=mode, **clear_kwargs)
    return outage_price_map(annotate(H, res), G, *_element(parameter),
                            {k: get(k) for k in _FIGURES}, workload=workload, tiles=tiles,
                            offline=offline)
