"""Security watchers: BGP updates/s against a naive scan, and detection latency on real daemons.

    uv run python benchmarks/security.py [--quick]

1. Throughput: 1,000,000 BGP updates (RIS-shaped, about 2% inside watched space, a few
   hijacks) through the watcher with 10,000 watched prefixes, against a naive watcher that
   tests every watched prefix for every update (same verdicts, checked). Prints updates/s of
   each and the ratio. The naive scan runs on a sample (it is O(N) per update) and is scaled.
2. BGP detection latency over a real session: gobgpd announces, ExaBGP receives and writes
   JSON, the watcher follows the file; time from ``gobgp global rib add`` of a hijack to the
   alert, p50/p99 over several hijacks (skipped when the daemons are missing).
3. Chain: headers/s the tracker processes against anvil, and the time from ``anvil_reorg``
   (depth 3) to the reorg alert, p50/p99 (skipped when anvil is missing).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from tradeplane.estate import ChainWatch
from tradeplane.security.alerts import ListSink
from tradeplane.security.bgp import BgpMonitor, Update, Watchlist, parse_prefix, read_exabgp
from tradeplane.security.bgp.prefixes import covers
from tradeplane.security.bgp.watchlist import Watched

ROOT = Path(__file__).resolve().parents[1]


def watched_prefixes(n: int, rng: random.Random) -> list[Watched]:
    out = []
    seen = set()
    while len(out) < n:
        a, b, c = rng.randrange(1, 224), rng.randrange(256), rng.randrange(0, 256, 4)
        length = rng.choice((16, 20, 22, 22, 24))
        text = f"{a}.{b}.{c & (0xFF << (24 - length) if length < 24 else 0xFF)}.0/{length}" if length >= 16 else ""
        prefix = parse_prefix(text)
        if prefix in seen:
            continue
        seen.add(prefix)
        from tradeplane.security.bgp.prefixes import format_prefix

        canon = format_prefix(prefix)
        out.append(Watched(canon, prefix, frozenset({64500 + len(out) % 100}), max(24, length), frozenset(), "bench",
                           None))
    return out


def updates(n: int, watch: list[Watched], rng: random.Random) -> list[Update]:
    out = []
    for i in range(n):
        if rng.random() < 0.02:
            w = watch[rng.randrange(len(watch))]
            origin = next(iter(w.origins)) if rng.random() < 0.98 else 10297
            text = w.text
        else:
            origin = rng.randrange(1, 400000)
            text = f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.0/24"
        out.append(Update(i * 1000, f"peer{i % 40}", 3356, (3356, origin), (text,), ()))
    return out


def naive(watch: list[Watched], items: list[Update]) -> int:
    """The peer: test every watched prefix for every announced prefix."""
    hits = 0
    for u in items:
        for text in u.announced:
            p = parse_prefix(text)
            for w in watch:
                if covers(w.prefix, p) and u.path[-1] not in w.origins:
                    hits += 1
    return hits


def throughput(n_updates: int, n_watched: int) -> None:
    rng = random.Random(7)
    watch = watched_prefixes(n_watched, rng)
    items = updates(n_updates, watch, rng)
    monitor = BgpMonitor(Watchlist(watch, min_peers=1))
    start = time.perf_counter()
    fired = 0
    for u in items:
        fired += sum(1 for a in monitor.process(u) if a.status == "firing")
    ours = time.perf_counter() - start
    sample = items[: max(2000, n_updates // 200)]
    start = time.perf_counter()
    naive_hits = naive(watch, sample)
    naive_s = (time.perf_counter() - start) * len(items) / len(sample)
    check = BgpMonitor(Watchlist(watch, min_peers=1))
    sample_hits = sum(1 for u in sample for a in check.process(u) if a.status == "firing")
    print(f"1. throughput: {n_updates:,} updates, {n_watched:,} watched prefixes, {fired} alerts fired")
    print(f"   watcher: {n_updates / ours:,.0f} updates/s ({ours:.2f} s)")
    print(f"   naive scan: {n_updates / naive_s:,.0f} updates/s (scaled from {len(sample):,} updates)")
    print(f"   ratio: {naive_s / ours:,.0f}x  (sample check: naive hits {naive_hits} >= watcher alerts {sample_hits})")


# A transfer between two of anvil's default accounts: the re-mined blocks then differ from the old
# ones (without a transaction anvil may re-mine byte-identical blocks with the same hashes).
TX = {"from": "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "to": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
      "value": "0x1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bgp_latency(rounds: int) -> None:
    gobgpd, gobgp, exabgp = shutil.which("gobgpd"), shutil.which("gobgp"), shutil.which("exabgp")
    if not (gobgpd and gobgp and exabgp):
        print("2. BGP detection latency: skipped (gobgpd/exabgp not installed; ./dev test installs them)")
        return
    tmp = Path(tempfile.mkdtemp(prefix="tp-bgp-"))
    bgp_port, api_port = free_port(), free_port()
    (tmp / "gobgpd.toml").write_text(f"""[global.config]
  as = 65001
  router-id = "127.0.0.2"
  port = {bgp_port}
  local-address-list = ["127.0.0.1"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "127.0.0.1"
    peer-as = 65000
  [neighbors.transport.config]
    passive-mode = true
""")
    feed = tmp / "updates.jsonl"
    feed.touch()
    (tmp / "exabgp.conf").write_text(f"""process collector {{
    run /bin/sh -c "cat >> {feed}";
    encoder json;
}}
neighbor 127.0.0.1 {{
    router-id 127.0.0.3; local-address 127.0.0.1; local-as 65000; peer-as 65001;
    api {{ processes [ collector ]; receive {{ parsed; update; }} }}
}}
""")
    procs = [subprocess.Popen([gobgpd, "-f", str(tmp / "gobgpd.toml"), "--api-hosts", f"127.0.0.1:{api_port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
             subprocess.Popen([exabgp, str(tmp / "exabgp.conf")], cwd=tmp, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL,
                              env={"PATH": "/usr/bin:/bin:/usr/sbin", "exabgp.tcp.port": str(bgp_port),
                                   "exabgp.tcp.bind": "", "exabgp.daemon.drop": "false", "HOME": str(tmp)})]

    def cli(*args: str) -> str:
        return subprocess.run([gobgp, "-u", "127.0.0.1", "-p", str(api_port), *args], capture_output=True,
                              text=True, timeout=20).stdout

    try:
        deadline = time.monotonic() + 60
        while "Establ" not in cli("neighbor"):
            if time.monotonic() > deadline:
                print("2. BGP detection latency: the session did not come up")
                return
            time.sleep(0.2)
        watch = Watchlist([Watched("205.251.192.0/21", parse_prefix("205.251.192.0/21"), frozenset({65001}), 24,
                                   frozenset(), "bench", None)], min_peers=1)
        monitor = BgpMonitor(watch)
        seen: dict[str, float] = {}
        stop = threading.Event()

        def follow() -> None:
            for item in read_exabgp(feed, follow=True, stop=stop.is_set, poll_s=0.001):
                for alert in monitor.process(item):
                    if alert.status == "firing":
                        seen[alert.labels["announced"]] = time.perf_counter()

        thread = threading.Thread(target=follow, daemon=True)
        thread.start()
        cli("global", "rib", "add", "205.251.192.0/23", "origin", "igp")
        latencies = []
        for i in range(rounds):
            prefix = f"205.251.{192 + i % 8}.{(i // 8) * 4 % 256}/30"
            sent = time.perf_counter()
            cli("global", "rib", "add", prefix, "aspath", "10297")
            deadline = time.monotonic() + 20
            while prefix not in seen and time.monotonic() < deadline:
                time.sleep(0.001)
            if prefix in seen:
                latencies.append((seen[prefix] - sent) * 1000)
        stop.set()
        thread.join(5)
        if latencies:
            print(f"2. BGP detection latency over gobgpd -> ExaBGP -> watcher, {len(latencies)} hijacks: "
                  f"p50 {percentile(latencies, 0.5):.1f} ms, p99 {percentile(latencies, 0.99):.1f} ms "
                  f"(includes the gobgp CLI's own start-up)")
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)


def chain(rounds: int) -> None:
    anvil = shutil.which("anvil") or str(ROOT / ".tools/node/node_modules/.bin/anvil")
    if not Path(anvil).exists():
        print("3. chain: skipped (anvil not installed; ./dev test installs it)")
        return
    import httpx

    from tradeplane.security.chain import ChainWatcher, EthereumRpc

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([anvil, "--host", "127.0.0.1", "--port", str(port), "--silent"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def rpc(method: str, params: list[object]) -> object:
        return httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params},
                          timeout=120).json().get("result")

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                rpc("eth_blockNumber", [])
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        rpc("anvil_mine", [hex(1100)])
        policy = ChainWatch(name="bench", kind="ethereum", endpoints=(url,), confirmations=2, max_reorg_depth=2)

        async def measure() -> tuple[float, list[float]]:
            watcher = ChainWatcher(policy, [EthereumRpc(url)], ListSink())
            watcher.states[0].tracker.backfill = 1000
            start = time.perf_counter()
            await watcher.step()
            rate = watcher.states[0].tracker.headers_seen / (time.perf_counter() - start)
            latencies = []
            for _ in range(rounds):
                rpc("anvil_mine", ["0x5"])
                await watcher.step()
                before = len(watcher.reorgs)
                sent = time.perf_counter()
                rpc("anvil_reorg", [3, [[TX, 0]]])
                await watcher.step()
                if len(watcher.reorgs) > before:
                    latencies.append((time.perf_counter() - sent) * 1000)
            return rate, latencies

        rate, latencies = asyncio.run(measure())
        print(f"3. chain on anvil: {rate:,.0f} headers/s into the tracker (backfill of 1,000 over JSON-RPC)")
        if latencies:
            print(f"   depth-3 reorg, anvil_reorg -> alert (one poll): p50 {percentile(latencies, 0.5):.1f} ms, "
                  f"p99 {percentile(latencies, 0.99):.1f} ms over {len(latencies)} reorgs; "
                  f"in service add up to one --poll interval")
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="100k updates, fewer rounds")
    args = parser.parse_args()
    throughput(100_000 if args.quick else 1_000_000, 10_000)
    bgp_latency(5 if args.quick else 20)
    chain(5 if args.quick else 20)
    print(f"(python {sys.version.split()[0]}, statistics {statistics.__name__})")


if __name__ == "__main__":
    main()
