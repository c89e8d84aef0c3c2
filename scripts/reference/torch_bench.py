#!/usr/bin/python3
"""PyTorch side of `npm run bench -- pytorch`: the same networks as the library, built from the Keras .h5 weights,
timed on request as a long-lived process so the Node side can interleave library runs and PyTorch runs.

Run by bench/pytorch.ts with Debian's interpreter (/usr/bin/python3: torch 1.13, h5py, numpy). Captum is not needed:
the methods are written out in torch as Captum defines them.

Networks: the layer lists of attribution_reference.py (`wingbeats_layers`: BatchNorm on the input → 5 × [Conv 3 'same'
→ BatchNorm (eval) → ReLU → MaxPool 2 'valid'] → Flatten in Keras's channels-last order (1-D) or global average pooling
(2-D) → Dense), in float32, with the file's Dropout put just before the Dense layer (Keras puts it before Flatten in the
Sequential PSD model; dropout is elementwise, so before or after a flatten is the same thinned network). The softmax is
left out: scores are logits, as the library's default. Files: a full Keras model whose config is the Sequential
`Mosquito_CNN_PSD` (layer names checked), or a weights-only SimpleCls file (`CNN_Blocks_SimpleCls`, `dense_species`).

Methods (inputs channels-last float32, as the library; targets given by the caller):
- forward: logits of all inputs (no gradient).
- gradients / saliency: d target logit / d input; saliency = |gradient| (captum.attr.Saliency, abs=True).
- guided-backprop: ReLU backward replaced by relu(dy)·[x > 0] (captum.attr.GuidedBackprop).
- integrated-gradients: the library's trapezoid rule with `steps` intervals = steps + 1 gradient evaluations (51 for
  50 steps) at alpha = k/steps, weights 1/steps (1/(2·steps) at both ends), zero baseline by default, attribution
  (x − baseline)·Σ w_k g_k (`baseline`: the key of a stored input, one row or one per input); all points of all
  inputs in one batch unless `batchSize` (captum's internal_batch_size).
- smoothgrad: `noiseSamples` noisy copies per input, σ = noiseStdev·(max − min) of each input, all copies in one batch
  unless `batchSize` (captum.attr.NoiseTunnel(Saliency), nt_type 'smoothgrad', nt_samples_batch_size), mean of
  |gradient|.
- mc-dropout: `samples` Monte-Carlo samples of saliency with only Dropout active (BatchNorm stays in eval), each sample
  one row with its own dropout mask, rows batched `batchSize` (default 25) at a time; per sample the heatmap
  (max |gradient| over channels, min-max to [0, 1]); returns the mean heatmap; the std is accumulated too.
- lrp-epsilon: LRP with the library's default composite (ε = `epsilon`, 1e-6, on Dense, convolutions, batch norm as
  its own affine layer and global average pooling; max pooling to the first winner; ReLU, flatten, Dropout pass),
  seeded with the target logit, in relevance form R_in = a ⊙ Wᵀ(R / (z + ε·sign z)).
- deeplift: DeepLIFT rescale with the library's max-pool rule, multipliers propagated back from the one-hot target
  (zero baseline unless `baseline`); attributions (x − x₀) ⊙ multiplier.
- grad-cam: the last convolution's own output, channel weights = mean gradient, ReLU(Σ w_c A_c), resized to the input
  (linear / bilinear, half-pixel centres) and repeated over the input's channels.
- occlusion: window 8 (cut to each axis), stride 4, zero baseline, all channels together; mean drop of the target
  logit over the windows covering each position; occluded copies scored `batchSize` (64) rows at a time.
Option `float64: true` (any method) runs the network and the method in double precision: the yardstick for methods
whose float32 rounding is amplified (LRP-ε's z + ε·sign z, DeepLIFT's division by Δx).

Protocol (one JSON object per line on stdin, one answer per line on stdout):
  {"op": "load", "key": K, "path": P}                  → {"ok": true, "classes", "dropoutRate", "layers"}
  {"op": "threads", "n": N}                            → {"ok": true, "threads"}
  {"op": "input", "key": K, "shape": [...], "data": base64 float32 little-endian, channels-last}  → {"ok": true}
  {"op": "run", "model": K, "input": K, "method": M, "targets": [...], "options": {...}, "seed": S, "return": bool}
                                                       → {"ok": true, "ms", "checksum", "shape"?, "data"?}
  {"op": "quit"}
Errors answer {"error": message}. `ms` times the computation only (perf_counter), not the JSON traffic.
"""
import base64
import json
import os
import sys
import time

