"""Matrix decompositions: ``Cholesky``, ``Eigh``, ``SVD``, ``QR`` (re-exported by
``refimpl.ops.linalg``, i.e. ``T.nlinalg``).

``cholesky`` and ``eigh`` read one triangle of their (symmetric) input and
mirror it before calling ``xp.linalg``, so they compute the same function on
every backend (numpy reads the lower triangle, jax symmetrises); their
gradients are the exact derivatives of that function: lower- (or upper-)
triangular. Eigen- and singular-vector gradients assume distinct
eigenvalues / singular values (the formulas divide by their gaps). See
``spec/linalg.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from array_api_compat import device

from refimpl._typing import Array, Namespace
from refimpl.graph.basic import Apply, NullGrad, Op, RopNotImplementedError
from refimpl.ops import _linalg_specs as _S
from refimpl.opspec import Arg, OpSpec
from refimpl.types import TensorType
from refimpl.variable import TensorVariable

TV = TensorVariable
Grads = list[TensorVariable | NullGrad | None]
Shapes = Sequence[tuple[TensorVariable, ...]]


def _la() -> Any:
    from refimpl.ops import linalg

    return linalg


def _m() -> Any:
    from refimpl.ops import math

    return math


def _mT(x: TV) -> TV:
    from refimpl.ops.blas import matrix_transpose

    return matrix_transpose(x)


def _mm(a: TV, b: TV) -> TV:
    from refimpl.ops.blas import matmul

    return matmul(a, b)


def _row(v: TV) -> TV:
    """``v[..., None, :]``: a stack of vectors as one-row matrices."""
    from refimpl.ops import shape as _shape

    return _shape.dimshuffle(v, [*range(v.ndim - 1), "x", v.ndim - 1])


def _col(v: TV) -> TV:
    """``v[..., :, None]``: a stack of vectors as one-column matrices."""
    from refimpl.ops import shape as _shape

    return _shape.shape_padright(v, 1)


def _mirror(xp: Namespace, x: Array, lower: bool) -> Array:
    """The symmetric matrices whose lower (upper) triangle is ``x``'s."""
    n = x.shape[-1]
    idx = xp.arange(n, dtype=xp.int64, device=device(x))
    rows, cols = xp.reshape(idx, (n, 1)), xp.reshape(idx, (1, n))
    keep = cols <= rows if lower else cols >= rows
    return xp.where(keep, x, xp.matrix_transpose(x))


def _fold(g: TV, lower: bool) -> TV:
    """The gradient with respect to a triangle from the gradient ``g`` (symmetric)
    with respect to the mirrored matrix: the diagonal once, off-diagonal twice."""
    la = _la()
    if lower:
        return _m().add(la.tril(g), la.tril(g, -1))  # type: ignore[no-any-return]
    return _m().add(la.triu(g), la.triu(g, 1))  # type: ignore[no-any-return]


def _unfold(v: TV, lower: bool) -> TV:
    """The symmetric matrix mirrored from ``v``'s lower (upper) triangle."""
    la = _la()
    if lower:
        return _m().add(la.tril(v), _mT(la.tril(v, -1)))  # type: ignore[no-any-return]
    return _m().add(la.triu(v), _mT(la.triu(v, 1)))  # type: ignore[no-any-return]


def _phi(x: TV) -> TV:
    """The lower triangle with the diagonal halved (Murray 2016's Φ)."""
    la = _la()
    return _m().mul(_m().add(la.tril(x), la.tril(x, -1)), 0.5)  # type: ignore[no-any-return]


def _inv_gaps(w: TV) -> TV:
    """``F[..., i, j] = 1 / (w_j - w_i)`` off the diagonal, 0 on it."""
    m = _m()
    d = m.sub(_row(w), _col(w))
    eye = _la().identity_like(d)
    return m.sub(m.true_div(1.0, m.add(d, eye)), eye)  # type: ignore[no-any-return]


def _diag_of_product(u: TV, p: TV) -> TV:
    """``diag(uᵀ p)`` per matrix: ``sum_i u[..., i, j] p[..., i, j]``."""
    from refimpl.ops import reduction as _red

    return _red.sum(_m().mul(u, p), axis=u.ndim - 2)


