"""The chain-backend interface: one job, talk to an EVM chain.

Everything outside ledger/ reaches the chain through a `ChainBackend`; only the backends
touch web3 (`self.w3` is theirs alone: contract clients and tests use the methods below).
A backend signs locally with eth-account, always sends explicit gas, waits
for the receipt and returns it; it never raises for a reverted transaction (the contract
client checks `status` and decodes the reason), only for transport failures.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from typing import Any

from web3 import Web3

from ledger.errors import BackendError
from ledger.signer import Signer

DEFAULT_GAS = 12_000_000
PRIORITY_FEE = 1_000_000_000


class ChainBackend(ABC):
    """An EVM chain reachable through web3 (in-process or JSON-RPC)."""

    kind: str = "abstract"
    default_caller: str | None = None  # 'from' of calls that name no sender

    def __init__(self, w3: Web3):
        self.w3 = w3
        self._nonces: dict[str, int] = {}
        self._lock = threading.RLock()
        self.chain_id = int(w3.eth.chain_id)

    # ---- transactions ---------------------------------------------------------------
    def _next_nonce(self, address: str) -> int:
        if address not in self._nonces:
            self._nonces[address] = self.w3.eth.get_transaction_count(address, "pending")
        nonce = self._nonces[address]
        self._nonces[address] = nonce + 1
        return nonce

    def _fees(self) -> dict[str, int]:
        base = self.w3.eth.get_block("latest").get("baseFeePerGas", 0) or 0
        return {"maxFeePerGas": 2 * base + PRIORITY_FEE, "maxPriorityFeePerGas": PRIORITY_FEE}

    def sign(self, account: Signer, to: str | None, data: bytes, *, gas: int | None = None,
             value: int = 0) -> bytes:
        tx: dict[str, Any] = {
            "chainId": self.chain_id,
            "nonce": self._next_nonce(account.address),
            "gas": gas or DEFAULT_GAS,
            "value": value,
            "data": data,
            "type": 2,
            **self._fees(),
        }
        if to is not None:
            tx["to"] = to
        return bytes(account.sign_transaction(tx).raw_transaction)

    def send(self, account: Signer, to: str | None, data: bytes, *, gas: int | None = None,
             value: int = 0) -> dict:
        """Sign, send and wait for one transaction; return its receipt (status may be 0)."""
        with self._lock:
            raw = self.sign(account, to, data, gas=gas, value=value)
            try:
                tx_hash = self.w3.eth.send_raw_transaction(raw)
            except Exception:
                self._nonces.pop(account.address, None)  # resync the nonce on next use
                raise
        return self.wait(tx_hash)

    def wait(self, tx_hash: bytes, timeout: float = 120) -> dict:
        try:
            return dict(self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=timeout, poll_latency=0.02))
        except Exception as exc:  # web3's TimeExhausted and transport errors
            raise BackendError(f"no receipt for 0x{bytes(tx_hash).hex()}: {exc}") from exc

    def call(self, to: str | None, data: bytes, *, sender: str | None = None,
             block: int | str = "latest", gas: int | None = None, value: int = 0) -> bytes:
        """eth_call (with `to` None: simulate a CREATE of `data`, returning the runtime code);
        raises the backend's own exception on revert (see revert_data())."""
        tx: dict[str, Any] = {"data": data, "gas": gas or DEFAULT_GAS, "value": value}
        if to is not None:
            tx["to"] = to
        sender = sender or self.default_caller
        if sender:
            tx["from"] = sender
        return bytes(self.w3.eth.call(tx, block))

    def estimate_gas(self, sender: str, to: str, data: bytes, value: int = 0) -> int:
        """eth_estimateGas of a transaction from `sender` (raises the backend's exception on revert)."""
        return int(self.w3.eth.estimate_gas({"from": sender, "to": to, "data": data, "value": value}))

    @abstractmethod
    def revert_data(self, exc: BaseException) -> bytes | None:
        """The raw revert bytes carried by an exception from call(), or None if it is no revert."""

    # ---- time (development chains) --------------------------------------------------
    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    @abstractmethod
    def set_next_timestamp(self, timestamp: int) -> None:
        """Make the next mined block carry `timestamp` (development chains only)."""

    def advance_time(self, seconds: int) -> int:
        """Move chain time forward by `seconds`, mining a block; return the new time."""
        target = self.now() + int(seconds)
        self.set_next_timestamp(target)
        self.mine()
        return self.now()

    @abstractmethod
    def mine(self) -> None:
        """Mine one block (development chains only)."""

    def snapshot(self) -> object:
        """Remember the chain state (development chains only)."""
        raise NotImplementedError

    def revert(self, snapshot: object) -> None:
        """Return to a snapshot's state (development chains only); forgets cached nonces."""
        raise NotImplementedError

    def block_number(self) -> int:
        return int(self.w3.eth.block_number)

    def transaction_count(self, address: str, block: int | str = "latest") -> int:
        """The number of transactions `address` has sent (its next nonce at `block`)."""
        return int(self.w3.eth.get_transaction_count(Web3.to_checksum_address(address), block))

    def get_balance(self, address: str, block: int | str = "latest") -> int:
        """The ether (wei) balance of `address`."""
        return int(self.w3.eth.get_balance(Web3.to_checksum_address(address), block))

    def get_transaction(self, tx_hash: bytes | str) -> dict:
        """A mined or pending transaction by hash (its `gas`, `from`, `to`, `input`, ...)."""
        return dict(self.w3.eth.get_transaction(tx_hash))

    def block_hash(self, number: int) -> bytes | None:
        """The hash of block `number` on this chain now (None if there is no such block yet)."""
        try:
            block = self.w3.eth.get_block(int(number))
        except Exception:  # web3's BlockNotFound
            return None
        return bytes(block["hash"]) if block else None

    def send_raw(self, raw: bytes) -> dict:
        """Relay a transaction someone else signed and wait for its receipt (status may be 0)."""
        return self.wait(self.w3.eth.send_raw_transaction(raw))

    def get_code(self, address: str) -> bytes:
        return bytes(self.w3.eth.get_code(Web3.to_checksum_address(address)))

    def get_logs(self, addresses: list[str], from_block: int, to_block: int) -> list[dict]:
        if not addresses or from_block > to_block:
            return []
        return [dict(log) for log in self.w3.eth.get_logs(
            {"address": addresses, "fromBlock": from_block, "toBlock": to_block})]

    def get_raw_logs(self, addresses: list[str], from_block: int, to_block: int) -> list[dict]:
        """The same logs as JSON-RPC gives them (hex strings: address, topics, data, blockNumber,
        logIndex, transactionHash, blockHash), for bulk readers that decode them themselves."""
        def h(v) -> str:
            return v if isinstance(v, str) else "0x" + bytes(v).hex()
        return [{"address": log["address"], "topics": [h(t) for t in log["topics"]], "data": h(log["data"]),
                 "blockNumber": hex(int(log["blockNumber"])), "logIndex": hex(int(log["logIndex"])),
                 "transactionHash": h(log["transactionHash"]), "blockHash": h(log["blockHash"])}
                for log in self.get_logs(addresses, from_block, to_block)]

    def close(self) -> None:
        """Release resources (nothing for most backends)."""
