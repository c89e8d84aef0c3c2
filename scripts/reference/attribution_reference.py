#!/usr/bin/env python3
"""Independent reference numbers for Grad-CAM, occlusion, DeepLIFT (rescale) and LRP, in float64 PyTorch.

Written from the papers and Captum's documented definitions (Captum itself is not installable here):

- Grad-CAM (Selvaraju et al. 2017; captum.attr.LayerGradCam + LayerAttribution.interpolate): channel weights = the
  target's gradient averaged over the layer's non-channel axes; map = ReLU(sum_c w_c A_c); upsampled with
  F.interpolate(mode='linear'|'bilinear', align_corners=False).
- Occlusion (captum.attr.Occlusion): windows at 0, s, 2s, ..., ceil((n - w) / s) * s (Captum's shift counts; the last
  window is cut at the end of the axis, so every position is covered), all channels at once; attribution = mean over
  covering windows of f(x) - f(x with the window set to the baseline).
- DeepLIFT rescale (Shrikumar et al. 2017; captum.attr.DeepLift): multipliers propagated backwards layer by layer;
  linear layers (conv, dense, batch norm in inference, pooling by averaging, flatten) by their transposes; ReLU by
  dy/dx (the gradient where |dx| < 1e-10); max pooling by Captum's max-pool rule (cross maximum of input and
  reference, unpooled by both argmax sets, divided by dx). attributions = (x - x0) * multiplier; delta = sum - (f(x) - f(x0)).
- LRP (Bach et al. 2015; Montavon et al. 2019), explicit layer-wise relevance: relevance at the output = the target
  logit; on convolutions the chosen rule (epsilon; gamma: W + gamma W+, b + gamma b+; alpha-beta without biases over
  the positive and negative contributions x+W+ + x-W- and x+W- + x-W+; z-plus = alpha 1 beta 0); epsilon on dense,
  batch norm (its own affine layer) and average pooling; max pooling to the winner; ReLU passes relevance on.
  Stabiliser z + eps * sign(z) with sign(0) = +1. `fold` folds each batch norm into the convolution before it.

Models: two tiny networks whose seeded weights are written into the output (1-D and 2-D), the Potamitis Sequential PSD
model (../shared/models/Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5) and the Potamitis SimpleCls spectrogram model,
read with h5py (weights are read, never copied into the repository). Inputs of the real models are the reference
inputs of ../shared/reference/models.

Run:  python3 scripts/reference/attribution_reference.py  (writes test/fixtures/attribution-reference.json)
"""
import json
import os
import sys

import h5py
import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SHARED = os.path.join(os.path.dirname(REPO), 'shared')
OUT = os.path.join(REPO, 'test', 'fixtures', 'attribution-reference.json')
EPS_RESCALE = 1e-10


# ---------------------------------------------------------------- layers (channels-first internally)

def bn_affine(layer):
    s = layer['gamma'] / torch.sqrt(layer['var'] + layer['eps'])
    return s, layer['beta'] - layer['mean'] * s


def channel_view(v, x):
    return v.view(1, -1, *([1] * (x.dim() - 2)))


def linear(layer, x, W=None, b=None, bias=True):
    """The linear layers, optionally with replaced weights/bias."""
    kind = layer['kind']
    if kind == 'conv':
        W = layer['W'] if W is None else W
        b = (layer['b'] if b is None else b) if bias else None
        pad = (layer['W'].shape[-1] - 1) // 2
        return (F.conv1d if layer['dims'] == 1 else F.conv2d)(x, W, b, padding=pad)
    if kind == 'dense':
        W = layer['W'] if W is None else W
        y = x @ W
        return y + (layer['b'] if b is None else b) if bias else y
    if kind == 'bn':
        s, t = bn_affine(layer)
        y = x * channel_view(s, x)
        return y + channel_view(t, x) if bias else y
    if kind == 'gap':
        return x.mean(dim=tuple(range(2, x.dim())))
    if kind == 'flatten':
        return x.permute(0, *range(2, x.dim()), 1).reshape(x.shape[0], -1)
    raise ValueError(kind)


