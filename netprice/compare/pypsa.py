"""A single-workload netprice network as a PyPSA linear optimal power flow.

docs/model.md section 3: when no latency limit binds, the market LP of one
workload is the classic transport model, i.e. the linear optimal power flow
of a network whose every link is a controllable (transport-model) Link.
:func:`to_pypsa` writes that network; solving it with PyPSA must give the
objective and nodal prices of :func:`netprice.clear_market`.

The correspondence, one workload ``w``:

=====================  ======================================================
netprice               PyPSA
=====================  ======================================================
node ``n``             Bus ``str(n)`` (``x``/``y`` = lon/lat)
demand ``D[n, w]``     Load ``str(n)``, ``p_set`` = D
compute site ``n``     Generator ``str(n)``, ``p_nom`` = C[n] / a[w],
that serves ``w``      ``marginal_cost`` = k[n, w]
``voll[w]``            Generator ``"unserved " + str(n)`` at each demand bus,
                       ``p_nom`` = D, ``marginal_cost`` = voll
offer block ``b`` of   Generator ``str(n) + " offer " + b``, ``p_nom`` =
site ``n``             capacity[b] / a[w], ``marginal_cost`` = price[b] x a[w]
bid block ``b`` of     a *negative* Generator ``str(n) + " bid " + b``:
``(n, w)``             ``p_nom`` = tokens_per_s[b], ``p_min_pu`` -1,
                       ``p_max_pu`` 0, ``marginal_cost`` = price[b] (it
                       consumes, and its cost is minus the bid's value)
arc ``u -> v``         Link ``"u->v"`` from bus ``v`` to bus ``u`` (tokens
                       travel u -> v to be served at v; the *service* flows
                       v -> u), ``p_nom`` = B[e] in tokens, ``marginal_cost``
                       = t[e] x bytes[w], efficiency 1, ``p_min_pu`` 0
=====================  ======================================================

Units: PyPSA's "MW" is 1 Mtok/s of the workload, its "MWh" 1 Mtok, so
``marginal_cost`` and ``buses_t.marginal_price`` are in $/Mtok, the unit
of netprice prices.  The single snapshot ``"now"`` lasts 3600 s: its
objective weighting is 3600, so ``n.objective`` is in $/h like
``MarketResult.objective``, and the marginal prices, which PyPSA divides
by that weighting, stay $/Mtok.  A link's bandwidth becomes
``B x 1e9 / (8 x bytes[w])`` tokens/s (``bytes`` per ``mode``: the
workload's ``bytes_per_token`` in ``"transfer"``, ``token_bytes`` in
``"baseline"``).  The dual of a Link's capacity row
(``Link-fix-p-upper``, $/h per Mtok/s, non-positive) converts to
netprice's congestion rent ($/h per Gbit/s, non-negative) by the factor
``-1e3 / (8 x bytes[w])``: :func:`pypsa_rents` does it.

Latency limits and processing latencies have no PyPSA counterpart and are
ignored: the PyPSA model is the market *without* latency limits, equal to
netprice's only when no limit binds.
"""

from __future__ import annotations

from ..graph import bytes_per_token, node_cost, serves, workload_specs

__all__ = ["to_pypsa", "pypsa_prices", "pypsa_rents", "SNAPSHOT", "SECONDS_PER_SNAPSHOT"]

#: The one snapshot of the networks :func:`to_pypsa` writes.
SNAPSHOT = "now"
#: Its duration in seconds (PyPSA objective weighting): makes ``n.objective`` $/h.
SECONDS_PER_SNAPSHOT = 3600.0

_TOKENS_PER_MTOK = 1e6


def _the_workload(G, workload):
    specs = workload_specs(G)
    if workload is None:
        if len(specs) != 1:
            raise ValueError(f"to_pypsa models one workload; the network has {len(specs)} "
                             f"({', '.join(map(str, specs))}): pass workload=")
        workload = next(iter(specs))
    if workload not in specs:
        raise ValueError(f"workload {workload!r} is not in the network's workloads "
                         f"({', '.join(map(str, specs))})")
    for n, data in G.nodes(data=True):
        others = set(data.get("demand") or {}) | set(data.get("bids") or {})
        for other in others - {workload}:
            if (data.get("demand") or {}).get(other) or (data.get("bids") or {}).get(other):
                raise ValueError(
                    f"to_pypsa models one workload, but node {n!r} also has demand or bids "
                    f"for {other!r}: workloads share compute and links, so one alone is a "
                    "different market")
    return workload, specs[workload]


