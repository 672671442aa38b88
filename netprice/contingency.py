"""N-1 contingency: each backbone link and each compute site out in turn.

:func:`contingency` clears the network once per outage -- a link removed
(both arcs), or a compute site's capacity set to 0 (its metro keeps its
demand) -- and ranks the outages by how much they move prices.  It runs
serially, on a local Dask cluster (``workers=N``) or on a running Dask
scheduler (``scheduler="tcp://HOST:PORT"``) with identical results
(:mod:`netprice.distributed`), reuses the base LP across outages
(:mod:`netprice.lp.reuse`), and records an outage that leaves the market
infeasible with its diagnosis instead of raising.

Outputs (with ``out=``, or ``netprice contingency FILE --out DIR``):

==========================  ==================================================
``contingency.csv/.parquet``       one row per outage, ranked (:func:`rank`)
``contingency_prices.csv/.parquet`` every price that moved: base, outage, change
``contingency_ranking.png``        the outages that move prices most (:func:`ranking_plot`)
``worst_outage.html``              price map of the worst outage, the outaged
                                   element marked (:func:`outage_map`)
``parts/``                         finished outages as they arrive (resume)
==========================  ==================================================
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .io.files import png_bytes, table_files, write_all
from .scenarios import Scenario

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
_COLORS = {"link": "#3b6ea8", "site": "#d9822b"}


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


def rank(summary) -> pd.DataFrame:
    """Order outages, worst first, and number them.

    Outages that leave demand unservable (INFEASIBLE) come first; then the
    feasible ones by the absolute size of their largest price change, then
    by their cost change; outages that failed to solve come last.
    """
    frame = summary.copy()
    kind, _, element = zip(*[p.partition(":") for p in frame["parameter"]]) if len(frame) else \
        ((), (), ())
    frame["element_type"] = ["link" if k == "outage" else "site" for k in kind]
    frame["element"] = list(element)
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
    from .sweep import ScenarioRunner, run_scenarios

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
        files[out / "contingency_ranking.png"] = png_bytes(ranking_plot(ranking, top=top,
                                                                   title=_title(G)))
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


# -- pictures ------------------------------------------------------------------------------------
def _title(G):
    name = G.graph.get("name") or (G.graph.get("source") or {}).get("file") or "network"
    return f"N-1 contingency of {name}"


def ranking_plot(ranking, *, top=20, title=None, path=None):
    """Horizontal bars: the ``top`` feasible outages by their largest price change.

    Each bar is the signed largest price change ($/Mtok) an outage causes,
    coloured by element type and labelled with where it happens and the
    change in total cost; outages that leave demand unservable are listed
    under the chart.  Drawn with matplotlib's Agg canvas (no display needed).

    Parameters
    ----------
    ranking : DataFrame
        As :func:`contingency` returns it.
    top : int
    title : str, optional
    path : path-like, optional
        Also save the figure here (PNG).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    feasible = ranking[ranking["status"] == "OPTIMAL"].head(top)
    infeasible = ranking[ranking["status"] == "INFEASIBLE"]
    failed = ranking[~ranking["status"].isin(["OPTIMAL", "INFEASIBLE"])]
    n = max(1, len(feasible))
    fig = Figure(figsize=(10, 1.9 + 0.34 * n), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    values = feasible["max_price_change"].fillna(0.0).to_numpy(dtype=float)
    ypos = np.arange(len(feasible))
    ax.barh(ypos, values, color=[_COLORS.get(t, "#777777") for t in feasible["element_type"]],
            height=0.7)
    ax.set_yticks(ypos, [f"{r.rank}. {r.element_type} {r.element}"
                         for r in feasible.itertuples()], fontsize=8)
    ax.invert_yaxis()
    ax.axvline(0.0, color="#333333", linewidth=0.8)
    span = float(np.max(np.abs(values), initial=0.0)) or 1.0
    ax.set_xlim(min(0.0, values.min(initial=0.0)) - 0.05 * span,
                max(0.0, values.max(initial=0.0)) + 0.75 * span)
    for y, r in zip(ypos, feasible.itertuples()):
        where = (f"at {r.max_change_node}/{r.max_change_workload}"
                 if not _missing(r.max_change_node) else "no price moved")
        cost = (f"cost {r.cost_change:+,.0f} $/h ({r.cost_change_pct:+.2f} %)"
                if np.isfinite(r.cost_change) else "")
        sat = f", {int(r.newly_saturated)} newly saturated" if (
            isinstance(r.newly_saturated, (int, float)) and r.newly_saturated
            and np.isfinite(r.newly_saturated)) else ""
        ax.text(max(0.0, values[y]) + 0.02 * span, y, f"{where}; {cost}{sat}", va="center",
                fontsize=7, color="#333333")
    ax.set_xlabel("largest price change caused by the outage ($/Mtok)")
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.legend(handles=[Patch(color=c, label=f"{t} out") for t, c in _COLORS.items()],
              loc="lower right", fontsize=8, frameon=False)
    heading = title or "N-1 contingency"
    ax.set_title(f"{heading}: the {len(feasible)} outages that move prices most", fontsize=11)
    notes = []
    if len(infeasible):
        names = ", ".join(infeasible["scenario"].astype(str).head(8))
        more = f" and {len(infeasible) - 8} more" if len(infeasible) > 8 else ""
        notes.append(f"Infeasible (demand cannot be served): {names}{more}")
    if len(failed):
        notes.append(f"Not solved: {', '.join(failed['scenario'].astype(str).head(8))}")
    if not len(feasible):
        ax.text(0.5, 0.5, "no feasible outage", transform=ax.transAxes, ha="center")
    if notes:
        fig.supxlabel("\n".join(notes), fontsize=8, color="#a11d21")
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=120)
    return fig