import h5py
import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attribution_reference as ref  # noqa: E402  (sets float64 as default; reset below)

torch.set_default_dtype(torch.float32)

SEQUENTIAL_PSD = ['batch_norm_0'] + [f'{k}_{n}' for n in (16, 32, 64, 128, 256)
                                      for k in ('conv1d', 'batch_norm', 'relu', 'maxpool1d')] + ['dropout', 'flatten', 'dense']


# ---------------------------------------------------------------- building the network from the .h5 file

def keras_layers(path):
    """Layer list (float32, channels-first weights) and the Dropout rate of a supported Keras .h5 file."""
    with h5py.File(path, 'r') as f:
        config = f.attrs.get('model_config')
        simple = 'CNN_Blocks_SimpleCls' in f and 'dense_species' in f
    if config is not None:
        config = json.loads(config)
        layers = config['config']['layers'] if isinstance(config['config'], dict) else config['config']
        names = [l['config']['name'] for l in layers if l['class_name'] != 'InputLayer']
        if names != SEQUENTIAL_PSD:
            raise ValueError(f'{path}: unsupported architecture (layers {names})')
        rate = next(l['config']['rate'] for l in layers if l['class_name'] == 'Dropout')
        spec = ref.wingbeats_layers(path, lambda layer, n: f'model_weights/{layer}/{layer}/', 1, 'dense', 'model_weights/')
    elif simple:
        def prefix(layer, n):
            base = 'CNN_Blocks_SimpleCls/CNN_Blocks_SimpleCls/'
            return base + (f'{layer}/' if n is None else f'conv_block_{n}/{layer}/')
        with h5py.File(path, 'r') as f:
            dims = 2 if 'conv2d_16' in f['CNN_Blocks_SimpleCls/CNN_Blocks_SimpleCls/conv_block_16'] else 1
        spec = ref.wingbeats_layers(path, prefix, dims, 'dense_species')
        rate = 0.5  # drop_rate of every released SimpleCls model (the weights-only file does not store it)
    else:
        raise ValueError(f'{path}: neither the Sequential PSD model nor a SimpleCls weights file')
    out = []
    for layer in spec:
        layer = {k: (v.to(torch.float32) if isinstance(v, torch.Tensor) else v) for k, v in layer.items()}
        if layer['kind'] == 'bn':  # inference-mode batch norm as one affine map
            scale, shift = ref.bn_affine(layer)
            layer = dict(kind='bn', name=layer['name'], scale=scale, shift=shift)
        if layer['kind'] == 'dense':
            out.append(dict(kind='dropout', name='dropout', rate=rate))
        out.append(layer)
    return out, rate


