#!/usr/bin/env python3
"""Float64 NumPy forward pass and central finite-difference input gradients of the "layer zoo" model of
test/models/layer-zoo.test.ts, for test/fixtures/layer-zoo.json.

The model (a Keras 2 functional config the test writes with the project's own HDF5 writer) chains the layers of
issue 23 that TensorFlow.js runs: Dense with gelu / swish / silu / elu / selu, LayerNormalization, LeakyReLU, PReLU
(shared axis), ELU, ReLU with max_value / negative_slope / threshold, and the plain tensor ops Keras 2 saves as
TFOpLambda / SlicingOpLambda (add, subtract, multiply, slicing, transpose, reshape, reduce mean and max, concat).
Weights and inputs are formulas both sides compute exactly (see `weight` and `deterministic_input`).

Usage: /usr/bin/python3 scripts/reference/layer-zoo.py > test/fixtures/layer-zoo.json   (Debian's python3-numpy)
"""
import json
import math

import numpy as np

T, F = 6, 4  # input frames x features


def weight(shape, seed):
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.int64)
    return ((((i * 37 + seed * 11) % 23) / 23.0 - 0.5)).astype(np.float32).astype(np.float64).reshape(shape)


def deterministic_input(shape, k):
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.int64)
    return (((i * 7919 + k * 104729) % 2003) / 1001.5 - 1.0).astype(np.float32).astype(np.float64).reshape(shape)


erf = np.vectorize(math.erf)


def gelu(x):
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * (np.exp(x) - 1.0))


def selu(x):
    return 1.0507009873554805 * elu(x, 1.6732632423543772)


def dense(x, seed, units, act):
    k = weight((x.shape[-1], units), seed)
    b = weight((units,), seed + 1)
    return act(x @ k + b)


def layer_norm(x, seed, eps=1e-3):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    gamma = 1.0 + weight((x.shape[-1],), seed)
    beta = weight((x.shape[-1],), seed + 1)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def relu_options(x, max_value=2.0, negative_slope=0.1, threshold=0.05):
    # As keras.activations.relu: x * [x > threshold] clipped to [0, max_value], minus slope * relu(threshold - x).
    positive = np.clip(x * (x > threshold), 0.0, max_value)
    return positive - negative_slope * np.maximum(threshold - x, 0.0)


def forward(x):
    """x: [6, 4] (one example) -> 3 logits (before the final softmax)."""
    a = dense(x, 1, 4, gelu)  # dense_gelu
    n = layer_norm(a, 3)  # layer_normalization
    s = n + x  # TFOpLambda __operators__.add (y = the input)
    lr = np.where(s > 0, s, 0.2 * s)  # LeakyReLU(alpha=0.2)
    alpha = weight((1, F), 5)  # PReLU(shared_axes=[1])
    p = np.where(lr > 0, lr, alpha * lr)
    e = elu(p, 0.7)  # ELU(alpha=0.7)
    r = relu_options(e)  # ReLU(max_value=2, negative_slope=0.1, threshold=0.05)
    m = r * 0.5  # TFOpLambda math.multiply (y = 0.5)
    d = m - dense(x, 7, 4, lambda v: v * sigmoid(v))  # TFOpLambda math.subtract (y = dense_swish(x))
    sl = d[1:5, :]  # SlicingOpLambda [:, 1:5]
    tr = sl.T  # TFOpLambda transpose perm [0, 2, 1] -> [4 features, 4 frames]
    rs = tr.reshape(16)  # TFOpLambda reshape [-1, 16]
    mean = tr.mean(1)  # TFOpLambda math.reduce_mean axis 2 -> [4]
    mx = tr.max(0)  # TFOpLambda math.reduce_max axis 1 -> [4]
    c = np.concatenate([rs, mean, mx])  # TFOpLambda concat axis -1 -> [24]
    h = dense(c, 9, 5, lambda v: v * sigmoid(v))  # dense_silu
    h = dense(h, 11, 5, elu)  # dense_elu
    h = dense(h, 13, 5, selu)  # dense_selu
    return dense(h, 15, 3, lambda v: v)  # output logits (softmax applied by the model)


def main():
    examples = []
    for k in range(2):
        x = deterministic_input((T, F), k)
        logits = forward(x)
        target = int(np.argmax(logits))
        h = 1e-6
        grad = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            up = x.copy()
            down = x.copy()
            up[idx] += h
            down[idx] -= h
            grad[idx] = (forward(up)[target] - forward(down)[target]) / (2 * h)
        examples.append({'k': k, 'logits': logits.tolist(), 'target': target, 'gradient': grad.reshape(-1).tolist()})
    print(json.dumps({'shape': [T, F], 'examples': examples}, indent=1))


if __name__ == '__main__':
    main()
