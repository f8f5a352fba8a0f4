"""``verify_grad`` and the finite-difference primitives (spec/grad.md,
"verify_grad"; method: notes/gradient-checking.md §3).

The check is directional. With a random cotangent ``u`` the analytic side is
``<grad(sum(u * fn(x))), v>`` for a random unit tangent ``v`` (one argument
at a time); the numeric side is ``<u, R>`` where ``R`` is the central
difference of ``fn`` along ``v`` improved by one Richardson step, computed in
float64 whatever the graph's dtype. The bound adapts to the evidence: twice
the truncation estimate ``T = |D(h/2) - D(h)|`` plus the roundoff estimate
``Q = (64 eps max|f| + 4 eps max|x|) / h`` (both projected on ``|u|``), plus a relative term
for the analytic side's own rounding. Numbers here are numpy arrays: this
module is test machinery, not an op.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from refimpl.grad.errors import GradientError
from refimpl.types import TensorType, as_dtype

NDArray = np.ndarray[Any, Any]

DEFAULT_SEED = 20240917
"""The seed ``verify_grad`` uses when ``rng`` is not given (reproducible)."""
H0 = 1e-3
"""The initial finite-difference step (float64, unit-norm directions)."""
MAX_SHRINKS = 3
AD_REL_TOL = {"float64": 1e-7, "float32": 1e-3, "float16": 5e-2}
"""Relative allowance for the analytic side's rounding, per its dtype."""
THEANO_TOL = {"float64": 1e-4, "float32": 1e-2, "float16": 5e-2}
"""Theano's default ``abs_tol``/``rel_tol``, used when the caller gives one."""
MAX_JACOBIAN_ELEMENTS = 64
"""Arguments up to this size get a per-element FD gradient in failure reports."""


# --------------------------------------------------------------------------- FD primitives


@dataclass(frozen=True)
class JVPEstimate:
    """A finite-difference Jacobian-vector product. Unpacks as ``R, T, Q``.

    ``R``: the Richardson estimate ``(4 D(h/2) - D(h)) / 3`` (shaped like f);
    ``T``: the elementwise truncation estimate ``|D(h/2) - D(h)|``;
    ``Q``: the roundoff estimate ``64 eps max|f| / h`` (a scalar); ``h`` the
    step used.
    """

    R: NDArray
    T: NDArray
    Q: float
    h: float

    def __iter__(self) -> Iterator[Any]:
        return iter((self.R, self.T, self.Q))

    def bound(self, ad: Any = 0.0, rel: float = 1e-7, floor: float = 1e-12) -> NDArray:
        """The elementwise pass bound ``2 (T + Q) + rel |ad| + floor``."""
        return 2.0 * (self.T + self.Q) + rel * np.abs(np.asarray(ad, dtype=np.float64)) + floor


def numeric_jvp(
    f: Callable[..., Any],
    x: Any,
    v: Any,
    h: float = H0,
    max_shrinks: int = MAX_SHRINKS,
) -> JVPEstimate:
    """Estimate ``J(x) · v`` of ``f`` by central differences plus one
    Richardson step, with the adaptive step of notes §3: start at ``h``;
    while ``max T > 1e-4 max|R| + Q`` divide ``h`` by 10 (at most
    ``max_shrinks`` times) and keep the estimate with the smallest
    ``max T + Q``.

    ``x`` and ``v`` are one array or matching sequences of arrays; ``f`` is
    called with as many float64 arrays and returns one array (or a sequence,
    concatenated flat).
    """
    xs, single = _arrays(x)
    vs, _ = _arrays(v)
    if len(xs) != len(vs) or any(a.shape != b.shape for a, b in zip(xs, vs, strict=True)):
        raise ValueError("numeric_jvp: x and v must have the same structure and shapes")

    def at(step: float) -> NDArray:
        args = [a + step * d for a, d in zip(xs, vs, strict=True)]
        return _flat_output(f(args[0]) if single else f(*args))

    xmax = max(float(np.max(np.abs(a), initial=0.0)) for a in xs)
    best: JVPEstimate | None = None
    best_score = np.inf
    for _ in range(max_shrinks + 1):
        fp, fm, fp2, fm2 = at(h), at(-h), at(h / 2), at(-h / 2)
        d1 = (fp - fm) / (2 * h)
        d2 = (fp2 - fm2) / h
        r = (4 * d2 - d1) / 3
        t = np.abs(d2 - d1)
        eps = float(np.finfo(fp.dtype).eps) if fp.dtype.kind == "f" else 2.0**-52
        fmax = max(float(np.max(np.abs(a), initial=0.0)) for a in (fp, fm, fp2, fm2))
        # Roundoff: 64 eps |f| / h, plus 4 eps |x| / h for cancellation inside the
        # graph ((x + y) - y - x is a rounding residue of size eps |x|, not 0).
        q = (64 * eps * fmax + 4 * eps * xmax) / h
        est = JVPEstimate(r, t, q, h)
        score = float(np.max(t, initial=0.0)) + q
        if best is None or score < best_score:
            best, best_score = est, score
        if float(np.max(t, initial=0.0)) <= 1e-4 * float(np.max(np.abs(r), initial=0.0)) + q:
            return est
        h /= 10
    assert best is not None
    return best


