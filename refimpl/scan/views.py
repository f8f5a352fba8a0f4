"""``map``, ``reduce``, ``foldl``, ``foldr``: thin wrappers of ``scan``
(Theano's ``scan_views``; spec/scan.md, "Views").

``reduce``/``foldl``/``foldr`` keep only the last value of each state (the
loop stores no trajectory) and return the initial value after zero steps,
as a fold should.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from refimpl.scan.basic import build_scan, scan
from refimpl.scan.utils import TV
from refimpl.shared import SharedVariable

Result = tuple[Any, OrderedDict[SharedVariable, TV]]


def map(
    fn: Callable[..., Any],
    sequences: Any,
    non_sequences: Any = None,
    truncate_gradient: int = -1,
    go_backwards: bool = False,
    mode: Any = None,
    name: str | None = None,
) -> Result:
    """Apply ``fn`` to each slice of ``sequences`` (no state is fed back):
    ``scan(fn, sequences, outputs_info=None, ...)``."""
    return scan(
        fn,
        sequences=sequences,
        outputs_info=None,
        non_sequences=non_sequences,
        truncate_gradient=truncate_gradient,
        go_backwards=go_backwards,
        mode=mode,
        name=name,
    )


def reduce(
    fn: Callable[..., Any],
    sequences: Any,
    outputs_info: Any,
    non_sequences: Any = None,
    go_backwards: bool = False,
    mode: Any = None,
    name: str | None = None,
) -> Result:
    """Fold ``fn`` over ``sequences``: the states' values after the last step
    (their initial values after zero steps). Outputs that are not fed back
    (``None`` in ``outputs_info``) give their last step's value."""
    outs, updates, is_state = build_scan(
        fn, sequences, outputs_info, non_sequences, None, -1, go_backwards, mode, name,
        False, final_only=True,
    )  # fmt: skip
    last = [o if state else o[-1] for o, state in zip(outs, is_state)]
    if len(last) == 1:
        return last[0], updates
    return (last or None), updates


def foldl(
    fn: Callable[..., Any],
    sequences: Any,
    outputs_info: Any,
    non_sequences: Any = None,
    mode: Any = None,
    name: str | None = None,
) -> Result:
    """``reduce`` from the first slice to the last."""
    return reduce(fn, sequences, outputs_info, non_sequences, False, mode, name)


def foldr(
    fn: Callable[..., Any],
    sequences: Any,
    outputs_info: Any,
    non_sequences: Any = None,
    mode: Any = None,
    name: str | None = None,
) -> Result:
    """``reduce`` from the last slice to the first."""
    return reduce(fn, sequences, outputs_info, non_sequences, True, mode, name)
