#!/usr/bin/env python3
"""Reference numbers for infidelity and max-sensitivity (Captum's definitions, written out here; Captum is not
installable) on the Potamitis Sequential PSD model, in float64 PyTorch.

Definitions (captum.metrics, 0.8):
- infidelity(f, perturb, x, a, target, n, normalize): for n perturbations (I, x - I) of each example,
  u = sum(a * I), v = f(x)[target] - f(x - I)[target]; without normalize mean((u - v)^2); with normalize
  beta = sum(u v) / sum(u u) (a zero denominator counts as 1) and (beta^2 sum(u u) - 2 beta sum(u v) + sum(v v)) / n.
- sensitivity_max(explain, x, perturb, n, target): the largest ||explain(x + d) - explain(x)||_2 / ||explain(x)||_2
  (a zero norm counts as 1) over n perturbed copies, the explanation recomputed for the same target.
Explanations: gradients (d target logit / d input) and input x gradient, on the logits.

Exact cases: fixed perturbations (seeded NumPy draws, stored in the output so both sides use the same ones).
Statistical cases: the distribution of (u - v)^2 under I ~ N(0, sigma^2) (mean and its standard error from 4000
draws), and of max-sensitivity over 100 uniform perturbations U(-r, r) (quantiles of the max from 1000 draws, resampled).

The network is that of scripts/reference/attribution_reference.py (its builders are reused, not copied; weights read
from ../shared with h5py, never copied into the repository). Inputs: the first two cases of
../shared/reference/models/Potatamis_Sequential__PSD__Mosquito_CNN_PSD.json.

Run:  /usr/bin/python3 scripts/reference/metric_reference.py  (writes test/fixtures/metric-reference.json)
"""
import importlib.util
import json
import os
import sys

import numpy as np
import torch

torch.set_num_threads(1)

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location('attribution_reference', os.path.join(HERE, 'attribution_reference.py'))
ar = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ar)  # sets float64 as torch's default dtype

OUT = os.path.join(ar.REPO, 'test', 'fixtures', 'metric-reference.json')
SIGMA = 0.15
RADIUS = 0.02


def target_logits(layers, x_cl, targets, chunk=250):
    out = []
    with torch.no_grad():
        for s in range(0, len(targets), chunk):
            y = ar.logits(layers, ar.to_torch_input(x_cl[s:s + chunk]))
            out.append(y[torch.arange(y.shape[0]), torch.tensor(targets[s:s + chunk])])
    return torch.cat(out)


def gradient(layers, x_cl, targets, chunk=250):
    parts = []
    for s in range(0, len(targets), chunk):
        x = ar.to_torch_input(x_cl[s:s + chunk])
        y = ar.logits(layers, x)
        g = ar.vjp(lambda t: ar.logits(layers, t), x, ar.one_hot(targets[s:s + chunk], y.shape[1]))
        parts.append(ar.to_channels_last(g).detach().numpy())
    return np.concatenate(parts)


def explain(method, layers, x_cl, targets):
    g = gradient(layers, x_cl, targets)
    return g if method == 'gradients' else g * np.asarray(x_cl, dtype=np.float64)


def infidelity(layers, x, a, targets, perturbations, normalize):
    """x [B, 129, 1], a like x, perturbations [B, n, 129, 1] (I); perturbed input x - I."""
    fx = target_logits(layers, x, targets).numpy()
    out = []
    for e in range(x.shape[0]):
        I = perturbations[e]
        perturbed = x[e][None] - I
        fp = target_logits(layers, perturbed.astype(np.float32), [targets[e]] * len(I)).numpy()
        u = (a[e][None] * I).reshape(len(I), -1).sum(1)
        v = fx[e] - fp
        if not normalize:
            out.append(float(np.mean((u - v) ** 2)))
        else:
            uu, uv, vv = (u * u).sum(), (u * v).sum(), (v * v).sum()
            beta = uv / (uu if uu != 0 else 1.0)
            out.append(float((beta * beta * uu - 2 * beta * uv + vv) / len(I)))
    return out


