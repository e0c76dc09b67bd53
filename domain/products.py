"""Registry product keys: what a buyer prequalifies an asset for, per part of a request's product.

Mirrors contracts/src/access/Products.sol: to be awarded a request, the asset must be
product-prequalified by the request's buyer for CAPACITY if the request buys the reservation and
for ENERGY if it buys the activation; an asset with no product prequalification at all cannot offer.
"""

from __future__ import annotations

from domain.enums import Product

CAPACITY = "capacity"
ENERGY = "energy"


def keys_for(product: Product) -> list[str]:
    """The Registry product keys a request of `product` needs."""
    keys = []
    if product & Product.RESERVATION:
        keys.append(CAPACITY)
    if product & Product.ACTIVATION:
        keys.append(ENERGY)
    return keys
