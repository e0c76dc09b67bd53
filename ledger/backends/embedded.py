"""The embedded chain: eth-tester on py-evm, in process. Needs nothing running.

Tens of transactions per second; every transaction is mined in its own block
(automine). The development mnemonic's accounts are funded at genesis.
"""

from __future__ import annotations

import ast

from eth_abi import encode as abi_encode
from eth_tester import EthereumTester, PyEVMBackend
from eth_tester.exceptions import TransactionFailed
from web3 import EthereumTesterProvider, Web3

from ledger.accounts import DEV_ACCOUNT_COUNT, dev_account
from ledger.backends.base import ChainBackend

GENESIS_GAS_LIMIT = 60_000_000
ERROR_STRING_SELECTOR = bytes.fromhex("08c379a0")
GENESIS_BALANCE = 10_000 * 10**18  # anvil's default per-account balance


class EmbeddedChain(ChainBackend):
    """An in-process EVM (prague) with funded development accounts."""

    kind = "embedded"

    def __init__(self) -> None:
        params = PyEVMBackend.generate_genesis_params(overrides={"gas_limit": GENESIS_GAS_LIMIT})
        state = {
            bytes.fromhex(dev_account(i).address[2:]): {"balance": GENESIS_BALANCE, "storage": {},
                                                       "code": b"", "nonce": 0}
            for i in range(DEV_ACCOUNT_COUNT)
        }
        self.tester = EthereumTester(PyEVMBackend(genesis_parameters=params, genesis_state=state))
        super().__init__(Web3(EthereumTesterProvider(self.tester)))
        # eth-tester checks that a call's sender could pay for its gas
        self.default_caller = dev_account(0).address

    def revert_data(self, exc: BaseException) -> bytes | None:
        """eth-tester raises TransactionFailed whose message is the repr of the revert bytes
        (or the decoded reason of an Error(string)); py-evm's own Revert, with the raw bytes,
        is usually its __context__."""
        failed = None
        for e in _chain(exc):
            if e.args and isinstance(e.args[0], (bytes, bytearray)) and not isinstance(e, TransactionFailed):
                return bytes(e.args[0])
            if isinstance(e, TransactionFailed):
                failed = e
        if failed is None:
            return None
        msg = str(failed.args[0]) if failed.args else ""
        body = msg.removeprefix("execution reverted: ")
        if body.startswith(("b'", 'b"')):
            try:
                return bytes(ast.literal_eval(body))
            except (ValueError, SyntaxError):
                pass
        return ERROR_STRING_SELECTOR + abi_encode(["string"], [body])

    def set_next_timestamp(self, timestamp: int) -> None:
        # eth-tester's time_travel mines a block whose timestamp lands one second short
        self.tester.time_travel(int(timestamp) + 1)

    def advance_time(self, seconds: int) -> int:
        target = self.now() + int(seconds)
        self.set_next_timestamp(target)
        if self.now() < target:
            self.tester.time_travel(target + 1 + (target - self.now()))
        return self.now()

    def snapshot(self) -> object:
        return self.tester.take_snapshot()

    def revert(self, snapshot: object) -> None:
        self.tester.revert_to_snapshot(snapshot)
        self._nonces.clear()

    def mine(self) -> None:
        self.tester.mine_blocks(1)


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__
