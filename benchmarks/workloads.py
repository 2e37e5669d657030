"""The six workloads of SPEC section 7, each with a hand-written gradient.

Every workload function is written in the small subset of Python that a
source-to-source tool must handle (module-level functions, ``for ... in
range``, ``while``, ``if``, arithmetic, a few NumPy calls, ``@``, ``.T``,
subscripts) so that srcad, tangent-ad, autograd, JAX and PyTorch all
differentiate *the same source*.  Peers that need another array namespace
get a copy of the function with ``np`` rebound (see ``peers.py``), so the
workload bodies must refer to NumPy only through the global name ``np``.

The hand-written gradients are the baseline that the SPEC's "within 1.2x of
hand-written" target refers to: plain NumPy, written the way a person who
knows the math would write them, and checked against central differences
(``central_differences`` below, ``python -m benchmarks --check``).
"""

import numpy as np

SEED = 20240607


# ----- 1. logistic map (scalar loop) -----

def logistic(l0, r, n):
    l = l0
    for i in range(n):
        l = r * l * (1.0 - l)
    return l


def logistic_grad(l0, r, n):
    """d l_n / d l0 by the chain rule along the orbit (forward accumulation,
    the natural hand-written form for one scalar input)."""
    l = l0
    dl = 1.0
    for i in range(n):
        dl = dl * r * (1.0 - 2.0 * l)
        l = r * l * (1.0 - l)
    return dl


# ----- 2. a single sigmoid neuron (Python floats) -----

def neuron(w0, w1, w2, x1, x2):
    z = w0 + w1 * x1 + w2 * x2
    return 1.0 / (1.0 + np.exp(-z))


def neuron_grad(w0, w1, w2, x1, x2):
    """Gradient w.r.t. (w0, w1, w2): sigma'(z) = sigma (1 - sigma)."""
    s = 1.0 / (1.0 + np.exp(-(w0 + w1 * x1 + w2 * x2)))
    ds = s * (1.0 - s)
    return ds, ds * x1, ds * x2


# ----- 3. least squares -----

def least_squares(w, X, y):
    r = X @ w - y
    return np.sum(r * r)


def least_squares_grad(w, X, y):
    return 2.0 * (X.T @ (X @ w - y))


# ----- 4. two-layer tanh MLP with softmax cross-entropy -----

def mlp(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    z = h @ W2 + b2
    s = z - np.max(z, axis=1, keepdims=True)
    logp = s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))
    return -np.sum(Y * logp)


def mlp_grad(W1, b1, W2, b2, X, Y):
    """Backprop by hand; the max-shift has zero derivative (softmax is shift
    invariant), so it only appears in the forward pass."""
    h = np.tanh(X @ W1 + b1)
    z = h @ W2 + b2
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    p = e / np.sum(e, axis=1, keepdims=True)
    dz = p * np.sum(Y, axis=1, keepdims=True) - Y
    da = (dz @ W2.T) * (1.0 - h * h)
    return X.T @ da, np.sum(da, axis=0), h.T @ dz, np.sum(dz, axis=0)


# ----- 5. vanilla RNN, loss on the last hidden state -----

def rnn(W, U, xs, h0, T):
    h = h0
    for t in range(T):
        h = np.tanh(W @ h + U @ xs[t])
    return np.sum(h * h)


def rnn_grad(W, U, xs, h0, T):
    """Backprop through time: keep every hidden state, walk back collecting
    the pre-activation adjoints, then form dW and dU with one matmul each
    instead of T outer products."""
    hs = [h0]
    for t in range(T):
        hs.append(np.tanh(W @ hs[t] + U @ xs[t]))
    das = [None] * T
    dh = 2.0 * hs[T]
    for t in range(T - 1, -1, -1):
        das[t] = dh * (1.0 - hs[t + 1] * hs[t + 1])
        dh = W.T @ das[t]
    da = np.array(das)                      # (T, hidden)
    return da.T @ np.array(hs[:T]), da.T @ xs[:T]


# ----- 6. RK4 on Lotka-Volterra, shortened last step -----