def _arrays(x: Any) -> tuple[list[NDArray], bool]:
    if isinstance(x, (list, tuple)):
        return [np.asarray(a, dtype=np.float64) for a in x], False
    return [np.asarray(x, dtype=np.float64)], True


def _flat_output(out: Any) -> NDArray:
    from refimpl.backend import to_numpy

    if isinstance(out, (list, tuple)):
        parts = [np.asarray(to_numpy(o)).reshape(-1) for o in out]
        return np.concatenate(parts) if parts else np.zeros(0)
    return np.asarray(to_numpy(out)).reshape(-1)


def numeric_gradient(
    f: Callable[..., Any], x: Sequence[Any], u: Any, arg: int, h: float = H0
) -> tuple[NDArray, NDArray]:
    """The FD gradient of ``<u, f(x)>`` with respect to ``x[arg]``, element by
    element (one ``numeric_jvp`` per element), and its elementwise bound."""
    xs = [np.asarray(a, dtype=np.float64) for a in x]
    uf = np.asarray(u, dtype=np.float64).reshape(-1)
    shape = xs[arg].shape
    values = np.zeros(int(np.prod(shape)))
    bounds = np.zeros_like(values)
    for j in range(values.size):
        vs = [np.zeros_like(a) for a in xs]
        vs[arg].reshape(-1)[j] = 1.0
        est = numeric_jvp(f, xs, vs, h=h)
        values[j] = float(uf @ est.R)
        bounds[j] = 2 * float(np.abs(uf) @ (est.T + est.Q))
    return values.reshape(shape), bounds.reshape(shape)


# --------------------------------------------------------------------------- verify_grad


class _Graphs:
    """The compiled functions of one ``verify_grad`` call: the analytic
    gradient of ``sum(u * fn(x))`` (in the points' dtypes) and ``fn`` in
    float64 for the finite differences."""

    def __init__(self, fn: Callable[..., Any], points: list[NDArray], mode: Any, backend: Any):
        from refimpl.grad.engine import grad
        from refimpl.modes.function import function

        T = _tensor()
        xs = [_input_type(p.dtype.name, p.shape)(f"x{k}") for k, p in enumerate(points)]
        outs = _outputs(fn(*xs), "fn")
        us = [o.type(f"u{j}") for j, o in enumerate(outs)]
        cost = T.sum(T.mul(us[0], outs[0]))
        for u, o in zip(us[1:], outs[1:], strict=True):
            cost = T.add(cost, T.sum(T.mul(u, o)))
        grads = grad(cost, xs, disconnected_inputs="ignore")
        kw = {"mode": mode, "backend": backend, "on_unused_input": "ignore"}
        self.out_types = [o.type for o in outs]
        self.ad = function([*xs, *us], grads, **kw)
        xs64 = [_input_type("float64", p.shape)(f"x{k}") for k, p in enumerate(points)]
        self.fd = function(xs64, _outputs(fn(*xs64), "fn"), **kw)

    def gradients(self, points: list[NDArray], us: list[NDArray]) -> list[NDArray]:
        from refimpl.backend import to_numpy

        cast_us = [u.astype(t.dtype) for u, t in zip(us, self.out_types, strict=True)]
        res = self.ad(*points, *cast_us)
        return [np.asarray(to_numpy(g), dtype=np.float64) for g in res]

    def f64(self, *xs: NDArray) -> NDArray:
        return _flat_output(self.fd(*xs))


