"""netprice: locational, workload-specific prices for AI token flows.

One linear program clears AI workloads over compute sites and backbone
links; its duals are locational prices per (node, workload), compute
scarcity rents and link congestion rents.  See README.md.

The data flow, module by module::

    io.geojson / io.graphml -> validate -> Market: lp.data -> lp.formulation
      (lp.routes | lp.layers) -> lp.build (lp.blocks) -> lp.solve -> lp.duals
      -> lp.verify -> result -> annotate -> maps / plots
"""

from .annotate import annotate
from .datasets import dataset_path, list_datasets
from .diagnose import Diagnosis
from .errors import (
    InfeasibleMarket,
    InputWarning,
    NetpriceError,
    OutputError,
    SolverError,
    ValidationError,
    VerificationError,
)
from .graph import add_link, add_site, empty_network, serving_sites
from .io.geodataframes import from_geodataframes, to_geodataframes
from .io.geojson import read_geojson, write_geojson
from .market import Market, clear_market
from .market_power import market_power, uniform_price
from .result import MarketResult
from .scenarios import Scenario
from .sweep import sweep
from .validate import validate

__version__ = "0.1.0"

__all__ = [
    "read_geojson", "write_geojson", "read_graphml", "to_geodataframes", "from_geodataframes",
    "empty_network", "add_site", "add_link", "serving_sites", "validate",
    "Market", "clear_market", "MarketResult", "annotate", "price_map", "sweep", "Scenario",
    "market_power", "uniform_price",
    "Diagnosis", "NetpriceError", "ValidationError", "InfeasibleMarket", "SolverError",
    "VerificationError", "OutputError", "InputWarning", "dataset_path", "list_datasets",
]


def __getattr__(name):
    # Maps pull in folium and GraphML import pulls in the synthesis tables:
    # load them when first used, so `import netprice` stays quick.
    if name == "price_map":
        from .maps import price_map
        return price_map
    if name == "read_graphml":
        from .io.graphml import read_graphml
        return read_graphml
    raise AttributeError(f"module 'netprice' has no attribute {name!r}")
