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

With `ecg [FILE]` it instead evaluates the real ECG transformer of ../shared/models/wild2 (Keras 2.15 `.keras` written
on Windows: MultiHeadAttention, LayerNormalization, TFOpLambda add, kernel-size-1 Conv1D, selu Dense layers) in
float64 from its stored weights (read with h5py, never copied) on two deterministic inputs (the formula of
keras-forward.py), for test/fixtures/ecg-transformer.json:
  /usr/bin/python3 scripts/reference/attention_reference.py ecg > test/fixtures/ecg-transformer.json
"""
import io
import json
import sys
import zipfile
from pathlib import Path

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


def ecg_main(path):
    import h5py  # Debian's python3-h5py; only this mode needs it

    archive = zipfile.ZipFile(path)
    f = h5py.File(io.BytesIO(archive.read('model.weights.h5')), 'r')
    v = {}  # group path with '/' separators (the file was written on Windows: 'layers\\dense') -> [vars]

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset) and '/vars/' in name.replace('\\', '/'):
            group, index = name.replace('\\', '/').rsplit('/vars/', 1)
            v.setdefault(group, {})[int(index)] = np.array(obj, dtype=np.float64)

    f.visititems(visit)
    var = {g: [d[i] for i in sorted(d)] for g, d in v.items()}
    m = 'layers/multi_head_attention/'
    p = {}
    for proj, attr in (('query', '_query_dense'), ('key', '_key_dense'), ('value', '_value_dense'), ('out', '_output_dense')):
        p[proj + '_kernel'], p[proj + '_bias'] = var[m + attr]
    selu_a, selu_s = 1.6732632423543772, 1.0507009873554805

    def forward(x):  # x: [186, 1] -> the sigmoid score
        h = layer_norm(mha(x, x, x, p), *var['layers/layer_normalization'], 1e-6) + x  # dropout: identity
        k, b = var['layers/conv1d']
        c = np.maximum(h @ k[0] + b, 0.0)  # Conv1D(4, 1, relu)
        k, b = var['layers/conv1d_1']
        c = c @ k[0] + b  # Conv1D(1, 1)
        h = layer_norm(c, *var['layers/layer_normalization_1'], 1e-3) + h
        z = h.mean(0)  # GlobalAveragePooling1D
        k, b = var['layers/dense']
        z = np.maximum(z @ k + b, 0.0)
        for name in ('layers/dense_1', 'layers/dense_2', 'layers/dense_3'):
            k, b = var[name]
            a = z @ k + b
            z = selu_s * np.where(a > 0, a, selu_a * (np.exp(a) - 1.0))
        k, b = var['layers/dense_4']
        return 1.0 / (1.0 + np.exp(-(z @ k + b)))

    examples = []
    for k in range(2):
        i = np.arange(186, dtype=np.int64)
        x = (((i * 7919 + k * 104729) % 2003) / 1001.5 - 1.0).astype(np.float32).astype(np.float64).reshape(186, 1)
        examples.append({'k': k, 'outputs': forward(x).tolist()})
    print(json.dumps({'file': Path(path).name, 'inputShape': [186, 1], 'examples': examples}, indent=1))


if __name__ == '__main__':
    if len(sys.argv) > 1 and sys.argv[1] == 'ecg':
        default = Path(__file__).resolve().parents[2] / '..' / 'shared' / 'models' / 'wild2' / '08_allaudin_ecg_transformer.keras'
        ecg_main(sys.argv[2] if len(sys.argv) > 2 else default)
    else:
        main()
