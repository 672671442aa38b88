"""``netprice market``: clear a two-sided market and screen it for market power.

Everything is computed first and written together at the end
(:func:`netprice.io.files.write_all`): a failed command writes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from .common import console, guard, rows_option, seed_option, where_the_rest_is

__all__ = ["market"]


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for the tables (CSV), the charts (PNG) and the RSI map (HTML).")
@click.option("--mode", type=click.Choice(["baseline", "transfer"]), default="transfer",
              show_default=True, help="Token-equivalent baseline or transfer-aware.")
@click.option("--solver", type=click.Choice(["glop", "highs", "highs-ipm"]), default="glop",
              show_default=True, help="LP solver (prices are verified with any).")
@seed_option
@rows_option
@guard
def market(file, out, mode, solver, seed, rows):
    """Clear FILE as a market of offers and bids; write surplus, screens and charts.

    FILE may carry site ``offers`` and node ``bids`` (docs/format.md); a
    market without them is screened all the same.  Writes to OUT:
    prices, offers, bids, surplus (per node) and settlement tables; the
    residual supply index of every seller per workload and region (rsi.csv,
    rsi_map.html); the uniform-price counterfactual (uniform_price.csv,
    uniform_totals.csv); a supply and demand chart per workload.

    \b
    Example:
      netprice market datasets/us5-market.geojson --out out/us5-market
    """
    from rich.console import Console

    from ..io.files import check_writable, write_all
    from ..io.read import read_network
    from ..market import clear_market
    from ..market_power import market_power, uniform_price

    check_writable(folders=[out])
    G = read_network(file, seed=seed)
    with Console(stderr=True).status(f"clearing {file.name}") as status:
        res = clear_market(G, mode=mode, solver=solver)
        status.update(f"screening {file.name} for market power")
        screen = market_power(G, res, mode=mode, solver=solver)
        status.update(f"clearing {file.name} at one uniform price")
        uniform = uniform_price(G, res, mode=mode, solver=solver)
    files = _outputs(G, res, screen, uniform, out)
    write_all(files)
    _print(file, res, screen, uniform, [str(p) for p in files], rows=rows, out_dir=out)


def _outputs(G, res, screen, uniform, out):
    from ..io.files import png_bytes
    from ..market_plots import supply_demand_plot
    from ..screen_maps import rsi_map

    files = {
        out / "prices.csv": res.prices.to_csv(),
        out / "offers.csv": res.offers.to_csv(),
        out / "bids.csv": res.bids.to_csv(),
        out / "surplus.csv": res.surplus.to_csv(),
        out / "settlement.json": json.dumps({**res.settlement, "checks": res.checks},
                                            indent=2, default=float),
        out / "rsi.csv": screen.to_csv(),
        out / "uniform_price.csv": uniform.table.to_csv(),
        out / "uniform_totals.csv": uniform.totals.to_csv(),
    }
    for w in G.graph["workloads"]:
        files[out / f"supply_demand_{w}.png"] = png_bytes(supply_demand_plot(G, res, w))
    if len(screen):
        files[out / "rsi_map.html"] = rsi_map(G, screen).get_root().render()
    return files


def _print(file, res, screen, uniform, written, *, rows=None, out_dir=None):
    import pandas as pd

    from ..report import print_table, rich_table

    out = console()
    s = res.settlement
    keys = ["welfare", "consumer_surplus", "producer_surplus", "compute_rents",
            "congestion_rents", "bid_value", "cost", "payments", "bid_payments"]
    figures = pd.DataFrame({"$/h": [s.get(k, float("nan")) for k in keys]},
                           index=pd.Index(keys, name=str(file.name)))
    out.print(rich_table(figures, f"netprice market: {file} ({res.mode}, {res.answer})"))
    out.print("welfare = consumer surplus + producer surplus + compute rents + congestion "
              "rents; fixed demand states no value, so what it pays counts against consumers")
    where = where_the_rest_is(out_dir)
    print_table(out, res.surplus[["bid_value", "fixed_payments", "consumer_surplus",
                                  "producer_surplus", "compute_rent"]],
                "Surplus by node ($/h; all columns in surplus.csv)", max_rows=rows, rest=where)
    pivotal = screen[screen["pivotal"]]
    print_table(out, pivotal[["load", "deliverable_without", "rsi"]] if len(pivotal)
                else screen[["load", "deliverable_without", "rsi"]],
                "Pivotal sellers (RSI < 1)" if len(pivotal)
                else "Residual supply index: no seller is pivotal", max_rows=rows, rest=where)
    totals = uniform.totals.assign(uniform_price=uniform.prices.reindex(uniform.totals.index))
    out.print(rich_table(totals, "Uniform price vs locational: payments ($/h), price ($/Mtok)"))
    for path in written:
        out.print(f"wrote {path}")
