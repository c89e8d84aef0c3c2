#!/usr/bin/env python3
"""Float64 PyTorch input gradients (saliency: d(target logit)/d(input)) for the ONNX backend's exactness tests.

The networks are those of scripts/reference/attribution_reference.py (its builders are reused, not copied): the two
tiny seeded networks and the Potamitis PSD and spectrogram models of ../shared (weights read, never copied). Inputs and
targets are those of test/fixtures/attribution-reference.json, so both fixtures describe the same cases. The spectrogram
gradient is kept at that file's 300 sampled cells plus the whole map's sum.

Run:  /usr/bin/python3 scripts/reference/onnx_gradient_reference.py  (writes test/fixtures/onnx-gradient-reference.json)
"""
import importlib.util
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location('attribution_reference', os.path.join(HERE, 'attribution_reference.py'))
ar = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ar)  # sets float64 as torch's default dtype

OUT = os.path.join(ar.REPO, 'test', 'fixtures', 'onnx-gradient-reference.json')


def saliency(layers, inputs_cl, targets):
    x = ar.to_torch_input(inputs_cl)
    classes = ar.logits(layers, x).shape[1]
    g = ar.vjp(lambda t: ar.logits(layers, t), x, ar.one_hot(targets, classes))
    return ar.to_channels_last(g)


def main():
    reference = json.load(open(ar.OUT))['models']
    doc = dict(about=__doc__.strip().splitlines()[0], torch=torch.__version__, models={})
    for name, dims in (('tiny1d', 1), ('tiny2d', 2)):
        layers = ar.as_float32_layers(ar.tiny_layers(dims, 11 if dims == 1 else 12)[0])
        entry = reference[name]
        doc['models'][name] = dict(targets=entry['targets'], gradient=ar.r7(saliency(layers, entry['inputs'], entry['targets'])))
    if not os.path.isdir(os.path.join(ar.SHARED, 'models')):
        sys.exit(f'{ar.SHARED}/models is absent: the real-model references need it')
    psd = ar.wingbeats_layers(os.path.join(ar.SHARED, 'models/Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5'),
                              lambda layer, n: f'model_weights/{layer}/{layer}/', 1, 'dense', 'model_weights/')
    entry = reference['potamitis-psd']
    doc['models']['potamitis-psd'] = dict(targets=entry['targets'], gradient=ar.r7(saliency(psd, entry['inputs'], entry['targets'])))

    def block_prefix(layer, n):
        base = 'CNN_Blocks_SimpleCls/CNN_Blocks_SimpleCls/'
        return base + (f'{layer}/' if n is None else f'conv_block_{n}/{layer}/')
    spectro = ar.wingbeats_layers(os.path.join(ar.SHARED, 'models/Potatamis/spectro/SimpleCls/SimpleCls_spectro_frozen.h5'),
                                  block_prefix, 2, 'dense_species')
    entry = reference['potamitis-spectrogram']
    channel = np.asarray(json.load(open(os.path.join(ar.SHARED, 'reference/spectrogram/b_wingbeat_8k.json')))['model_input_channel'], dtype=np.float32)
    image = np.repeat(channel[None, :, :, None], 3, axis=3)
    g = saliency(spectro, image, entry['targets']).reshape(-1)
    doc['models']['potamitis-spectrogram'] = dict(targets=entry['targets'], sample=entry['sample'],
                                                  gradient=ar.r7(g[entry['sample']]), sum=float(g.sum()), maxAbs=float(g.abs().max()))
    with open(OUT, 'w') as fh:
        json.dump(doc, fh, separators=(',', ':'))
        fh.write('\n')
    print(f'wrote {OUT} ({os.path.getsize(OUT)} bytes)')


if __name__ == '__main__':
    main()
