"""Chain reorganisation watch: endpoints, header tracking, confirmation policy, the watcher."""

from tradeplane.security.chain.header import Header
from tradeplane.security.chain.policy import ConfirmationPolicy, Deposit, DepositEvent, Ledger
from tradeplane.security.chain.rpc import BitcoinRpc, Endpoint, EndpointError, EthereumRpc, RecordedEndpoint
from tradeplane.security.chain.tracker import ChainTracker, Reorg
from tradeplane.security.chain.watch import ChainWatcher, EndpointState

__all__ = [
    "BitcoinRpc",
    "ChainTracker",
    "ChainWatcher",
    "ConfirmationPolicy",
    "Deposit",
    "DepositEvent",
    "Endpoint",
    "EndpointError",
    "EndpointState",
    "EthereumRpc",
    "Header",
    "Ledger",
    "RecordedEndpoint",
    "Reorg",
]