def rk4(x0, y0, a, b, c, d, T, dt):
    x = x0
    y = y0
    t = 0.0
    while t < T:
        h = dt
        if t + h > T:
            h = T - t
        k1x = a * x - b * x * y
        k1y = c * x * y - d * y
        x2 = x + 0.5 * h * k1x
        y2 = y + 0.5 * h * k1y
        k2x = a * x2 - b * x2 * y2
        k2y = c * x2 * y2 - d * y2
        x3 = x + 0.5 * h * k2x
        y3 = y + 0.5 * h * k2y
        k3x = a * x3 - b * x3 * y3
        k3y = c * x3 * y3 - d * y3
        x4 = x + h * k3x
        y4 = y + h * k3y
        k4x = a * x4 - b * x4 * y4
        k4y = c * x4 * y4 - d * y4
        x = x + h / 6.0 * (k1x + 2.0 * k2x + 2.0 * k3x + k4x)
        y = y + h / 6.0 * (k1y + 2.0 * k2y + 2.0 * k3y + k4y)
        t = t + h
    return x * y


def _lv(x, y, dx, dy, a, b, c, d):
    """Lotka-Volterra right-hand side and its tangent along (dx, dy)."""
    kx = a * x - b * x * y
    ky = c * x * y - d * y
    dkx = a * dx - b * (dx * y + x * dy)
    dky = c * (dx * y + x * dy) - d * dy
    return kx, ky, dkx, dky


def _rk4_step(x, y, dx, dy, h, a, b, c, d):
    k1x, k1y, d1x, d1y = _lv(x, y, dx, dy, a, b, c, d)
    k2x, k2y, d2x, d2y = _lv(x + 0.5 * h * k1x, y + 0.5 * h * k1y,
                             dx + 0.5 * h * d1x, dy + 0.5 * h * d1y, a, b, c, d)
    k3x, k3y, d3x, d3y = _lv(x + 0.5 * h * k2x, y + 0.5 * h * k2y,
                             dx + 0.5 * h * d2x, dy + 0.5 * h * d2y, a, b, c, d)
    k4x, k4y, d4x, d4y = _lv(x + h * k3x, y + h * k3y,
                             dx + h * d3x, dy + h * d3y, a, b, c, d)
    return (x + h / 6.0 * (k1x + 2.0 * k2x + 2.0 * k3x + k4x),
            y + h / 6.0 * (k1y + 2.0 * k2y + 2.0 * k3y + k4y),
            dx + h / 6.0 * (d1x + 2.0 * d2x + 2.0 * d3x + d4x),
            dy + h / 6.0 * (d1y + 2.0 * d2y + 2.0 * d3y + d4y))


def rk4_grad(x0, y0, a, b, c, d, T, dt):
    """Gradient w.r.t. (x0, y0): two tangent-linear sweeps (one per input)
    fused into one loop, the cheapest hand-written form for two inputs."""
    x, y, t = x0, y0, 0.0
    xa, ya, xb, yb = 1.0, 0.0, 0.0, 1.0  # d(x, y)/dx0 and d(x, y)/dy0
    while t < T:
        h = dt if t + dt <= T else T - t
        xn, yn, xa, ya = _rk4_step(x, y, xa, ya, h, a, b, c, d)
        _, _, xb, yb = _rk4_step(x, y, xb, yb, h, a, b, c, d)
        x, y, t = xn, yn, t + h
    return xa * y + x * ya, xb * y + x * yb


# ----- registry and inputs -----

WORKLOADS = {
    "logistic": (logistic, logistic_grad),
    "neuron": (neuron, neuron_grad),
    "least_squares": (least_squares, least_squares_grad),
    "mlp": (mlp, mlp_grad),
    "rnn": (rnn, rnn_grad),
    "rk4": (rk4, rk4_grad),
}

# Workloads whose differentiated inputs are a few scalars: forward mode fits.
SCALAR_WORKLOADS = ("logistic", "neuron", "rk4")


