"""Exact prices for the market as written (docs/model.md section 8).

The reference here shares no code with netprice's LP: it lists every
admissible route with networkx's ``all_simple_paths``, writes the route LP
of docs/model.md section 3 with scipy, and solves it with HiGHS (``linprog``).
netprice's default formulation must give the same cost, prices that are a
valid optimal dual of that LP (and equal to its duals wherever those are
unique), and routes that keep their limits.
"""

import math

import networkx as nx
import numpy as np
import pytest
from scipy.optimize import linprog

import netprice as npx
from netprice.lp.build import build_lp
from netprice.lp.data import compile_market
from netprice.lp.duals import compute_prices
from netprice.lp.oracle import PricingOracle
from netprice.lp.routes import enumerate_routes
from netprice.lp.solve import solve_lp
from netprice.lp.verify import check, reported_duals

HOUR = 3600 / 1e6          # $/Mtok x tokens/s -> $/h


# -- random markets ---------------------------------------------------------------------------
def random_market(seed):
    """A small market with everything section 8 names: non-integer latencies, processing
    latencies, serves subsets, per-workload costs, shortages with and without voll."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(4, 8))
    voll = [None, float(rng.uniform(20, 80)), float(rng.uniform(20, 80))][int(rng.integers(0, 3))]
    workloads = {
        "chat": {"latency_ms": float(rng.uniform(6, 16)), "bytes_per_token": 8.0,
                 "voll": voll},
        "code": {"latency_ms": float(rng.uniform(6, 20)), "bytes_per_token": 40.0,
                 "compute_intensity": 1.5, "voll": voll},
    }
    if rng.random() < 0.5:
        workloads["batch"] = {"latency_ms": None, "bytes_per_token": 8.0, "voll": voll}
    G = npx.empty_network(workloads, token_bytes=float(rng.choice([2.0, 4.0])))
    names = list(workloads)
    shortage = rng.random() < 0.4 and voll is not None   # shed at voll, or infeasible
    for i in range(n):
        site = i == 0 or rng.random() < 0.5
        kwargs = {}
        if site:
            kwargs["capacity"] = float(rng.uniform(2e4, 2e5)) * (0.3 if shortage else 1.0)
            kwargs["cost"] = ({w: float(rng.uniform(1, 30)) for w in names}
                              if rng.random() < 0.3 else float(rng.uniform(1, 30)))
            kwargs["proc_latency_ms"] = float(rng.choice([0.0, 0.7, 1.3]))
            if rng.random() < 0.25:
                kwargs["serves"] = list(rng.choice(names, size=int(rng.integers(1, len(names))),
                                                   replace=False))
        demand = {w: float(rng.uniform(1e4, 8e4)) for w in names if rng.random() < 0.7}
        npx.add_site(G, i, -100.0 + 2 * i, 40.0 + (i % 3), demand=demand or None, **kwargs)
    edges = {(int(rng.integers(0, i)), i) for i in range(1, n)}
    while len(edges) < n + 2:
        a, b = (int(v) for v in rng.integers(0, n, 2))
        if a != b and (a, b) not in edges and (b, a) not in edges:
            edges.add((a, b))
    for a, b in sorted(edges):
        npx.add_link(G, a, b, bandwidth_gbps=float(rng.uniform(0.2, 4)),
                     latency_ms=float(rng.uniform(0.5, 6.0)),
                     cost_per_gb=float(rng.choice([0.0, rng.uniform(0.01, 0.5)])))
    return G


# -- the reference: every route listed, scipy + HiGHS ----------------------------------------
def reference(G, mode):
    """The route LP of docs/model.md section 3 with every admissible route, solved by linprog.

    Returns None when it is infeasible, else a dict with the objective
    ($/h), the LP (A_eq, A_ub, c, bounds) and its labels.
    """
    wl = G.graph["workloads"]
    names = list(wl)
    nodes = list(G.nodes)
    arcs = list(G.edges)
    tb = G.graph["token_bytes"]
    size = {w: (tb if mode == "baseline" else wl[w]["bytes_per_token"]) for w in names}
    intensity = {w: wl[w].get("compute_intensity") or 1.0 for w in names}

    def cost_at(n, w):
        c = G.nodes[n].get("cost") or 0.0
        return c.get(w, 0.0) if isinstance(c, dict) else c * intensity[w]

    def serves(n, w):
        d = G.nodes[n]
        return bool(d.get("capacity")) and (d.get("serves") is None or w in d["serves"])

    def proc(n):
        return float(G.nodes[n].get("proc_latency_ms") or 0.0)

    demand_rows = [(n, w) for n in nodes for w in names]
    sites = [n for n in nodes if G.nodes[n].get("capacity")]
    columns = []   # (cost $/Mtok, {row: coefficient}, kind, detail)
    for o in nodes:
        for w in names:
            limit = wl[w]["latency_ms"]
            for s in nodes:
                if not serves(s, w):
                    continue
                paths = [[o]] if s == o else (
                    list(nx.all_simple_paths(G, o, s)) if limit is not None else [])
                for path in paths:
                    edges = list(zip(path, path[1:]))
                    latency = sum(G.edges[e]["latency_ms"] for e in edges)
                    if limit is not None and latency + proc(s) > limit + 1e-9:
                        continue
                    transport = sum(G.edges[e]["cost_per_gb"] for e in edges) * size[w] * 1e-3
                    entries = {("d", o, w): 1.0, ("c", s): intensity[w]}
                    for e in edges:
                        entries[("l", e)] = size[w] * 8e-9
                    columns.append((cost_at(s, w) + transport, entries, "route",
                                    (o, w, tuple(path))))
    for w in names:   # no latency limit: arc flows and service, the transport model
        if wl[w]["latency_ms"] is not None:
            continue
        for (u, v) in arcs:
            columns.append((G.edges[u, v]["cost_per_gb"] * size[w] * 1e-3,
                            {("d", u, w): 1.0, ("d", v, w): -1.0, ("l", (u, v)): size[w] * 8e-9},
                            "arc", (u, v, w)))
        for s in nodes:
            if serves(s, w):
                columns.append((cost_at(s, w), {("d", s, w): 1.0, ("c", s): intensity[w]},
                                "serve", (s, w)))
    for n, w in demand_rows:
        d = (G.nodes[n].get("demand") or {}).get(w, 0.0)
        if wl[w].get("voll") is not None and d > 0:
            # Only a node's own demand can be shed there, never more of it.
            columns.append((wl[w]["voll"], {("d", n, w): 1.0}, "unserved", (n, w, d)))
    eq_index = {("d", n, w): k for k, (n, w) in enumerate(demand_rows)}
    ub_rows = [("c", s) for s in sites] + [("l", e) for e in arcs]
    ub_index = {r: k for k, r in enumerate(ub_rows)}
    A_eq = np.zeros((len(eq_index), len(columns)))
    A_ub = np.zeros((len(ub_rows), len(columns)))
    c = np.zeros(len(columns))
    upper = np.full(len(columns), np.inf)
    for j, (cost, entries, kind, detail) in enumerate(columns):
        c[j] = cost
        for row, value in entries.items():
            if row in eq_index:
                A_eq[eq_index[row], j] = value
            else:
                A_ub[ub_index[row], j] = value
        if kind == "unserved":
            upper[j] = detail[2]
    b_eq = np.array([(G.nodes[n].get("demand") or {}).get(w, 0.0) for n, w in demand_rows])
    b_ub = np.array([G.nodes[s]["capacity"] for s in sites]
                    + [G.edges[e]["bandwidth_gbps"] for e in arcs])
    # Units near one for HiGHS (docs/model.md section 2): flows in 1e4 tokens/s.
    scale = 1e4
    sol = linprog(c, A_ub=A_ub, b_ub=b_ub / scale, A_eq=A_eq, b_eq=b_eq / scale,
                  bounds=[(0, None if np.isinf(u) else u / scale) for u in upper],
                  method="highs")
    if sol.status == 2:
        return None
    assert sol.status == 0, sol.message
    return {"objective": sol.fun * scale * HOUR, "c": c, "A_eq": A_eq, "A_ub": A_ub,
            "b_eq": b_eq, "b_ub": b_ub, "upper": upper, "demand_rows": demand_rows,
            "ub_rows": ub_rows, "columns": columns, "scale": scale}


def dual_of(res, ref):
    """netprice's demand-row duals, scarcity and rents as a dual of the reference LP.

    The demand row's dual is the price, except where all demand is shed (the
    price is voll, the row's dual the dearer service) or nothing can serve
    it (any dual above the others): netprice reports those duals too.
    """
    nodes, workloads = list(res._data.nodes), list(res._data.workloads)
    duals = res._prices.demand_duals()
    y = np.array([duals[nodes.index(n), workloads.index(w)] for n, w in ref["demand_rows"]])
    z = []
    for row in ref["ub_rows"]:
        if row[0] == "c":
            z.append(res.nodes.at[row[1], "scarcity"])
        else:
            z.append(res.links.at[row[1], "rent"] * 1e6 / 3600)   # $/Mtok per Gbit/s
    return y, np.array(z)


def assert_valid_dual(res, ref, rtol=1e-7):
    """Dual feasibility on every reference column and strong duality, in $/Mtok.

    A column with an upper bound (unserved demand) may price below its
    reduced cost: its bound's dual is what it lacks.  And the price a user
    reads is the row's dual capped by the value of lost load where demand is.
    """
    y, z = dual_of(res, ref)
    reduced = ref["c"] - ref["A_eq"].T @ y + ref["A_ub"].T @ z
    bounded = np.isfinite(ref["upper"])
    scale = np.maximum(1.0, np.abs(ref["c"]))
    free = ~bounded
    assert (reduced[free] >= -rtol * scale[free]).all(), (
        reduced[free].min(), np.array(ref["columns"], dtype=object)[free][reduced[free].argmin()])
    bound_duals = np.maximum(-reduced[bounded], 0.0)
    dual_value = (ref["b_eq"] @ y - ref["b_ub"] @ z - ref["upper"][bounded] @ bound_duals) * HOUR
    assert dual_value == pytest.approx(ref["objective"], rel=1e-8, abs=1e-9)
    price = res.prices["price"]
    for (n, w), dual in zip(ref["demand_rows"], y):
        v = res._data.voll[list(res._data.workloads).index(w)]
        if res.prices.at[(n, w), "demand"] > 0 and np.isfinite(v):
            assert price[(n, w)] == pytest.approx(min(dual, v), rel=1e-9, abs=1e-12)


# -- the tests --------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("block", range(8))
def test_exact_equals_every_route_listed(block):
    """304 feasible random markets (38 per block), both modes: cost, duals and routes;
    and on the way every infeasible one found infeasible by both."""
    checked = infeasible = 0
    seed = block * 1000 - 1
    while checked < 38:
        seed += 1
        G = random_market(seed)
        mode = "transfer" if seed % 2 else "baseline"
        ref = reference(G, mode)
        if ref is None:
            with pytest.raises(npx.InfeasibleMarket):
                npx.clear_market(G, mode=mode)
            infeasible += 1
            continue
        res = npx.clear_market(G, mode=mode)
        assert res.stats["exact"] and res.stats["gap_bound"] == 0.0, seed
        assert res.objective == pytest.approx(ref["objective"], rel=1e-9, abs=1e-9), seed
        assert_valid_dual(res, ref)
        limits = {w: s["latency_ms"] for w, s in G.graph["workloads"].items()}
        for row in res.routes.itertuples():
            limit = limits[row.workload]
            if limit is not None:
                proc = G.nodes[row.node].get("proc_latency_ms") or 0.0
                assert row.latency_ms + proc <= limit + 1e-9, (seed, row)
        checked += 1
    assert infeasible >= 1


def _price_range(ref, k):
    """Smallest and largest value of demand row k's dual over the optimal dual face."""
    A_eq, A_ub, c = ref["A_eq"], ref["A_ub"], ref["c"]
    m, p = A_eq.shape[0], A_ub.shape[0]
    bounded = np.flatnonzero(np.isfinite(ref["upper"]))
    q = len(bounded)
    # Dual variables: y (free), z >= 0 (capacities), v >= 0 (column bounds).
    # Feasible: A_eq'y - A_ub'z - v <= c; optimal: b'y - cap'z - upper'v = opt.
    V = np.zeros((len(c), q))
    V[bounded, np.arange(q)] = 1.0
    A = np.hstack([A_eq.T, -A_ub.T, -V])
    objective_row = np.concatenate([ref["b_eq"], -ref["b_ub"], -ref["upper"][bounded]]) \
        / ref["scale"]
    optimum = ref["objective"] / HOUR / ref["scale"]
    bounds = [(None, None)] * m + [(0, None)] * (p + q)
    out = []
    for sign in (1, -1):
        goal = np.zeros(m + p + q)
        goal[k] = sign
        sol = linprog(goal, A_ub=A, b_ub=c, A_eq=objective_row[None, :], b_eq=[optimum],
                      bounds=bounds, method="highs")
        out.append(sign * sol.fun if sol.status == 0 else np.nan)
    return out


