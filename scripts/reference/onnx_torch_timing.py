#!/usr/bin/python3
"""PyTorch timings for `npm run bench -- onnx` (a stop-gap until the project's PyTorch reference server is used).

One case per call: builds the network of attribution_reference.py (`wingbeats_layers`, reused) from the .h5 weights in
float32, makes seeded inputs of the bench's shapes, runs the case once to warm up and once timed with `threads` intra-op
threads, and prints one JSON line {"ms", "threads", "torch"}. Cases (logits, targets = each input's top class):
forward-spectrogram-64; saliency-spectrogram-64 (|d target/d input|, one forward for the targets and one backward);
ig50-psd-8 and ig50-spectrogram-1 (51 path points per input at alpha = k/50 from a zero baseline, all points in one batch
as Captum's default, trapezoid weights; plus the forward for the targets).

Usage: /usr/bin/python3 scripts/reference/onnx_torch_timing.py CASE THREADS
"""
import importlib.util
import json
import os
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location('attribution_reference', os.path.join(HERE, 'attribution_reference.py'))
ar = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ar)
torch.set_default_dtype(torch.float32)


def as_float32(layers):
    return [{k: (v.float() if isinstance(v, torch.Tensor) else v) for k, v in layer.items()} for layer in layers]


def psd_layers():
    return as_float32(ar.wingbeats_layers(os.path.join(ar.SHARED, 'models/Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5'),
                                          lambda layer, n: f'model_weights/{layer}/{layer}/', 1, 'dense', 'model_weights/'))


def spectrogram_layers():
    def block_prefix(layer, n):
        base = 'CNN_Blocks_SimpleCls/CNN_Blocks_SimpleCls/'
        return base + (f'{layer}/' if n is None else f'conv_block_{n}/{layer}/')
    return as_float32(ar.wingbeats_layers(os.path.join(ar.SHARED, 'models/Potatamis/spectro/SimpleCls/SimpleCls_spectro_frozen.h5'),
                                          block_prefix, 2, 'dense_species'))


def target_gradients(layers, x, targets):
    x = x.detach().requires_grad_(True)
    y = ar.logits(layers, x)
    mask = torch.nn.functional.one_hot(targets, y.shape[1]).to(y.dtype)
    (g,) = torch.autograd.grad((y * mask).sum(), x)
    return g


def top_classes(layers, x):
    with torch.no_grad():
        return ar.logits(layers, x).argmax(1)


def integrated_gradients(layers, x, steps=50):
    targets = top_classes(layers, x)
    alphas = torch.arange(steps + 1, dtype=x.dtype) / steps
    weights = torch.full((steps + 1,), 1.0 / steps)
    weights[0] = weights[-1] = 0.5 / steps
    shape = (-1,) + (1,) * (x.dim() - 1)
    path = (alphas.view(1, *shape) * x.unsqueeze(1)).reshape(-1, *x.shape[1:])
    g = target_gradients(layers, path, targets.repeat_interleave(steps + 1))
    g = g.view(x.shape[0], steps + 1, *x.shape[1:])
    return x * (weights.view(1, *shape) * g).sum(1)


def main():
    case, threads = sys.argv[1], int(sys.argv[2])
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(1)
    if case == 'ig50-psd-8':
        layers, x = psd_layers(), torch.randn(8, 1, 129, generator=g) * 15 - 60
        run = lambda: integrated_gradients(layers, x)
    else:
        layers = spectrogram_layers()
        x = torch.rand(1 if case == 'ig50-spectrogram-1' else 64, 3, 129, 113, generator=g)
        run = {
            'forward-spectrogram-64': lambda: top_classes(layers, x),
            'saliency-spectrogram-64': lambda: target_gradients(layers, x, top_classes(layers, x)).abs(),
            'ig50-spectrogram-1': lambda: integrated_gradients(layers, x),
        }[case]
    run()
    start = time.perf_counter()
    run()
    print(json.dumps(dict(ms=(time.perf_counter() - start) * 1000, threads=torch.get_num_threads(), torch=torch.__version__)))


if __name__ == '__main__':
    main()