def to_pypsa(G, mode="transfer", *, workload=None):
    """Write a single-workload network as a PyPSA network (transport model).

    Parameters
    ----------
    G : networkx.DiGraph
        A network of the graph contract with one workload (or with demand
        for one workload only, named by ``workload``).
    mode : {"transfer", "baseline"}
        Bytes per token on links, as in :func:`netprice.clear_market`.
    workload : str, optional
        The workload to model; needed when the network declares several.

    Returns
    -------
    pypsa.Network
        Not yet solved; ``n.optimize(solver_name="highs")`` clears it.
        ``n.meta["netprice"]`` records the mode, workload, units and the
        bus name of every node.

    Examples
    --------
    >>> import netprice as npx
    >>> from netprice.compare import to_pypsa, pypsa_prices
    >>> G = npx.empty_network({"chat": {"bytes_per_token": 8}})
    >>> npx.add_site(G, "A", -100.0, 40.0, capacity=1e6, cost=10.0)
    >>> npx.add_site(G, "B", -95.0, 40.0, capacity=1e6, cost=50.0, demand={"chat": 5e5})
    >>> npx.add_link(G, "A", "B", bandwidth_gbps=0.016)
    >>> n = to_pypsa(G)                                   # doctest: +SKIP
    >>> n.optimize(solver_name="highs")                   # doctest: +SKIP
    >>> pypsa_prices(n).to_dict()                         # doctest: +SKIP
    {'A': 10.0, 'B': 50.0}
    """
    import pypsa

    w, spec = _the_workload(G, workload)
    intensity = float(spec["compute_intensity"])
    token_bytes = bytes_per_token(G, mode)[w]
    voll = spec.get("voll")

    n = pypsa.Network()
    n.set_snapshots([SNAPSHOT])
    n.snapshot_weightings.loc[:, :] = SECONDS_PER_SNAPSHOT
    for carrier in ("service", "compute", "transport", "unserved", "bid"):
        n.add("Carrier", carrier)

    bus = {node: str(node) for node in G.nodes}
    if len(set(bus.values())) != len(bus):
        raise ValueError("two nodes have the same str(): PyPSA bus names must be unique")
    n.add("Bus", list(bus.values()), carrier="service",
          x=[float(G.nodes[v].get("lon", 0.0)) for v in bus],
          y=[float(G.nodes[v].get("lat", 0.0)) for v in bus])

    loads, load_mtok = [], []
    for node, data in G.nodes(data=True):
        demand = float((data.get("demand") or {}).get(w, 0.0))
        if demand > 0:
            loads.append(bus[node])
            load_mtok.append(demand / _TOKENS_PER_MTOK)
    if loads:
        n.add("Load", loads, bus=loads, carrier="service", p_set=load_mtok)
        if voll is not None:
            n.add("Generator", [f"unserved {b}" for b in loads], bus=loads, carrier="unserved",
                  p_nom=load_mtok, marginal_cost=float(voll))

    sites = [node for node, data in G.nodes(data=True) if serves(data, w)]
    plain = [s for s in sites if not G.nodes[s].get("offers")]
    if plain:
        n.add("Generator", [bus[s] for s in plain], bus=[bus[s] for s in plain],
              carrier="compute",
              p_nom=[float(G.nodes[s]["capacity"]) / intensity / _TOKENS_PER_MTOK
                     for s in plain],
              marginal_cost=[node_cost(G.nodes[s], w, intensity) for s in plain])
    offers = [(s, k, block) for s in sites if G.nodes[s].get("offers")
              for k, block in enumerate(G.nodes[s]["offers"])]
    if offers:
        n.add("Generator", [f"{bus[s]} offer {k}" for s, k, _ in offers],
              bus=[bus[s] for s, _, _ in offers], carrier="compute",
              p_nom=[float(b["capacity"]) / intensity / _TOKENS_PER_MTOK for _, _, b in offers],
              marginal_cost=[float(b["price"]) * intensity for _, _, b in offers])
    bids = [(node, k, block) for node, data in G.nodes(data=True)
            for k, block in enumerate((data.get("bids") or {}).get(w, ()))]
    if bids:
        n.add("Generator", [f"{bus[v]} bid {k}" for v, k, _ in bids],
              bus=[bus[v] for v, _, _ in bids], carrier="bid",
              p_nom=[float(b["tokens_per_s"]) / _TOKENS_PER_MTOK for _, _, b in bids],
              p_min_pu=-1.0, p_max_pu=0.0,
              marginal_cost=[float(b["price"]) for _, _, b in bids])

    arcs = list(G.edges(data=True))
    if arcs:
        # Gbit/s -> Mtok/s: 1e9 / (8 bytes) tokens per Gbit, 1e-6 Mtok per token.
        mtok_per_gbit = 1e3 / (8.0 * token_bytes)
        # $/GB -> $/Mtok: one Mtok is bytes x 1e6 / 1e9 GB.
        gb_per_mtok = token_bytes * 1e-3
        n.add("Link", [f"{u}->{v}" for u, v, _ in arcs],
              bus0=[bus[v] for _, v, _ in arcs], bus1=[bus[u] for u, _, _ in arcs],
              carrier="transport", efficiency=1.0, p_min_pu=0.0,
              p_nom=[float(d["bandwidth_gbps"]) * mtok_per_gbit for _, _, d in arcs],
              marginal_cost=[float(d.get("cost_per_gb") or 0.0) * gb_per_mtok
                             for _, _, d in arcs])

    n.meta = {"netprice": {
        "mode": mode,
        "workload": str(w),
        "bytes_per_token": token_bytes,
        "compute_intensity": intensity,
        "units": {"p": "Mtok/s", "marginal_cost": "$/Mtok", "objective": "$/h",
                  "snapshot_seconds": SECONDS_PER_SNAPSHOT},
        "mtok_per_gbit": 1e3 / (8.0 * token_bytes),
        "buses": list(bus.values()),
        "arcs": {f"{u}->{v}": [bus[u], bus[v]] for u, v, _ in arcs},
    }}
    return n


