#!/usr/bin/env python3
"""Independent reference numbers for the group methods (exact Shapley values, feature ablation), in float64 PyTorch.

Written from the definitions (Captum 0.8's FeatureAblation and ShapleyValues with a feature_mask; Captum itself is
not installable here), not from the TypeScript code:

- Groups `bands:N`: N contiguous runs of the first non-channel axis, floor(L/N) positions each, the last run takes the
  remainder; 2-D `tiles:FxT`: F such runs of rows times T runs of columns, tile index f*T + t. All channels of a
  position share its group.
- A coalition S of groups: the input with every group outside S replaced by the baseline; v(S) = target logit.
- Exact Shapley values: phi_i = sum over S not containing i of |S|!(G-|S|-1)!/G! (v(S u {i}) - v(S)), all 2^G
  coalitions enumerated; efficiency gap = sum(phi) - (v(all) - v(empty)).
- Feature ablation: phi_i = v(all) - v(all groups but i); without groups each position alone.

Models: the tiny seeded networks of attribution_reference.py (weights rebuilt from the same seeds, inputs and
baseline from test/fixtures/attribution-reference.json) and, when ../shared is present, the Potamitis Sequential PSD
model (weights read with h5py, never copied), on the first two inputs of ../shared/reference/models, with a zero
baseline (0 dB) and the data-mean baseline (the moving mean of the model's input batch normalisation, -95.0 dB: the
mean of the training inputs).

Run:  python3 scripts/reference/group_attribution_reference.py  (writes test/fixtures/group-attribution-reference.json)
"""
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from attribution_reference import (  # noqa: E402  (the same float64 layer code as the other references)
    SHARED, REPO, as_float32_layers, logits, r7, tiny_layers, to_torch_input, wingbeats_layers)

OUT = os.path.join(REPO, 'test', 'fixtures', 'group-attribution-reference.json')
torch.set_default_dtype(torch.float64)


