#!/usr/bin/env python3
"""Textbook DeepLIFT (rescale rule, Shrikumar et al. 2017) in float64 NumPy for a small MLP with tanh and sigmoid.

Network: Dense(6 -> 5, tanh) -> Dense(5 -> 4, sigmoid) -> Dense(4 -> 3, linear logits). Multipliers are propagated
backwards layer by layer: through a dense layer by its transposed kernel, through each nonlinearity by
m = (f(x) - f(x0)) / (x - x0) (f'(x) where |x - x0| < 1e-10). attributions = (x - x0) * multiplier of the target
logit; their sum equals f(x) - f(x0) exactly (summation-to-delta). Writes test/fixtures/deeplift-rescale-reference.json.

Run: python3 scripts/reference/deeplift_rescale_reference.py
"""
import json
import os

import numpy as np

EPS = 1e-10
rng = np.random.default_rng(2312)


def f32(a):
    """Values exactly representable in float32 (the test's model stores float32 weights)."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


shapes = [(6, 5), (5, 4), (4, 3)]
kernels = [f32(rng.normal(0, 0.8, s)) for s in shapes]
biases = [f32(rng.normal(0, 0.3, s[1])) for s in shapes]
inputs = f32(rng.normal(0, 1.2, (3, 6)))
baselines = f32(np.stack([np.zeros(6), rng.normal(0, 0.5, 6), inputs[2] * 0.5]))
targets = [0, 2, 1]

sigmoid = lambda z: 1 / (1 + np.exp(-z))
acts = [
    (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    (sigmoid, lambda z: sigmoid(z) * (1 - sigmoid(z))),
    (lambda z: z, lambda z: np.ones_like(z)),
]


def forward(x):
    """Pre-activations and activations of every layer."""
    pre, post = [], [x]
    for (w, b), (f, _) in zip(zip(kernels, biases), acts):
        z = post[-1] @ w + b
        pre.append(z)
        post.append(f(z))
    return pre, post


def deeplift(x, x0, target):
    pre, post = forward(x)
    pre0, post0 = forward(x0)
    m = np.zeros(3)
    m[target] = 1.0
    for layer in reversed(range(3)):
        f, df = acts[layer]
        dz = pre[layer] - pre0[layer]
        small = np.abs(dz) < EPS
        ratio = np.where(small, df(pre[layer]), (post[layer + 1] - post0[layer + 1]) / np.where(small, 1, dz))
        m = (m * ratio) @ kernels[layer].T
    attributions = (x - x0) * m
    change = post[-1][target] - post0[-1][target]
    return attributions, change


rows = [deeplift(inputs[r], baselines[r], targets[r]) for r in range(3)]
for a, change in rows:
    assert abs(a.sum() - change) < 1e-12, (a.sum(), change)

out = {
    "about": "DeepLIFT rescale (float64 NumPy textbook) on Dense(6,tanh) -> Dense(5,sigmoid) -> Dense(4,3) logits; "
    "written by scripts/reference/deeplift_rescale_reference.py",
    "kernels": [k.tolist() for k in kernels],
    "biases": [b.tolist() for b in biases],
    "inputs": inputs.tolist(),
    "baselines": baselines.tolist(),
    "targets": targets,
    "attributions": [a.tolist() for a, _ in rows],
    "change": [c for _, c in rows],
}
path = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "deeplift-rescale-reference.json")
with open(path, "w") as fh:
    json.dump(out, fh, indent=1)
    fh.write("\n")
print("wrote", os.path.normpath(path))