@pytest.mark.slow
def test_prices_equal_the_reference_duals_where_those_are_unique():
    compared = 0
    for seed in range(40):
        G = random_market(seed)
        ref = reference(G, "transfer")
        if ref is None:
            continue
        res = npx.clear_market(G)
        y, _ = dual_of(res, ref)
        for k, (n, w) in enumerate(ref["demand_rows"]):
            if not (G.nodes[n].get("demand") or {}).get(w):
                continue
            low, high = _price_range(ref, k)
            if np.isfinite(low) and high - low <= 1e-9 * max(1.0, abs(high)):
                assert y[k] == pytest.approx(low, rel=1e-7, abs=1e-9), (seed, n, w)
                compared += 1
    assert compared > 100


def detour_market():
    """O's cheap site is two hops away, a dear one next door: 10 vs 50 $/Mtok."""
    G = npx.empty_network({"chat": {"latency_ms": 30.0, "bytes_per_token": 8.0}})
    npx.add_site(G, "O", -100.0, 40.0, demand={"chat": 1e5})
    npx.add_site(G, "M", -99.0, 40.0)
    npx.add_site(G, "DEAR", -101.0, 40.0, capacity=1e6, cost=50.0)
    npx.add_site(G, "CHEAP", -98.0, 40.0, capacity=1e6, cost=10.0)
    npx.add_link(G, "O", "DEAR", bandwidth_gbps=10.0, latency_ms=2.0)
    npx.add_link(G, "O", "M", bandwidth_gbps=10.0, latency_ms=2.5)
    npx.add_link(G, "M", "CHEAP", bandwidth_gbps=10.0, latency_ms=2.5)
    return G


