#!/usr/bin/env python3
"""Float64 NumPy forward passes and central finite-difference input gradients of the small models of
test/models/keras-1d-layers.test.ts (Keras layers TensorFlow.js lacks), for test/fixtures/keras-1d-layers-reference.json.

normalization: x [T=6, C=3]
  n1  = Normalization(axis=-1) adapted: weights mean [3], variance [3], count          (x - m) / max(sqrt(v), 1e-7)
  n2  = Normalization(axis=(1, 2), mean=[0.1, -0.2, 0.3], variance=[0.5, 2.0, 1.5])  config values, right-aligned
  n3  = Normalization(axis=None, mean=0.5, variance=4.0)                               one scalar mean and variance
  out = Dense(3, softmax)(Dense(5, tanh)(Flatten(n3)))
Keras's epsilon (backend.epsilon() = 1e-7) floors the standard deviation, as keras/src/layers/preprocessing/
normalization.py computes it.

upsampling: x [T=5, C=2]
  up  = UpSampling1D(3)(x)                                                              each step repeated 3 times
  out = Dense(3, softmax)(Flatten(Conv1D(3, 4, valid, tanh)(up)))

transpose: x [T=5, C=2]
  a   = Conv1DTranspose(3, 3, strides=2, padding='same', activation='tanh')(x)         length 10
  b   = Conv1DTranspose(2, 4, strides=3, padding='valid', use_bias=False)(a)            length 31
  c   = Conv1DTranspose(2, 3, strides=2, padding='same', output_padding=1, 'tanh')(b)   length 62
  out = Dense(3, softmax)(Flatten(c))
A transposed convolution as TensorFlow's conv1d_transpose computes it: y[t·s + j − begin] += K[j] · x[t] for the
output length Keras asks for, `begin` = ⌊P / 2⌋ of the pad P = max((T − 1)·s + k − L, 0) of the convolution it
transposes ('same'; 0 for 'valid'); kernel [k, filters, in].

separable: x [T=8, C=3]
  a   = SeparableConv1D(4, 3, padding='same', depth_multiplier=2, activation='tanh')(x)   length 8
  b   = SeparableConv1D(2, 3, strides=2, padding='valid', use_bias=False)(a)             length 3
  out = Dense(3, softmax)(Flatten(b))
A depthwise convolution as TensorFlow computes it (TensorFlow's 'same' pads, begin = ⌊P / 2⌋; output channel
c·multiplier + j; depthwise kernel [k, in, multiplier]), then the pointwise kernel [1, in·multiplier, filters].

Weights are drawn here (seeded) and rounded to float32; the fixture holds them with their Keras names, the inputs, the
logits (before the final softmax) and the gradient of the top logit with respect to the input.

Usage: /usr/bin/python3 scripts/reference/keras_1d_layers_reference.py > test/fixtures/keras-1d-layers-reference.json
(Debian's python3-numpy)
"""
import json

import numpy as np

EPSILON = 1e-7


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def normalise(x, mean, variance):
    return (x - mean) / np.maximum(np.sqrt(variance), EPSILON)


def normalization_model():
    T, C = 6, 3
    rng = np.random.default_rng(41)
    weights = {}

    def w(name, shape, scale=0.6, offset=0.0):
        value = f32(offset + scale * rng.standard_normal(shape))
        weights[name] = value
        return value

    n1_mean = w('normalization/mean', (C,), 1.0)
    n1_var = f32(np.abs(w('normalization/variance', (C,), 0.5, 1.0)) + 0.1)
    weights['normalization/variance'] = n1_var
    weights['normalization/count'] = f32(120.0)
    n2_mean, n2_var = f32([0.1, -0.2, 0.3]), f32([0.5, 2.0, 1.5])
    n3_mean, n3_var = 0.5, 4.0
    k1 = w('dense/kernel', (T * C, 5), 0.4)
    b1 = w('dense/bias', (5,), 0.2)
    k2 = w('out/kernel', (5, 3))
    b2 = w('out/bias', (3,), 0.2)

    def forward(x):
        h = normalise(x, n1_mean, n1_var)
        h = normalise(h, n2_mean, n2_var)
        h = normalise(h, n3_mean, n3_var)
        h = np.tanh(h.reshape(-1) @ k1 + b1)
        return h @ k2 + b2

    return (T, C), weights, forward


def conv1d_valid(x, kernel, bias):
    """Keras's Conv1D with padding 'valid', stride 1: kernel [k, in, out]."""
    k = kernel.shape[0]
    return np.stack([np.einsum('ki,kio->o', x[t : t + k], kernel) for t in range(x.shape[0] - k + 1)]) + bias


def upsampling_model():
    T, C = 5, 2
    rng = np.random.default_rng(43)
    weights = {}

    def w(name, shape, scale=0.6):
        value = f32(scale * rng.standard_normal(shape))
        weights[name] = value
        return value

    ck = w('conv1d/kernel', (4, C, 3))
    cb = w('conv1d/bias', (3,), 0.2)
    k2 = w('out/kernel', ((T * 3 - 3) * 3, 3), 0.4)
    b2 = w('out/bias', (3,), 0.2)

    def forward(x):
        up = np.repeat(x, 3, axis=0)
        h = np.tanh(conv1d_valid(up, ck, cb))
        return h.reshape(-1) @ k2 + b2

    return (T, C), weights, forward