class GuidedRelu(torch.autograd.Function):
    """ReLU whose backward passes only positive gradients at positive inputs (Springenberg et al. 2015)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, dy):
        (x,) = ctx.saved_tensors
        return dy.clamp(min=0) * (x > 0).to(dy.dtype)


def run_network(layers, x, guided=False, dropout=False):
    """Logits of channels-first float32 `x`; Dropout active only when `dropout`."""
    for layer in layers:
        kind = layer['kind']
        if kind == 'bn':
            view = (1, -1) + (1,) * (x.dim() - 2)
            x = x * layer['scale'].view(view) + layer['shift'].view(view)
        elif kind == 'conv':
            pad = (layer['W'].shape[-1] - 1) // 2  # Keras 'same' for the odd kernels of these models
            x = (F.conv1d if layer['dims'] == 1 else F.conv2d)(x, layer['W'], layer['b'], padding=pad)
        elif kind == 'relu':
            x = GuidedRelu.apply(x) if guided else torch.relu(x)
        elif kind == 'maxpool':
            x = (F.max_pool1d if layer['dims'] == 1 else F.max_pool2d)(x, 2, 2)
        elif kind == 'flatten':
            x = x.permute(0, *range(2, x.dim()), 1).reshape(x.shape[0], -1)
        elif kind == 'gap':
            x = x.mean(dim=tuple(range(2, x.dim())))
        elif kind == 'dropout':
            x = F.dropout(x, layer['rate'], training=dropout)
        elif kind == 'dense':
            x = x @ layer['W'] + layer['b']
        else:
            raise ValueError(kind)
    return x


# ---------------------------------------------------------------- methods

def target_gradients(layers, x, targets, guided=False, dropout=False):
    x = x.detach().requires_grad_(True)
    y = run_network(layers, x, guided, dropout)
    (g,) = torch.autograd.grad(y.gather(1, targets.view(-1, 1)).sum(), x)
    return g


def in_chunks(total, size):
    size = total if not size else size
    return [(s, min(total, s + size)) for s in range(0, total, size)]


def integrated_gradients(layers, x, targets, steps=50, batchSize=None, baseline=None):
    alphas = torch.arange(steps + 1, dtype=torch.float32) / steps
    weights = torch.full((steps + 1,), 1.0 / steps)
    weights[0] = weights[-1] = 0.5 / steps
    baseline = torch.zeros_like(x) if baseline is None else baseline.expand_as(x)
    points = steps + 1
    view = (-1,) + (1,) * (x.dim() - 1)
    # Rows ordered as Captum's: all inputs at alpha_0, then all at alpha_1, ...
    path = (baseline.unsqueeze(0) + alphas.view(view + (1,)) * (x - baseline).unsqueeze(0)).reshape(-1, *x.shape[1:])
    row_targets = targets.repeat(points)
    grads = torch.cat([target_gradients(layers, path[s:e], row_targets[s:e]) for s, e in in_chunks(path.shape[0], batchSize)])
    integral = (grads.view(points, *x.shape) * weights.view(view + (1,))).sum(0)
    return (x - baseline) * integral


def smoothgrad(layers, x, targets, noiseSamples=10, noiseStdev=0.15, batchSize=None):
    n = x.shape[0]
    sigma = (x.reshape(n, -1).amax(1) - x.reshape(n, -1).amin(1)) * noiseStdev
    view = (1, -1) + (1,) * (x.dim() - 1)
    noisy = (x.unsqueeze(0) + torch.randn((noiseSamples, *x.shape)) * sigma.view(view)).reshape(-1, *x.shape[1:])
    rows = targets.repeat(noiseSamples)
    grads = torch.cat([target_gradients(layers, noisy[s:e], rows[s:e]).abs() for s, e in in_chunks(noisy.shape[0], batchSize)])
    return grads.view(noiseSamples, *x.shape).mean(0)


def mc_dropout(layers, x, targets, samples=100, batchSize=25):
    """Mean heatmap of `samples` dropout-thinned saliency maps of one input (heatmaps channels-last, [1, *positions])."""
    if x.shape[0] != 1:
        raise ValueError('mc-dropout takes one input')
    total = None
    total_sq = None
    for s, e in in_chunks(samples, batchSize):
        rows = x.expand(e - s, *x.shape[1:])
        g = target_gradients(layers, rows, targets.expand(e - s), dropout=True).abs().amax(1)  # max over channels
        flat = g.reshape(e - s, -1)
        lo, hi = flat.amin(1, keepdim=True), flat.amax(1, keepdim=True)
        maps = ((flat - lo) / (hi - lo + 1e-16)).double()
        total = maps.sum(0) if total is None else total + maps.sum(0)
        total_sq = (maps * maps).sum(0) if total_sq is None else total_sq + (maps * maps).sum(0)
    mean = total / samples
    _std = (total_sq / samples - mean * mean).clamp(min=0).sqrt()
    return mean.float().view(1, *x.shape[2:])


# ---------------------------------------------------------------- propagation methods (relevance / multipliers layer by layer)

def stabilised(z, eps):
    """z + eps·sign(z) with sign(0) = +1 (the library's and Zennit's stabiliser)."""
    return z + eps * torch.where(z >= 0, torch.ones_like(z), -torch.ones_like(z))


def safe_ratio(numerator, denominator, eps):
    """numerator / stabilised(denominator), 0 where the stabilised denominator is exactly 0."""
    d = stabilised(denominator, eps)
    zero = d == 0
    return torch.where(zero, torch.zeros_like(d), numerator / torch.where(zero, torch.ones_like(d), d))


def conv_transpose_of(layer, x_shape, grad):
    """Wᵀ·grad of a 'same' convolution: the input gradient of the convolution (no bias)."""
    pad = (layer['W'].shape[-1] - 1) // 2
    fn = torch.nn.grad.conv1d_input if layer['dims'] == 1 else torch.nn.grad.conv2d_input
    return fn(x_shape, layer['W'], grad, padding=pad)


def apply_layer(layer, x):
    """One layer of run_network in inference mode (Dropout off)."""
    return run_network([layer], x)


def pool_cells(x):
    """Windows of a 2 (1-D) or 2×2 (2-D) 'valid' max pool as [..., cells] on the pooled grid (channels-first)."""
    if x.dim() == 3:
        n, c, length = x.shape
        return x[:, :, :length // 2 * 2].reshape(n, c, length // 2, 2)
    n, c, h, w = x.shape
    cropped = x[:, :, :h // 2 * 2, :w // 2 * 2].reshape(n, c, h // 2, 2, w // 2, 2)
    return cropped.permute(0, 1, 2, 4, 3, 5).reshape(n, c, h // 2, w // 2, 4)


def uncells(cells, shape):
    """Inverse of pool_cells: per-cell values back to an input-shaped tensor (cropped rows/columns get 0)."""
    out = torch.zeros(shape, dtype=cells.dtype)
    if len(shape) == 3:
        n, c, length = shape
        out[:, :, :length // 2 * 2] = cells.reshape(n, c, length // 2 * 2)
        return out
    n, c, h, w = shape
    grid = cells.reshape(n, c, h // 2, w // 2, 2, 2).permute(0, 1, 2, 4, 3, 5).reshape(n, c, h // 2 * 2, w // 2 * 2)
    out[:, :, :h // 2 * 2, :w // 2 * 2] = grid
    return out


def first_winner(cells, tolerance=0.0):
    """One-hot of each window's first cell within `tolerance` (relative) of the window's maximum."""
    top = cells.amax(-1, keepdim=True)
    tied = cells >= top - top.abs() * tolerance
    index = tied.to(torch.int64).argmax(-1)  # first True
    return F.one_hot(index, cells.shape[-1]).to(cells.dtype)


def flatten_back(r, shape):
    """Inverse of the channels-last flatten: [n, positions·channels] → channels-first `shape`."""
    n, c = shape[0], shape[1]
    return r.reshape(n, *shape[2:], c).permute(0, len(shape) - 1, *range(1, len(shape) - 1)).contiguous()


def lrp_epsilon(layers, x, targets, epsilon=1e-6, **_):
    """LRP with the library's default composite (rule 'epsilon', batch norm its own layer): ε on Dense, convolutions,
    batch norm (y = x·s + t, t as bias) and global average pooling; max pooling sends relevance to the first winner;
    ReLU, flatten and (inference) Dropout pass it on. Relevance starts at the target logit; returns the input relevance.
    Written in relevance form R_in = a ⊙ Wᵀ(R / (z + ε·sign z)), independently of the library's gradient form."""
    with torch.no_grad():
        acts = [x]
        for layer in layers:
            acts.append(apply_layer(layer, acts[-1]))
        logits = acts[-1]
        r = torch.zeros_like(logits)
        rows = torch.arange(x.shape[0])
        r[rows, targets] = logits[rows, targets]
        for layer, a, out in zip(reversed(layers), reversed(acts[:-1]), reversed(acts[1:])):
            kind = layer['kind']
            if kind == 'dense':
                z = a @ layer['W'] + layer['b']
                r = a * (safe_ratio(r, z, epsilon) @ layer['W'].T)
            elif kind == 'conv':
                r = a * conv_transpose_of(layer, a.shape, safe_ratio(r, out, epsilon))
            elif kind == 'bn':
                view = (1, -1) + (1,) * (a.dim() - 2)
                r = a * layer['scale'].view(view) * safe_ratio(r, out, epsilon)
            elif kind == 'gap':
                positions = a[0, 0].numel()
                view = out.shape + (1,) * (a.dim() - 2)
                r = a / positions * safe_ratio(r, out, epsilon).view(view)
            elif kind == 'maxpool':
                cells = pool_cells(a)
                r = uncells(first_winner(cells) * r.unsqueeze(-1), a.shape)
            elif kind == 'flatten':
                r = flatten_back(r, a.shape)
            elif kind in ('relu', 'dropout'):
                pass
            else:
                raise ValueError(kind)
        return r


