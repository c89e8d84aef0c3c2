#!/usr/bin/env python3
"""Independent NumPy forward passes of the Keras models in ../shared/models/wild, for test/fixtures/wild-models.json.

Reads each file with h5py (and zipfile for .keras), builds every layer from the model config by hand in float64 from
the stored float32 weights (no TensorFlow, no Keras), and evaluates a few deterministic inputs. The inputs are a
formula both sides compute exactly: x[i] = float32(((i * 7919 + k * 104729) % 2003) / 1001.5 - 1) for input k.

Usage: python3 scripts/reference/keras-forward.py [../shared/models/wild] > test/fixtures/wild-models.json
Needs Debian's python3-numpy and python3-h5py. The model files are read, never copied.
"""
import io
import json
import re
import sys
import zipfile
from pathlib import Path

import h5py
import numpy as np

WILD = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / '..' / 'shared' / 'models' / 'wild')
FILES = ['02_sankalp_speech.h5', '06_lorenzo_sound.h5', '08_dysarthria_gru.h5', '09_ksur_ecg_resnet.h5',
         '11_nonbang_ecg.h5', '12_nonbang_ecg.keras', '15_whale_call.keras']
INPUTS_PER_MODEL = 2


def deterministic_input(shape, k):
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.int64)
    return (((i * 7919 + k * 104729) % 2003) / 1001.5 - 1.0).astype(np.float32).reshape(shape)


# ---------------------------------------------------------------- weights
def h5_weights(f):
    """Layer name -> {weight base name -> array} from a Keras 2/3 legacy .h5 full model."""
    root = f['model_weights']
    out = {}
    for name in root.attrs['layer_names']:
        name = name.decode() if isinstance(name, bytes) else name
        group = root[name]
        ws = {}
        for wn in group.attrs.get('weight_names', []):
            wn = wn.decode() if isinstance(wn, bytes) else wn
            key = re.sub(r':\d+$', '', wn).split('/')[-1]
            ws[key] = np.array(group[wn], dtype=np.float64)
        out[name] = ws
    return out


def snake(name):
    name = re.sub(r'\W+', '', name)
    name = re.sub('(.)([A-Z][a-z]+)', r'\1_\2', name)
    name = re.sub('([a-z])([A-Z])', r'\1_\2', name)
    return name.lower()


ORDER = {
    'Dense': ['kernel', 'bias'], 'Conv1D': ['kernel', 'bias'], 'Conv2D': ['kernel', 'bias'],
    'BatchNormalization': ['gamma', 'beta', 'moving_mean', 'moving_variance'],
}


def keras_weights(f, config):
    """Layer name -> {weight name -> array} from a .keras archive's model.weights.h5 (vars by class-derived path)."""
    out = {}
    used = {}
    for layer in config['config']['layers']:
        cls = layer['class_name']
        if cls == 'InputLayer':
            continue
        base = snake(cls)
        n = used.get(base)
        used[base] = 0 if n is None else n + 1
        path = 'layers/' + (base if n is None else f'{base}_{n + 1}')
        ws = {}
        if cls in ('LSTM', 'GRU'):
            group = f[path + '/cell/vars']
            for idx, key in enumerate(['kernel', 'recurrent_kernel', 'bias']):
                ws[key] = np.array(group[str(idx)], dtype=np.float64)
        elif path + '/vars' in f and len(f[path + '/vars']) > 0:
            group = f[path + '/vars']
            for idx, key in enumerate(ORDER[cls]):
                ws[key] = np.array(group[str(idx)], dtype=np.float64)
        out[layer['config']['name']] = ws
    return out


# ---------------------------------------------------------------- layers
def act(name, x):
    if name in (None, 'linear'):
        return x
    if name == 'relu':
        return np.maximum(x, 0)
    if name == 'sigmoid':
        return 1 / (1 + np.exp(-x))
    if name == 'tanh':
        return np.tanh(x)
    if name == 'softmax':
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    raise ValueError(name)


def one(v):
    return v[0] if isinstance(v, (list, tuple)) else v


