"""Cross-checks of netprice against other tools.

:mod:`netprice.compare.pypsa` writes a single-workload network as a PyPSA
linear optimal power flow (the classic transport model of docs/model.md
section 3).  PyPSA is a test and benchmark dependency only: it is imported
when a function that needs it is called, never on import of this package.
"""

from .pypsa import pypsa_prices, pypsa_rents, to_pypsa

__all__ = ["to_pypsa", "pypsa_prices", "pypsa_rents"]