def test_the_oracle_finds_a_route_withheld_from_the_start():
    """The cheapest route is left out of the seed; column generation must find it."""
    G = detour_market()
    market = npx.Market(G)
    routes = market.routes
    to_cheap = routes.site == list(G.nodes).index("CHEAP")
    assert to_cheap.any()
    seed = routes.subset(~to_cheap)
    market.formulation = market.formulation.__class__(
        "exact", seed, oracle=market.formulation.oracle)
    market.lp = build_lp(market.data, seed, layers={})
    res = market.solve()
    assert res.stats["columns_generated"] >= 1 and res.stats["exact"]
    assert res.prices.at[("O", "chat"), "price"] == pytest.approx(10.0)
    assert res.prices.at[("O", "chat"), "serving_node"] == "CHEAP"
    assert res.routes["path"].tolist() == [("O", "M", "CHEAP")]


# -- verify() with no gaps ----------------------------------------------------------------------
@pytest.fixture
def solved_market():
    """A market with a node without demand whose price only an admissible route sets."""
    G = npx.empty_network({"chat": {"latency_ms": 20.0, "bytes_per_token": 8.0}})
    npx.add_site(G, "A", -100.0, 40.0, capacity=1e5, cost=10.0, demand={"chat": 2e5})
    npx.add_site(G, "B", -99.0, 40.0, capacity=1e6, cost=30.0)
    npx.add_site(G, "C", -98.0, 40.0)                                   # no demand
    npx.add_link(G, "A", "B", bandwidth_gbps=10.0, latency_ms=3.0, cost_per_gb=0.5)
    npx.add_link(G, "B", "C", bandwidth_gbps=10.0, latency_ms=3.0, cost_per_gb=0.5)
    return npx.clear_market(G)


