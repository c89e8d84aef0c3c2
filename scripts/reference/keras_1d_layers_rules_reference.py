#!/usr/bin/env python3
"""Float64 NumPy LRP-ε and DeepLIFT (rescale) through the Keras layers TensorFlow.js lacks, for the small ReLU models of
test/models/keras-1d-layers.test.ts ("rules" cases) → test/fixtures/keras-1d-layers-rules-reference.json.

Each model is a chain, on the flattened row-major [time, channels] vector, of affine maps y = W·x + b and ReLUs.
Every affine map is built here as an explicit float64 matrix (its columns: the map applied to the unit vectors) from
the layers' definitions in keras_1d_layers_reference.py (Keras's own conventions, checked there against the library
by finite differences):

rules_normalization: x [6, 3] → Normalization(axis=-1, adapted) → Conv1D(4, 3, valid, relu) → Dense(3, softmax)
rules_upsampling:    x [5, 2] → UpSampling1D(2) → Conv1D(3, 3, valid, relu) → Dense(3, softmax)
rules_transpose:     x [4, 2] → Conv1DTranspose(3, 3, strides 2, same, relu)
                              → Conv1DTranspose(2, 2, strides 3, valid, no bias, relu) → Dense(3, softmax)
rules_separable:     x [8, 3] → SeparableConv1D(4, 3, same, depth_multiplier 2, relu)
                              → SeparableConv1D(2, 3, strides 2, valid, no bias, relu) → Dense(3, softmax)
rules_transpose2d:   x [3, 3, 2] → Rescaling(0.5, offset -0.2) → Conv2DTranspose(3, 3×3, strides 2, same, relu)
                              → UpSampling2D((1, 2)) → Conv2DTranspose(2, 2×2, strides (2, 1), valid, no bias, relu)
                              → Dense(3, softmax)

(rules_transpose2d: x [3, 3, 2], the 2-D layers TensorFlow.js has, run by the library's own executor ops.)
Relevance starts at the target's logit (the softmax is not part of the explained scores) and flows back in relevance
form (Bach et al. 2015; Montavon et al. 2019):
  - a layer with weights (Dense, Conv1D, Conv1DTranspose, each of SeparableConv1D's depthwise and pointwise
    convolutions), and Normalization as the affine map x/d − m/d: the ε-rule R_in = x ⊙ Wᵀ(R / (z + ε·sign z)),
    sign(0) = +1, z = W·x + b its pre-activation (a bias or shift keeps its share);
  - ReLU passes relevance unchanged (R at the pre-activation = R at the activation);
  - Rescaling, x·scale + offset, the same ε-rule as an affine map;
  - UpSampling1D and UpSampling2D (nearest) are copies: each input step gets the sum of the relevance of its copies, R_in = Wᵀ·R for the 0/1
    copy matrix (relevance conserved exactly).
DeepLIFT (Shrikumar et al. 2017), rescale rule: multipliers from the target logit back; an affine map passes Wᵀ·m
(the linear rule), a ReLU multiplies by Δrelu(z)/Δz (its derivative where |Δz| < 1e-10); attributions (x − x₀) ⊙ m
sum to f(x) − f(x₀) (checked here in float64).

Usage: /usr/bin/python3 scripts/reference/keras_1d_layers_rules_reference.py \
           > test/fixtures/keras-1d-layers-rules-reference.json   (Debian's python3-numpy)
"""
import json

import numpy as np

from keras_1d_layers_reference import conv1d_transpose, conv1d_valid, f32, normalise, separable_conv1d

EPSILON = 0.01


def matrix(linear, shape):
    """The float64 matrix of the linear map `linear` (no bias) of inputs of `shape`, on row-major flattened vectors."""
    size = int(np.prod(shape))
    columns = []
    for i in range(size):
        e = np.zeros(size)
        e[i] = 1.0
        columns.append(np.asarray(linear(e.reshape(shape)), dtype=np.float64).reshape(-1))
    return np.stack(columns, axis=1)