def deeplift_rescale(layers, x, targets, baseline=None, **_):
    """DeepLIFT (Shrikumar et al. 2017) as the library's: multipliers propagated back from the one-hot target logit;
    linear layers (Dense, convolution, batch norm, average pooling, flatten, Dropout off) by their transpose; ReLU by
    Δy/Δx (the gradient [x > 0] where |Δx| < 1e-10); max pooling by DeepLIFT's max-pool rule with y = pool(x),
    y₀ = pool(x₀), m = max(y, y₀): [U_x(g·(m − y₀)) + U_x₀(g·(y − m))] / Δx (U routes to the first winner within 1e-6
    relative; the plain U_x(g) where |Δx| < 1e-10). Zero baseline by default. attributions = (x − x₀) ⊙ multiplier."""
    x0 = torch.zeros_like(x) if baseline is None else baseline.expand_as(x)
    with torch.no_grad():
        acts, refs = [x], [x0]
        for layer in layers:
            acts.append(apply_layer(layer, acts[-1]))
            refs.append(apply_layer(layer, refs[-1]))
        m = torch.zeros_like(acts[-1])
        m[torch.arange(x.shape[0]), targets] = 1.0
        for i in range(len(layers) - 1, -1, -1):
            layer, a, a0 = layers[i], acts[i], refs[i]
            kind = layer['kind']
            if kind == 'dense':
                m = m @ layer['W'].T
            elif kind == 'conv':
                m = conv_transpose_of(layer, a.shape, m)
            elif kind == 'bn':
                m = m * layer['scale'].view((1, -1) + (1,) * (a.dim() - 2))
            elif kind == 'gap':
                m = (m / a[0, 0].numel()).view(m.shape + (1,) * (a.dim() - 2)).expand_as(a)
            elif kind == 'flatten':
                m = flatten_back(m, a.shape)
            elif kind == 'relu':
                dx = a - a0
                small = dx.abs() < 1e-10
                ratio = (a.clamp(min=0) - a0.clamp(min=0)) / torch.where(small, torch.ones_like(dx), dx)
                m = m * torch.where(small, (a > 0).to(a.dtype), ratio)
            elif kind == 'maxpool':
                cells, cells0 = pool_cells(a), pool_cells(a0)
                y, y0 = cells.amax(-1), cells0.amax(-1)
                top = torch.maximum(y, y0)
                own, theirs = first_winner(cells, 1e-6), first_winner(cells0, 1e-6)
                dx = a - a0
                small = dx.abs() < 1e-10
                routed = uncells(own * (m * (top - y0)).unsqueeze(-1) + theirs * (m * (y - top)).unsqueeze(-1), a.shape)
                plain = uncells(own * m.unsqueeze(-1), a.shape)
                m = torch.where(small, plain, routed / torch.where(small, torch.ones_like(dx), dx))
            elif kind == 'dropout':
                pass
            else:
                raise ValueError(kind)
        return (x - x0) * m