def runs(length, count):
    each = length // count
    return [min(count - 1, i // each) for i in range(length)]


def band_mask(spatial, count):
    """Group index per position (spatial shape) of bands:count."""
    rows = runs(spatial[0], count)
    return np.broadcast_to(np.asarray(rows).reshape(-1, *([1] * (len(spatial) - 1))), spatial).copy()


def tile_mask(spatial, f, t):
    rows, cols = runs(spatial[0], f), runs(spatial[1], t)
    return np.asarray([[rows[r] * t + cols[c] for c in range(spatial[1])] for r in range(spatial[0])])


def coalition_values(layers, x, baseline, mask, target, coalitions):
    """v(S) for each coalition (rows of a 0/1 matrix over groups), for one example x: (1, C, *spatial)."""
    mask_t = torch.tensor(mask)
    out = []
    for start in range(0, len(coalitions), 512):
        chunk = coalitions[start:start + 512]
        present = torch.tensor(np.asarray(chunk), dtype=torch.float64)  # (k, G)
        keep = present[:, mask_t.flatten()].view(len(chunk), 1, *mask.shape)  # (k, 1, *spatial)
        inputs = keep * x + (1 - keep) * baseline
        out.append(logits(layers, inputs)[:, target])
    return torch.cat(out)


def exact_shapley(layers, x, baseline, mask, target):
    G = int(mask.max()) + 1
    coalitions = [[(m >> g) & 1 for g in range(G)] for m in range(2 ** G)]
    v = coalition_values(layers, x, baseline, mask, target, coalitions)
    phi = torch.zeros(G)
    for m in range(2 ** G):
        size = bin(m).count('1')
        for g in range(G):
            if not (m >> g) & 1:
                w = math.factorial(size) * math.factorial(G - size - 1) / math.factorial(G)
                phi[g] += w * (v[m | (1 << g)] - v[m])
    return phi, float(phi.sum() - (v[-1] - v[0])), float(v[-1]), float(v[0])


def feature_ablation(layers, x, baseline, mask, target):
    G = int(mask.max()) + 1
    coalitions = [[1] * G] + [[0 if h == g else 1 for h in range(G)] for g in range(G)]
    v = coalition_values(layers, x, baseline, mask, target, coalitions)
    return v[0] - v[1:]


def entry_for(layers, inputs, baselines, masks):
    """inputs: channels-last numpy (n, *spatial, C); baselines: name -> scalar or channels-last array; masks: name -> mask."""
    x = to_torch_input(inputs)
    y = logits(layers, x)
    targets = y.argmax(1).tolist()
    out = dict(targets=targets, logits=r7(y), shapley=[], featureAblation=[])
    for b_name, b in baselines.items():
        base = torch.full_like(x[:1], float(b)) if np.isscalar(b) else to_torch_input(np.asarray(b)[None])
        for m_name, mask in masks.items():
            rows = [exact_shapley(layers, x[e:e + 1], base, mask, targets[e]) for e in range(x.shape[0])]
            out['shapley'].append(dict(baseline=b_name, groups=m_name, values=[r7(r[0]) for r in rows],
                                       gap=[r[1] for r in rows], full=[r[2] for r in rows], empty=[r[3] for r in rows]))
            ablation = [feature_ablation(layers, x[e:e + 1], base, mask, targets[e]) for e in range(x.shape[0])]
            out['featureAblation'].append(dict(baseline=b_name, groups=m_name, values=[r7(a) for a in ablation]))
        positions = np.arange(int(np.prod(inputs.shape[1:-1]))).reshape(inputs.shape[1:-1])
        ablation = [feature_ablation(layers, x[e:e + 1], base, positions, targets[e]) for e in range(x.shape[0])]
        out['featureAblation'].append(dict(baseline=b_name, groups=None, values=[r7(a) for a in ablation]))
    return out


def main():
    fixture = json.load(open(os.path.join(REPO, 'test', 'fixtures', 'attribution-reference.json')))
    doc = dict(about='Reference numbers of scripts/reference/group_attribution_reference.py (float64 PyTorch; '
                     'definitions in its docstring).', torch=torch.__version__, numpy=np.__version__, models={})
    for name, dims, masks in (('tiny1d', 1, {'bands:5': band_mask([10], 5), 'bands:3': band_mask([10], 3)}),
                              ('tiny2d', 2, {'tiles:3x2': tile_mask([6, 4], 3, 2), 'bands:4': band_mask([6, 4], 4)})):
        spec, _ = tiny_layers(dims, 11 if dims == 1 else 12)
        spec = as_float32_layers(spec)
        ref = fixture['models'][name]
        inputs = np.asarray(ref['inputs'], dtype=np.float32).astype(np.float64)
        baseline = np.asarray(ref['baseline'], dtype=np.float32).astype(np.float64)
        doc['models'][name] = entry_for(spec, inputs, {'zeros': 0.0, 'random': baseline}, masks)
    if not os.path.isdir(os.path.join(SHARED, 'models')):
        sys.exit(f'{SHARED}/models is absent: the real-model references need it')
    seq = wingbeats_layers(os.path.join(SHARED, 'models/Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5'),
                           lambda layer, n: f'model_weights/{layer}/{layer}/', 1, 'dense', 'model_weights/')
    data_mean = float(seq[0]['mean'][0])
    ref = json.load(open(os.path.join(SHARED, 'reference/models/Potatamis_Sequential__PSD__Mosquito_CNN_PSD.json')))
    psd_inputs = np.asarray([c['input'] for c in ref['cases'][:2]], dtype=np.float32).astype(np.float64)[:, :, None]
    entry = entry_for(seq, psd_inputs, {'zeros': 0.0, 'data-mean': data_mean}, {'bands:8': band_mask([129], 8)})
    entry.update(model='Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5', dataMean=data_mean,
                 inputIds=[c['input_id'] for c in ref['cases'][:2]])
    doc['models']['potamitis-psd'] = entry
    with open(OUT, 'w') as fh:
        json.dump(doc, fh, separators=(',', ':'))
        fh.write('\n')
    print(f'wrote {OUT} ({os.path.getsize(OUT)} bytes)')


if __name__ == '__main__':
    main()
