"""SettlementToken.mint asks the Registry for the shared Roles.ADMIN id: only ADMIN mints."""

from __future__ import annotations

import pytest

from ledger.errors import ContractRevert


def test_the_admin_mints(world):
    tok, a = world.ledger.token, world.actors
    before = tok.balance(a.outsider.address)
    tok.mint(a.admin, a.outsider.address, 5_000_000)
    assert tok.balance(a.outsider.address) == before + 5_000_000


@pytest.mark.parametrize("who", ["operator", "dso", "fsp", "auditor", "metering", "outsider"])
def test_anyone_but_the_admin_is_refused_token_not_admin(world, who):
    tok, a = world.ledger.token, world.actors
    minter = getattr(a, who)
    with pytest.raises(ContractRevert) as err:
        tok.mint(minter, minter.address, 1)
    assert err.value.name == "TokenNotAdmin" and err.value.args_dict == {"account": minter.address}