def maxpool(layer, x, indices=False):
    f = F.max_pool1d if layer['dims'] == 1 else F.max_pool2d
    return f(x, 2, 2, return_indices=indices)


def apply(layer, x):
    kind = layer['kind']
    if kind == 'relu':
        return torch.relu(x)
    if kind == 'maxpool':
        return maxpool(layer, x)
    return linear(layer, x)


def forward(layers, x):
    acts = [x]
    for layer in layers:
        acts.append(apply(layer, acts[-1]))
    return acts


def vjp(fn, x, v):
    x = x.detach().requires_grad_(True)
    y = fn(x)
    (g,) = torch.autograd.grad(y, x, grad_outputs=v)
    return g


# ---------------------------------------------------------------- methods

def to_torch_input(x_cl):
    """[B, ...spatial, C] channels-last → channels-first."""
    x = torch.tensor(np.asarray(x_cl, dtype=np.float32).astype(np.float64))
    return x.permute(0, x.dim() - 1, *range(1, x.dim() - 1)).contiguous()


def to_channels_last(t):
    return t.permute(0, *range(2, t.dim()), 1).contiguous()


def one_hot(targets, classes):
    return F.one_hot(torch.tensor(targets), classes).to(torch.float64)


def logits(layers, x):
    return forward(layers, x)[-1]


def grad_cam(layers, x, targets, layer_name):
    index = [l.get('name') for l in layers].index(layer_name)
    acts = forward(layers[:index + 1], x)
    A = acts[-1].detach().requires_grad_(True)
    y = A
    for layer in layers[index + 1:]:
        y = apply(layer, y)
    (g,) = torch.autograd.grad((y * one_hot(targets, y.shape[1])).sum(), A)
    w = g.mean(dim=tuple(range(2, g.dim())), keepdim=True)
    cam = torch.relu((w * A).sum(dim=1, keepdim=True)).detach()
    spatial = x.shape[2:]
    up = F.interpolate(cam, size=spatial, mode='linear' if len(spatial) == 1 else 'bilinear', align_corners=False)
    return cam[:, 0], up[:, 0]