def outage_map(G, row, *, mode="transfer", workload=None, tiles="auto", offline=True,
               **clear_kwargs):
    """A price map of the network with one outage, the outaged element marked.

    Clears the outage (from scratch, so the map shows exactly the changed
    network), annotates it and draws it with :func:`netprice.maps.price_map`;
    the removed link is drawn dashed in black with a cross at its middle, an
    outaged site gets a cross in a red ring, and a title box gives the
    outage's cost and largest price change.

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
    import folium

    from .annotate import annotate
    from .maps import price_map
    from .market import clear_market
    from .scenarios import apply_parameter

    get = row.get if hasattr(row, "get") else lambda k, d=None: getattr(row, k, d)
    parameter = get("parameter")
    H = apply_parameter(G, parameter, 0.0 if parameter.startswith("capacity:") else None)
    res = clear_market(H, mode=mode, **clear_kwargs)
    workload = workload or get("max_change_workload")
    if workload not in H.graph["workloads"]:
        workload = None
    m = price_map(annotate(H, res), workload=workload, tiles=tiles, offline=offline)

    kind, _, element = parameter.partition(":")
    layer = folium.FeatureGroup(name="Outaged element", overlay=True, control=True, show=True)
    cross = ('<div style="font: bold 22px sans-serif; color: #111; text-shadow: 0 0 3px #fff, '
             '0 0 3px #fff; width: 24px; height: 24px; line-height: 24px; text-align: center">'
             '&#10006;</div>')
    if kind == "outage":
        arcs = [(u, v, d) for u, v, d in G.edges(data=True) if d.get("link") == element]
        u, v, d = arcs[0]
        geometry = d.get("geometry") or [(G.nodes[u]["lon"], G.nodes[u]["lat"]),
                                          (G.nodes[v]["lon"], G.nodes[v]["lat"])]
        coords = [(float(lat), float(lon)) for lon, lat in geometry]
        tip = (f"Outaged link {element}: {u} - {v}, "
               f"{float(d.get('bandwidth_gbps', float('nan'))):,.4g} Gbit/s per direction lost")
        folium.PolyLine(coords, color="#111111", weight=6, opacity=0.9, dash_array="10 8",
                        tooltip=tip).add_to(layer)
        mid = coords[len(coords) // 2] if len(coords) > 2 else (
            (coords[0][0] + coords[-1][0]) / 2, (coords[0][1] + coords[-1][1]) / 2)
        folium.Marker(mid, icon=folium.DivIcon(html=cross, icon_size=(24, 24),
                                               icon_anchor=(12, 12)),
                      tooltip=tip).add_to(layer)
    else:
        data = G.nodes[element]
        tip = (f"Site {element} out: {float(data.get('capacity') or 0.0):,.0f} reference "
               "tokens/s of compute lost (its demand stays)")
        folium.CircleMarker((data["lat"], data["lon"]), radius=16, color="#c0392b", weight=4,
                            fill=False, tooltip=tip).add_to(layer)
        folium.Marker((data["lat"], data["lon"]), icon=folium.DivIcon(
                          html=cross, icon_size=(24, 24), icon_anchor=(12, 12)),
                      tooltip=tip).add_to(layer)
    layer.add_to(m)
    # The layer control lists the layers that exist when its script runs:
    # draw it after the one added here.
    for key, child in list(m._children.items()):
        if isinstance(child, folium.LayerControl):
            m._children.move_to_end(key)

    def num(value, fmt):
        try:
            value = float(value)
        except (TypeError, ValueError):
            return "n/a"
        return format(value, fmt) if math.isfinite(value) else "n/a"

    where = get("max_change_node")
    moved = (f"largest price change {num(get('max_price_change'), '+,.4g')} $/Mtok "
             f"({num(get('max_price_change_pct'), '+.3g')} %) "
             f"at {where}/{get('max_change_workload')}"
             if not _missing(where) else "no price moved")
    label = f"{'link' if kind == 'outage' else 'site'} {element}"
    html = (
        '<div style="position: fixed; top: 10px; left: 50%; transform: translateX(-50%); '
        'z-index: 9999; background: rgba(255,255,255,0.92); padding: 6px 12px; '
        'border: 1px solid #999; border-radius: 4px; font: 13px sans-serif">'
        f"<b>Outage: {_escape(label)}</b> &mdash; total cost "
        f"{num(get('cost_change'), '+,.2f')} $/h ({num(get('cost_change_pct'), '+.3g')} %); "
        f"{_escape(moved)}</div>")
    m.get_root().html.add_child(folium.Element(html))
    return m


def _missing(value):
    return value is None or (isinstance(value, float) and math.isnan(value))


def _escape(text):
    import html

    return html.escape(str(text))