@pytest.mark.parametrize("factor", [0.5, 0.0, -10.0])
def test_a_wrong_price_without_demand_fails(solved_market, factor):
    res = solved_market
    C = res._data.nodes.index("C")
    assert res._prices.price[C, 0] > 0
    res._prices.price[C, 0] *= factor
    res._prices.parts[C, 0] *= factor   # even with parts that add up
    with pytest.raises(npx.VerificationError, match="zero-demand prices"):
        res.verify()


def test_swapped_transport_and_congestion_fail(us5):
    res = npx.clear_market(us5)
    parts = res._prices.parts
    moved = np.argwhere((parts[:, :, 2] > 0) & (parts[:, :, 3] > 0))
    n, w = moved[0]
    parts[n, w, 2], parts[n, w, 3] = parts[n, w, 3], parts[n, w, 2]  # the sum is unchanged
    with pytest.raises(npx.VerificationError, match="price parts"):
        res.verify()


def test_a_restricted_route_lp_fails_the_certificate():
    """Prices of an LP missing the cheapest route are valid for it, not for the market."""
    G = detour_market()
    data = compile_market(G, "transfer")
    routes = enumerate_routes(data)
    direct = routes.subset(routes.site != list(G.nodes).index("CHEAP"))
    lp = build_lp(data, direct)
    solution = solve_lp(lp)
    prices = compute_prices(data, direct, lp, solution.y, solution.x)
    y = reported_duals(lp, prices)
    check(lp, solution.x, y, prices, data=data, routes=direct)   # fine for its own LP
    with pytest.raises(npx.VerificationError, match="route certificate"):
        check(lp, solution.x, y, prices, data=data, routes=direct, oracle=PricingOracle(data))


