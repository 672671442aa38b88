"""Build netprice's shipped U.S. cases: ``us5``, ``us20`` and ``us5-market`` (.geojson).

The GeoJSON files are the artefacts; this script is how they were made.
Every number below comes from a table with a comment giving its origin:
a public figure (EIA electricity prices, cloud GPU-hour prices, MLPerf
inference throughput, census populations, fibre geography, cloud
data-transfer prices), an engineering estimate (said so), or a
calibration choice (marked TUNED or CALIBRATION: chosen so that
netprice's own runs reproduce the published figures of the 5-node case;
datasets/README.md, "What was tuned", lists every one).

Run from the repository root::

    python datasets/build_datasets.py            # writes all three files
    python datasets/check_calibration.py         # prints the us5 figures

It uses only netprice and the standard library.

Units (the netprice graph contract, docs/model.md section 6):
capacity in reference tokens/s, cost in $/Mtok per reference token,
demand in tokens/s, bandwidth in Gbit/s per direction, transport cost in
$/GB; link latency is derived by netprice from the great-circle length
times a route factor of 1.4 over the speed of light in fibre (204 km/ms).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import netprice as npx

HERE = Path(__file__).resolve().parent

# ---------------------------------------------------------------------------
# 1. Shared inputs: what a token is, what it weighs, what it costs to make.
# ---------------------------------------------------------------------------

#: The *reference token*: one generated token of a 70B-parameter chat model
#: (Llama-2/3-70B class) with its share of prompt processing, on an NVIDIA
#: H100 SXM.  Capacities are in reference tokens/s and node costs in $ per
#: million reference tokens; a workload's ``compute_intensity`` says how many
#: reference tokens of capacity one of its tokens uses.
#:
#: Demand is counted in *generated* (output) tokens.  ``bytes_per_token`` is
#: every byte moved per generated token: prompt and context going in, the
#: response coming out, and protocol framing.
TOKEN_BYTES = 4.0  # baseline: ~4 characters of UTF-8 text per token (OpenAI's
#                    rule of thumb "1 token ~ 4 characters of English")

WORKLOADS = {
    # chat: 100 ms one-way network budget for an interactive turn (the
    #   published case's value).  ~4 prompt tokens (resent conversation
    #   history) per generated token at 4 B each, plus the token itself: ~20 B
    #   of text; streamed to the user as server-sent events, where an
    #   OpenAI-style JSON chunk is ~200 B and carries ~2-3 tokens: ~80 B of
    #   framing.  ~100 B per generated token.  Intensity 1.0 by definition of
    #   the reference token.  CALIBRATION: a first draft counted ~20 B (lean
    #   framing); the streamed-SSE figure was adopted because with it the
    #   Bay Area's own chat fills the thin Seattle link at 15 ms (README.md).
    "chat": dict(latency_ms=100.0, bytes_per_token=100.0, compute_intensity=1.0, voll=None,
                 description="interactive chat assistant (70B-class model), streamed"),
    # code: IDE completion is latency-sensitive: 50 ms one-way budget.
    #   Each completion (~200 generated tokens) ships ~6,000 tokens of file
    #   and repository context (~3.5 B/token of source code): ~105 B, plus
    #   ~15 B response and framing = 120 B per generated token.  The long
    #   prefill makes a generated token ~1.3 reference tokens of compute
    #   (prefill runs ~20-30x faster per token than decoding on H100).
    "code": dict(latency_ms=50.0, bytes_per_token=120.0, compute_intensity=1.3, voll=None,
                 description="code completion with repository context"),
    # batch: offline summarisation and extraction, no latency limit.
    #   ~12 input tokens per generated token (documents in, summaries out):
    #   ~48 B + 12 B framing/metadata = 60 B.  Intensity 1.2: long prefill,
    #   partly offset by the large batches offline serving allows.
    "batch": dict(latency_ms=None, bytes_per_token=60.0, compute_intensity=1.2, voll=None,
                  description="offline batch summarisation"),
    # image: text-to-image at 1024x1024, counted in image tokens (a 64x64
    #   latent grid = 4,096 tokens per image).  The delivered image (PNG/WebP,
    #   ~1.6 MB) over 4,096 tokens is ~400 B per token.  An SDXL-class image
    #   takes ~2 H100-seconds (30 steps) = ~6,000 reference tokens, i.e.
    #   ~1.5 reference tokens per image token.  No latency limit: generation
    #   takes seconds, so tens of ms of network are immaterial.
    "image": dict(latency_ms=None, bytes_per_token=400.0, compute_intensity=1.5, voll=None,
                  description="text-to-image generation (1024x1024)"),
}

#: Accelerators: sustained throughput in reference tokens/s per GPU and
#: facility power per GPU (kW, before PUE).
GPUS = {
    # MLPerf Inference v4.0 (2024), Llama-2-70B, offline, 8x H100-SXM:
    # ~24,500 tokens/s -> ~3,060 per GPU.  DGX H100: 10.2 kW max for 8 GPUs.
    "H100": dict(tokens_per_s=3060.0, kw=10.2 / 8),
    # Same benchmark, 8x H200: ~31,700 tokens/s -> ~3,960 per GPU; same 700 W
    # TDP class, so the same server power.
    "H200": dict(tokens_per_s=3960.0, kw=10.2 / 8),
    # A100-80GB: no MLPerf Llama-2-70B entry; ~1,000 tokens/s per GPU
    # (FP16, vLLM-class batching) is an ENGINEERING ESTIMATE (about a third
    # of H100 with FP8).  DGX A100: 6.5 kW for 8 GPUs.
    "A100": dict(tokens_per_s=1000.0, kw=6.5 / 8),
}

#: Electricity, U.S. cents/kWh: EIA Electric Power Monthly, average retail
#: price to the industrial sector by state, 2023 annual (Table 5.6.B),
#: rounded to 0.1 cent.  RECALLED, NOT DOWNLOADED (this was built offline):
#: the values may be off by ~0.5 cent; check them against the EIA table
#: before reusing them elsewhere.  Only the states with compute are listed.
ELECTRICITY_CENTS_PER_KWH = {
    "WA": 6.1, "OR": 7.4, "CA": 19.5, "NV": 8.9, "AZ": 7.6, "UT": 6.6, "CO": 8.6,
    "TX": 6.5, "NE": 7.6, "IL": 8.4, "OH": 8.0, "GA": 7.4, "VA": 8.5,
}


def cost_per_mtok(gpu: str, gpu_hour_usd: float, pue: float, state: str) -> float:
    """Processing cost in $ per million reference tokens.

    (non-energy $/GPU-hour + kW per GPU x PUE x $/kWh) / (million tokens per GPU-hour)
    """
    spec = GPUS[gpu]
    energy_usd_per_h = spec["kw"] * pue * ELECTRICITY_CENTS_PER_KWH[state] / 100.0
    mtok_per_h = spec["tokens_per_s"] * 3600.0 / 1e6
    return (gpu_hour_usd + energy_usd_per_h) / mtok_per_h


def capacity(gpu: str, count: int) -> float:
    """Capacity in reference tokens/s of ``count`` GPUs of a kind."""
    return GPUS[gpu]["tokens_per_s"] * count


#: Transport cost, $/GB per 1,000 km of link length (great circle).  Cloud
#: list prices for data moved between U.S. regions are ~$0.02/GB (AWS, Azure;
#: Google Cloud $0.01-0.02/GB by distance) for what is typically a 2,000-
#: 4,000 km move; netprice charges per link, so the price is spread over the
#: links by length: $0.005/GB per 1,000 km makes a coast-to-coast route
#: (~4,000 km) cost ~$0.02/GB whichever way it is cut into links.
TRANSPORT_USD_PER_GB_PER_1000KM = 0.005


def transport_cost(length_km: float) -> float:
    """$/GB of a link of ``length_km`` (great-circle), rounded to 0.1 mill."""
    return round(TRANSPORT_USD_PER_GB_PER_1000KM * length_km / 1000.0, 4)


# ---------------------------------------------------------------------------
# 2. us5: five AI data-centre metros on a 7-link backbone.
# ---------------------------------------------------------------------------
#
# Each node is a metro (where users' requests enter the backbone) with the
# compute site that serves it; the 1-2 ms between a campus and its metro
# hub (Quincy is ~190 km from Seattle) is ignored.
#
# CALIBRATION: the GPU counts (fleet sizes) were set during calibration so
# that Seattle can absorb most demand when links allow, Dallas is the
# marginal site, and the Bay Area's small A100 fleet can carry its own chat
# at 15 ms; they are plausible campus sizes, not measured ones.

US5_SITES = [
    # id, name, lon, lat, state, GPU, GPUs, non-energy $/GPU-h, PUE
    #
    # SEA: Seattle metro; its compute is the Quincy / Columbia-basin hydro
    #   cluster.  Newest fleet (H200), hyperscale PUE 1.15 (Google reports
    #   ~1.10 fleet-wide).  $2.30/GPU-h non-energy: H200 rents for ~$3-3.5/h
    #   on demand at GPU clouds (2024-25); owned and amortised over 4-5
    #   years it is less.  24,000 GPUs: a large 2025 campus.
    ("SEA", "Seattle / Quincy, WA", -122.33, 47.61, "WA", "H200", 24000, 2.30, 1.15),
    # SJC: Silicon Valley colocation (Santa Clara): older A100 fleet, colo
    #   PUE 1.5 (Uptime Institute survey average ~1.55), California power.
    #   $1.26/GPU-h non-energy: A100-80GB rents for ~$1.1-1.8/h on demand
    #   (2024-25).  TUNED: $1.26 (from a round $1.25) sets the 15 ms chat
    #   price rise at Silicon Valley to 117 %.
    ("SJC", "Silicon Valley, CA", -121.96, 37.35, "CA", "A100", 8000, 1.26, 1.50),
    # DFW: Dallas-Fort Worth hyperscale H100 campus, ERCOT power, PUE 1.2.
    #   $2.00/GPU-h non-energy: H100 SXM rents for ~$2-2.5/h at GPU clouds
    #   (2024-25).
    ("DFW", "Dallas-Fort Worth, TX", -96.80, 32.78, "TX", "H100", 12000, 2.00, 1.20),
    # CHI: Chicago colocation, A100 fleet, PUE 1.4.
    ("CHI", "Chicago, IL", -87.63, 41.88, "IL", "A100", 12000, 1.25, 1.40),
    # IAD: Ashburn (Northern Virginia), the largest U.S. data-centre market;
    #   H100 in colocation, PUE 1.3; a premium for scarce power and space.
    ("IAD", "Ashburn, VA", -77.49, 39.04, "VA", "H100", 6000, 2.20, 1.30),
]

#: Demand, generated tokens/s per metro and workload: ~92 M in all, for the
#: whole country (each hub stands for its region).  CALIBRATION: the total
#: was doubled once during calibration (from ~46 M); the split was not
#: changed.  For orientation: Google reported ~480 trillion tokens a month
#: in May 2025 (~185 M tokens/s, input and output, worldwide) and OpenAI
#: ~6 billion API tokens a minute in October 2025 (~100 M tokens/s).
#: Split roughly by the population each hub serves: IAD the Northeast
#: corridor, CHI the Midwest, DFW Texas and the South, SJC California, SEA
#: the Pacific Northwest; about half of all tokens are chat.
US5_DEMAND = {
    #        chat      code      batch     image
    "SEA": (4.0e6, 1.6e6, 1.6e6, 1.0e6),
    "SJC": (10.0e6, 4.0e6, 3.0e6, 3.0e6),
    "DFW": (10.0e6, 2.4e6, 3.0e6, 2.4e6),
    "CHI": (10.0e6, 2.4e6, 4.0e6, 3.0e6),
    "IAD": (14.0e6, 3.6e6, 5.0e6, 4.0e6),
}

#: Backbone links along the major U.S. long-haul fibre corridors between the
#: five hubs, with the bandwidth available to inference traffic on each,
#: Gbit/s per direction.  ALL BANDWIDTHS ARE TUNED (README.md, "What was
#: tuned"): they are the capacity this service can use on a shared
#: backbone, chosen so that transfer-aware clearing saturates four links.
US5_LINKS = [
    ("SEA", "SJC", 5.0),   # I-5: Seattle-Portland-Sacramento-Bay Area
    ("SEA", "CHI", 45.0),  # northern route: Seattle-Spokane-Minneapolis-Chicago
    ("SJC", "CHI", 20.0),  # central route: Bay Area-Salt Lake City-Denver-Chicago
    ("SJC", "DFW", 20.0),  # southern route: Bay Area-Los Angeles-Phoenix-Dallas
    ("DFW", "CHI", 20.0),  # Dallas-Tulsa-Kansas City-Chicago
    ("DFW", "IAD", 15.0),  # Dallas-Atlanta-Charlotte-Ashburn
    ("CHI", "IAD", 10.0),  # Chicago-Cleveland-Pittsburgh-Ashburn
]


def build_us5():
    """The 5-node case as a netprice graph."""
    G = npx.empty_network(WORKLOADS, token_bytes=TOKEN_BYTES, name="us5")
    G.graph["description"] = (
        "Five U.S. AI data-centre metros on a 7-link backbone. Costs from EIA industrial "
        "electricity prices, GPU-hour prices and MLPerf throughput. Link bandwidths, fleet "
        "sizes, the demand scale, chat payload and one site cost were set in calibration so "
        "that netprice reproduces the published 5-node figures (see datasets/README.md).")
    _add_sites(G, US5_SITES, US5_DEMAND)
    for a, b, gbps in US5_LINKS:
        _add_link(G, a, b, gbps)
    return G


# ---------------------------------------------------------------------------
# 3. us20: twenty metros, fourteen compute sites, a 33-link backbone.
# ---------------------------------------------------------------------------

US20_SITES = [
    # id, name, lon, lat, state, GPU, GPUs, non-energy $/GPU-h, PUE
    #
    # Non-energy $/GPU-h: ENGINEERING ESTIMATES spread over the public price
    # range (H100 $1.87-2.83/h: owned hyperscale capacity at the low end,
    # on-demand GPU-cloud prices at the high end; A100 $0.99-1.26/h), chosen
    # so that no two sites cost within $0.01/Mtok of each other: a clean
    # merit order (README.md).  The five us5 sites keep their us5 costs.
    ("SEA", "Seattle / Quincy, WA", -122.33, 47.61, "WA", "H200", 8000, 2.30, 1.15),
    ("PDX", "Portland / Hillsboro, OR", -122.68, 45.52, "OR", "H100", 6000, 1.87, 1.12),
    ("SJC", "Silicon Valley, CA", -121.96, 37.35, "CA", "A100", 5000, 1.26, 1.50),
    ("LAX", "Los Angeles, CA", -118.24, 34.05, "CA", None, 0, None, None),
    ("RNO", "Reno / Tahoe-Reno, NV", -119.81, 39.53, "NV", "H100", 2500, 2.83, 1.25),
    ("PHX", "Phoenix, AZ", -112.07, 33.45, "AZ", "H100", 4000, 2.59, 1.35),
    ("SLC", "Salt Lake City, UT", -111.89, 40.76, "UT", "H100", 2000, 2.49, 1.20),
    ("DEN", "Denver, CO", -104.99, 39.74, "CO", "A100", 3000, 0.99, 1.35),
    ("DFW", "Dallas-Fort Worth, TX", -96.80, 32.78, "TX", "H100", 8000, 2.00, 1.20),
    ("HOU", "Houston, TX", -95.37, 29.76, "TX", "A100", 4000, 1.11, 1.45),
    ("OMA", "Omaha / Council Bluffs, NE", -95.94, 41.26, "NE", "H100", 5000, 2.11, 1.12),
    ("MCI", "Kansas City, MO", -94.58, 39.10, "MO", None, 0, None, None),
    ("MSP", "Minneapolis-St Paul, MN", -93.27, 44.98, "MN", None, 0, None, None),
    ("CHI", "Chicago, IL", -87.63, 41.88, "IL", "A100", 6000, 1.25, 1.40),
    ("CMH", "Columbus / New Albany, OH", -82.99, 39.96, "OH", "H100", 5000, 2.35, 1.20),
    ("ATL", "Atlanta, GA", -84.39, 33.75, "GA", "H100", 4000, 2.72, 1.30),
    ("MIA", "Miami, FL", -80.19, 25.76, "FL", None, 0, None, None),
    ("IAD", "Ashburn, VA", -77.49, 39.04, "VA", "H100", 8000, 2.20, 1.30),
    ("NYC", "New York, NY", -74.01, 40.71, "NY", None, 0, None, None),
    ("BOS", "Boston, MA", -71.06, 42.36, "MA", None, 0, None, None),
]

#: Metro population, millions (U.S. Census Bureau, 2020 census, metropolitan
#: statistical areas; SJC is San Francisco-Oakland plus San Jose, IAD the
#: Washington metro area; rounded).
US20_POPULATION_M = {
    "NYC": 20.1, "LAX": 13.2, "CHI": 9.6, "DFW": 7.6, "HOU": 7.1, "IAD": 6.4, "MIA": 6.1,
    "ATL": 6.1, "BOS": 4.9, "PHX": 4.8, "SJC": 6.7, "SEA": 4.0, "MSP": 3.7, "DEN": 3.0,
    "PDX": 2.5, "SLC": 1.3, "MCI": 2.2, "CMH": 2.1, "OMA": 1.0, "RNO": 0.5,
}

#: Generated tokens/s per resident: 0.8, i.e. ~90 M tokens/s over the 20
#: metros' ~113 M residents: about the national total of us5, each metro
#: standing for its surrounding region too.
US20_TOKENS_PER_RESIDENT = 0.8

#: Workload shares of generated tokens (chat, code, batch, image): about half
#: chat everywhere; the two software hubs ask for twice the code.
US20_MIX = (0.52, 0.15, 0.18, 0.15)
US20_MIX_TECH_HUB = (0.37, 0.30, 0.18, 0.15)
US20_TECH_HUBS = {"SJC", "SEA"}

#: Backbone: the long-haul corridors of the large U.S. fibre networks
#: between these metros.  Bandwidth is ample on purpose (100 Gbit/s, one
#: 100G wave, on every link: at most ~35 % used even at the capacity limit):
#: us20 shows merit-order dispatch and the capacity limit, not congestion.
US20_BANDWIDTH_GBPS = 100.0
US20_LINKS = [
    ("SEA", "PDX"), ("SEA", "MSP"), ("SEA", "SLC"), ("PDX", "SJC"), ("SJC", "LAX"),
    ("SJC", "RNO"), ("RNO", "SLC"), ("LAX", "PHX"), ("PHX", "DFW"), ("PHX", "DEN"),
    ("SLC", "DEN"), ("DEN", "MCI"), ("DEN", "DFW"), ("DEN", "OMA"), ("OMA", "CHI"),
    ("OMA", "MCI"), ("MSP", "CHI"), ("MSP", "OMA"), ("MCI", "CHI"), ("MCI", "DFW"),
    ("DFW", "HOU"), ("HOU", "ATL"), ("DFW", "ATL"), ("ATL", "MIA"), ("ATL", "IAD"),
    ("ATL", "CHI"), ("CHI", "CMH"), ("CMH", "IAD"), ("CHI", "NYC"), ("IAD", "NYC"),
    ("NYC", "BOS"), ("HOU", "MIA"), ("BOS", "CHI"),
]


def us20_demand():
    """{metro: (chat, code, batch, image)} in generated tokens/s, rounded to 10,000."""
    demand = {}
    for metro, people in US20_POPULATION_M.items():
        mix = US20_MIX_TECH_HUB if metro in US20_TECH_HUBS else US20_MIX
        total = people * 1e6 * US20_TOKENS_PER_RESIDENT
        demand[metro] = tuple(round(total * share, -4) for share in mix)
    return demand


def build_us20():
    """The 20-node case as a netprice graph."""
    G = npx.empty_network(WORKLOADS, token_bytes=TOKEN_BYTES, name="us20")
    G.graph["description"] = (
        "Twenty U.S. metros (fourteen with compute, six demand-only) on a 33-link "
        "backbone with ample bandwidth: merit-order dispatch and the aggregate capacity "
        "limit (see datasets/README.md).")
    _add_sites(G, US20_SITES, us20_demand())
    for a, b in US20_LINKS:
        _add_link(G, a, b, US20_BANDWIDTH_GBPS)
    return G


# ---------------------------------------------------------------------------
# 4. us5-market: the us5 network as a two-sided market (docs/model.md section 10).
# ---------------------------------------------------------------------------
#
# The same sites, fleets, costs, links and total demand as us5.  What
# changes is who decides: sites offer their fleet in three price blocks,
# metros bid for part of their tokens, and sites belong to three sellers
# in three regions, so that the market-power screens have something to
# find.  ILLUSTRATIVE, NOT CALIBRATED: no published figure constrains
# these numbers; each has its reasoning below.

#: Offer blocks of every site: (share of its fleet, price / its us5 cost).
#: 70 % at cost: the fleet running anyway, offered at its marginal cost
#: (energy + amortised hardware, section 1).  20 % at 1.4x: capacity held
#: as hot spare or run on dearer peak-hour power contracts.  10 % at 2.5x:
#: the failover reserve an operator keeps for its own customers and sells
#: only at a premium.  ENGINEERING ESTIMATES.
US5_MARKET_OFFERS = ((0.7, 1.0), (0.2, 1.4), (0.1, 2.5))

#: Share of every metro's us5 demand that is fixed (contracted traffic
#: that must be served: no voll); the rest bids in three blocks.
US5_MARKET_FIXED_SHARE = 0.6

#: Bid blocks of every metro: (share of its us5 demand, $/Mtok) per
#: workload, dearest first.  The top block is willingness to pay at
#: serverless API list prices for 70B-class models (2024-25: ~$0.6-0.9 per
#: million output tokens; RECALLED, NOT DOWNLOADED); the middle one at
#: discount-tier prices.  TUNED: the elastic tail (10 %) of chat, code and
#: image sits between Seattle's local price and the other metros' (0.209
#: $/Mtok for chat: Seattle clears at ~0.208, the others at 0.209-0.211),
#: so it is served where cheap compute is at hand and turned away where it
#: would have to be brought in.  Code is priced at its compute intensity
#: (1.3x chat), image at 1.5x; batch at the ~50 % discount batch APIs
#: give, its middle block at the marginal batch price (so partly taken).
US5_MARKET_BIDS = {
    "chat": ((0.15, 0.80), (0.15, 0.35), (0.10, 0.209)),
    "code": ((0.15, 1.00), (0.15, 0.45), (0.10, 0.2717)),
    "batch": ((0.15, 0.40), (0.15, 0.25), (0.10, 0.21)),
    "image": ((0.15, 1.20), (0.15, 0.50), (0.10, 0.3135)),
}

#: Sellers (node attribute ``owner``) and regions (``region``): the two
#: hyperscale H-class campuses belong to one firm, the two colocation
#: sites to another, the Bay Area colo to an independent; regions follow
#: the backbone's West / Centre / East.
US5_MARKET_OWNERS = {"SEA": "hyperscaler", "DFW": "hyperscaler", "CHI": "colocation",
                     "IAD": "colocation", "SJC": "independent"}
US5_MARKET_REGIONS = {"SEA": "west", "SJC": "west", "DFW": "central", "CHI": "central",
                      "IAD": "east"}


def build_us5_market():
    """us5 with offer curves, bid curves, owners and regions."""
    G = build_us5()
    G.graph["name"] = "us5-market"
    G.graph["description"] = (
        "The us5 network as a two-sided market: every site offers its fleet in three price "
        "blocks (70 % at cost, 20 % at 1.4x, 10 % at 2.5x); every metro keeps 60 % of its "
        "us5 demand fixed and bids for the rest in three blocks per workload, down to an "
        "elastic tail near the marginal cost; three sellers in three regions. Illustrative, "
        "not calibrated (see datasets/README.md).")
    for n, data in G.nodes(data=True):
        data["owner"], data["region"] = US5_MARKET_OWNERS[n], US5_MARKET_REGIONS[n]
        if data.get("capacity"):
            total, cost = data.pop("capacity"), data.pop("cost")
            data["offers"] = [{"capacity": round(total * share), "price": round(cost * f, 4)}
                              for share, f in US5_MARKET_OFFERS]
            data["capacity"] = float(sum(b["capacity"] for b in data["offers"]))
        demand = data["demand"]
        data["bids"] = {w: [{"tokens_per_s": round(demand[w] * share), "price": price}
                            for share, price in US5_MARKET_BIDS[w]] for w in demand}
        data["demand"] = {w: round(d * US5_MARKET_FIXED_SHARE) for w, d in demand.items()}
    return G


# ---------------------------------------------------------------------------
# 5. us20-day: us20 over the 24 hours of a summer weekday.
# ---------------------------------------------------------------------------

#: The day: Wednesday 1 July 2026, 24 hourly periods in UTC (00:00Z is
#: 17:00 the day before in Seattle, 20:00 in New York: daylight saving time).
US20_DAY = "2026-07-01"

#: Batch jobs may wait 8 hours (a job handed in during the working day is
#: done by the next morning); chat, code and image answer users who wait.
US20_DAY_BATCH_DEFER_H = 8.0

#: The day wraps (``cyclic``): a representative day, in which the batch work
#: handed in on the U.S. afternoon -- the end of the UTC day -- runs in the
#: following night, which is the start of the same UTC day.
US20_DAY_CYCLIC = True

#: Wholesale market region of each state with compute (netprice.diurnal.PRICE_SHAPES):
#: Chicago (ComEd), Ohio and Virginia are in PJM.
US20_DAY_REGION = {
    "WA": "NW", "OR": "NW", "CA": "CAISO", "NV": "SW", "AZ": "SW", "UT": "ROCKIES",
    "CO": "ROCKIES", "TX": "ERCOT", "NE": "SPP", "IL": "PJM", "OH": "PJM", "GA": "SE",
    "VA": "PJM",
}


def energy_share(gpu: str, gpu_hour_usd: float, pue: float, state: str) -> float:
    """The part of a site's cost that is electricity: energy $/GPU-h over all $/GPU-h."""
    energy = GPUS[gpu]["kw"] * pue * ELECTRICITY_CENTS_PER_KWH[state] / 100.0
    return energy / (gpu_hour_usd + energy)


