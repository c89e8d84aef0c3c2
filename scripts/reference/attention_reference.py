#!/usr/bin/env python3
"""Float64 NumPy forward pass and central finite-difference input gradients of the "attention block" model of
test/models/attention-layers.test.ts, for test/fixtures/attention-reference.json.

The model (a Keras 2 functional config the test writes with the project's own HDF5 and .keras writers) chains Keras's
attention layers as Keras 2.15 / 3 compute them:
  x [T=5, D=3]
  mha  = MultiHeadAttention(num_heads=2, key_dim=3, value_dim=2, dropout=0.1)(x, x)          self-attention
  res  = LayerNormalization(epsilon=1e-6)(mha) + x                                          TFOpLambda add
  proj = Dense(4, tanh)(x)
  mha2 = MultiHeadAttention(num_heads=1, key_dim=2, use_bias=False, output_shape=4)(res, proj, key=x)
  att  = Attention(use_scale=True)([mha2, proj])                                            dot scores
  attc = Attention(use_scale=True, score_mode='concat')([att, proj, mha2])                  concat scores, key given
  add  = AdditiveAttention(use_scale=True)([attc, proj])
  out  = Dense(3, softmax)(GlobalAveragePooling1D(add))
MultiHeadAttention: Q = x·Wq + bq per head ([D, heads, key_dim]), Q scaled by 1/sqrt(key_dim), softmax(Q·Kᵀ) over the
keys, weighted values, output einsum with [heads, value_dim, out] + bias. Attention (dot): softmax(scale·q·kᵀ)·v;
(concat): softmax(c·Σ tanh(scale·(q + k)))·v. AdditiveAttention: softmax(Σ scale ⊙ tanh(q + k))·v.

Weights are drawn here (seeded) and rounded to float32; the fixture holds them with their Keras names, the inputs, the
logits (before the final softmax) and the gradient of the top logit with respect to the input.

Usage: /usr/bin/python3 scripts/reference/attention_reference.py > test/fixtures/attention-reference.json
(Debian's python3-numpy)
"""
import json

import numpy as np

T, D = 5, 3
rng = np.random.default_rng(23)
WEIGHTS = {}  # Keras weight name -> float64 array (float32 values)


def w(name, shape, scale=0.6, offset=0.0):
    value = (offset + scale * rng.standard_normal(shape)).astype(np.float32).astype(np.float64)
    WEIGHTS[name] = value
    return value


def mha_weights(name, d_query, d_key, d_value, heads, key_dim, value_dim, out, bias):
    p = {}
    for proj, d, k in (('query', d_query, key_dim), ('key', d_key, key_dim), ('value', d_value, value_dim)):
        p[proj + '_kernel'] = w(f'{name}/{proj}/kernel', (d, heads, k))
        p[proj + '_bias'] = w(f'{name}/{proj}/bias', (heads, k), 0.2) if bias else np.zeros((heads, k))
    p['out_kernel'] = w(f'{name}/attention_output/kernel', (heads, value_dim, out))
    p['out_bias'] = w(f'{name}/attention_output/bias', (out,), 0.2) if bias else np.zeros(out)
    return p


P_MHA = mha_weights('mha', D, D, D, 2, 3, 2, D, True)
LN_GAMMA = w('layer_normalization/gamma', (D,), 0.2, 1.0)
LN_BETA = w('layer_normalization/beta', (D,), 0.2)
PROJ_K = w('proj/kernel', (D, 4))
PROJ_B = w('proj/bias', (4,), 0.2)
P_MHA2 = mha_weights('mha2', D, D, 4, 1, 2, 2, 4, False)  # value_dim defaults to key_dim
ATT_SCALE = w('attention/scale', (), 0.2, 0.8)
ATTC_SCALE = w('attention_concat/scale', (), 0.2, 0.8)
ATTC_WEIGHT = w('attention_concat/concat_score_weight', (), 0.2, 1.2)
ADD_SCALE = w('additive_attention/scale', (4,), 0.5)
OUT_K = w('out/kernel', (4, 3))
OUT_B = w('out/bias', (3,), 0.2)


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def mha(query, value, key, p):
    """One example: query [Tq, dq], value [Tv, dv], key [Tv, dk] -> [Tq, out]."""
    q = np.einsum('td,dhk->htk', query, p['query_kernel']) + p['query_bias'][:, None, :]
    k = np.einsum('td,dhk->htk', key, p['key_kernel']) + p['key_bias'][:, None, :]
    v = np.einsum('td,dhk->htk', value, p['value_kernel']) + p['value_bias'][:, None, :]
    q = q / np.sqrt(q.shape[-1])
    a = softmax(np.einsum('hqk,hsk->hqs', q, k))  # [heads, Tq, Tv]
    o = np.einsum('hqs,hsv->qhv', a, v)  # [Tq, heads, value_dim]
    return np.einsum('qhv,hvo->qo', o, p['out_kernel']) + p['out_bias']


def layer_norm(x, gamma, beta, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def additive(q, k, scale, inside):
    s = q[:, None, :] + k[None, :, :]  # [Tq, Tv, dim]
    return (np.tanh(scale * s) if inside else scale * np.tanh(s)).sum(-1)


def forward(x):
    """x: [T, D] (one example) -> 3 logits (before the final softmax)."""
    m = mha(x, x, x, P_MHA)
    res = layer_norm(m, LN_GAMMA, LN_BETA, 1e-6) + x
    proj = np.tanh(x @ PROJ_K + PROJ_B)
    m2 = mha(res, proj, x, P_MHA2)
    att = softmax(ATT_SCALE * (m2 @ proj.T)) @ proj
    attc = softmax(ATTC_WEIGHT * additive(att, m2, ATTC_SCALE, True)) @ proj
    add = softmax(additive(attc, proj, ADD_SCALE, False)) @ proj
    return add.mean(0) @ OUT_K + OUT_B


def main():
    examples = []
    for k in range(3):
        x = (1.2 * rng.standard_normal((T, D))).astype(np.float32).astype(np.float64)
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
        examples.append({'input': x.reshape(-1).tolist(), 'logits': logits.tolist(), 'target': target,
                         'gradient': grad.reshape(-1).tolist()})
    weights = [{'name': name, 'shape': list(value.shape), 'values': np.atleast_1d(value).reshape(-1).tolist()}
               for name, value in WEIGHTS.items()]
    print(json.dumps({'shape': [T, D], 'weights': weights, 'examples': examples}, indent=1))


if __name__ == '__main__':
    main()
