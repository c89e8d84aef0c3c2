#!/usr/bin/env python3
"""Float64 NumPy forward passes and central finite-difference input gradients of the small models of
test/models/keras-resizing.test.ts (Keras's preprocessing Resizing and CenterCrop), for
test/fixtures/keras-resizing-reference.json.

resize_bilinear: x [H=5, W=6, C=2]
  r   = Resizing(4, 8, 'bilinear')(x)
  n   = Normalization(axis=-1, mean=[0.2, -0.1], variance=[1.5, 0.5])(r)
  out = Dense(3, softmax)(GlobalAveragePooling2D(Conv2D(3, 3x3, valid, relu)(n)))

crop_nearest: x [H=7, W=5, C=2]
  c   = CenterCrop(5, 3)(x)                                     rows 1..5, columns 1..3
  r   = Resizing(6, 4, 'nearest', crop_to_aspect_ratio=True)(c)  crop box 4 x 3 at (0, 0), then nearest
  out = Dense(3, softmax)(GlobalAveragePooling2D(Conv2D(3, 3x3, valid, relu)(r)))

center_crop_upsize: x [H=3, W=4, C=1]
  c   = CenterCrop(5, 5)(x)     smaller than the crop: Keras's smart_resize (crop 3 x 3 at (0, 0), bilinear to 5 x 5)
  out = Dense(3, softmax)(Flatten(c))

tf.image.resize as TensorFlow's kernels define it (resize_images_v2, half_pixel_centers=True, no antialiasing):
bilinear: in = (o + 0.5) · in_size / out_size − 0.5, lower = max(⌊in⌋, 0), upper = min(⌈in⌉, in_size − 1),
y = x[lower] + (x[upper] − x[lower]) · (in − ⌊in⌋), per axis (separable); nearest: min(⌊(o + 0.5) · in_size /
out_size⌋, in_size − 1). Keras's crop_to_aspect_ratio / smart_resize: crop_h = clamp(⌊W · th / tw⌋, 1, H), start
⌊(H − crop_h) / 2⌋, likewise for the width. CenterCrop: start ⌊(H − h) / 2⌋ when the input is at least the crop.

Weights are drawn here (seeded) and rounded to float32; the fixture holds them with their Keras names, the inputs, the
logits (before the final softmax) and the gradient of the top logit with respect to the input.

Usage: /usr/bin/python3 scripts/reference/keras_resizing_reference.py > test/fixtures/keras-resizing-reference.json
(Debian's python3-numpy)
"""
import json
import math

import numpy as np

EPSILON = 1e-7


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def resize_axis(x, axis, out_size, method):
    """x resized along `axis` to out_size cells, cell by cell from TensorFlow's definition."""
    in_size = x.shape[axis]
    scale = in_size / out_size
    moved = np.moveaxis(x, axis, 0)
    out = np.zeros((out_size,) + moved.shape[1:])
    for o in range(out_size):
        if method == 'nearest':
            # TensorFlow's kernel works in float32: floor(fl32(fl32(o + 0.5) * fl32(in / out)))
            source = np.float32(np.float32(o + 0.5) * np.float32(in_size / out_size))
            out[o] = moved[min(math.floor(source), in_size - 1)]
        else:
            source = (o + 0.5) * scale - 0.5
            lower = max(math.floor(source), 0)
            upper = min(math.ceil(source), in_size - 1)
            frac = source - math.floor(source)
            out[o] = moved[lower] + (moved[upper] - moved[lower]) * frac
    return np.moveaxis(out, 0, axis)


def keras_resize(x, size, method, crop_to_aspect_ratio):
    """Keras's Resizing of an [H, W, C] image."""
    h, w = x.shape[0], x.shape[1]
    th, tw = size
    if crop_to_aspect_ratio:
        ch = max(min(h, int(w * th / tw)), 1)
        cw = max(min(w, int(h * tw / th)), 1)
        hs, ws = int((h - ch) / 2), int((w - cw) / 2)
        x = x[hs:hs + ch, ws:ws + cw]
    return resize_axis(resize_axis(x, 0, th, method), 1, tw, method)


def center_crop(x, size):
    h, w = x.shape[0], x.shape[1]
    th, tw = size
    if h >= th and w >= tw:
        hs, ws = (h - th) // 2, (w - tw) // 2
        return x[hs:hs + th, ws:ws + tw]
    return keras_resize(x, size, 'bilinear', True)


def conv2d_valid(x, kernel, bias):
    kh, kw, _, filters = kernel.shape
    oh, ow = x.shape[0] - kh + 1, x.shape[1] - kw + 1
    y = np.zeros((oh, ow, filters))
    for i in range(oh):
        for j in range(ow):
            y[i, j] = np.tensordot(x[i:i + kh, j:j + kw], kernel, axes=3) + bias
    return y


def make_case(shape, forward, weight_shapes, seed, examples=2):
    rng = np.random.default_rng(seed)
    weights = {name: f32(0.6 * rng.standard_normal(s)) for name, s in weight_shapes}
    case = {
        'shape': list(shape),
        'weights': [{'name': n, 'shape': list(v.shape), 'values': v.ravel().tolist()} for n, v in weights.items()],
        'examples': [],
    }
    for _ in range(examples):
        x = f32(rng.standard_normal(shape))
        logits = forward(x, weights)
        target = int(np.argmax(logits))
        grad = np.zeros(x.size)
        flat = x.ravel()
        h = 1e-6
        for i in range(x.size):
            up, down = flat.copy(), flat.copy()
            up[i] += h
            down[i] -= h
            grad[i] = (forward(up.reshape(shape), weights)[target] - forward(down.reshape(shape), weights)[target]) / (2 * h)
        case['examples'].append({'input': flat.tolist(), 'logits': logits.tolist(), 'target': target, 'gradient': grad.tolist()})
    return case


def head(x, w):
    y = np.maximum(conv2d_valid(x, w['conv2d/kernel'], w['conv2d/bias']), 0)
    return y.mean(axis=(0, 1)) @ w['dense/kernel'] + w['dense/bias']


CONV_HEAD = [('conv2d/kernel', (3, 3, 2, 3)), ('conv2d/bias', (3,)), ('dense/kernel', (3, 3)), ('dense/bias', (3,))]


def resize_bilinear(x, w):
    r = keras_resize(x, (4, 8), 'bilinear', False)
    n = (r - np.array([0.2, -0.1])) / np.maximum(np.sqrt(np.array([1.5, 0.5])), EPSILON)
    return head(n, w)


def crop_nearest(x, w):
    return head(keras_resize(center_crop(x, (5, 3)), (6, 4), 'nearest', True), w)


def center_crop_upsize(x, w):
    return center_crop(x, (5, 5)).ravel() @ w['dense/kernel'] + w['dense/bias']


if __name__ == '__main__':
    print(json.dumps({
        'resize_bilinear': make_case((5, 6, 2), resize_bilinear, CONV_HEAD, 23),
        'crop_nearest': make_case((7, 5, 2), crop_nearest, CONV_HEAD, 24),
        'center_crop_upsize': make_case((3, 4, 1), center_crop_upsize, [('dense/kernel', (25, 3)), ('dense/bias', (3,))], 25),
    }))
