#!/usr/bin/env python3
"""Independent numbers for the input-range warning (src/core/input-range.ts), with h5py and NumPy only.

Reads the moving mean and variance of the first BatchNormalization layer ('batch_norm_0') straight from a Keras
HDF5 file, and for each model input (.npy written by `wingbeats-xai features --out DIR`) computes: the input mean,
the mean distance from the training mean in training standard deviations, and how many positions lie more than
3 training standard deviations above / below it.

Usage: python3 scripts/reference/input_range.py MODEL.h5 NAME=FEATURES.npy ... > test/fixtures/input-range.json
"""
import json
import sys

import h5py
import numpy as np


def batch_norm_0(path):
    found = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset) and "/batch_norm_0/" in name and not name.startswith("optimizer_weights"):
            key = name.split("/")[-1].split(":")[0]
            found.setdefault(key, np.asarray(obj[()], dtype=np.float64))

    with h5py.File(path, "r") as f:
        f.visititems(visit)
    return found["moving_mean"], found["moving_variance"]


def main():
    model, inputs = sys.argv[1], sys.argv[2:]
    mean, variance = batch_norm_0(model)
    std = np.sqrt(variance)
    results = {}
    for spec in inputs:
        name, path = spec.split("=", 1)
        x = np.load(path).astype(np.float64)  # [129, 1]: positions x channels
        z = ((x - mean) / std).mean(axis=-1)
        results[name] = {
            "inputMean": float(x.mean()),
            "deviation": float(z.mean()),
            "above": int((z > 3).sum()),
            "below": int((z < -3).sum()),
            "positions": int(z.size),
        }
    json.dump({"model": model.split("/")[-1], "trainingMean": float(mean.mean()), "trainingStd": float(std.mean()), "inputs": results}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