def test_complementary_slackness_is_relative_to_the_quantities():
    """Round-off of 4.5e-10 on 700 units of flow passes; a real violation does not."""
    from types import SimpleNamespace

    import scipy.sparse as sp

    from netprice.lp.verify import kkt_violations

    lp = SimpleNamespace(matrix=sp.csr_matrix(np.array([[1.0]])), cost=np.array([1.0]),
                         row_lower=np.array([700.0]), row_upper=np.array([700.0]),
                         col_upper=np.array([np.inf]))
    x = np.array([700.0])
    ok = kkt_violations(lp, x, np.array([1.0 - 4.5e-10]))["complementary slackness"]
    assert ok[0] <= ok[1]
    bad = kkt_violations(lp, x, np.array([1.0 - 1e-3]))["complementary slackness"]
    assert bad[0] > bad[1]


# -- no phantom demand --------------------------------------------------------------------------
def test_demand_is_shed_only_where_it_is():
    """The issue's two-node case: A short of compute, an empty B, free transport."""
    G = npx.empty_network({"batch": {"latency_ms": None, "bytes_per_token": 8.0, "voll": 5.0}})
    npx.add_site(G, "A", -100.0, 40.0, capacity=1e5, cost=1.0, demand={"batch": 2e5})
    npx.add_site(G, "B", -99.0, 40.0)
    npx.add_link(G, "A", "B", bandwidth_gbps=100.0)
    for solver in ("glop", "highs"):
        res = npx.clear_market(G, solver=solver)
        assert res.nodes.at["A", "unserved"] == pytest.approx(1e5)
        assert res.nodes.at["B", "unserved"] == 0.0
        assert res.links["flow_gbps"].abs().max() == 0.0
        # B has no demand to shed: its price is what serving a token there costs.
        assert res.prices.at[("B", "batch"), "price"] == pytest.approx(5.0)   # = A's voll route
        assert res.prices.at[("A", "batch"), "price"] == pytest.approx(5.0)


@pytest.mark.parametrize("formulation", ["exact", "route", "layered"])
def test_routes_add_up_to_demand_in_free_transport_shortages(formulation):
    shed = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        G = npx.empty_network({"chat": {"latency_ms": 30.0, "bytes_per_token": 8.0,
                                        "voll": 40.0},
                               "batch": {"latency_ms": None, "bytes_per_token": 8.0,
                                         "voll": 20.0}})
        for i in range(6):
            npx.add_site(G, i, -100.0 + i, 40.0,
                         capacity=float(rng.uniform(1e4, 5e4)) if i < 2 else 0.0,
                         cost=float(rng.uniform(1, 10)),
                         demand={"chat": 4e4, "batch": 4e4} if rng.random() < 0.5 else None)
        for i in range(1, 6):
            npx.add_link(G, int(rng.integers(0, i)), i, bandwidth_gbps=50.0, latency_ms=2.0)
        res = npx.clear_market(G, formulation=formulation)
        service = res.service
        demand = service["demand"]
        assert (service.loc[demand == 0, "unserved"] == 0).all(), seed
        assert (service["unserved"] <= demand + 1e-6).all(), seed
        sent = res.routes.groupby(["origin", "workload"])["tokens_per_s"].sum()
        expected = (demand - service["unserved"])
        expected = expected[expected > 1e-6]
        expected.index.names = ["origin", "workload"]
        np.testing.assert_allclose(sent.reindex(expected.index).fillna(0), expected, rtol=1e-6)
        assert set(sent.index) <= set(expected.index), seed
        shed += int((service["unserved"] > 0).any())
    assert shed >= 10


