"""refimpl.tensor's ``__all__`` lists its whole public vocabulary (so users'
``mypy --strict`` sees every name as exported)."""

from __future__ import annotations

import types

import refimpl.tensor as T


def test_all_lists_every_public_name() -> None:
    items = [(n, v) for n, v in vars(T).items() if not n.startswith("_")]
    public = {n for n, v in items if not isinstance(v, types.ModuleType)} - {"annotations"}
    modules = {n for n, v in items if isinstance(v, types.ModuleType)}
    assert set(T.__all__) == public | (modules & set(T.__all__))
    assert len(T.__all__) == len(set(T.__all__))
    for name in T.__all__:
        assert hasattr(T, name), name
