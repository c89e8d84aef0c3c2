#!/usr/bin/env python3
"""Tiny random Keras models (recurrent layers, dilated and causal convolutions) with float64 input gradients.

For each case: a Keras model config (Keras 2 or Keras 3 form), its weights (float32, seeded) with where a Keras 2 `.h5`
and a Keras 3 `.keras` file store each one, a float32 input, the float64 NumPy forward's scores, and the input gradient
of one class score by central differences (h = 1e-6) on that float64 forward. Written to test/fixtures/gradient-cases.json;
the tests write the model files themselves from it and compare TensorFlow.js gradients with these numbers.

Usage: python3 scripts/reference/gradient-cases.py > test/fixtures/gradient-cases.json   (python3-numpy only)
"""
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np

spec = importlib.util.spec_from_file_location('keras_forward', Path(__file__).with_name('keras-forward.py'))
kf = importlib.util.module_from_spec(spec)
spec.loader.exec_module(kf)


def f32(a):
    return np.asarray(a, dtype=np.float32)


class Case:
    def __init__(self, name, seed, input_shape, style):
        self.name, self.rng, self.input_shape, self.style = name, np.random.default_rng(seed), input_shape, style
        self.layers = []  # (class_name, config, [(weight name, array, keras3 path)])

    def add(self, cls, config, weights=()):
        self.layers.append((cls, config, list(weights)))

    def w(self, *shape, scale=0.5):
        return f32(self.rng.normal(0, scale, shape))


def dense(case, name, fin, units, activation='linear'):
    case.add('Dense', {'name': name, 'units': units, 'activation': activation, 'use_bias': True},
             [('kernel', case.w(fin, units), 'vars/0'), ('bias', case.w(units, scale=0.1), 'vars/1')])


def recurrent(case, cls, name, fin, units, **extra):
    gates = {'LSTM': 4, 'GRU': 3}[cls]
    reset_after = extra.get('reset_after', False)
    bias_shape = (2, gates * units) if reset_after else (gates * units,)
    config = {'name': name, 'units': units, 'activation': 'tanh', 'recurrent_activation': 'sigmoid', 'use_bias': True,
              'return_sequences': extra.get('return_sequences', False), 'go_backwards': False}
    if cls == 'GRU':
        config['reset_after'] = reset_after
    weights = [('kernel', case.w(fin, gates * units)), ('recurrent_kernel', case.w(units, gates * units)), ('bias', case.w(*bias_shape, scale=0.1))]
    return config, weights


# ---------------------------------------------------------------- float64 forward of a case
def run_recurrent(cls, config, weights, x, go_backwards=False):
    w = {n.split('_', 1)[1] if n.startswith(('forward_', 'backward_')) else n: a.astype(np.float64) for n, a, *_ in weights}
    seq = x[:, ::-1] if go_backwards else x
    return (kf.lstm if cls == 'LSTM' else kf.gru)(seq, w, config)