# -- diagnoses ----------------------------------------------------------------------------------
def test_diagnosis_names_a_workload_no_site_serves():
    G = npx.empty_network({"chat": {"latency_ms": 50.0, "bytes_per_token": 8.0},
                           "image": {"latency_ms": None, "bytes_per_token": 1e3}})
    npx.add_site(G, "A", -100.0, 40.0, capacity=1e6, cost=1.0, serves=["chat"],
                 demand={"image": 1e3})
    npx.add_site(G, "B", -99.0, 40.0)
    npx.add_link(G, "A", "B", bandwidth_gbps=10.0)
    with pytest.raises(npx.InfeasibleMarket, match="no site serves image"):
        npx.clear_market(G)


def test_diagnosis_names_demand_with_no_compute_reachable():
    G = npx.empty_network({"batch": {"latency_ms": None, "bytes_per_token": 8.0}})
    npx.add_site(G, "A", -100.0, 40.0, capacity=1e6, cost=1.0)
    npx.add_site(G, "B", -99.0, 40.0, demand={"batch": 1e3})
    npx.add_site(G, "C", -98.0, 40.0)
    npx.add_link(G, "B", "C", bandwidth_gbps=10.0)
    npx.add_link(G, "A", "C", bandwidth_gbps=10.0, directed=True)
    with pytest.raises(npx.InfeasibleMarket, match="no compute reachable from B"):
        npx.clear_market(G)


# -- approximations say how far from exact they can be -------------------------------------------
def test_layered_rounding_reports_its_bound():
    """0.3 ms links at a 0.25 ms quantum lose the cheap site; the bound covers the loss."""
    G = npx.empty_network({"chat": {"latency_ms": 1.0, "bytes_per_token": 8.0,
                                    "voll": 100.0}})
    npx.add_site(G, "O", -100.0, 40.0, demand={"chat": 1e5})
    npx.add_site(G, "M", -99.9, 40.0)
    npx.add_site(G, "CHEAP", -99.8, 40.0, capacity=1e6, cost=10.0)
    npx.add_site(G, "NEAR", -100.1, 40.0, capacity=1e6, cost=40.0)
    npx.add_link(G, "O", "M", bandwidth_gbps=10.0, latency_ms=0.3)
    npx.add_link(G, "M", "CHEAP", bandwidth_gbps=10.0, latency_ms=0.6)
    npx.add_link(G, "O", "NEAR", bandwidth_gbps=10.0, latency_ms=0.1)
    exact = npx.clear_market(G)
    layered = npx.clear_market(G, formulation="layered", quantum_ms=0.25)
    assert exact.stats["exact"] and exact.answer == "exact (certified)"
    assert layered.objective > exact.objective * 1.5
    assert not layered.stats["exact"] and "above exact" in layered.answer
    bound = layered.stats["lower_bound_per_h"]
    assert bound <= exact.objective * (1 + 1e-9)
    assert layered.objective * (1 - layered.stats["gap_bound"]) == pytest.approx(bound)


def test_a_truncated_enumeration_that_loses_the_optimum_is_not_exact():
    G = npx.empty_network({"chat": {"latency_ms": 100.0, "bytes_per_token": 8.0}})
    for i, cost in enumerate([0.0, 0.0, 0.0, 5.0]):
        npx.add_site(G, i, float(i), 0.0, capacity=1e6 if i == 3 else 0.0, cost=cost,
                     demand={"chat": 1e5} if i == 0 else None)
    npx.add_link(G, 0, 1, bandwidth_gbps=10.0, latency_ms=1.0, cost_per_gb=5.0)
    npx.add_link(G, 1, 3, bandwidth_gbps=10.0, latency_ms=1.0, cost_per_gb=5.0)
    npx.add_link(G, 0, 2, bandwidth_gbps=10.0, latency_ms=2.0)
    npx.add_link(G, 2, 3, bandwidth_gbps=10.0, latency_ms=2.0)
    capped = npx.clear_market(G, formulation="route", max_routes_per_pair=1)
    exact = npx.clear_market(G)
    assert capped.truncated_routes and not capped.stats["exact"]
    assert exact.objective < capped.objective
    assert capped.stats["lower_bound_per_h"] <= exact.objective * (1 + 1e-12)