def _right_solve(b: TV, r: TV, transposed: bool = False) -> TV:
    """``b r⁻¹`` = ``(r⁻ᵀ bᵀ)ᵀ``, or ``b r⁻ᵀ`` = ``(r⁻¹ bᵀ)ᵀ`` when ``transposed``."""
    return _mT(_la().solve(r if transposed else _mT(r), _mT(b)))


# --------------------------------------------------------------------------- Cholesky


@dataclass(frozen=True)
class Cholesky(Op):
    """``L`` with ``A = L Lᵀ`` (``lower=True``) or ``U`` with ``A = Uᵀ U``; reads
    only the lower (upper) triangle of ``A``, which must be positive definite."""

    lower: bool = True

    def __str__(self) -> str:
        return f"Cholesky{{lower={self.lower}}}"

    def make_node(self, x: Any) -> Apply:
        la = _la()
        x = la.float_matrix(x, "cholesky")
        return Apply(self, [x], [TensorType(x.dtype, la.square_shape(x.type.shape))()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        la = _la()
        la.check_square(node, inputs[0])
        s = _mirror(xp, inputs[0], self.lower)
        return (la.linalg_fn(xp, "cholesky", self)(s, upper=not self.lower),)

    def infer_shape(self, node: Apply, input_shapes: Shapes) -> list[tuple[TV, ...]]:
        return [tuple(input_shapes[0])]

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> Grads:
        """S = L⁻ᵀ Φ(Lᵀ Ḡ) L⁻¹; gA = fold(sym(S)) (Murray 2016, symmetric form)."""
        low = outputs[0] if self.lower else _mT(outputs[0])
        g = output_grads[0] if self.lower else _mT(output_grads[0])
        p = _phi(_mm(_mT(low), g))
        s = _mT(_la().solve(_mT(low), _mT(_la().solve(_mT(low), p))))
        return [_fold(_la().sym(s), self.lower)]

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        """dL = L Φ(L⁻¹ dA L⁻ᵀ), dA mirrored from the triangle read."""
        v = eval_points[0]
        if v is None:
            return [None]
        out = self(inputs[0])
        low = out if self.lower else _mT(out)
        da = _unfold(_m().cast(v, out.dtype), self.lower)
        z = _mT(_la().solve(low, _mT(_la().solve(low, da))))
        dl = _mm(low, _phi(z))
        return [dl if self.lower else _mT(dl)]


def cholesky(x: Any, lower: bool = True) -> TV:
    """The Cholesky factor of each (symmetric positive definite) matrix of ``x``:
    lower-triangular ``L`` (``A = L Lᵀ``) or, with ``lower=False``, ``U = Lᵀ``."""
    return Cholesky(bool(lower))(x)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- Eigh


@dataclass(frozen=True)
class Eigh(Op):
    """Eigenvalues ``w`` (ascending) and eigenvectors ``v`` (columns) of the
    symmetric matrices mirrored from the lower (``UPLO='L'``) or upper triangle."""

    lower: bool = True

    def __str__(self) -> str:
        return f"Eigh{{{'L' if self.lower else 'U'}}}"

    def make_node(self, x: Any) -> Apply:
        la = _la()
        x = la.float_matrix(x, "eigh")
        shape = la.square_shape(x.type.shape)
        w, v = TensorType(x.dtype, shape[:-1]), TensorType(x.dtype, shape)
        return Apply(self, [x], [w(), v()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        la = _la()
        la.check_square(node, inputs[0])
        w, v = la.linalg_fn(xp, "eigh", self)(_mirror(xp, inputs[0], self.lower))
        return (w, v)

    def infer_shape(self, node: Apply, input_shapes: Shapes) -> list[tuple[TV, ...]]:
        s = tuple(input_shapes[0])
        return [s[:-1], s]

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> Grads:
        """gA = fold(sym(V (diag(gw) + F ∘ (Vᵀ gV)) Vᵀ)), F_ij = 1/(w_j - w_i)."""
        m = _m()
        w, v = outputs
        gw, gv = output_grads
        f = _inv_gaps(w)
        inner = m.add(m.mul(f, _mm(_mT(v), gv)), m.mul(_la().identity_like(f), _row(gw)))
        return [_fold(_la().sym(_mm(_mm(v, inner), _mT(v))), self.lower)]

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        """dw = diag(Vᵀ dA V), dV = V (F ∘ (Vᵀ dA V))."""
        m = _m()
        e = eval_points[0]
        if e is None:
            return [None, None]
        w, v = self(inputs[0])
        da = _unfold(m.cast(e, v.dtype), self.lower)
        dav = _mm(da, v)
        p = _mm(_mT(v), dav)
        return [_diag_of_product(v, dav), _mm(v, m.mul(_inv_gaps(w), p))]


def eigh(a: Any, UPLO: str = "L") -> list[TV]:
    """``[w, v]``: eigenvalues (ascending) and eigenvectors of each symmetric
    matrix of ``a``, read from its lower (``UPLO='L'``) or upper triangle."""
    if UPLO not in ("L", "U"):
        raise ValueError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    return Eigh(UPLO == "L")(a)  # type: ignore[no-any-return]


def eigvalsh(a: Any, b: Any = None, lower: bool = True) -> TV:
    """The eigenvalues of each symmetric matrix of ``a`` (``b``, Theano's
    generalised problem, is not supported)."""
    if b is not None:
        raise NotImplementedError("eigvalsh: the generalised problem (b is not None)")
    return Eigh(bool(lower))(a)[0]  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- SVD


@dataclass(frozen=True)
class SVD(Op):
    """``A = U diag(s) Vh``: outputs ``(U, s, Vh)``, or ``(s,)`` when
    ``compute_uv=False``; ``s`` descending."""

    full_matrices: bool = True
    compute_uv: bool = True

    def __str__(self) -> str:
        return f"SVD{{full_matrices={self.full_matrices}, compute_uv={self.compute_uv}}}"

    def make_node(self, x: Any) -> Apply:
        x = _la().float_matrix(x, "svd", square=False)
        *batch, m, n = x.type.shape
        k = min(m, n) if m is not None and n is not None else None
        s = TensorType(x.dtype, (*batch, k))
        if not self.compute_uv:
            return Apply(self, [x], [s()])
        full = self.full_matrices
        u = TensorType(x.dtype, (*batch, m, m if full else k))
        vh = TensorType(x.dtype, (*batch, n if full else k, n))
        return Apply(self, [x], [u(), s(), vh()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        la = _la()
        if not self.compute_uv:
            return (la.linalg_fn(xp, "svdvals", self)(inputs[0]),)
        u, s, vh = la.linalg_fn(xp, "svd", self)(inputs[0], full_matrices=self.full_matrices)
        return (u, s, vh)

    def infer_shape(self, node: Apply, input_shapes: Shapes) -> list[tuple[TV, ...]]:
        *batch, m, n = input_shapes[0]
        k = _m().minimum(m, n)
        if not self.compute_uv:
            return [(*batch, k)]
        full = self.full_matrices
        return [(*batch, m, m if full else k), (*batch, k), (*batch, n if full else k, n)]

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> Grads:
        """s only: gA = U diag(gs) Vh. With U, Vh: Townsend (2016), see spec."""
        mth = _m()
        x = inputs[0]
        if not self.compute_uv:
            u, s, vh = SVD(False, True)(x)
            return [_mm(mth.mul(u, _row(output_grads[0])), vh)]
        if not self._uv_differentiable(x):
            reason = "the gradient of full non-square U/Vh is not defined; use full_matrices=False"
            return [NullGrad(str(self), 0, reason, "not_implemented")]
        u, s, vh = outputs
        gu, gs, gvh = output_grads
        return [_svd_grad(u, s, vh, gu, gs, gvh)]

    def _uv_differentiable(self, x: TV) -> bool:
        m, n = x.type.shape[-2:]
        return not self.full_matrices or (m is not None and m == n)

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        """ds = diag(Uᵀ dA V); dU, dV from the forward-mode formulas (spec)."""
        v = eval_points[0]
        x = inputs[0]
        if v is None:
            return [None] * (3 if self.compute_uv else 1)
        if self.compute_uv and not self._uv_differentiable(x):
            raise RopNotImplementedError(f"{self}: no R_op for full non-square U/Vh")
        u, s, vh = SVD(False, True)(x) if not self.compute_uv else self(x)
        da = _m().cast(v, s.dtype)
        dav = _mm(da, _mT(vh))
        ds = _diag_of_product(u, dav)
        if not self.compute_uv:
            return [ds]
        du, dvh = _svd_uv_tangents(u, s, vh, da, dav)
        return [du, ds, dvh]


def _svd_grad(u: TV, s: TV, vh: TV, gu: TV, gs: TV, gvh: TV) -> TV:
    """Townsend (2016): gA = U[J S + diag(gs) + S K]Vᵀ + (I - UUᵀ) gU S⁻¹ Vᵀ
    + U S⁻¹ gVᵀ (I - VVᵀ), J = F∘(UᵀgU - gUᵀU), K = F∘(VᵀgV - gVᵀV),
    F_ij = 1/(s_j² - s_i²)."""
    m = _m()
    gv = _mT(gvh)
    f = _inv_gaps(m.mul(s, s))
    utgu, vtgv = _mm(_mT(u), gu), _mm(vh, gv)
    j = m.mul(f, m.sub(utgu, _mT(utgu)))
    k = m.mul(f, m.sub(vtgv, _mT(vtgv)))
    eye = _la().identity_like(f)
    inner = m.add(m.add(m.mul(j, _row(s)), m.mul(eye, _row(gs))), m.mul(_col(s), k))
    main = _mm(_mm(u, inner), vh)
    inv_s = _row(m.true_div(1.0, s))
    left = _mm(m.mul(m.sub(gu, _mm(u, utgu)), inv_s), vh)
    right = _mm(m.mul(u, inv_s), m.sub(gvh, _mm(_mT(vtgv), vh)))
    return m.add(m.add(main, left), right)  # type: ignore[no-any-return]


def _svd_uv_tangents(u: TV, s: TV, vh: TV, da: TV, dav: TV) -> tuple[TV, TV]:
    """P = UᵀdA V; dU = U(F∘(PS + SPᵀ)) + (dA V - U P)S⁻¹;
    dV = V(F∘(SP + PᵀS)) + (dAᵀU - V Pᵀ)S⁻¹."""
    m = _m()
    v = _mT(vh)
    f = _inv_gaps(m.mul(s, s))
    p = _mm(_mT(u), dav)
    ps, sp = m.mul(p, _row(s)), m.mul(_col(s), p)
    inv_s = _row(m.true_div(1.0, s))
    du = m.add(_mm(u, m.mul(f, m.add(ps, _mT(ps)))), m.mul(m.sub(dav, _mm(u, p)), inv_s))
    datu = _mm(_mT(da), u)
    dv = m.add(_mm(v, m.mul(f, m.add(sp, _mT(sp)))), m.mul(m.sub(datu, _mm(v, _mT(p))), inv_s))
    return du, _mT(dv)


def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True) -> Any:
    """``[U, s, Vh]`` with ``a = U diag(s) Vh`` (``s`` alone when
    ``compute_uv=False``), per matrix of ``a``."""
    return SVD(bool(full_matrices), bool(compute_uv))(a)


# --------------------------------------------------------------------------- pinv


@dataclass(frozen=True)
class Pinv(Op):
    """The Moore-Penrose pseudo-inverse ``X = A⁺`` (``(..., N, M)``)."""

    def __str__(self) -> str:
        return "Pinv"

    def make_node(self, x: Any) -> Apply:
        x = _la().float_matrix(x, "pinv", square=False)
        shape = x.type.shape
        return Apply(self, [x], [TensorType(x.dtype, (*shape[:-2], shape[-1], shape[-2]))()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        return (_la().linalg_fn(xp, "pinv", self)(inputs[0]),)

    def infer_shape(self, node: Apply, input_shapes: Shapes) -> list[tuple[TV, ...]]:
        s = input_shapes[0]
        return [(*s[:-2], s[-1], s[-2])]

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> Grads:
        """gA = -XᵀGXᵀ + (I - AX) GᵀXXᵀ + XᵀX Gᵀ(I - XA) (constant rank)."""

        a, x, g = inputs[0], outputs[0], output_grads[0]
        xt, gt = _mT(x), _mT(g)
        t1 = _m().neg(_mm(_mm(xt, g), xt))
        gxx = _mm(gt, _mm(x, xt))
        t2 = _m().sub(gxx, _mm(a, _mm(x, gxx)))
        xxg = _mm(_mm(xt, x), gt)
        t3 = _m().sub(xxg, _mm(_mm(xxg, x), a))
        return [_m().add(_m().add(t1, t2), t3)]

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        """dX = -X dA X + XXᵀ dAᵀ (I - AX) + (I - XA) dAᵀ XᵀX."""

        v = eval_points[0]
        if v is None:
            return [None]
        a = inputs[0]
        x = self(a)
        v = _m().cast(v, x.dtype)
        vt, xt = _mT(v), _mT(x)
        t1 = _m().neg(_mm(_mm(x, v), x))
        xxv = _mm(_mm(x, xt), vt)
        t2 = _m().sub(xxv, _mm(_mm(xxv, a), x))
        vxx = _mm(vt, _mm(xt, x))
        t3 = _m().sub(vxx, _mm(_mm(x, a), vxx))
        return [_m().add(_m().add(t1, t2), t3)]


def pinv(x: Any) -> TV:
    """The Moore-Penrose pseudo-inverse of each matrix of ``x``."""
    return Pinv()(x)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- QR

QRMode = Literal["reduced", "complete", "r"]


@dataclass(frozen=True)
class QR(Op):
    """``A = Q R`` with orthonormal columns in ``Q`` and upper-triangular ``R``;
    outputs ``(Q, R)``, or ``(R,)`` for ``mode='r'``."""

    mode: QRMode = "reduced"

    def __str__(self) -> str:
        return f"QR{{{self.mode}}}"

    def make_node(self, x: Any) -> Apply:
        if self.mode not in ("reduced", "complete", "r"):
            raise ValueError(f"qr: mode must be 'reduced', 'complete' or 'r', got {self.mode!r}")
        x = _la().float_matrix(x, "qr", square=False)
        *batch, m, n = x.type.shape
        k = min(m, n) if m is not None and n is not None else None
        kq: int | None = m if self.mode == "complete" else k
        r = TensorType(x.dtype, (*batch, kq, n))
        if self.mode == "r":
            return Apply(self, [x], [r()])
        return Apply(self, [x], [TensorType(x.dtype, (*batch, m, kq))(), r()])

    def perform(self, xp: Namespace, node: Apply, inputs: Sequence[Array]) -> tuple[Array, ...]:
        fn = _la().linalg_fn(xp, "qr", self)
        q, r = fn(inputs[0], mode="complete" if self.mode == "complete" else "reduced")
        return (r,) if self.mode == "r" else (q, r)

    def infer_shape(self, node: Apply, input_shapes: Shapes) -> list[tuple[TV, ...]]:
        *batch, m, n = input_shapes[0]
        kq = m if self.mode == "complete" else _m().minimum(m, n)
        r = (*batch, kq, n)
        return [r] if self.mode == "r" else [(*batch, m, kq), r]

    def _differentiable(self, x: TV) -> bool:
        m, n = x.type.shape[-2:]
        wide = m is not None and n is not None and m < n
        return not wide and (self.mode != "complete" or (m is not None and m == n))

    def L_op(
        self, inputs: Sequence[TV], outputs: Sequence[TV], output_grads: Sequence[TV]
    ) -> Grads:
        """gA = (gQ + Q Ñ) R⁻ᵀ, Ñ = triu(N) + triu(N, 1)ᵀ, N = gR Rᵀ - Qᵀ gQ (m >= n)."""
        mth, la = _m(), _la()
        x = inputs[0]
        if not self._differentiable(x):
            reason = "QR is differentiable here only for m >= n (and 'complete' only if square)"
            return [NullGrad(str(self), 0, reason, "not_implemented")]
        if self.mode == "r":
            q, r = QR("reduced")(x)
            gr = output_grads[0]
            n_mat = _mm(gr, _mT(r))
            gq = None
        else:
            q, r = outputs
            gq, gr = output_grads
            n_mat = mth.sub(_mm(gr, _mT(r)), _mm(_mT(q), gq))
        sym_n = mth.add(la.triu(n_mat), _mT(la.triu(n_mat, 1)))
        b = _mm(q, sym_n) if gq is None else mth.add(gq, _mm(q, sym_n))
        return [_right_solve(b, r, transposed=True)]

    def R_op(self, inputs: Sequence[TV], eval_points: Sequence[TV | None]) -> list[TV | None]:
        """C = Qᵀ dA R⁻¹, Ω = tril(C, -1) - tril(C, -1)ᵀ; dR = (C - Ω) R,
        dQ = dA R⁻¹ - Q (C - Ω)."""
        mth, la = _m(), _la()
        v, x = eval_points[0], inputs[0]
        if v is None:
            return [None] if self.mode == "r" else [None, None]
        if not self._differentiable(x):
            raise RopNotImplementedError(f"{self}: no R_op for this shape/mode")
        q, r = QR("reduced")(x) if self.mode == "r" else self(x)
        dar = _right_solve(mth.cast(v, r.dtype), r)
        c = _mm(_mT(q), dar)
        lo = la.tril(c, -1)
        c_omega = mth.add(mth.sub(c, lo), _mT(lo))
        dr = _mm(c_omega, r)
        if self.mode == "r":
            return [dr]
        return [mth.sub(dar, _mm(q, c_omega)), dr]


def qr(a: Any, mode: QRMode = "reduced") -> Any:
    """Theano's ``nlinalg.qr``: ``[Q, R]`` (``mode='reduced'`` or ``'complete'``)
    or ``R`` alone (``mode='r'``)."""
    return QR(mode)(a)


# --------------------------------------------------------------------------- specs


def _eigh_build(x: TV) -> list[TV]:
    """Eigenvalues and the sign-invariant squares of the eigenvectors."""
    w, v = eigh(x)
    return [w, _m().mul(v, v)]


def _svd_build(x: TV) -> list[TV]:
    u, s, vh = svd(x, full_matrices=False)
    return [_m().mul(u, u), s, _m().mul(vh, vh)]


def _qr_build(x: TV) -> list[TV]:
    q, r = qr(x)
    return [_m().mul(q, q), _m().mul(r, r)]


def _qr_r_build(x: TV) -> TV:
    r = qr(x, "r")
    return _m().mul(r, r)  # type: ignore[no-any-return]


_F = (Arg("x", ("float64", "float32")),)
_LA: dict[str, Any] = dict(rtol=_S.F32_TOL, ad_tol_factor=10.0, family="linalg")

# fmt: off
SPECS: tuple[OpSpec, ...] = (
    OpSpec("cholesky", cholesky, _S.ref_cholesky, _F, _S.square, (Cholesky,),
           _S.lower_params, make_inputs=_S.spd_inputs, **_LA,
           doc="SPD inputs (eigenvalues in [0.5, 2]); the gradient is triangular"),
    OpSpec("eigh", _eigh_build, _S.ref_eigh, _F, _S.square, (Eigh,),
           make_inputs=_S.symmetric_inputs, **_LA,
           doc="outputs w and v*v (sign-invariant); eigenvalue gaps >= 0.5"),
    OpSpec("eigvalsh", eigvalsh, _S.np_fn("eigvalsh"), _F, _S.square, (Eigh,),
           make_inputs=_S.symmetric_inputs, **_LA),
    OpSpec("svd", _svd_build, _S.ref_svd, _F, _S.rect, (SVD,),
           make_inputs=_S.rect_inputs, **_LA,
           doc="thin SVD; outputs u*u, s, vh*vh (sign-invariant); singular values in "
           "[0.5, 2] with gaps >= 0.1"),
    OpSpec("svd_values", lambda x: svd(x, compute_uv=False),
           _S.ref_svdvals, _F, _S.rect, (SVD,),
           make_inputs=_S.rect_inputs, **_LA),
    OpSpec("qr", _qr_build, _S.ref_qr, _F, _S.tall, (QR,), make_inputs=_S.rect_inputs,
           **_LA, doc="reduced QR of m >= n matrices; outputs q*q, r*r (sign-invariant)"),
    OpSpec("qr_r", _qr_r_build, _S.ref_qr_r, _F, _S.tall, (QR,), make_inputs=_S.rect_inputs,
           **_LA, doc="mode='r': R only; output r*r (sign-invariant)"),
    OpSpec("pinv", pinv, _S.np_fn("pinv"), _F, _S.rect, (Pinv,), make_inputs=_S.rect_inputs,
           **_LA, doc="full-rank matrices (the gradient assumes a constant rank)"),
)
# fmt: on
