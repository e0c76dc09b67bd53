"""Node gateway benchmark (issue 11): reads, indexing, the live stream's fan-out, submission.

On a pinned anvil (loopback) with 10,000 flex-offers indexed, a node (`flexledger node run`, one
uvicorn worker, its own process) serves:
- filtered `GET /flexoffers` (owner + state + zone, 20 per page, varying cursors) from concurrent
  keep-alive connections: throughput and p50/p99 latency (target ≥ 1,000 reads/s, p99 ≤ 50 ms). The
  load generator is `wrk` when installed (C, one thread: the client must not be the bottleneck),
  else httpx in 4 processes; the load average is printed with the figures;
- indexing: a from-scratch reindex of every event (target ≥ 2,000 events/s);
- SSE fan-out: 50 subscribers, a batch of offers submitted, time until every subscriber has every event;
- offer submission through the API (node-signed, each mined before the answer).

    .venv/bin/python benchmarks/gateway.py [--offers 10000] [--seconds 10] [--concurrency 8] [--client auto|wrk|httpx]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from eth_account.messages import encode_defunct

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from domain.enums import AssetKind  # noqa: E402
from domain.roles import Role  # noqa: E402
from gateway.index import Indexer, IndexStore  # noqa: E402
from ledger.accounts import dev_account  # noqa: E402
from ledger.anvil import Anvil, free_port  # noqa: E402
from ledger.backends import RpcChain  # noqa: E402
from ledger.keys import create_keystore  # noqa: E402
from ledger.ledger import Ledger  # noqa: E402
from ledger.messages import FlexOffer, RoundConfig, Slice  # noqa: E402

SLOT = 900


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def setup(offers: int, tmp: Path):
    anvil = Anvil.start(tmp / "state.json")
    chain = RpcChain(anvil.url)
    admin, operator, dso, fsp = (dev_account(i) for i in (0, 1, 2, 4))
    ledger = Ledger.deploy(chain, admin)
    reg = ledger.registry
    for acct, role in ((operator, Role.OPERATOR), (dso, Role.DSO), (fsp, Role.FSP)):
        reg.register_participant(admin, acct.address, role, role.value, f"10X-{role.value}")
    zone = reg.declare_zone(dso, "BENCH", ["B-1"])
    asset = reg.register_asset(fsp, zone, "B-1", AssetKind.CONSUMPTION, 100_000, 100_000, "MTR-B", dev_account(15).address)
    reg.grid_prequalify(dso, asset)
    reg.prequalify_for(dso, asset)
    start = (chain.now() // SLOT + 96) * SLOT
    cfg = RoundConfig(delivery_start=start, slot_count=8, gate_closure=start - 24 * SLOT,
                      clearing_deadline=start - 8 * SLOT, challenge_window=600, activation_lead=SLOT)
    rid = ledger.market.open_round(operator, cfg)

    def offer(i: int) -> FlexOffer:
        return FlexOffer(round_id=rid, asset_id=asset, earliest_start=start, latest_start=start + 2 * SLOT,
                         slices=tuple(Slice(min_wh=0, max_wh=100 + i % 400, baseline_wh=1000) for _ in range(4)),
                         total_min_wh=0, total_max_wh=400 * 4, reservation_price=1000 + i, activation_price=100_000,
                         accept_before=cfg.gate_closure + SLOT, assign_before=cfg.gate_closure + SLOT)

    t0 = time.perf_counter()
    for i in range(0, offers, 100):
        ledger.market.submit_offers(fsp, [offer(j) for j in range(i, min(offers, i + 100))])
    print(f"setup: {offers} offers on anvil in {time.perf_counter() - t0:.1f} s")
    manifest = ledger.manifest.save(tmp / "manifest.json")
    return anvil, chain, ledger, manifest, fsp, zone, asset, rid, offer


def sign_in(client: httpx.Client, account) -> str:
    msg = client.post("/auth/challenge", json={"address": account.address}).json()["message"]
    sig = "0x" + account.sign_message(encode_defunct(text=msg)).signature.hex().removeprefix("0x")
    return client.post("/auth/token", json={"message": msg, "signature": sig}).json()["access_token"]


def start_node(tmp: Path, rpc: str, manifest: Path, account, head: int) -> tuple[subprocess.Popen, str]:
    ks = tmp / "fsp.json"
    create_keystore(ks, "pw", private_key=account.key, kdf="pbkdf2", iterations=2)
    (tmp / "pw").write_text("pw\n")
    port = free_port()
    proc = subprocess.Popen([str(Path(sys.executable).parent / "flexledger"), "node", "run", "--identity", str(ks),
                             "--password-file", str(tmp / "pw"), "--rpc", rpc, "--manifest", str(manifest),
                             "--index", str(tmp / "node.sqlite"), "--port", str(port)],
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT, start_new_session=True,
                            stdout=open(tmp / "node.log", "ab"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/api/v1"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/health", timeout=2).json()["indexed_block"] >= head:
                return proc, url
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        time.sleep(0.2)
    raise SystemExit("the node did not catch up")


LUA = """owner, zone, offers = "%s", "%s", %d
local i = 0
request = function()
  i = i + 37
  return wrk.format("GET", "/api/v1/flexoffers?owner=" .. owner .. "&state=OFFERED&zone=" .. zone ..
                    "&limit=20&cursor=" .. (i %% (offers - 40)))