class Chain:
    """Stages ('affine', W, b, rule) with rule 'epsilon' or 'copy', and ('relu',), on flat vectors."""

    def __init__(self):
        self.stages = []

    def affine(self, linear, shape, bias, rule='epsilon'):
        w = matrix(linear, shape)
        b = np.broadcast_to(np.asarray(bias, dtype=np.float64), (w.shape[0],)).copy()
        self.stages.append(('affine', w, b, rule))

    def relu(self):
        self.stages.append(('relu',))

    def forward(self, x):
        """The input of every stage and the logits."""
        inputs = []
        h = x.reshape(-1)
        for stage in self.stages:
            inputs.append(h)
            h = stage[1] @ h + stage[2] if stage[0] == 'affine' else np.maximum(h, 0)
        return inputs, h

    def lrp_epsilon(self, x, target):
        inputs, logits = self.forward(x)
        relevance = np.zeros_like(logits)
        relevance[target] = logits[target]
        for stage, a in zip(reversed(self.stages), reversed(inputs)):
            if stage[0] == 'relu':
                continue
            _, w, b, rule = stage
            if rule == 'copy':
                relevance = w.T @ relevance
                continue
            z = w @ a + b
            stabilised = z + EPSILON * np.where(z >= 0, 1.0, -1.0)
            relevance = a * (w.T @ (relevance / stabilised))
        return relevance

    def deeplift(self, x, reference, target):
        inputs, logits = self.forward(x)
        reference_inputs, reference_logits = self.forward(reference)
        multiplier = np.zeros_like(logits)
        multiplier[target] = 1.0
        for stage, a, a0 in zip(reversed(self.stages), reversed(inputs), reversed(reference_inputs)):
            if stage[0] == 'affine':
                multiplier = stage[1].T @ multiplier
                continue
            delta = a - a0
            small = np.abs(delta) < 1e-10
            ratio = (np.maximum(a, 0) - np.maximum(a0, 0)) / np.where(small, 1.0, delta)
            multiplier = multiplier * np.where(small, (a > 0).astype(np.float64), ratio)
        attributions = (x.reshape(-1) - reference.reshape(-1)) * multiplier
        gap = attributions.sum() - (logits[target] - reference_logits[target])
        assert abs(gap) < 1e-9, f'summation to delta {gap}'
        return attributions, logits[target] - reference_logits[target]


def weight_maker(seed, weights):
    rng = np.random.default_rng(seed)

    def w(name, shape, scale=0.6, offset=0.0):
        value = f32(offset + scale * rng.standard_normal(shape))
        weights[name] = value
        return value

    return w


def dense_head(chain, w, inputs):
    k = w('out/kernel', (inputs, 3), 0.4)
    b = w('out/bias', (3,), 0.2)
    chain.affine(lambda h: h.reshape(-1) @ k, (inputs,), b)


def normalization_model():
    T, C = 6, 3
    weights = {}
    w = weight_maker(61, weights)
    mean = w('normalization/mean', (C,), 1.0)
    variance = f32(np.abs(w('normalization/variance', (C,), 0.5, 1.0)) + 0.1)
    weights['normalization/variance'] = variance
    weights['normalization/count'] = f32(50.0)
    kernel = w('conv1d/kernel', (3, C, 4))
    bias = w('conv1d/bias', (4,), 0.2)
    chain = Chain()
    divisor = np.maximum(np.sqrt(variance), 1e-7)
    chain.affine(lambda h: h / divisor, (T, C), np.tile(-mean / divisor, T))
    chain.affine(lambda h: conv1d_valid(h, kernel, 0.0), (T, C), np.tile(bias, T - 2))
    chain.relu()
    dense_head(chain, w, (T - 2) * 4)
    # the chain's first map is Keras's normalisation
    x = np.arange(T * C, dtype=np.float64).reshape(T, C) / 7
    assert np.allclose(chain.stages[0][1] @ x.reshape(-1) + chain.stages[0][2], normalise(x, mean, variance).reshape(-1))
    return (T, C), weights, chain


def upsampling_model():
    T, C = 5, 2
    weights = {}
    w = weight_maker(62, weights)
    kernel = w('conv1d/kernel', (3, C, 3))
    bias = w('conv1d/bias', (3,), 0.2)
    chain = Chain()
    chain.affine(lambda h: np.repeat(h, 2, axis=0), (T, C), 0.0, rule='copy')
    chain.affine(lambda h: conv1d_valid(h, kernel, 0.0), (2 * T, C), np.tile(bias, 2 * T - 2))
    chain.relu()
    dense_head(chain, w, (2 * T - 2) * 3)
    return (T, C), weights, chain


def transpose_model():
    T, C = 4, 2
    weights = {}
    w = weight_maker(63, weights)
    ka = w('conv1d_transpose/kernel', (3, 3, C))
    ba = w('conv1d_transpose/bias', (3,), 0.2)
    kb = w('conv1d_transpose_1/kernel', (2, 2, 3))
    chain = Chain()
    chain.affine(lambda h: conv1d_transpose(h, ka, 0.0, 2, 'same'), (T, C), np.tile(ba, 2 * T))
    chain.relu()
    chain.affine(lambda h: conv1d_transpose(h, kb, 0.0, 3, 'valid'), (2 * T, 3), 0.0)
    chain.relu()
    dense_head(chain, w, 6 * T * 2)
    return (T, C), weights, chain


