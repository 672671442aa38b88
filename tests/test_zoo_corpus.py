"""Every Topology Zoo network imports and clears with verified prices, or is refused clearly.

Reads the corpus from ``../shared/data/topology-zoo`` beside the repository
(or ``$NETPRICE_ZOO``); skipped with a message when it is absent.  Slow:
CI runs it.
"""

import os
from pathlib import Path

import pytest

import netprice as npx
from netprice.io.graphml import read_graphml

ZOO = Path(os.environ.get("NETPRICE_ZOO",
                          Path(__file__).resolve().parents[2] / "shared" / "data" / "topology-zoo"))
FILES = sorted(ZOO.glob("*.graphml")) if ZOO.is_dir() else []

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not FILES, reason=f"Topology Zoo corpus not found at {ZOO} "
                                         "(set NETPRICE_ZOO to its folder)"),
]


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_zoo_network_clears_or_is_refused(path):
    try:
        G = read_graphml(path, seed=0)
    except npx.ValidationError as err:
        assert path.name in str(err) and err.problem
        return
    res = npx.clear_market(G, mode="transfer")
    assert res.status == "OPTIMAL"
    for name, (violation, tolerance) in res.checks.items():
        assert violation <= tolerance, name
    assert res.prices["price"].notna().all()