def _tensor() -> Any:
    import importlib

    return importlib.import_module("refimpl.tensor")


def _input_type(dtype: str, shape: tuple[int, ...]) -> TensorType:
    # length-1 axes broadcast (static 1); other lengths are left unknown
    return TensorType(as_dtype(dtype), tuple(1 if n == 1 else None for n in shape))


def _outputs(out: Any, what: str) -> list[Any]:
    from refimpl.types import is_discrete
    from refimpl.variable import TensorVariable

    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    for k, o in enumerate(outs):
        if not isinstance(o, TensorVariable):
            raise TypeError(f"verify_grad: {what} must return symbolic tensors, got {o!r}")
        if is_discrete(o.dtype):
            raise TypeError(f"verify_grad: output {k} of {what} ({o}) has dtype {o.dtype}")
    return outs


def _points(points: Sequence[Any]) -> list[NDArray]:
    if not isinstance(points, (list, tuple)):
        raise TypeError("verify_grad: points must be a list of arrays, one per input of fn")
    out = []
    for k, p in enumerate(points):
        a = np.array(p, copy=True)
        if a.dtype.kind != "f":
            raise TypeError(
                f"verify_grad: points[{k}] has dtype {a.dtype}; verify_grad needs real "
                "floating-point points (float16/32/64)"
            )
        out.append(a)
    return out


def _rng(rng: Any) -> tuple[np.random.Generator, int | None]:
    if rng is None:
        return np.random.default_rng(DEFAULT_SEED), DEFAULT_SEED
    if isinstance(rng, (int, np.integer)):
        return np.random.default_rng(int(rng)), int(rng)
    if isinstance(rng, np.random.Generator):
        return rng, None
    if isinstance(rng, np.random.RandomState):
        seed = int(rng.randint(0, 2**31 - 1))
        return np.random.default_rng(seed), seed
    raise TypeError(f"verify_grad: rng must be None, an int seed or a numpy generator, got {rng!r}")


@dataclass
class _Options:
    eps: float | None
    abs_tol: float | None
    rel_tol: float | None
    seed: int | None
    n_tests: int


def verify_grad(
    fn: Callable[..., Any],
    points: Sequence[Any],
    rng: Any = None,
    eps: float | None = None,
    abs_tol: float | None = None,
    rel_tol: float | None = None,
    n_tests: int = 2,
    mode: Any = None,
    backend: Any = None,
) -> None:
    """Check the gradient of ``fn`` at ``points`` against finite differences;
    raise ``GradientError`` on a mismatch.

    ``fn`` takes one symbolic tensor per point (of its dtype) and returns a
    symbolic tensor of any shape (or a list of them). ``rng``: ``None`` (a
    fixed seed, ``DEFAULT_SEED``), an int seed, or a numpy ``Generator``/
    ``RandomState``. ``eps``: the initial FD step (default 1e-3). With
    ``abs_tol``/``rel_tol`` the pass rule is Theano's (fail only if both the
    absolute and the relative error exceed them); without, the adaptive
    bound of spec/grad.md. ``mode``/``backend`` are passed to ``function``.
    """
    pts = _points(points)
    if n_tests < 1:
        raise ValueError(f"verify_grad: n_tests must be >= 1, got {n_tests}")
    gen, seed = _rng(rng)
    check = _Verifier(
        _Graphs(fn, pts, mode, backend), pts, _Options(eps, abs_tol, rel_tol, seed, n_tests)
    )
    shapes = check.output_shapes()
    for test in range(n_tests):
        us = [gen.standard_normal(shape) for shape in shapes]
        grads = check.graphs.gradients(pts, us)
        for k, p in enumerate(pts):
            v = np.asarray(gen.standard_normal(p.shape))
            norm = float(np.sqrt(np.sum(v * v)))
            check.check_arg(test, grads, us, k, v / norm if norm > 0 else v)


