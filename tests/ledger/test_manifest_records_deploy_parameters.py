"""A deployment's manifest records its constructor parameters (not only addresses), so that a
deployment with a minimum bond other than the default verifies, and a manifest that misstates
the minimum bond (or any other parameter) is refused."""

from __future__ import annotations

import json

import pytest

from ledger.accounts import dev_account
from ledger.backends import EmbeddedChain
from ledger.deploy import DEFAULT_MIN_BOND, DeployParameters, Manifest, deploy
from ledger.errors import ManifestError
from ledger.ledger import Ledger

FIVE_COINS = 5 * 10**18


def test_a_deployment_with_another_minimum_bond_verifies_and_records_it(tmp_path):
    chain = EmbeddedChain()
    manifest = deploy(chain, dev_account(0), parameters=DeployParameters(min_bond=FIVE_COINS))
    loaded = Manifest.load(manifest.save(tmp_path / "m.json"), chain)  # verifies
    assert loaded.parameters.min_bond == FIVE_COINS == json.loads(manifest.to_json())["parameters"]["min_bond"]
    assert Ledger(chain, loaded).clearing.min_bond() == FIVE_COINS


def test_a_manifest_that_misstates_the_minimum_bond_is_refused():
    chain = EmbeddedChain()
    manifest = deploy(chain, dev_account(0), parameters=DeployParameters(min_bond=FIVE_COINS))
    doc = json.loads(manifest.to_json())
    doc["parameters"]["min_bond"] = DEFAULT_MIN_BOND
    with pytest.raises(ManifestError, match=f"minimum bond {FIVE_COINS} is not the manifest's {DEFAULT_MIN_BOND}"):
        Manifest.from_json(json.dumps(doc)).verify(chain)


def test_a_manifest_that_misstates_the_registry_name_is_refused():
    chain = EmbeddedChain()
    manifest = deploy(chain, dev_account(0), parameters=DeployParameters(registry_name="Consortium B"))
    manifest.verify(chain)
    doc = json.loads(manifest.to_json())
    doc["parameters"]["registry_name"] = "FlexLedger consortium"
    with pytest.raises(ManifestError, match="Registry: the admin is registered as .Consortium B."):
        Manifest.from_json(json.dumps(doc)).verify(chain)


def test_a_manifest_without_parameters_means_the_defaults():
    chain = EmbeddedChain()
    doc = json.loads(deploy(chain, dev_account(0)).to_json())
    del doc["parameters"]
    loaded = Manifest.from_json(json.dumps(doc))
    assert loaded.parameters == DeployParameters()
    loaded.verify(chain)


def test_a_manifest_with_an_unknown_parameter_is_malformed():
    chain = EmbeddedChain()
    doc = json.loads(deploy(chain, dev_account(0)).to_json())
    doc["parameters"]["bond_colour"] = "blue"
    with pytest.raises(ManifestError, match="malformed"):
        Manifest.from_json(json.dumps(doc))