def same_pads(size, k_eff, stride):
    out = -(-size // stride)
    total = max((out - 1) * stride + k_eff - size, 0)
    return total // 2, total - total // 2


def conv_nd(x, w, b, strides, dilations, padding):
    """x [batch, *spatial, cin], w [*k, cin, cout]; TensorFlow padding rules."""
    nsp = x.ndim - 2
    pads = [(0, 0)]
    for a in range(nsp):
        k_eff = (w.shape[a] - 1) * dilations[a] + 1
        pads.append(same_pads(x.shape[1 + a], k_eff, strides[a]) if padding == 'same' else (0, 0))
    pads.append((0, 0))
    xp = np.pad(x, pads)
    outs = [(xp.shape[1 + a] - ((w.shape[a] - 1) * dilations[a] + 1)) // strides[a] + 1 for a in range(nsp)]
    y = np.zeros([x.shape[0], *outs, w.shape[-1]])
    for kidx in np.ndindex(*w.shape[:nsp]):
        sl = [slice(None)]
        for a in range(nsp):
            start = kidx[a] * dilations[a]
            sl.append(slice(start, start + strides[a] * (outs[a] - 1) + 1, strides[a]))
        y += xp[tuple(sl)] @ w[kidx]
    return y + b if b is not None else y


def max_pool(x, size, strides, padding):
    nsp = x.ndim - 2
    pads = [(0, 0)] + [same_pads(x.shape[1 + a], size[a], strides[a]) if padding == 'same' else (0, 0) for a in range(nsp)] + [(0, 0)]
    xp = np.pad(x, pads, constant_values=-np.inf)
    outs = [(xp.shape[1 + a] - size[a]) // strides[a] + 1 for a in range(nsp)]
    y = np.full([x.shape[0], *outs, x.shape[-1]], -np.inf)
    for kidx in np.ndindex(*size):
        sl = [slice(None)] + [slice(kidx[a], kidx[a] + strides[a] * (outs[a] - 1) + 1, strides[a]) for a in range(nsp)]
        y = np.maximum(y, xp[tuple(sl)])
    return y


def lstm(x, w, c):
    units = c['units']
    h = np.zeros((x.shape[0], units))
    cell = np.zeros_like(h)
    seq = []
    for t in range(x.shape[1]):
        z = x[:, t] @ w['kernel'] + h @ w['recurrent_kernel'] + w['bias']
        i, f, g, o = np.split(z, 4, axis=1)
        i, f, o = act(c['recurrent_activation'], i), act(c['recurrent_activation'], f), act(c['recurrent_activation'], o)
        cell = f * cell + i * act(c['activation'], g)
        h = o * act(c['activation'], cell)
        seq.append(h)
    return np.stack(seq, 1) if c['return_sequences'] else h


def gru(x, w, c):
    units = c['units']
    h = np.zeros((x.shape[0], units))
    reset_after = c.get('reset_after', False)
    b = w['bias']
    bi, br = (b[0], b[1]) if reset_after else (b, np.zeros_like(b))
    seq = []
    for t in range(x.shape[1]):
        xz, xr, xh = np.split(x[:, t] @ w['kernel'] + bi, 3, axis=1)
        rk = w['recurrent_kernel']
        if reset_after:
            hz, hr, hh = np.split(h @ rk + br, 3, axis=1)
            z = act(c['recurrent_activation'], xz + hz)
            r = act(c['recurrent_activation'], xr + hr)
            cand = act(c['activation'], xh + r * hh)
        else:
            z = act(c['recurrent_activation'], xz + h @ rk[:, :units])
            r = act(c['recurrent_activation'], xr + h @ rk[:, units:2 * units])
            cand = act(c['activation'], xh + (r * h) @ rk[:, 2 * units:])
        h = z * h + (1 - z) * cand
        seq.append(h)
    return np.stack(seq, 1) if c['return_sequences'] else h


def apply_layer(cls, c, w, inputs):
    """Returns (output, pre-activation output or None)."""
    x = inputs[0]
    if cls in ('InputLayer', 'Dropout'):
        return x, None
    if cls == 'Reshape':
        return x.reshape(x.shape[0], *c['target_shape']), None
    if cls == 'Flatten':
        return x.reshape(x.shape[0], -1), None
    if cls == 'Dense':
        z = x @ w['kernel'] + w['bias']
        return act(c['activation'], z), z
    if cls in ('Conv1D', 'Conv2D'):
        nsp = x.ndim - 2
        strides = list(c['strides']) if isinstance(c['strides'], list) else [c['strides']] * nsp
        dil = list(c['dilation_rate']) if isinstance(c['dilation_rate'], list) else [c['dilation_rate']] * nsp
        z = conv_nd(x, w['kernel'], w.get('bias'), strides, dil, c['padding'])
        return act(c['activation'], z), z
    if cls == 'BatchNormalization':
        return (x - w['moving_mean']) / np.sqrt(w['moving_variance'] + c['epsilon']) * w['gamma'] + w['beta'], None
    if cls in ('MaxPooling1D', 'MaxPooling2D'):
        nsp = x.ndim - 2
        size = c['pool_size'] if isinstance(c['pool_size'], list) else [c['pool_size']] * nsp
        strides = c['strides'] or size
        strides = strides if isinstance(strides, list) else [strides] * nsp
        return max_pool(x, size, strides, c['padding']), None
    if cls == 'GlobalAveragePooling1D':
        return x.mean(axis=1), None
    if cls == 'GlobalAveragePooling2D':
        return x.mean(axis=(1, 2)), None
    if cls == 'Add':
        return sum(inputs), None
    if cls == 'LSTM':
        return lstm(x, w, c), None
    if cls == 'GRU':
        return gru(x, w, c), None
    raise ValueError(f'layer class {cls} not in the reference')


def inbound(layer):
    """Names of a functional layer's inputs (Keras 2 nested lists, or Keras 3 args with __keras_tensor__)."""
    nodes = layer.get('inbound_nodes') or []
    if not nodes:
        return []
    node = nodes[0]
    if isinstance(node, dict):
        names = []

        def walk(v):
            if isinstance(v, list):
                for item in v:
                    walk(item)
            elif isinstance(v, dict) and v.get('class_name') == '__keras_tensor__':
                names.append(v['config']['keras_history'][0])
        walk(node['args'])
        return names
    return [entry[0] for entry in node]


def forward(config, weights, x):
    """Returns (final outputs, pre-activation of the output layer)."""
    layers = config['config']['layers']
    if config['class_name'] == 'Sequential':
        pre = None
        for layer in layers:
            x, pre = apply_layer(layer['class_name'], layer['config'], weights.get(layer['config']['name'], {}), [x])
        return x, pre
    values = {}
    pres = {}
    for layer in layers:
        name = layer['config']['name']
        if layer['class_name'] == 'InputLayer':
            values[name] = x
            continue
        values[name], pres[name] = apply_layer(layer['class_name'], layer['config'], weights.get(name, {}), [values[n] for n in inbound(layer)])
    out = config['config']['output_layers']
    out_name = out[0] if isinstance(out[0], str) else out[0][0]
    return values[out_name], pres[out_name]


def input_shape(config):
    first = config['config']['layers'][0]['config']
    shape = first.get('batch_input_shape') or first.get('batch_shape')
    return shape[1:]


def main():
    result = {'description': __doc__.strip().splitlines()[0], 'inputFormula': 'float32(((i*7919 + k*104729) % 2003) / 1001.5 - 1)', 'models': {}}
    for name in FILES:
        path = WILD / name
        if name.endswith('.keras'):
            z = zipfile.ZipFile(path)
            config = json.loads(z.read('config.json'))
            with h5py.File(io.BytesIO(z.read('model.weights.h5')), 'r') as f:
                weights = keras_weights(f, config)
        else:
            with h5py.File(path, 'r') as f:
                config = json.loads(f.attrs['model_config'])
                weights = h5_weights(f)
        shape = input_shape(config)
        entries = []
        for k in range(INPUTS_PER_MODEL):
            x = deterministic_input([1, *shape], k).astype(np.float64)
            out, pre = forward(config, weights, x)
            entries.append({'k': k, 'outputs': [float(f'{v:.9g}') for v in out[0]], 'preActivation': [float(f'{v:.9g}') for v in pre[0]]})
        result['models'][name] = {'inputShape': shape, 'examples': entries}
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