def build_us20_day():
    """us20 over 24 hourly periods: demand in each metro's local time, hourly site costs."""
    from netprice.diurnal import apply_cost_shapes, apply_demand_shapes, day_periods

    G = build_us20()
    G.graph["name"] = "us20-day"
    G.graph["description"] = (
        "us20 over the 24 hours of Wednesday 1 July 2026 (UTC periods): demand follows each "
        "metro's local time, the energy part of each site's cost follows its market region's "
        "hourly price, and batch work may wait 8 hours (see datasets/README.md).")
    G.graph["periods"] = day_periods(US20_DAY)
    G.graph["period_hours"] = 1.0
    G.graph["cyclic"] = US20_DAY_CYCLIC
    G.graph["workloads"]["batch"]["defer_h"] = US20_DAY_BATCH_DEFER_H
    apply_demand_shapes(G)
    region, share = {}, {}
    for sid, _, _, _, state, gpu, _, gpu_hour, pue in US20_SITES:
        if gpu is not None:
            region[sid] = US20_DAY_REGION[state]
            share[sid] = energy_share(gpu, gpu_hour, pue, state)
    apply_cost_shapes(G, region, share)
    for _, data in G.nodes(data=True):
        # Round to what the inputs can carry: 10 tokens/s, 1e-6 $/Mtok.
        data["demand"] = {w: [round(v, -1) for v in values]
                          for w, values in data["demand"].items()}
        if isinstance(data.get("cost"), list):
            data["cost"] = [round(v, 6) for v in data["cost"]]
    return G


