#!/usr/bin/python3
"""Fits the polynomial of ax_erfc_pos (src/backend/cpu/simd_math.h): erfc a = t·e^(−a²)·Q(t) for a ≥ 0 with
t = 1/(1 + a/2) ∈ (0, 1], Q of degree 10 in t, by Chebyshev least squares weighted for relative error against
mpmath (30 digits). Prints the maximum relative error of Q evaluated in float32 by Horner with float32
coefficients, then the coefficients, lowest degree first.

Usage: /usr/bin/python3 tools/fit_erfc.py"""
import mpmath as mp
import numpy as np

P, DEGREE = 0.5, 10


def q(t):
    """erfc(a)·e^(a²)/t at t = 1/(1 + P·a); at t = 0 (a → ∞) its limit P/√π, as erfc(a)·e^(a²) ~ 1/(a·√π)."""
    if t == 0:
        return float(P / mp.sqrt(mp.pi))
    a = (1 / mp.mpf(t) - 1) / P
    return float(mp.erfc(a) * mp.exp(a * a) / mp.mpf(t))


def main():
    mp.mp.dps = 30
    n = 800
    ts = np.concatenate([[0.0], 0.5 - 0.5 * np.cos(np.pi * (np.arange(n) + 0.5) / n), [1.0]])
    ys = np.array([q(t) for t in ts])
    cheb = np.polynomial.chebyshev.chebfit(2 * ts - 1, ys, DEGREE, w=1 / ys)
    in_u = np.polynomial.polynomial.Polynomial(np.polynomial.chebyshev.cheb2poly(cheb))
    coef = in_u(np.polynomial.polynomial.Polynomial([-1, 2])).coef.astype(np.float32)  # u = 2t − 1
    check = np.linspace(0, 1, 2001).astype(np.float32)
    acc = np.full_like(check, coef[-1])
    for c in coef[-2::-1]:
        acc = (acc * check + c).astype(np.float32)
    err = max(abs(float(v) - q(float(t))) / q(float(t)) for v, t in zip(acc, check))
    print(f"max relative error {err:.2e}")
    print(", ".join(f"{float(c):.9g}f" for c in coef))


if __name__ == "__main__":
    main()
