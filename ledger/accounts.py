"""Deterministic development accounts.

Both chains use the well-known development mnemonic that anvil funds by default, so a
key derived here holds ether on the embedded chain and on a fresh anvil alike. These
keys are public knowledge: never use them outside a development chain.
"""

from __future__ import annotations

from functools import lru_cache

from eth_account import Account
from eth_account.signers.local import LocalAccount

DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_ACCOUNT_COUNT = 20
HD_PATH = "m/44'/60'/0'/0/{}"

Account.enable_unaudited_hdwallet_features()


@lru_cache(maxsize=None)
def dev_account(index: int) -> LocalAccount:
    """The development account at HD index `index`."""
    return Account.from_mnemonic(DEV_MNEMONIC, account_path=HD_PATH.format(index))


def new_account() -> LocalAccount:
    """A fresh random key (for device signers and throw-away participants)."""
    return Account.create()