def occlusion(layers, x, targets, window, stride, baseline):
    spatial = list(x.shape[2:])
    y0 = logits(layers, x)
    f0 = (y0 * one_hot(targets, y0.shape[1])).sum(1)
    total = torch.zeros((x.shape[0], *spatial))
    count = torch.zeros(spatial)
    # Captum's placement: ceil((n - w) / s) + 1 starts; the last window is cut at the end of the axis.
    starts = [[k * s for k in range(-(-(n - w) // s) + 1)] for n, w, s in zip(spatial, window, stride)]
    grid = [[a] for a in starts[0]] if len(spatial) == 1 else [[a, b] for a in starts[0] for b in starts[1]]
    for start in grid:
        mask = torch.zeros(spatial)
        sl = tuple(slice(s, s + w) for s, w in zip(start, window))
        mask[sl] = 1
        occluded = x * (1 - mask) + baseline * mask
        y = logits(layers, occluded)
        drop = f0 - (y * one_hot(targets, y.shape[1])).sum(1)
        total += drop.view(-1, *([1] * len(spatial))) * mask
        count += mask
    return torch.where(count > 0, total / torch.clamp(count, min=1), torch.zeros(()))


def deeplift(layers, x, x0, targets):
    acts = forward(layers, x)
    refs = forward(layers, x0)
    m = one_hot(targets, acts[-1].shape[1])
    for i in range(len(layers) - 1, -1, -1):
        layer, a, r = layers[i], acts[i], refs[i]
        kind = layer['kind']
        if kind == 'relu':
            dx = a - r
            dy = torch.relu(a) - torch.relu(r)
            plain = m * (a > 0).to(torch.float64)
            m = torch.where(dx.abs() < EPS_RESCALE, plain, m * dy / torch.where(dx.abs() < EPS_RESCALE, torch.ones(()), dx))
        elif kind == 'maxpool':
            y, ix = maxpool(layer, a, True)
            y0, i0 = maxpool(layer, r, True)
            ymax = torch.maximum(y, y0)
            unpool = F.max_unpool1d if layer['dims'] == 1 else F.max_unpool2d
            size = a.shape[2:]
            u = unpool(m * (ymax - y0), ix, 2, 2, output_size=size) + unpool(m * (y - ymax), i0, 2, 2, output_size=size)
            plain = unpool(m, ix, 2, 2, output_size=size)
            dx = a - r
            m = torch.where(dx.abs() < EPS_RESCALE, plain, u / torch.where(dx.abs() < EPS_RESCALE, torch.ones(()), dx))
        else:
            m = vjp(lambda t, l=layer: linear(l, t, bias=False), a, m)
    attr = (x - x0) * m
    f = (acts[-1] * one_hot(targets, acts[-1].shape[1])).sum(1)
    f0 = (refs[-1] * one_hot(targets, acts[-1].shape[1])).sum(1)
    delta = attr.flatten(1).sum(1) - (f - f0)
    return attr, delta


def stab(z, eps):
    return z + eps * torch.where(z >= 0, torch.ones(()), -torch.ones(()))


def lrp_rule(layer, x, R, rule, eps, gamma, alpha, beta):
    """Relevance at the input of one linear layer, by explicit modified-gradient products."""
    def contribution(inp, W, b, s, bias=True):
        inp = inp.detach().requires_grad_(True)
        z = linear(layer, inp, W, b, bias=bias)
        (c,) = torch.autograd.grad((z * s.detach()).sum(), inp)
        return inp.detach() * c

    if rule == 'epsilon' or layer['kind'] != 'conv':
        z = linear(layer, x)
        return contribution(x, None, None, R / stab(z, eps))
    W, b = layer['W'], layer['b']
    if rule == 'gamma':
        Wg, bg = W + gamma * W.clamp(min=0), b + gamma * b.clamp(min=0)
        z = linear(layer, x, Wg, bg)
        return contribution(x, Wg, bg, R / stab(z, eps))
    if rule == 'z-plus':
        alpha, beta = 1.0, 0.0
    xp, xn = x.clamp(min=0), x.clamp(max=0)
    Wp, Wn = W.clamp(min=0), W.clamp(max=0)
    zp = linear(layer, xp, Wp, None, bias=False) + linear(layer, xn, Wn, None, bias=False)
    zn = linear(layer, xp, Wn, None, bias=False) + linear(layer, xn, Wp, None, bias=False)
    sp, sn = R / stab(zp, eps), R / stab(zn, eps)
    positive = contribution(xp, Wp, None, sp, False) + contribution(xn, Wn, None, sp, False)
    negative = contribution(xp, Wn, None, sn, False) + contribution(xn, Wp, None, sn, False)
    return alpha * positive - beta * negative


def fold_batch_norm(layers):
    out = []
    for layer in layers:
        if layer['kind'] == 'bn' and out and out[-1]['kind'] == 'conv':
            conv = out.pop()
            s, t = bn_affine(layer)
            view = (-1,) + (1,) * (conv['W'].dim() - 1)
            out.append(dict(conv, W=conv['W'] * s.view(view), b=conv['b'] * s + t))
        else:
            out.append(layer)
    return out


def lrp(layers, x, targets, rule='epsilon', eps=1e-6, gamma=0.25, alpha=1.0, beta=0.0, fold=False):
    net = fold_batch_norm(layers) if fold else layers
    acts = forward(net, x)
    R = acts[-1] * one_hot(targets, acts[-1].shape[1])
    for i in range(len(net) - 1, -1, -1):
        layer, a = net[i], acts[i]
        kind = layer['kind']
        if kind == 'relu':
            continue
        if kind == 'maxpool':
            R = vjp(lambda t, l=layer: maxpool(l, t), a, R)
        elif kind == 'flatten':
            R = vjp(lambda t, l=layer: linear(l, t), a, R)
        else:
            R = lrp_rule(layer, a, R, rule, eps, gamma, alpha, beta)
    return R.detach()


# ---------------------------------------------------------------- models

def tiny_layers(dims, seed):
    rng = np.random.default_rng(seed)
    normal = lambda *shape: rng.standard_normal(shape) * 0.5
    cin = 2
    k = (3,) if dims == 1 else (3, 3)
    spec = []
    keras = {}

    def bn(name, c):
        g, b_, m, v = normal(c), normal(c), normal(c), 0.5 + np.abs(normal(c))
        keras[name] = dict(gamma=g, beta=b_, moving_mean=m, moving_variance=v)
        spec.append(dict(kind='bn', name=name, gamma=torch.tensor(g), beta=torch.tensor(b_), mean=torch.tensor(m), var=torch.tensor(v), eps=1e-3))

    def conv(name, cin, cout):
        kernel = normal(*k, cin, cout)  # Keras layout
        bias = normal(cout)
        keras[name] = dict(kernel=kernel, bias=bias)
        W = torch.tensor(kernel).permute(*(2, 1, 0) if dims == 1 else (3, 2, 0, 1)).contiguous()
        spec.append(dict(kind='conv', name=name, dims=dims, W=W, b=torch.tensor(bias)))

    if dims == 1:
        bn('bn0', cin)
    conv('conv_a', cin, 3)
    bn('bn_a', 3)
    spec.append(dict(kind='relu', name='relu_a'))
    spec.append(dict(kind='maxpool', name='pool_a', dims=dims))
    conv('conv_b', 3, 4)
    spec.append(dict(kind='relu', name='relu_b'))
    if dims == 1:
        spec.append(dict(kind='flatten', name='flatten'))
        features = 5 * 4
    else:
        spec.append(dict(kind='gap', name='gap'))
        features = 4
    kernel, bias = normal(features, 3), normal(3)
    keras['dense'] = dict(kernel=kernel, bias=bias)
    spec.append(dict(kind='dense', name='dense', W=torch.tensor(kernel), b=torch.tensor(bias)))
    return spec, {name: {k: np.asarray(v, dtype=np.float32).astype(np.float64).tolist() for k, v in w.items()} for name, w in keras.items()}


def as_float32_layers(spec):
    """Weights rounded to float32 (what TensorFlow.js holds), then used in float64."""
    out = []
    for layer in spec:
        out.append({k: (v.to(torch.float32).to(torch.float64) if isinstance(v, torch.Tensor) else v) for k, v in layer.items()})
    return out


def h5_value(f, path):
    return torch.tensor(np.asarray(f[path], dtype=np.float32).astype(np.float64))


def wingbeats_layers(path, prefix, dims, dense_name, dense_prefix=''):
    f = h5py.File(path, 'r')
    spec = []

    def bn(name, base):
        spec.append(dict(kind='bn', name=name, gamma=h5_value(f, base + 'gamma:0'), beta=h5_value(f, base + 'beta:0'),
                         mean=h5_value(f, base + 'moving_mean:0'), var=h5_value(f, base + 'moving_variance:0'), eps=1e-3))

    bn('batch_norm_0', prefix('batch_norm_0', None))
    for n in (16, 32, 64, 128, 256):
        conv = f'conv{dims}d_{n}'
        kernel = h5_value(f, prefix(conv, n) + 'kernel:0')
        W = kernel.permute(*(2, 1, 0) if dims == 1 else (3, 2, 0, 1)).contiguous()
        spec.append(dict(kind='conv', name=conv, dims=dims, W=W, b=h5_value(f, prefix(conv, n) + 'bias:0')))
        bn(f'batch_norm_{n}', prefix(f'batch_norm_{n}', n))
        spec.append(dict(kind='relu', name=f'relu_{n}'))
        spec.append(dict(kind='maxpool', name=f'maxpool{dims}d_{n}', dims=dims))
    spec.append(dict(kind='flatten', name='flatten') if dims == 1 else dict(kind='gap', name='global_average_pooling2d'))
    spec.append(dict(kind='dense', name=dense_name, W=h5_value(f, f'{dense_prefix}{dense_name}/{dense_name}/kernel:0'), b=h5_value(f, f'{dense_prefix}{dense_name}/{dense_name}/bias:0')))
    return spec


# ---------------------------------------------------------------- output

def r7(t):
    """Nested lists at 9 significant digits (float64 results; float32 comparisons need ~7)."""
    a = np.asarray(t.detach().numpy() if isinstance(t, torch.Tensor) else t, dtype=np.float64)
    return json.loads(json.dumps(np.vectorize(lambda v: float(f'{v:.9g}'))(a).tolist()))


LRP_CONFIGS = [
    dict(rule='epsilon', epsilon=1e-6),
    dict(rule='epsilon', epsilon=0.25),
    dict(rule='gamma', epsilon=1e-6, gamma=0.25),
    dict(rule='alpha-beta', epsilon=1e-6, alpha=2.0, beta=1.0),
    dict(rule='z-plus', epsilon=1e-6),
    dict(rule='epsilon', epsilon=1e-6, foldBatchNorm=True),
    dict(rule='alpha-beta', epsilon=1e-6, alpha=1.0, beta=0.0, foldBatchNorm=True),
]


def run_lrp(layers, x, targets, config):
    return lrp(layers, x, targets, rule=config['rule'], eps=config['epsilon'], gamma=config.get('gamma', 0.25),
               alpha=config.get('alpha', 1.0), beta=config.get('beta', 0.0), fold=config.get('foldBatchNorm', False))


def float32_deviation(fn, layers, x, *tensors):
    """Largest |float32 result - float64 result| of fn: how well-conditioned the method is at float32 precision."""
    exact = fn(layers, x, *tensors)
    exact = exact[0] if isinstance(exact, tuple) else exact
    torch.set_default_dtype(torch.float32)
    try:
        single = [{k: (v.float() if isinstance(v, torch.Tensor) else v) for k, v in l.items()} for l in layers]
        approx = fn(single, x.float(), *[t.float() if isinstance(t, torch.Tensor) else t for t in tensors])
    finally:
        torch.set_default_dtype(torch.float64)
    approx = approx[0] if isinstance(approx, tuple) else approx
    return float((approx.double() - exact).abs().max())


def full_model_entry(layers, inputs, gradcam_layers, occlusion_settings, baselines, sample=None):
    """All methods on one model. `sample`: flat indices of channels-last cells to store instead of whole maps."""
    x = to_torch_input(inputs)
    y = logits(layers, x)
    targets = y.argmax(1).tolist()
    keep = (lambda t: r7(t)) if sample is None else (lambda t: r7(to_channels_last(t).flatten(1)[:, sample] if t.dim() > 2 else t.flatten(1)[:, sample]))
    keep_cl = (lambda t: keep(t)) if sample is not None else (lambda t: r7(to_channels_last(t)))
    entry = dict(inputs=r7(np.asarray(inputs, dtype=np.float32)) if sample is None else None, targets=targets, logits=r7(y), gradCam=[], occlusion=[], deeplift=[], lrp=[])
    if sample is not None:
        entry['sample'] = sample
    for name in gradcam_layers:
        cam, up = grad_cam(layers, x, targets, name)
        entry['gradCam'].append(dict(layer=name, layerMap=r7(cam), attributions=r7(up) if sample is None else r7(up.flatten(1)[:, [i // x.shape[1] for i in sample]])))
    for window, stride in occlusion_settings:
        a = occlusion(layers, x, targets, window, stride, torch.zeros(()))
        entry['occlusion'].append(dict(window=window, stride=stride, attributions=r7(a)))
    for name, b in baselines:
        x0 = to_torch_input(b) if not isinstance(b, (int, float)) else torch.full_like(x, float(b))
        attr, delta = deeplift(layers, x, x0, targets)
        entry['deeplift'].append(dict(baseline=name, attributions=keep_cl(attr), sums=r7(attr.flatten(1).sum(1)), delta=r7(delta),
                                      float32Deviation=float32_deviation(lambda l, a, b: deeplift(l, a, b, targets), layers, x, x0)))
    for config in LRP_CONFIGS:
        R = run_lrp(layers, x, targets, config)
        entry['lrp'].append(dict(config, attributions=keep_cl(R), sums=r7(R.flatten(1).sum(1)),
                                 float32Deviation=float32_deviation(lambda l, a: run_lrp(l, a, targets, config), layers, x)))
    return entry


def main():
    rng = np.random.default_rng(20261129)
    doc = dict(
        about='Reference numbers of scripts/reference/attribution_reference.py (float64 PyTorch, definitions in its docstring).',
        torch=torch.__version__, numpy=np.__version__, models={})
    for name, dims, shape in (('tiny1d', 1, (10, 2)), ('tiny2d', 2, (6, 4, 2))):
        spec, keras = tiny_layers(dims, 11 if dims == 1 else 12)
        spec = as_float32_layers(spec)
        inputs = rng.standard_normal((3, *shape)).astype(np.float32)
        baseline = (rng.standard_normal(shape) * 0.3).astype(np.float32)
        window = [3] if dims == 1 else [2, 2]
        stride = [2] if dims == 1 else [1, 2]
        entry = full_model_entry(spec, inputs, ['conv_b', 'conv_a'], [(window, stride), ([1] * dims, [1] * dims)],
                                 [('zeros', 0.0), ('random', np.broadcast_to(baseline, (3, *shape)))])
        entry.update(weights=keras, baseline=r7(baseline), inputShape=list(shape))
        doc['models'][name] = entry
    if not os.path.isdir(os.path.join(SHARED, 'models')):
        sys.exit(f'{SHARED}/models is absent: the real-model references need it')
    seq = wingbeats_layers(os.path.join(SHARED, 'models/Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5'),
                           lambda layer, n: f'model_weights/{layer}/{layer}/', 1, 'dense', 'model_weights/')
    ref = json.load(open(os.path.join(SHARED, 'reference/models/Potatamis_Sequential__PSD__Mosquito_CNN_PSD.json')))
    psd_inputs = np.asarray([c['input'] for c in ref['cases'][:2]], dtype=np.float32)[:, :, None]
    entry = full_model_entry(seq, psd_inputs, ['conv1d_256', 'conv1d_64'], [([8], [4])], [('zeros', 0.0), ('-50', -50.0)])
    entry.update(model='Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5', inputIds=[c['input_id'] for c in ref['cases'][:2]])
    doc['models']['potamitis-psd'] = entry

    def block_prefix(layer, n):
        base = 'CNN_Blocks_SimpleCls/CNN_Blocks_SimpleCls/'
        return base + (f'{layer}/' if n is None else f'conv_block_{n}/{layer}/')
    spectro = wingbeats_layers(os.path.join(SHARED, 'models/Potatamis/spectro/SimpleCls/SimpleCls_spectro_frozen.h5'), block_prefix, 2, 'dense_species')
    channel = np.asarray(json.load(open(os.path.join(SHARED, 'reference/spectrogram/b_wingbeat_8k.json')))['model_input_channel'], dtype=np.float32)
    image = np.repeat(channel[None, :, :, None], 3, axis=3)
    sample = sorted(set(rng.integers(0, image[0].size, 300).tolist()))
    entry = full_model_entry(spectro, image, ['conv2d_256', 'conv2d_64'], [], [('zeros', 0.0)], sample=sample)
    entry.update(model='Potatamis/spectro/SimpleCls/SimpleCls_spectro_frozen.h5', input='reference/spectrogram/b_wingbeat_8k.json model_input_channel x 3')
    doc['models']['potamitis-spectrogram'] = entry
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as fh:
        json.dump(doc, fh, separators=(',', ':'))
        fh.write('\n')
    print(f'wrote {OUT} ({os.path.getsize(OUT)} bytes)')


if __name__ == '__main__':
    main()