def deconv_length(T, k, s, padding, output_padding):
    """Keras's conv_utils.deconv_output_length (dilation 1)."""
    if output_padding is None:
        return T * s if padding == 'same' else T * s + max(k - s, 0)
    pad = k // 2 if padding == 'same' else 0
    return (T - 1) * s + k - 2 * pad + output_padding


def conv1d_transpose(x, kernel, bias, s, padding, output_padding=None):
    k = kernel.shape[0]
    T = x.shape[0]
    L = deconv_length(T, k, s, padding, output_padding)
    begin = max((T - 1) * s + k - L, 0) // 2 if padding == 'same' else 0
    y = np.zeros((L, kernel.shape[1]))
    for t in range(T):
        for j in range(k):
            o = t * s + j - begin
            if 0 <= o < L:
                y[o] += kernel[j] @ x[t]
    return y + bias


def transpose_model():
    T, C = 5, 2
    rng = np.random.default_rng(47)
    weights = {}

    def w(name, shape, scale=0.6):
        value = f32(scale * rng.standard_normal(shape))
        weights[name] = value
        return value

    ka = w('conv1d_transpose/kernel', (3, 3, C))
    ba = w('conv1d_transpose/bias', (3,), 0.2)
    kb = w('conv1d_transpose_1/kernel', (4, 2, 3))
    kc = w('conv1d_transpose_2/kernel', (3, 2, 2))
    bc = w('conv1d_transpose_2/bias', (2,), 0.2)
    k2 = w('out/kernel', (62 * 2, 3), 0.3)
    b2 = w('out/bias', (3,), 0.2)

    def forward(x):
        a = np.tanh(conv1d_transpose(x, ka, ba, 2, 'same'))
        b = conv1d_transpose(a, kb, 0.0, 3, 'valid')
        c = np.tanh(conv1d_transpose(b, kc, bc, 2, 'same', 1))
        return c.reshape(-1) @ k2 + b2

    return (T, C), weights, forward


def separable_conv1d(x, depthwise, pointwise, bias, s, padding):
    k, C, m = depthwise.shape
    T = x.shape[0]
    out = -(-T // s) if padding == 'same' else (T - k) // s + 1
    total = max((out - 1) * s + k - T, 0) if padding == 'same' else 0
    padded = np.concatenate([np.zeros((total // 2, C)), x, np.zeros((total - total // 2, C))])
    spread = np.zeros((out, C * m))
    for o in range(out):
        window = padded[o * s : o * s + k]  # [k, C]
        spread[o] = np.einsum('kc,kcm->cm', window, depthwise).reshape(-1)
    return spread @ pointwise[0] + bias


def separable_model():
    T, C = 8, 3
    rng = np.random.default_rng(53)
    weights = {}

    def w(name, shape, scale=0.6):
        value = f32(scale * rng.standard_normal(shape))
        weights[name] = value
        return value

    da = w('separable_conv1d/depthwise_kernel', (3, C, 2))
    pa = w('separable_conv1d/pointwise_kernel', (1, C * 2, 4))
    ba = w('separable_conv1d/bias', (4,), 0.2)
    db = w('separable_conv1d_1/depthwise_kernel', (3, 4, 1))
    pb = w('separable_conv1d_1/pointwise_kernel', (1, 4, 2))
    k2 = w('out/kernel', (3 * 2, 3))
    b2 = w('out/bias', (3,), 0.2)

    def forward(x):
        a = np.tanh(separable_conv1d(x, da, pa, ba, 1, 'same'))
        b = separable_conv1d(a, db, pb, 0.0, 2, 'valid')
        return b.reshape(-1) @ k2 + b2

    return (T, C), weights, forward


def gradient(forward, x, target, h=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        g[i] = (forward(up)[target] - forward(down)[target]) / (2 * h)
    return g


def case(build, seed):
    shape, weights, forward = build()
    rng = np.random.default_rng(seed)
    examples = []
    for _ in range(2):
        x = f32(rng.standard_normal(shape) * 1.5 + 0.3)
        logits = forward(x)
        target = int(np.argmax(logits))
        examples.append(
            {
                'input': x.reshape(-1).tolist(),
                'logits': logits.tolist(),
                'target': target,
                'gradient': gradient(forward, x, target).reshape(-1).tolist(),
            }
        )
    return {
        'shape': list(shape),
        'weights': [
            {'name': name, 'shape': list(np.shape(value)), 'values': np.reshape(value, -1).tolist()}
            for name, value in weights.items()
        ],
        'examples': examples,
    }


def main():
    cases = {'normalization': case(normalization_model, 7), 'upsampling': case(upsampling_model, 8),
             'transpose': case(transpose_model, 9), 'separable': case(separable_model, 10)}
    print(json.dumps(cases, indent=1))


if __name__ == '__main__':
    main()