class _Verifier:
    """One ``verify_grad`` call's state: the graphs, the points, the options."""

    def __init__(self, graphs: _Graphs, pts: list[NDArray], opts: _Options) -> None:
        self.graphs = graphs
        self.pts64 = [p.astype(np.float64) for p in pts]
        self.dtypes = [str(p.dtype) for p in pts]
        self.opts = opts

    def output_shapes(self) -> list[tuple[int, ...]]:
        from refimpl.backend import to_numpy

        res = self.graphs.fd(*self.pts64)
        res = res if isinstance(res, (list, tuple)) else [res]
        return [tuple(np.asarray(to_numpy(r)).shape) for r in res]

    def check_arg(
        self, test: int, grads: list[NDArray], us: list[NDArray], k: int, v: NDArray
    ) -> None:
        opts = self.opts
        vs = [np.zeros_like(p) for p in self.pts64]
        vs[k] = v
        est = numeric_jvp(self.graphs.f64, self.pts64, vs, h=opts.eps or H0)
        if not np.all(np.isfinite(est.R)):
            raise ValueError(
                f"verify_grad: fn is not finite near the point along a random direction of "
                f"argument {k} (h={est.h:g}); choose a point inside fn's domain"
            )
        u_flat = np.concatenate([u.reshape(-1) for u in us])
        ad = float(np.sum(grads[k] * v))
        numeric = float(u_flat @ est.R)
        diff = abs(ad - numeric)
        dtype = self.dtypes[k]
        if opts.abs_tol is not None or opts.rel_tol is not None:
            abs_tol = opts.abs_tol if opts.abs_tol is not None else THEANO_TOL.get(dtype, 1e-4)
            rel_tol = opts.rel_tol if opts.rel_tol is not None else THEANO_TOL.get(dtype, 1e-4)
            size = max(abs(ad) + abs(numeric), 1e-8)
            ok = diff <= abs_tol or diff / size <= rel_tol
            bound = max(abs_tol, rel_tol * size)
        else:
            t_p = float(np.abs(u_flat) @ est.T)
            q_p = float(np.sum(np.abs(u_flat)) * est.Q)
            scale = float(np.sum(np.abs(grads[k] * v)))
            bound = 2 * (t_p + q_p) + AD_REL_TOL.get(dtype, 1e-7) * scale + 1e-12
            ok = diff <= bound
        if ok and np.isfinite(ad):
            return
        raise self.failure(test, grads, u_flat, k, ad, numeric, bound, est)

    def failure(
        self,
        test: int,
        grads: list[NDArray],
        u_flat: NDArray,
        k: int,
        ad: float,
        numeric: float,
        bound: float,
        est: JVPEstimate,
    ) -> GradientError:
        opts, p = self.opts, self.pts64[k]
        lines = [
            f"verify_grad: the gradient with respect to argument {k} (shape {p.shape}, "
            f"dtype {self.dtypes[k]}) disagrees with finite differences "
            f"(test {test + 1} of {opts.n_tests})",
            f"  along a random unit direction: analytic {ad:.17g}, numeric {numeric:.17g}, "
            f"|difference| {abs(ad - numeric):.3g} > bound {bound:.3g} (Richardson, h={est.h:g})",
        ]
        position: tuple[int, ...] | None = None
        if p.size <= MAX_JACOBIAN_ELEMENTS:
            fd, fd_bound = numeric_gradient(self.graphs.f64, self.pts64, u_flat, k, opts.eps or H0)
            flat = int(np.argmax(np.abs(grads[k] - fd) - fd_bound))
            position = tuple(int(i) for i in np.unravel_index(flat, p.shape))
            lines.append(
                f"  worst element {position}: analytic {grads[k].reshape(-1)[flat]:.17g}, "
                f"numeric {fd.reshape(-1)[flat]:.17g}"
            )
            lines.append(f"  analytic gradient:\n{grads[k]}\n  numeric gradient:\n{fd}")
        else:
            lines.append(f"  (argument has {p.size} elements: no per-element comparison)")
        if opts.seed is None:
            lines.append("  seed: a caller-supplied numpy Generator")
        else:
            lines.append(f"  seed: {opts.seed} (pass rng={opts.seed} to reproduce)")
        return GradientError("\n".join(lines), k, ad, numeric, bound, opts.seed, position)
