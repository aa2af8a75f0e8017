"""Network verification at scale: symbolic engine vs the brute-force oracle.

    uv run python benchmarks/net_verify.py            # 2,000 VPCs, 20,000 subnets, 200,000 rules
    uv run python benchmarks/net_verify.py --quick    # 100 VPCs, 1,000 subnets, 10,000 rules

The synthetic estate (``tradeplane.estate.synth.transit_mesh``, generated in memory): D desks; per desk AWS VPCs (10 subnets each,
a 20-rule NACL, 4 security groups of 20 rules) and GCP VPCs (10 subnets, 100 firewall
rules) on one transit gateway (GCP over cross-cloud links) with one route table per desk;
each desk's attachments propagate to its own table and its neighbours', so desk k reaches
desks k-1 and k+1 and nobody else. Prints the machine's load average, build time, desk-matrix time, single-query time,
peak memory, the desk matrix of the current engine against the engine #15 started from
(``net.matrix.previous_engine()``; ``--previous`` runs the main figures on it, for its peak memory; same
estate, fresh data planes, CPU seconds, same answers checked), and the speed-up of the symbolic matrix
over the oracle on a network both finish.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import time

from tradeplane.estate.model import PortRange
from tradeplane.estate.synth import mesh_count, transit_mesh
from tradeplane.net import Dataplane, PacketOracle, matrix, reach
from tradeplane.net.matrix import previous_engine, segments
from tradeplane.net.reach import pair_results, request_space
from tradeplane.net.space import Header, Space


def oracle_matrix(dp: Dataplane, ports: list[int]) -> tuple[dict[tuple[str, str, int], bool], int]:
    """Brute force: for each VPC's first workload to every other desk's, one concrete packet per TCP port."""
    sim = PacketOracle(dp)
    segs = {name: [ep for ep in eps if ep.key.endswith("-0")] for name, eps in segments(dp).items()}
    out: dict[tuple[str, str, int], bool] = {}
    packets = 0
    for a, eps in segs.items():
        if a == "internet":
            continue
        for src in eps:
            for b, targets in segs.items():
                if b in (a, "internet"):
                    continue
                for dst in targets:
                    for port in ports:
                        packets += 1
                        h = Header(src.addresses[0][0], dst.addresses[0][0], 6, 40000, port)
                        out[(src.key, dst.key, port)] = any(
                            o.disposition == "delivered" and o.endpoint == dst.key for o in sim.forward(src, h))
    return out, packets


def ingress_split(dp: Dataplane) -> None:
    """The internet-ingress check's question (the internet to every non-public endpoint, one walk), split
    per destination on destination atoms and by the previous per-destination intersection: CPU seconds
    of each and their ratio, and whether both give the same headers to every destination."""
    inside = [ep for ep in sorted(dp.endpoints.values(), key=lambda e: e.key)
              if ep.kind in ("workload", "subnet") and ep.tier != "public"]
    internet = dp.endpoints["internet"]
    dsts = [(ep, ep.addresses) for ep in inside]
    times = {}
    out = {}
    for atoms in (True, False):
        c0 = time.process_time()
        out[atoms] = pair_results(dp, internet, internet.addresses, dsts, request_space("all"), replies=False,
                                  atoms=atoms)
        times[atoms] = time.process_time() - c0
    same = all(a.requested.equals(b.requested) and a.forward.equals(b.forward)
               and len(a.dropped) == len(b.dropped) for a, b in zip(out[True], out[False], strict=True))
    print(f"internet ingress to {len(inside):,} endpoints: split on atoms {times[True]:.2f} s CPU, by intersection "
          f"{times[False]:.2f} s CPU = {times[False] / max(times[True], 1e-9):.1f}x; same answers: {same}")


def against_previous(estate: object, desks: int) -> None:
    """The desk matrix twice on fresh data planes: the engine #15 started from (``previous_engine()``: one
    dataflow walk per source segment, every learned route its own ``Route``, filters evaluated in full rule
    by rule on boxes), then the current one (one walk for every segment, learned prefixes shared, filters
    evaluated for their allowed part only); CPU seconds of each, their ratio, and whether every cell agrees
    (reached and undecided headers, and the JSON report)."""
    cpu: dict[str, float] = {}
    ms = {}
    for mode in ("previous", "current"):
        dp = Dataplane.build(estate)  # type: ignore[arg-type]
        c0 = time.process_time()
        if mode == "previous":
            with previous_engine():
                m = matrix(dp)
        else:
            m = matrix(dp)
        cpu[mode] = time.process_time() - c0
        ms[mode] = m
        del dp
    old, new = ms["previous"].cells, ms["current"].cells
    same = old.keys() == new.keys() and all(
        old[k].reached.keys() == c.reached.keys() and old[k].undecided.keys() == c.undecided.keys()
        and all(old[k].reached[e].equals(s) for e, s in c.reached.items())
        and all(old[k].undecided[e].equals(s) for e, s in c.undecided.items())
        for k, c in new.items())
    print(f"desk matrix ({desks}x{desks} + internet), the engine #15 started from (one walk per source segment, "
          f"learned routes one by one, filters in full rule by rule) {cpu['previous']:.2f} s CPU, current engine "
          f"{cpu['current']:.2f} s CPU = {cpu['previous'] / max(cpu['current'], 1e-9):.2f}x; same answers: {same}")


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (seconds)")
    ap.add_argument("--previous", action="store_true",
                    help="the main figures (matrix, query, peak memory) on the previous engine")
    args = ap.parse_args()
    if args.previous:
        with previous_engine():
            run(args)
    else:
        run(args)


def run(args: argparse.Namespace) -> None:
    desks, aws, gcp = (5, 15, 5) if args.quick else (10, 150, 50)
    print(f"machine load average at start (1, 5, 15 min): {_load()} on {os.cpu_count()} cores")

    t0 = time.perf_counter()
    estate = transit_mesh(desks, aws, gcp)
    t_gen = time.perf_counter() - t0
    vpcs, subnets, rules = mesh_count(estate)
    print(f"synthetic estate: {vpcs:,} VPCs, {subnets:,} subnets, {rules:,} firewall rules, "
          f"{len(estate.workloads):,} workloads, {desks} desks (generated in {t_gen:.1f} s)")

    t0 = time.perf_counter()
    dp = Dataplane.build(estate)
    t_build = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    m = matrix(dp)
    t_matrix, c_matrix = time.perf_counter() - t0, time.process_time() - c0
    reachable = sorted((a, b) for (a, b), c in m.cells.items() if c.reachable)
    expected = sorted({(f"desk{k}", f"desk{(k + d) % desks}") for k in range(desks) for d in (1, -1)})
    ok = [x for x in reachable if "internet" not in x] == expected
    src, dst = estate.workloads[0].name, next(w.name for w in estate.workloads if w.desk == "desk1")
    reach(dp, src, dst, "tcp", [PortRange(start=7000, end=7000)])  # warm the tables once
    t0, c0 = time.perf_counter(), time.process_time()
    n_q = 20
    for _ in range(n_q):
        answer = reach(dp, src, dst, "tcp", [PortRange(start=7000, end=7000)])
    t_query, c_query = (time.perf_counter() - t0) / n_q, (time.process_time() - c0) / n_q
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"data plane build: {t_build:.2f} s (tables compile lazily on first use)")
    print(f"desk matrix ({desks}x{desks} + internet): {t_matrix:.2f} s ({c_matrix:.2f} s CPU); "
          f"reachable desk pairs match the design: {ok}")
    ingress_split(dp)
    print(f"single query {src} -> {dst} tcp/7000: {t_query * 1000:.1f} ms ({c_query * 1000:.1f} ms CPU; "
          f"{answer.verdict}, "
          f"{len(answer.pairs[0].delivered)} trace(s))")
    print(f"peak memory (max RSS): {peak:,.0f} MiB")
    if not args.previous:
        against_previous(estate, desks)
    print(f"machine load average after the desk matrices (1, 5, 15 min): {_load()}")

    # the big estate's heap collected before the small timings (else a full collection of ~700 MiB of
    # objects lands inside the symbolic matrix's milliseconds and the ratio measures the collector)
    del estate, dp, m, answer
    gc.collect()
    small = transit_mesh(3, 1, 1, seed=11)
    sdp = Dataplane.build(small)
    ports = sorted({*range(0, 65536, 64 if not args.quick else 1024), *range(6995, 7016)})
    t0 = time.perf_counter()
    sm = matrix(sdp, "tcp")
    t_sym = time.perf_counter() - t0
    t0 = time.perf_counter()
    om, packets = oracle_matrix(sdp, ports)
    t_oracle = time.perf_counter() - t0
    seg_of = {ep.key: name for name, eps in segments(sdp).items() for ep in eps}
    agree = True
    for (s_key, d_key, port), delivered in om.items():
        src_ep, dst_ep = sdp.endpoints[s_key], sdp.endpoints[d_key]
        h = Header(src_ep.addresses[0][0], dst_ep.addresses[0][0], 6, 40000, port)
        got = sm.cells[(seg_of[s_key], seg_of[d_key])].reached.get(d_key, Space()).contains(h)
        agree = agree and got == delivered
    v2, s2, r2 = mesh_count(small)
    print(f"oracle comparison on {v2} VPCs / {s2} subnets / {r2} rules: symbolic matrix {t_sym * 1000:.1f} ms "
          f"(all headers, all endpoints), oracle {t_oracle:.1f} s ({packets:,} concrete packets: one workload per "
          f"VPC, one address pair and {len(ports):,} TCP ports per endpoint pair); verdicts agree: {agree}")
    pairs = packets // len(ports)
    per_pair_oracle = t_oracle / pairs * (65536 / len(ports))
    per_pair_symbolic = t_sym / max(1, sum(c.count()[1] for c in sm.cells.values()))
    print(f"speed-up of the symbolic engine over the oracle: {t_oracle / t_sym:,.0f}x measured (the symbolic "
          f"matrix did more: every endpoint and header); per endpoint pair, covering all 65,536 TCP ports of "
          f"one address pair: oracle {per_pair_oracle * 1000:,.0f} ms (extrapolated) vs symbolic "
          f"{per_pair_symbolic * 1000:.3f} ms for every header = {per_pair_oracle / per_pair_symbolic:,.0f}x")


if __name__ == "__main__":
    main()
