"""``refimpl.scan``: loops (spec/scan.md).

``from refimpl import scan`` is the *function* (API.md), and
``refimpl.scan.until``, ``refimpl.scan.map`` ... must work too, although
``refimpl/scan/`` is a package. As ``refimpl.grad`` does, the package
exports ``scan`` as an instance of ``ScanFunction``: a callable with
``scan``'s signature that carries the package's public names as attributes
(and falls back to the package module for anything else, e.g.
``refimpl.scan.op``). ``refimpl/__init__.py`` re-exports it.
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from refimpl.scan import basic as _basic
from refimpl.scan.op import Scan
from refimpl.scan.utils import Until, until
from refimpl.scan.views import foldl, foldr, map, reduce
from refimpl.shared import SharedVariable
from refimpl.variable import TensorVariable


class ScanFunction:
    """The type of ``refimpl.scan``: calling it is ``scan`` (see
    ``refimpl.scan.basic.scan``); its attributes are the package's names."""

    __name__ = "scan"
    __qualname__ = "scan"

    until = staticmethod(until)
    map = staticmethod(map)
    reduce = staticmethod(reduce)
    foldl = staticmethod(foldl)
    foldr = staticmethod(foldr)
    Scan = Scan
    Until = Until

    def __call__(
        self,
        fn: Callable[..., Any],
        sequences: Any = None,
        outputs_info: Any = None,
        non_sequences: Any = None,
        n_steps: Any = None,
        truncate_gradient: int = -1,
        go_backwards: bool = False,
        mode: Any = None,
        name: str | None = None,
        strict: bool = False,
        return_list: bool = False,
    ) -> tuple[Any, OrderedDict[SharedVariable, TensorVariable]]:
        return _basic.scan(
            fn,
            sequences=sequences,
            outputs_info=outputs_info,
            non_sequences=non_sequences,
            n_steps=n_steps,
            truncate_gradient=truncate_gradient,
            go_backwards=go_backwards,
            mode=mode,
            name=name,
            strict=strict,
            return_list=return_list,
        )

    def __getattr__(self, name: str) -> Any:
        # anything else the package offers (submodules: refimpl.scan.op ...)
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(sys.modules[__name__], name)

    def __repr__(self) -> str:
        return "<function refimpl.scan>"


ScanFunction.__call__.__doc__ = _basic.scan.__doc__
ScanFunction.__doc__ = _basic.scan.__doc__

scan = ScanFunction()
"""``scan(fn, sequences, outputs_info, non_sequences, n_steps, ...)``: see
``refimpl.scan.basic.scan`` and spec/scan.md."""

__all__ = ["Scan", "ScanFunction", "Until", "foldl", "foldr", "map", "reduce", "scan", "until"]