end
"""


def _ms(text: str) -> float:
    for unit, f in (("us", 1e-3), ("ms", 1.0), ("s", 1e3)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * f
    raise ValueError(text)


def reads_wrk(wrk: str, url: str, token: str, owner: str, zone: int, seconds: float, concurrency: int,
              offers: int, tmp: Path) -> tuple[float, float, float]:
    """wrk (C, one thread) as the load generator: (reads/s, p50 ms, p99 ms)."""
    script = tmp / "reads.lua"
    script.write_text(LUA % (owner, zone, offers))
    base = url.removesuffix("/api/v1")
    out = subprocess.run([wrk, "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--latency", "-H",
                          f"Authorization: Bearer {token}", "-s", str(script), base],
                         capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise SystemExit("wrk saw error responses:\n" + out)
    rps = float(next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec:")))
    lat = {line.split()[0]: _ms(line.split()[1]) for line in out.splitlines() if line.strip().endswith(("s",))
           and line.strip().split()[0] in ("50%", "99%")}
    return rps, lat["50%"], lat["99%"]


def _reads_process(url: str, token: str, owner: str, zone: int, seconds: float, connections: int, offers: int,
                   k0: int, step: int) -> list[float]:
    async def run() -> list[float]:
        latencies: list[float] = []
        stop = time.perf_counter() + seconds

        async def worker(k: int, client: httpx.AsyncClient) -> None:
            i = k
            while time.perf_counter() < stop:
                params = {"owner": owner, "state": "OFFERED", "zone": zone, "limit": 20,
                          "cursor": str((i * 37) % (offers - 40))}
                t = time.perf_counter()
                r = await client.get("/flexoffers", params=params)
                latencies.append(time.perf_counter() - t)
                assert r.status_code == 200, r.text[:200]
                i += step

        limits = httpx.Limits(max_keepalive_connections=connections, max_connections=connections)
        async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30,
                                     limits=limits) as client:
            await asyncio.gather(*(worker(k0 + j, client) for j in range(connections)))
        return latencies

    return asyncio.run(run())


def reads_httpx(url: str, token: str, owner: str, zone: int, seconds: float, concurrency: int,
                offers: int, processes: int = 4) -> tuple[float, float, float]:
    """Fallback load generator: keep-alive httpx clients in several processes (slower than wrk: the
    clients share the machine's cores with the node)."""
    from concurrent.futures import ProcessPoolExecutor

    per = max(1, concurrency // processes)
    with ProcessPoolExecutor(processes) as pool:
        futures = [pool.submit(_reads_process, url, token, owner, zone, seconds, per, offers, p * per,
                               per * processes) for p in range(processes)]
        lat = [x for f in futures for x in f.result()]
    return len(lat) / seconds, pct(lat, 50) * 1000, pct(lat, 99) * 1000


async def fanout(url: str, token: str, subscribers: int, submit) -> tuple[int, float]:
    """Open `subscribers` streams, run `submit()` (returns how many events it causes), and time until
    every subscriber has them all."""
    headers = {"Authorization": f"Bearer {token}"}
    ready = asyncio.Event()
    opened = 0
    counts = [0] * subscribers
    expected = [None]
    done = asyncio.Event()

    async def sub(k: int, client: httpx.AsyncClient) -> None:
        nonlocal opened
        async with client.stream("GET", "/stream", params={"name": "OfferSubmitted"}) as r:
            async for line in r.aiter_lines():
                if line.startswith(": stream open"):
                    opened += 1
                    if opened == subscribers:
                        ready.set()
                elif line.startswith("data: "):
                    counts[k] += 1
                    if expected[0] is not None and all(c >= expected[0] for c in counts):
                        done.set()
                if done.is_set():
                    return

    limits = httpx.Limits(max_connections=subscribers + 5)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=None, limits=limits) as client:
        tasks = [asyncio.create_task(sub(k, client)) for k in range(subscribers)]
        await asyncio.wait_for(ready.wait(), 60)
        t0 = time.perf_counter()
        expected[0] = await asyncio.to_thread(submit)
        await asyncio.wait_for(done.wait(), 120)
        elapsed = time.perf_counter() - t0
        for t in tasks:
            t.cancel()
    return expected[0] * subscribers, elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--offers", type=int, default=10_000)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--subscribers", type=int, default=50)
    ap.add_argument("--client", choices=("auto", "wrk", "httpx"), default="auto",
                    help="load generator for the reads: wrk if installed (auto), else httpx in 4 processes")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        anvil, chain, ledger, manifest, fsp, zone, asset, rid, offer = setup(args.offers, tmp)
        node = None
        try:
            # indexing: a from-scratch reindex of every event of the deployment
            idx = Indexer(chain, ledger.manifest, IndexStore(tmp / "reindex.sqlite"))
            load_index = os.getloadavg()
            t0 = time.perf_counter()
            events = idx.reindex()
            index_rate = events / (time.perf_counter() - t0)

            node, url = start_node(tmp, anvil.url, manifest, fsp, chain.block_number())
            client = httpx.Client(base_url=url, timeout=30)
            token = sign_in(client, fsp)
            probe = client.get("/flexoffers", params={"owner": fsp.address, "state": "OFFERED", "zone": zone,
                                                      "limit": 20, "cursor": "100"},
                               headers={"Authorization": f"Bearer {token}"})
            assert probe.status_code == 200 and len(probe.json()["items"]) == 20, probe.text[:300]
            wrk = None if args.client == "httpx" else shutil.which("wrk")
            if args.client == "wrk" and wrk is None:
                raise SystemExit("wrk is not installed (apt-get install wrk), or pass --client httpx")
            client_name = "wrk (1 thread)" if wrk else "httpx, 4 processes, keep-alive"
            load_before = os.getloadavg()
            if wrk:
                reads_wrk(wrk, url, token, fsp.address, zone, 1, args.concurrency, args.offers, tmp)  # warm-up
                rps, p50, p99 = reads_wrk(wrk, url, token, fsp.address, zone, args.seconds, args.concurrency,
                                          args.offers, tmp)
            else:
                reads_httpx(url, token, fsp.address, zone, 1, args.concurrency, args.offers)  # warm-up
                rps, p50, p99 = reads_httpx(url, token, fsp.address, zone, args.seconds, args.concurrency,
                                            args.offers)
            load_after = os.getloadavg()

            def submit_batch() -> int:
                ledger.market.submit_offers(fsp, [offer(j) for j in range(100)])
                return 100

            delivered, fan_s = asyncio.run(fanout(url, token, args.subscribers, submit_batch))

            client.headers["Authorization"] = f"Bearer {token}"
            sub_lat = []
            for j in range(30):
                t = time.perf_counter()
                r = client.post("/flexoffers", json={"offer": offer(j).model_dump(mode="json")})
                sub_lat.append(time.perf_counter() - t)
                assert r.status_code == 201, r.text
        finally:
            if node is not None:
                os.kill(node.pid, signal.SIGTERM)
                node.wait(15)
            anvil.stop()

    print(f"\nnode gateway, {args.offers} offers indexed, one uvicorn worker on loopback, {args.concurrency} "
          f"connections from {client_name}; {os.cpu_count()} cores")
    print(f"load average (1/5/15 min): reads {load_before[0]:.2f}/{load_before[1]:.2f}/{load_before[2]:.2f} before, "
          f"{load_after[0]:.2f}/{load_after[1]:.2f}/{load_after[2]:.2f} after; indexing "
          f"{load_index[0]:.2f}/{load_index[1]:.2f}/{load_index[2]:.2f}")
    print(f"{'measure':<44} {'figure':>16} {'target':>12} {'ratio':>7}")
    rows = [("filtered GET /flexoffers throughput", f"{rps:,.0f} reads/s", "≥ 1,000/s", rps / 1000),
            ("filtered GET /flexoffers p50 latency", f"{p50:.1f} ms", "", None),
            ("filtered GET /flexoffers p99 latency", f"{p99:.1f} ms", "≤ 50 ms", 50 / p99 if p99 else None),
            ("indexing (from-scratch reindex)", f"{index_rate:,.0f} events/s", "≥ 2,000/s", index_rate / 2000),
            (f"SSE fan-out: 100 events × {args.subscribers} subscribers", f"{fan_s:.2f} s "
             f"({delivered / fan_s:,.0f} ev/s)", "", None),
            ("offer submission through the API p50", f"{pct(sub_lat, 50) * 1000:.1f} ms", "", None),
            ("offer submission through the API p99", f"{pct(sub_lat, 99) * 1000:.1f} ms "
             f"({len(sub_lat) / sum(sub_lat):.1f}/s)", "", None)]
    for name, fig, target, ratio in rows:
        print(f"{name:<44} {fig:>16} {target:>12} {'' if ratio is None else f'{ratio:.2f}×':>7}")
    print(f"(reindex: {events} events; SSE fan-out includes mining the batch on anvil)")


if __name__ == "__main__":
    main()
