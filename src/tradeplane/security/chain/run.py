"""Running the chain watchers of an estate: one per chain, polling until stopped."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Sequence

from tradeplane.errors import ConfigError
from tradeplane.estate import ChainWatch, Estate
from tradeplane.security.alerts import AlertSink
from tradeplane.security.chain.policy import DepositEvent
from tradeplane.security.chain.rpc import BitcoinRpc, Endpoint, EthereumRpc
from tradeplane.security.chain.watch import ChainWatcher

__all__ = ["endpoints_for", "print_deposit_event", "select_chains", "watch_chains"]


def select_chains(estate: Estate, names: Sequence[str]) -> list[ChainWatch]:
    chains = list(estate.security.chains)
    if not chains:
        raise ConfigError.single("the estate declares no chains to watch",
                                 hint="add security.chains to the estate (see docs/security.md)")
    unknown = sorted(set(names) - {c.name for c in chains})
    if unknown:
        raise ConfigError.single(f"no chain named {', '.join(unknown)}",
                                 hint=f"the estate's chains: {', '.join(c.name for c in chains)}")
    return [c for c in chains if not names or c.name in names]


def endpoints_for(chain: ChainWatch) -> list[Endpoint]:
    kind = EthereumRpc if chain.kind == "ethereum" else BitcoinRpc
    return [kind(url) for url in chain.endpoints]


def print_deposit_event(event: DepositEvent) -> None:
    sys.stdout.write(json.dumps({"event": event.kind, "chain": event.chain, "deposit": event.deposit.id,
                                 "block": event.deposit.block_number, "hash": event.deposit.block_hash,
                                 "head": event.head, "confirmations_required": event.confirmations_required,
                                 "reason": event.reason, "key": event.key}, sort_keys=True) + "\n")


async def watch_chains(chains: Sequence[ChainWatch], sink: AlertSink, poll_s: float, stop: asyncio.Event,
                       once: bool = False) -> list[ChainWatcher]:
    watchers = [ChainWatcher(c, endpoints_for(c), sink, on_deposit=print_deposit_event) for c in chains]
    if once:
        for w in watchers:
            await w.step()
            for state in w.states:
                await state.endpoint.close()
        return watchers
    await asyncio.gather(*(w.run(poll_s, stop) for w in watchers))
    return watchers
