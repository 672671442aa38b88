"""``netprice reproduce``: rerun the published case studies and write a report.

The report is a folder with ``report.md`` (tables, the published figures
beside netprice's), PNG plots and HTML maps.  The numbers come from
:mod:`netprice.studies`; this module only lays them out.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import plots, studies
from .annotate import annotate
from .datasets import dataset_path
from .io.files import atomic_write_text, folder_when_done
from .io.geojson import read_geojson

__all__ = ["reproduce", "published_comparison"]

LATENCY_LIMITS = (100, 90, 80, 70, 60, 50, 40, 30, 25, 20, 15)
DEMAND_SCALES = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0)


def _md(frame: pd.DataFrame, floatfmt=",.2f") -> str:
    def cell(v):
        if isinstance(v, (float, np.floating)):
            return "-" if np.isnan(v) else format(v, floatfmt)
        return str(v)

    frame = frame.reset_index() if frame.index.name or any(frame.index.names) else frame
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


def published_comparison(comparison, sweep_table) -> pd.DataFrame:
    """The three published us5 figures beside netprice's."""
    loose, tight = studies.PUBLISHED["chat_limits_ms"]
    node, rise, _ = studies.largest_price_rise(sweep_table, loose, tight)
    return pd.DataFrame([
        {"figure": "saturated backbone links, transfer-aware",
         "published": "4", "netprice": str(len(comparison.transfer.saturated_links()))},
        {"figure": "saturated backbone links, baseline",
         "published": "fewer", "netprice": str(len(comparison.baseline.saturated_links()))},
        {"figure": "total cost, transfer vs baseline",
         "published": "+2.7 %", "netprice": f"{comparison.cost_increase_pct:+.2f} %"},
        {"figure": f"largest chat price rise, {loose:g} ms -> {tight:g} ms",
         "published": "117 % (one node)", "netprice": f"{rise:.1f} % ({node})"},
    ]).set_index("figure")


def reproduce(out, *, us5=None, us20=None, progress=None) -> Path:
    """Rerun both studies and write ``out/report.md`` with plots and maps.

    Parameters
    ----------
    out : path-like
        Folder for the report (created).
    us5, us20 : path-like, optional
        Topologies to use instead of the shipped datasets.
    progress : callable, optional
        Called with a short description of each step.

    Returns
    -------
    Path
        The report's path.
    """
    # Built in a scratch folder and moved in at the end: a failure leaves
    # nothing half-written in ``out``.
    with folder_when_done(out, ".reproduce-") as scratch:
        _write_report(scratch, us5, us20, progress or (lambda text: None))
    return Path(out) / "report.md"


def _write_report(out, us5, us20, say):
    from .maps import price_map

    G5 = read_geojson(us5 or dataset_path("us5"))
    G20 = read_geojson(us20 or dataset_path("us20"))
    lines = ["# netprice: the published case studies, reproduced", "",
             "Liu, *Locational Pricing for Generative-AI Services via Token-Flow Market "
             "Clearing* (2026), reports figures on a 5-node U.S. case and a 20-node scale-up. "
             "Its input tables are not public; netprice ships its own, documented in "
             "`datasets/README.md` (including which numbers were tuned to the published "
             "figures).", ""]

    say("us5: baseline and transfer-aware clearing")
    comparison = studies.mode_comparison(G5)
    say("us5: chat latency sweep")
    latency = studies.latency_sweep(G5, "chat", LATENCY_LIMITS)
    lines += ["## Published figures and netprice's", "",
              _md(published_comparison(comparison, latency)), ""]

    lines += ["## 1. us5: token-equivalent baseline vs transfer-aware", "",
              _md(comparison.table(), ",.6g"), "",
              "Congestion rents by link ($/h per Gbit/s; each undirected link once, its "
              "dearer direction):", "", _md(comparison.rents(), ",.4g"), "",
              "![mode comparison](us5_modes.png)", "", "![rents](us5_rents.png)", "",
              "Maps: [transfer-aware and baseline layers](us5_map.html)", ""]
    plots.mode_comparison_plot(comparison.baseline, comparison.transfer,
                               path=out / "us5_modes.png")
    plots.rent_plot(comparison.transfer, path=out / "us5_rents.png")
    H_transfer = annotate(G5, comparison.transfer)
    H_baseline = annotate(G5, comparison.baseline)
    price_map(H_transfer, workload="chat", compare=H_baseline).save(str(out / "us5_map.html"))

    loose, tight = studies.PUBLISHED["chat_limits_ms"]
    node, rise, rises = studies.largest_price_rise(latency, loose, tight)
    pivot = latency.pivot_table(index="latency_ms", columns="node", values="price")
    pivot = pivot.sort_index(ascending=False)
    lines += ["## 2. us5: chat price against the chat latency limit", "",
              f"Chat prices ($/Mtok) in transfer-aware mode. From {loose:g} ms to {tight:g} ms the "
              f"largest rise is **{rise:.1f} %** at **{node}** (published: 117 % at one node).",
              "", _md(pivot, ".4g"), "", "![latency sweep](us5_latency.png)", ""]
    plots.latency_sweep_plot(latency, path=out / "us5_latency.png")

    say("us20: merit order")
    res20 = studies.mode_comparison(G20).transfer
    order = studies.merit_order(res20)
    lines += ["## 3. us20: merit-order dispatch", "",
              f"Transfer-aware clearing of the 20-node case: cost {res20.objective:,.2f} $/h. "
              "Sites by marginal cost per reference token; cheap sites fill first and the "
              "marginal site sets the price.", "", _md(order, ",.4g"), "",
              "![merit order](us20_merit_order.png)", "",
              "Map: [us20 prices](us20_map.html)", ""]
    plots.merit_order_plot(res20, path=out / "us20_merit_order.png")
    price_map(annotate(G20, res20)).save(str(out / "us20_map.html"))

    say("us20: demand scaling to infeasibility")
    threshold = studies.infeasibility_threshold(G20)
    scales = sorted(set(DEMAND_SCALES) | {round(threshold * 0.999, 4), round(threshold * 1.001, 4)})
    scaling = studies.demand_scaling(G20, scales)
    summary = (scaling.groupby("demand_scale")
               .agg(status=("status", "first"), cost_per_h=("objective", "first"),
                    mean_price=("price", "mean"), max_price=("price", "max")))
    first_infeasible = scaling[scaling["status"] != "OPTIMAL"].sort_values("demand_scale")
    diagnosis = first_infeasible["reason"].iloc[0] if len(first_infeasible) else "none"
    lines += ["## 4. us20: demand growth until the market is infeasible", "",
              f"Aggregate capacity / aggregate compute need = **{threshold:.4f}**: the demand "
              "scale at which compute runs out when links and latency limits do not bind.", "",
              _md(summary, ",.4g"), "",
              f"Diagnosis at the first infeasible point: {diagnosis}", "",
              "![demand scaling](us20_demand.png)", ""]
    plots.demand_scaling_plot(scaling, threshold=threshold, path=out / "us20_demand.png")

    atomic_write_text(out / "report.md", "\n".join(lines) + "\n")
    latency.to_csv(out / "us5_latency_sweep.csv", index=False)
    scaling.to_csv(out / "us20_demand_scaling.csv", index=False)