def make_inputs(name, quick=False):
    """Return ``(args, wrt)`` for workload ``name``: float64 inputs from a
    seeded RNG and the index (or tuple of indices) that is differentiated.
    ``quick`` shrinks every size so that the whole suite runs in seconds."""
    rng = np.random.default_rng(SEED)
    if name == "logistic":
        return (0.3, 3.2, 200 if quick else 10_000), 0
    if name == "neuron":
        return (0.1, -0.4, 0.7, 1.5, -2.0), (0, 1, 2)
    if name == "least_squares":
        m, n = (50, 10) if quick else (1000, 100)
        return (rng.standard_normal(n), rng.standard_normal((m, n)),
                rng.standard_normal(m)), 0
    if name == "mlp":
        batch, d_in, d_hid, d_out = (16, 20, 12, 10) if quick else (256, 784, 512, 10)
        X = rng.standard_normal((batch, d_in))
        Y = np.eye(d_out)[rng.integers(0, d_out, batch)]
        W1 = rng.standard_normal((d_in, d_hid)) / np.sqrt(d_in)
        W2 = rng.standard_normal((d_hid, d_out)) / np.sqrt(d_hid)
        return (W1, 0.1 * rng.standard_normal(d_hid), W2,
                0.1 * rng.standard_normal(d_out), X, Y), (0, 1, 2, 3)
    if name == "rnn":
        T, hidden, d_in = (10, 16, 8) if quick else (100, 128, 32)
        W = rng.standard_normal((hidden, hidden)) * (0.9 / np.sqrt(hidden))
        U = rng.standard_normal((hidden, d_in)) / np.sqrt(d_in)
        xs = rng.standard_normal((T, d_in))
        return (W, U, xs, 0.1 * rng.standard_normal(hidden), T), (0, 1)
    if name == "rk4":
        T = 0.5 if quick else 10.0
        return (10.0, 5.0, 1.1, 0.4, 0.1, 0.4, T, 0.03), (0, 1)
    raise KeyError(f"unknown workload {name!r}; choose from {sorted(WORKLOADS)}")


def check_inputs(name):
    """Inputs for correctness checks: the quick ones, except that the
    logistic derivative at r = 3.2 decays like 0.4**n along the attracting
    2-cycle, so a check at n = 200 would compare numbers near 1e-80; n = 8
    keeps it of order one."""
    args, wrt = make_inputs(name, quick=True)
    if name == "logistic":
        args = (args[0], args[1], 8)
    return args, wrt


# ----- finite differences (the reference check and the `fd` peer) -----

def _wrt_tuple(wrt):
    return wrt if isinstance(wrt, tuple) else (wrt,)


def central_differences(f, args, wrt, eps=1e-6):
    """Gradient of ``f`` at ``args`` by central differences, entry by entry:
    2 evaluations of ``f`` per scalar input.  Returns one array per index in
    ``wrt`` (a tuple when ``wrt`` is a tuple), like ``srcad.grad``."""
    grads = []
    for k in _wrt_tuple(wrt):
        base = np.array(args[k], dtype=float)
        g = np.zeros_like(base)
        for j in np.ndindex(base.shape):
            step = eps * max(1.0, abs(base[j]))
            hi, lo = base.copy(), base.copy()
            hi[j] += step
            lo[j] -= step
            g[j] = (f(*_replace(args, k, hi)) - f(*_replace(args, k, lo))) / (2 * step)
        grads.append(g)
    return tuple(grads) if isinstance(wrt, tuple) else grads[0]


def _replace(args, k, value):
    """``args`` with argument ``k`` replaced; a 0-d array goes back to float
    so that scalar workloads keep running on Python floats."""
    value = float(value) if np.ndim(value) == 0 else value
    return args[:k] + (value,) + args[k + 1:]


def count_inputs(args, wrt):
    """Number of scalar inputs differentiated (finite differences cost 2x)."""
    return sum(int(np.size(args[k])) for k in _wrt_tuple(wrt))


def max_rel_error(got, want, floor=0.0):
    """Largest error over all gradient parts, relative to each part's largest
    entry (or to ``floor`` if that is larger: finite differences carry an
    absolute error of about eps**2, so they are compared with floor=1)."""
    got, want = _as_parts(got), _as_parts(want)
    if len(got) != len(want):
        return float("inf")
    worst = 0.0
    for g, w in zip(got, want):
        g, w = np.asarray(g, dtype=float), np.asarray(w, dtype=float)
        if g.shape != w.shape:
            return float("inf")
        error = float(np.max(np.abs(g - w), initial=0.0))
        scale = max(floor, float(np.max(np.abs(w), initial=0.0)))
        worst = max(worst, error / scale if scale > 0 else error)
    return worst


def _as_parts(grad):
    return tuple(grad) if isinstance(grad, (tuple, list)) else (grad,)