def forward(case, x):
    for cls, c, weights in case.layers:
        w = {n: a.astype(np.float64) for n, a, *_ in weights}
        if cls in ('LSTM', 'GRU'):
            x = run_recurrent(cls, c, weights, x)
        elif cls == 'CuDNNLSTM':
            # cuDNN keeps input and recurrent biases apart: an LSTM with their sum, tanh and sigmoid.
            b = w['bias']
            merged = [(n, a if n != 'bias' else (b[:b.size // 2] + b[b.size // 2:])) for n, a in w.items()]
            x = kf.lstm(x, dict(merged), {**c, 'activation': 'tanh', 'recurrent_activation': 'sigmoid'})
        elif cls == 'CuDNNGRU':
            b = w['bias']
            x = kf.gru(x, {**w, 'bias': b.reshape(2, -1)}, {**c, 'activation': 'tanh', 'recurrent_activation': 'sigmoid', 'reset_after': True})
        elif cls == 'Bidirectional':
            inner = c['layer']
            half = len(weights) // 2
            fw = run_recurrent(inner['class_name'], inner['config'], weights[:half], x)
            bw = run_recurrent(inner['class_name'], inner['config'], weights[half:], x, go_backwards=True)
            if inner['config']['return_sequences']:
                bw = bw[:, ::-1]
            x = np.concatenate([fw, bw], axis=-1)
        elif cls in ('Conv1D', 'Conv2D'):
            if c['padding'] == 'causal':
                left = c['dilation_rate'][0] * (w['kernel'].shape[0] - 1)
                x = kf.conv_nd(np.pad(x, [(0, 0), (left, 0), (0, 0)]), w['kernel'], w['bias'], c['strides'], c['dilation_rate'], 'valid')
            else:
                x = kf.conv_nd(x, w['kernel'], w['bias'], c['strides'], c['dilation_rate'], c['padding'])
            x = kf.act(c['activation'], x)
        elif cls == 'GlobalAveragePooling1D':
            x = x.mean(axis=1)
        else:
            x, _ = kf.apply_layer(cls, c, w, [x])
    return x


# ---------------------------------------------------------------- the cases
def cases():
    out = []

    c = Case('lstm', 1, [5, 2], 'keras2-h5')
    config, weights = recurrent(c, 'LSTM', 'lstm', 2, 3)
    c.add('LSTM', config, [(n, a, f'cell/vars/{i}') for i, (n, a) in enumerate(weights)])
    dense(c, 'dense', 3, 2)
    out.append(c)

    c = Case('gru-reset-after', 2, [4, 3], 'keras3')
    config, weights = recurrent(c, 'GRU', 'gru', 3, 4, reset_after=True)
    c.add('GRU', config, [(n, a, f'cell/vars/{i}') for i, (n, a) in enumerate(weights)])
    c.add('Flatten', {'name': 'flatten'})  # Flatten of the 2-D last output, as Keras allows
    dense(c, 'dense', 4, 3)
    out.append(c)

    c = Case('gru-reset-before', 3, [4, 2], 'keras2-h5')
    config, weights = recurrent(c, 'GRU', 'gru', 2, 3, reset_after=False, return_sequences=True)
    c.add('GRU', config, [(n, a, f'cell/vars/{i}') for i, (n, a) in enumerate(weights)])
    c.add('Flatten', {'name': 'flatten'})
    dense(c, 'dense', 12, 2)
    out.append(c)

    c = Case('bidirectional-lstm', 4, [4, 2], 'keras3')
    inner_config, fw = recurrent(c, 'LSTM', 'lstm', 2, 3, return_sequences=True)
    _, bw = recurrent(c, 'LSTM', 'lstm', 2, 3, return_sequences=True)
    c.add('Bidirectional', {'name': 'bidirectional', 'merge_mode': 'concat', 'layer': {'class_name': 'LSTM', 'config': inner_config}},
          [(f'forward_{n}', a, f'forward_layer/cell/vars/{i}') for i, (n, a) in enumerate(fw)]
          + [(f'backward_{n}', a, f'backward_layer/cell/vars/{i}') for i, (n, a) in enumerate(bw)])
    c.add('GlobalAveragePooling1D', {'name': 'global_average_pooling1d'})
    dense(c, 'dense', 6, 2)
    out.append(c)

    c = Case('bidirectional-gru-reset-after', 7, [5, 2], 'keras2-h5')
    inner_config, fw = recurrent(c, 'GRU', 'gru', 2, 3, reset_after=True)
    _, bw = recurrent(c, 'GRU', 'gru', 2, 3, reset_after=True)
    c.add('Bidirectional', {'name': 'bidirectional', 'merge_mode': 'concat', 'layer': {'class_name': 'GRU', 'config': inner_config}},
          [(f'forward_{n}', a, f'forward_layer/cell/vars/{i}') for i, (n, a) in enumerate(fw)]
          + [(f'backward_{n}', a, f'backward_layer/cell/vars/{i}') for i, (n, a) in enumerate(bw)])
    dense(c, 'dense', 6, 2)
    out.append(c)

    for cls, gates, seed in (('CuDNNLSTM', 4, 8), ('CuDNNGRU', 3, 9)):
        c = Case(cls.lower(), seed, [4, 2], 'keras2-h5')
        units = 3
        c.add(cls, {'name': kf.snake(cls), 'units': units, 'return_sequences': False, 'go_backwards': False},
              [('kernel', c.w(2, gates * units), 'unused'), ('recurrent_kernel', c.w(units, gates * units), 'unused'),
               ('bias', c.w(2 * gates * units, scale=0.1), 'unused')])
        dense(c, 'dense', units, 2)
        out.append(c)

    c = Case('dilated-conv1d', 5, [12, 2], 'keras2-h5')
    c.add('Conv1D', {'name': 'conv1d', 'filters': 3, 'kernel_size': [3], 'strides': [1], 'padding': 'same', 'dilation_rate': [2], 'activation': 'tanh', 'use_bias': True},
          [('kernel', c.w(3, 2, 3), 'vars/0'), ('bias', c.w(3, scale=0.1), 'vars/1')])
    c.add('Conv1D', {'name': 'conv1d_1', 'filters': 2, 'kernel_size': [2], 'strides': [1], 'padding': 'valid', 'dilation_rate': [3], 'activation': 'tanh', 'use_bias': True},
          [('kernel', c.w(2, 3, 2), 'vars/0'), ('bias', c.w(2, scale=0.1), 'vars/1')])
    c.add('Conv1D', {'name': 'conv1d_2', 'filters': 2, 'kernel_size': [3], 'strides': [1], 'padding': 'causal', 'dilation_rate': [2], 'activation': 'tanh', 'use_bias': True},
          [('kernel', c.w(3, 2, 2), 'vars/0'), ('bias', c.w(2, scale=0.1), 'vars/1')])
    c.add('Flatten', {'name': 'flatten'})
    dense(c, 'dense', 18, 2)
    out.append(c)

    c = Case('dilated-conv2d', 6, [7, 6, 2], 'keras3')
    c.add('Conv2D', {'name': 'conv2d', 'filters': 3, 'kernel_size': [3, 2], 'strides': [1, 1], 'padding': 'same', 'dilation_rate': [2, 3], 'activation': 'tanh', 'use_bias': True},
          [('kernel', c.w(3, 2, 2, 3), 'vars/0'), ('bias', c.w(3, scale=0.1), 'vars/1')])
    c.add('Flatten', {'name': 'flatten'})
    dense(c, 'dense', 7 * 6 * 3, 2)
    out.append(c)
    return out


def keras_path_names(case):
    used = {}
    paths = []
    for cls, c, _ in case.layers:
        base = kf.snake(cls)
        n = used.get(base)
        used[base] = 0 if n is None else n + 1
        paths.append('layers/' + (base if n is None else f'{base}_{n + 1}'))
    return paths


def main():
    result = {'description': __doc__.strip().splitlines()[0], 'cases': []}
    for case in cases():
        x = f32(case.rng.normal(0, 1, [1, *case.input_shape]))
        x64 = x.astype(np.float64)
        scores = forward(case, x64)[0]
        target = int(np.argmax(scores))
        h = 1e-6
        grad = np.zeros(x64.size)
        for i in range(x64.size):
            e = np.zeros(x64.size)
            e[i] = h
            up = forward(case, x64 + e.reshape(x64.shape))[0, target]
            down = forward(case, x64 - e.reshape(x64.shape))[0, target]
            grad[i] = (up - down) / (2 * h)
        layers = []
        for (cls, c, weights), path in zip(case.layers, keras_path_names(case)):
            layers.append({
                'class_name': cls, 'config': c,
                'weights': [{'name': n, 'shape': list(a.shape), 'values': [float(v) for v in a.ravel()], 'kerasPath': f'{path}/{p}'} for n, a, p in weights],
            })
        result['cases'].append({
            'name': case.name, 'style': case.style, 'inputShape': case.input_shape, 'layers': layers,
            'input': [float(v) for v in x.ravel()], 'scores': [float(f'{v:.12g}') for v in scores], 'target': target,
            'gradient': [float(f'{v:.10g}') for v in grad],
        })
    json.dump(result, sys.stdout)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