# ---------------------------------------------------------------------------
# 6. Helpers and the command line.
# ---------------------------------------------------------------------------

def _add_sites(G, sites, demand):
    names = list(WORKLOADS)
    for sid, name, lon, lat, state, gpu, count, gpu_hour, pue in sites:
        if gpu is None:  # a demand-only metro
            npx.add_site(G, sid, lon, lat, name=name, demand=dict(zip(names, demand[sid])))
            continue
        npx.add_site(G, sid, lon, lat, name=name,
                     capacity=capacity(gpu, count),
                     cost=round(cost_per_mtok(gpu, gpu_hour, pue, state), 4),
                     demand=dict(zip(names, demand[sid])))


def _add_link(G, a, b, gbps):
    npx.add_link(G, a, b, bandwidth_gbps=gbps, link=f"{a}-{b}")
    cost = transport_cost(G.edges[a, b]["length_km"])
    for u, v in ((a, b), (b, a)):
        G.edges[u, v]["cost_per_gb"] = cost


BUILDERS = {"us5": build_us5, "us20": build_us20, "us20-day": build_us20_day,
            "us5-market": build_us5_market}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write into")
    parser.add_argument("names", nargs="*", default=list(BUILDERS), help="datasets to build")
    args = parser.parse_args(argv)
    for name in args.names:
        path = args.out / f"{name}.geojson"
        npx.write_geojson(BUILDERS[name](), path)
        path.chmod(0o644)  # the atomic writer creates its temporary file 0600
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
