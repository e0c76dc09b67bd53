"""Pure facts shared by every layer: the award, slice packing, EIP-712 types, roles, enums.

Nothing here talks to a chain or imports another FlexLedger package.
"""
