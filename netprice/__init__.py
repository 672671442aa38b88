"""netprice: locational, workload-specific prices for AI token flows.

One linear program clears AI workloads over compute sites and backbone
links; its duals are locational prices per (node, workload), compute
scarcity rents and link congestion rents.  See README.md and MODEL.md.
"""

from .datasets import dataset_path, list_datasets
from .errors import (
    InfeasibleMarket,
    NetpriceError,
    SolverError,
    ValidationError,
    VerificationError,
)
from .graph import add_link, add_site, empty_network, serving_sites
from .io.geojson import read_geojson, write_geojson
from .validate import validate

__version__ = "0.1.0"
from .market import clear_market
from .result import MarketResult
from .diagnose import Diagnosis
from .annotate import annotate
from .io.geodataframes import from_geodataframes, to_geodataframes
from .scenarios import Scenario
from .sweep import sweep
