"""Assertions shared by the test suite."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import pytest

from ledger.errors import ContractRevert


@contextmanager
def reverts(name: str, **expected_args: Any) -> Iterator[pytest.ExceptionInfo]:
    """Assert the block raises ContractRevert with custom error `name` (and these argument values)."""
    with pytest.raises(ContractRevert) as info:
        yield info
    err = info.value
    assert err.name == name, f"expected {name}, got {err}"
    for key, value in expected_args.items():
        assert err.args_dict.get(key) == value, f"{name}.{key}: expected {value!r}, got {err.args_dict.get(key)!r}"