def grad_cam(layers, x, targets, **_):
    """Grad-CAM (Selvaraju et al. 2017) on the library's default layer: the last convolution's own output A (before its
    batch norm and ReLU); w_c = mean over positions of d target logit / dA; map = ReLU(Σ_c w_c A_c); resized to the
    input's positions by linear (1-D) / bilinear (2-D) interpolation with half-pixel centres (align_corners=False),
    the same for every channel. Max pooling's gradient goes to the first maximum (PyTorch's own rule)."""
    last = max(i for i, layer in enumerate(layers) if layer['kind'] == 'conv')
    with torch.no_grad():
        a = run_network(layers[:last + 1], x)
    a = a.detach().requires_grad_(True)
    y = run_network(layers[last + 1:], a)
    (g,) = torch.autograd.grad(y.gather(1, targets.view(-1, 1)).sum(), a)
    with torch.no_grad():
        spatial = tuple(range(2, a.dim()))
        cam = (g.mean(dim=spatial, keepdim=True) * a).sum(1, keepdim=True).clamp(min=0)
        size = tuple(x.shape[2:])
        up = F.interpolate(cam, size=size, mode='linear' if len(size) == 1 else 'bilinear', align_corners=False)
        return up.expand(-1, x.shape[1], *size)


def window_starts(length, window, stride):
    """0, stride, ..., ceil((length − window)/stride)·stride (Captum's placement; the last window is cut at the end)."""
    return [k * stride for k in range(-(-(length - window) // stride) + 1)]


def occlusion(layers, x, targets, window=8, stride=None, batchSize=64, **_):
    """Occlusion (Zeiler & Fergus 2014) as the library's default: window 8 along every non-channel axis (cut to the
    axis), stride half the window, zero baseline, all channels occluded together; a position's attribution is the mean
    over the windows covering it of f(x)_t − f(x with the window zeroed)_t (logits). Occluded rows are scored in
    batches of `batchSize`."""
    spatial = tuple(x.shape[2:])
    windows = [min(window, n) for n in spatial]
    strides = [max(1, w // 2) if stride is None else stride for w in windows]
    starts = [window_starts(n, w, s) for n, w, s in zip(spatial, windows, strides)]
    grid = [()]
    for axis in starts:
        grid = [prefix + (s,) for prefix in grid for s in axis]
    masks = torch.zeros((len(grid),) + spatial)
    for k, corner in enumerate(grid):
        masks[(k,) + tuple(slice(s, s + w) for s, w in zip(corner, windows))] = 1.0
    keep = (1.0 - masks).unsqueeze(1)  # [windows, 1, *spatial], broadcast over channels
    coverage = masks.sum(0)
    flat_masks = masks.reshape(len(grid), -1)
    with torch.no_grad():
        clean = run_network(layers, x).gather(1, targets.view(-1, 1)).squeeze(1)
        out = []
        for e in range(x.shape[0]):
            drops = []
            for s, t in in_chunks(len(grid), batchSize):
                scores = run_network(layers, x[e:e + 1] * keep[s:t])
                drops.append(clean[e] - scores[:, targets[e]])
            drop = torch.cat(drops)
            value = (drop @ flat_masks).reshape(spatial) / coverage
            out.append(value.unsqueeze(0).expand(x.shape[1], *spatial))
        return torch.stack(out)


def forward(layers, x, targets, **_):
    with torch.no_grad():
        return run_network(layers, x)


METHODS = {
    'forward': forward,
    'gradients': lambda l, x, t, **o: target_gradients(l, x, t),
    'saliency': lambda l, x, t, **o: target_gradients(l, x, t).abs(),
    'guided-backprop': lambda l, x, t, **o: target_gradients(l, x, t, guided=True),
    'integrated-gradients': integrated_gradients,
    'smoothgrad': smoothgrad,
    'mc-dropout': mc_dropout,
    'lrp-epsilon': lrp_epsilon,
    'deeplift': deeplift_rescale,
    'grad-cam': grad_cam,
    'occlusion': occlusion,
}


# ---------------------------------------------------------------- server

def channels_first(t):
    return t.permute(0, t.dim() - 1, *range(1, t.dim() - 1)).contiguous()


def channels_last(t):
    return t.permute(0, *range(2, t.dim()), 1).contiguous() if t.dim() > 2 else t


def serve():
    models, inputs = {}, {}
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            op = req['op']
            if op == 'quit':
                break
            if op == 'load':
                layers, rate = keras_layers(req['path'])
                models[req['key']] = layers
                answer = dict(ok=True, classes=int(layers[-1]['W'].shape[1]), dropoutRate=rate, layers=len(layers))
            elif op == 'threads':
                torch.set_num_threads(int(req['n']))
                answer = dict(ok=True, threads=torch.get_num_threads())
            elif op == 'input':
                data = np.frombuffer(base64.b64decode(req['data']), dtype='<f4').reshape(req['shape'])
                inputs[req['key']] = channels_first(torch.from_numpy(data.copy()))
                answer = dict(ok=True)
            elif op == 'run':
                layers, x = models[req['model']], inputs[req['input']]
                method = METHODS[req['method']]
                targets = torch.tensor(req.get('targets') or [0] * x.shape[0], dtype=torch.long)
                options = dict(req.get('options', {}))
                if isinstance(options.get('baseline'), str):  # a stored input (one row or one per input)
                    options['baseline'] = inputs[options['baseline']]
                if options.pop('float64', False):  # the same method in double precision (a yardstick for float32)
                    layers = [{k: (v.double() if isinstance(v, torch.Tensor) else v) for k, v in l.items()} for l in layers]
                    x = x.double()
                    if isinstance(options.get('baseline'), torch.Tensor):
                        options['baseline'] = options['baseline'].double()
                torch.manual_seed(int(req.get('seed', 0)))
                start = time.perf_counter()
                result = method(layers, x, targets, **options)
                ms = (time.perf_counter() - start) * 1000
                result = channels_last(result.detach()) if req['method'] not in ('forward', 'mc-dropout') else result
                answer = dict(ok=True, ms=ms, checksum=float(result.double().abs().sum()))
                if req.get('return'):
                    answer.update(shape=list(result.shape),
                                  data=base64.b64encode(result.float().numpy().astype('<f4').tobytes()).decode('ascii'))
            else:
                raise ValueError(f'unknown op {op!r}')
        except Exception as error:  # one answer per request, the process stays up
            answer = dict(error=f'{type(error).__name__}: {error}')
        out.write(json.dumps(answer) + '\n')
        out.flush()


if __name__ == '__main__':
    serve()
