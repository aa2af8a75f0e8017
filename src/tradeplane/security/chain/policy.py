"""When a deposit may be credited, and the reversal of one whose block was orphaned.

Rule (per chain, from the estate's ``security.chains``): a deposit in block ``b`` is credited
once the tracked head is at least ``b + required - 1`` (``required`` confirmations, the block
itself counting as one) and, with ``use_finalized``, ``b`` is at or below the ``finalized``
block. While the chain is *unsettled* (a reorg, or endpoints disagreeing, within the last
``settle_blocks`` blocks) ``required`` is multiplied by ``raise_factor`` — what exchanges did by
hand after the 2020 Ethereum Classic 51% attacks. A credited deposit whose block hash is
orphaned yields exactly one reversal event (idempotent by deposit id and orphaned hash).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tradeplane.estate import ChainWatch

__all__ = ["ConfirmationPolicy", "Deposit", "DepositEvent", "Ledger"]


@dataclass(frozen=True)
class Deposit:
    """A deposit seen on chain: its id (e.g. the tx hash and log index), block height and hash."""

    id: str
    block_number: int
    block_hash: str
    amount: str = ""
    asset: str = ""


@dataclass(frozen=True)
class DepositEvent:
    kind: str  # "credited" | "reversed"
    deposit: Deposit
    chain: str
    head: int
    confirmations_required: int
    reason: str = ""

    @property
    def key(self) -> str:
        return f"{self.chain}:{self.kind}:{self.deposit.id}:{self.deposit.block_hash}"


@dataclass
class ConfirmationPolicy:
    chain: ChainWatch
    settle_blocks: int = 100
    last_trouble: int | None = None

    def trouble(self, height: int) -> None:
        """Record a reorg or a disagreement seen at ``height``: confirmations go up for a while."""
        self.last_trouble = height if self.last_trouble is None else max(self.last_trouble, height)

    def required(self, head: int) -> int:
        unsettled = self.last_trouble is not None and head - self.last_trouble < self.settle_blocks
        return self.chain.confirmations * (self.chain.raise_factor if unsettled else 1)

    def creditable(self, deposit: Deposit, head: int, finalized: int | None) -> bool:
        if head - deposit.block_number + 1 < self.required(head):
            return False
        return not self.chain.use_finalized or (finalized is not None and deposit.block_number <= finalized)


@dataclass
class Ledger:
    """Deposits waiting, credited, and reversed; every event emitted once."""

    policy: ConfirmationPolicy
    pending: dict[str, Deposit] = field(default_factory=dict)
    credited: dict[str, Deposit] = field(default_factory=dict)
    emitted: set[str] = field(default_factory=set)

    def add(self, deposit: Deposit) -> None:
        if deposit.id not in self.credited:
            self.pending[deposit.id] = deposit

    def on_head(self, head: int, canonical: dict[int, str], finalized: int | None) -> list[DepositEvent]:
        """Credit what the policy allows; a pending deposit no longer on the canonical chain waits."""
        events = []
        for dep_id in sorted(self.pending):
            deposit = self.pending[dep_id]
            if canonical.get(deposit.block_number, deposit.block_hash) != deposit.block_hash:
                continue  # its block was replaced before it was credited: nothing to reverse
            if self.policy.creditable(deposit, head, finalized):
                del self.pending[dep_id]
                self.credited[dep_id] = deposit
                events.extend(self._emit("credited", deposit, head, ""))
        return events

    def on_orphaned(self, orphaned: set[str], head: int) -> list[DepositEvent]:
        events = []
        for dep_id in sorted(self.credited):
            deposit = self.credited[dep_id]
            if deposit.block_hash in orphaned:
                del self.credited[dep_id]
                events.extend(self._emit("reversed", deposit, head,
                                         f"block {deposit.block_number} {deposit.block_hash} was orphaned"))
        return events

    def _emit(self, kind: str, deposit: Deposit, head: int, reason: str) -> list[DepositEvent]:
        event = DepositEvent(kind, deposit, self.policy.chain.name, head, self.policy.required(head), reason)
        if event.key in self.emitted:
            return []
        self.emitted.add(event.key)
        return [event]