def sensitivity_ratios(method, layers, x, targets, perturbed):
    """perturbed [B, n, 129, 1]: every ||explain(x+d) - explain(x)|| / ||explain(x)||, [B, n]."""
    clean = explain(method, layers, x, targets)
    ratios = []
    for e in range(x.shape[0]):
        moved = explain(method, layers, perturbed[e].astype(np.float32), [targets[e]] * perturbed.shape[1])
        norm = np.linalg.norm(clean[e].ravel()) or 1.0
        ratios.append([float(np.linalg.norm((m - clean[e]).ravel()) / norm) for m in moved])
    return np.asarray(ratios)


def main():
    if not os.path.isdir(os.path.join(ar.SHARED, 'models')):
        sys.exit(f'{ar.SHARED}/models is absent: this reference needs the Potamitis PSD model')
    layers = ar.wingbeats_layers(os.path.join(ar.SHARED, 'models/Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5'),
                                 lambda layer, n: f'model_weights/{layer}/{layer}/', 1, 'dense', 'model_weights/')
    ref = json.load(open(os.path.join(ar.SHARED, 'reference/models/Potatamis_Sequential__PSD__Mosquito_CNN_PSD.json')))
    x = np.asarray([c['input'] for c in ref['cases'][:2]], dtype=np.float32)[:, :, None]
    targets = ar.logits(layers, ar.to_torch_input(x)).argmax(1).tolist()
    rng = np.random.default_rng(20261207)
    n = 4
    noise = (rng.standard_normal((2, n, 129, 1)) * SIGMA).astype(np.float32)
    shifts = (rng.uniform(-RADIUS, RADIUS, (2, n, 129, 1))).astype(np.float32)
    perturbed = (x[:, None] + shifts).astype(np.float32)
    doc = dict(about=__doc__.strip().splitlines()[0], torch=torch.__version__, numpy=np.__version__,
               model='Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5', cases=[0, 1], targets=targets,
               sigma=SIGMA, radius=RADIUS, noise=ar.r7(noise), perturbed=ar.r7(perturbed), exact={}, statistical={})
    for method in ('gradients', 'input-x-gradient'):
        a = explain(method, layers, x, targets)
        doc['exact'][method] = dict(
            infidelity=infidelity(layers, x, a, targets, noise.astype(np.float64), False),
            infidelityNormalized=infidelity(layers, x, a, targets, noise.astype(np.float64), True),
            sensitivityMax=sensitivity_ratios(method, layers, x, targets, perturbed).max(1).tolist())
        # Statistical: the squared error per perturbation, over many draws.
        draws = 4000
        errors = []
        fx = target_logits(layers, x, targets).numpy()
        for e in range(2):
            I = (rng.standard_normal((draws, 129, 1)) * SIGMA).astype(np.float32).astype(np.float64)
            fp = target_logits(layers, (x[e][None] - I).astype(np.float32), [targets[e]] * draws).numpy()
            u = (a[e][None] * I).reshape(draws, -1).sum(1)
            sq = (u - (fx[e] - fp)) ** 2
            errors.append(dict(mean=float(sq.mean()), std=float(sq.std())))
        many = 1000
        shifts_many = rng.uniform(-RADIUS, RADIUS, (2, many, 129, 1)).astype(np.float32)
        ratios = sensitivity_ratios(method, layers, x, targets, (x[:, None] + shifts_many).astype(np.float32))
        maxima = []
        for e in range(2):
            picks = rng.integers(0, many, (4000, 100))
            m = ratios[e][picks].max(1)
            maxima.append(dict(q001=float(np.quantile(m, 0.001)), q999=float(np.quantile(m, 0.999)), median=float(np.median(m))))
        doc['statistical'][method] = dict(infidelitySquaredError=errors, sensitivityMaxOf100=maxima)
    with open(OUT, 'w') as fh:
        json.dump(doc, fh, separators=(',', ':'))
        fh.write('\n')
    print(f'wrote {OUT} ({os.path.getsize(OUT)} bytes)')


if __name__ == '__main__':
    main()