def pypsa_prices(n, snapshot=None):
    """Nodal prices of a solved :func:`to_pypsa` network, $/Mtok.

    Parameters
    ----------
    n : pypsa.Network
        Solved (``n.optimize(...)``).
    snapshot : optional
        Which snapshot (default: the first).

    Returns
    -------
    pandas.Series
        ``buses_t.marginal_price`` at that snapshot, indexed by bus name
        (``str(node)``), index named ``"node"``, series named ``"price"``.
    """
    prices = n.buses_t.marginal_price
    if prices.empty:
        raise ValueError("the network has no marginal prices: solve it first "
                         "(n.optimize(solver_name='highs'))")
    row = prices.iloc[0] if snapshot is None else prices.loc[snapshot]
    row = row.astype(float).rename("price")
    row.index = row.index.rename("node")
    return row


def pypsa_rents(n, snapshot=None):
    """Congestion rents of a solved :func:`to_pypsa` network, $/h per Gbit/s.

    Read from the duals of the Links' capacity rows (``Link-fix-p-upper``
    of the linopy model PyPSA keeps in ``n.model``) and converted to
    netprice's unit and sign (see the module notes).

    Returns
    -------
    pandas.Series
        Indexed by ``(source, target)`` = (``str(u)``, ``str(v)``) of the
        netprice arc ``u -> v`` each Link stands for; named ``"rent"``.
    """
    import pandas as pd

    meta = n.meta.get("netprice")
    if meta is None:
        raise ValueError("not a network written by netprice.compare.to_pypsa")
    arcs = meta["arcs"]
    index = pd.MultiIndex.from_tuples([tuple(arcs[name]) for name in arcs],
                                      names=["source", "target"])
    if not arcs:
        return pd.Series([], index=index, dtype=float, name="rent")
    try:
        duals = n.model.constraints["Link-fix-p-upper"].dual.to_pandas()
    except (AttributeError, KeyError) as err:
        raise ValueError("the network has no link duals: solve it first "
                         "(n.optimize(solver_name='highs'))") from err
    row = duals.iloc[0] if snapshot is None else duals.loc[snapshot]
    rent = -row.reindex(list(arcs)).to_numpy(dtype=float) * meta["mtok_per_gbit"]
    return pd.Series(rent, index=index, name="rent")