def separable_model():
    T, C = 8, 3
    weights = {}
    w = weight_maker(64, weights)
    da = w('separable_conv1d/depthwise_kernel', (3, C, 2))
    pa = w('separable_conv1d/pointwise_kernel', (1, C * 2, 4))
    ba = w('separable_conv1d/bias', (4,), 0.2)
    db = w('separable_conv1d_1/depthwise_kernel', (3, 4, 1))
    pb = w('separable_conv1d_1/pointwise_kernel', (1, 4, 2))
    identity = lambda n: np.eye(n)[None]  # a pointwise kernel that keeps the depthwise stage's channels
    chain = Chain()
    # each separable convolution as its two convolutions: depthwise (no bias), then pointwise (the layer's bias)
    chain.affine(lambda h: separable_conv1d(h, da, identity(C * 2), 0.0, 1, 'same'), (T, C), 0.0)
    chain.affine(lambda h: h.reshape(T, C * 2) @ pa[0], (T, C * 2), np.tile(ba, T))
    chain.relu()
    chain.affine(lambda h: separable_conv1d(h, db, identity(4), 0.0, 2, 'valid'), (T, 4), 0.0)
    chain.affine(lambda h: h.reshape(3, 4) @ pb[0], (3, 4), 0.0)
    chain.relu()
    dense_head(chain, w, 3 * 2)
    return (T, C), weights, chain


def conv2d_transpose(x, kernel, s, padding):
    """TensorFlow's conv2d_transpose (kernel [kh, kw, filters, in]) to TensorFlow.js's output size: 'same' size·s,
    'valid' size·s + max(k − s, 0); each axis's begin pad ⌊P / 2⌋ of the pad P = max((n − 1)·s + k − L, 0)."""
    (H, W, _), (kh, kw, filters, _) = x.shape, kernel.shape
    size = lambda n, k, st: n * st + (0 if padding == 'same' else max(k - st, 0))
    L = (size(H, kh, s[0]), size(W, kw, s[1]))
    begin = [max((n - 1) * st + k - l, 0) // 2 if padding == 'same' else 0 for n, k, st, l in zip((H, W), (kh, kw), s, L)]
    y = np.zeros((L[0], L[1], filters))
    for i in range(H):
        for j in range(W):
            for a in range(kh):
                for b in range(kw):
                    o, p = i * s[0] + a - begin[0], j * s[1] + b - begin[1]
                    if 0 <= o < L[0] and 0 <= p < L[1]:
                        y[o, p] += kernel[a, b] @ x[i, j]
    return y


def transpose2d_model():
    H, W, C = 3, 3, 2
    weights = {}
    w = weight_maker(65, weights)
    ka = w('conv2d_transpose/kernel', (3, 3, 3, C))
    ba = w('conv2d_transpose/bias', (3,), 0.2)
    kb = w('conv2d_transpose_1/kernel', (2, 2, 2, 3))
    chain = Chain()
    chain.affine(lambda h: h * 0.5, (H, W, C), -0.2)
    chain.affine(lambda h: conv2d_transpose(h, ka, (2, 2), 'same'), (H, W, C), np.tile(ba, 36))
    chain.relu()
    chain.affine(lambda h: np.repeat(h, 2, axis=1), (6, 6, 3), 0.0, rule='copy')
    chain.affine(lambda h: conv2d_transpose(h, kb, (2, 1), 'valid'), (6, 12, 3), 0.0)
    chain.relu()
    dense_head(chain, w, 12 * 13 * 2)
    return (H, W, C), weights, chain


def case(build, seed):
    shape, weights, chain = build()
    rng = np.random.default_rng(seed)
    examples = []
    for _ in range(2):
        x = f32(rng.standard_normal(shape) * 1.5 + 0.3)
        reference = f32(rng.standard_normal(shape) * 0.5)
        _, logits = chain.forward(x)
        target = int(np.argmax(logits))
        deeplift_zero, change_zero = chain.deeplift(x, np.zeros(shape), target)
        deeplift_reference, change_reference = chain.deeplift(x, reference, target)
        examples.append(
            {
                'input': x.reshape(-1).tolist(),
                'baseline': reference.reshape(-1).tolist(),
                'logits': logits.tolist(),
                'target': target,
                'lrpEpsilon': chain.lrp_epsilon(x, target).tolist(),
                'deepliftZeros': deeplift_zero.tolist(),
                'changeZeros': float(change_zero),
                'deepliftBaseline': deeplift_reference.tolist(),
                'changeBaseline': float(change_reference),
            }
        )
    return {
        'shape': list(shape),
        'epsilon': EPSILON,
        'weights': [
            {'name': name, 'shape': list(np.shape(value)), 'values': np.reshape(value, -1).tolist()}
            for name, value in weights.items()
        ],
        'examples': examples,
    }


def main():
    cases = {
        'rules_normalization': case(normalization_model, 71),
        'rules_upsampling': case(upsampling_model, 72),
        'rules_transpose': case(transpose_model, 73),
        'rules_separable': case(separable_model, 74),
        'rules_transpose2d': case(transpose2d_model, 75),
    }
    print(json.dumps(cases, indent=1))


if __name__ == '__main__':
    main()
