#!/usr/bin/env python3
"""Reference numbers for mel filterbanks and spectrograms in dB (the `values: 'db'` feature recipes), in float64 NumPy.

Written here from the published definitions (librosa is not installed; its documented behaviour is the target):
- mel scales: Slaney (Auditory Toolbox; librosa's default): f / (200/3) below 1 kHz, 15 + ln(f / 1000) / (ln 6.4 / 27)
  above; HTK: 2595 log10(1 + f / 700).
- filterbank (librosa.filters.mel): n_mels + 2 points evenly spaced in mel from fmin to fmax, converted to Hz;
  triangle i rises from point i to i+1 and falls to i+2, evaluated at the FFT bin frequencies linspace(0, sr/2,
  1 + n_fft/2); "slaney" norm divides triangle i by (f[i+2] - f[i]) / 2. Computed here with the vectorised ramp
  construction (outer differences of points and bin frequencies), not the per-bin loop of src/signal/mel.ts.
- STFT: periodic Hann window of frame_length samples, zero-padded to n_fft, frames every hop samples, no scaling;
  center=True pads frame_length / 2 zeros at both ends (librosa >= 0.10 pads with zeros by default). np.fft.rfft.
- the signal is rounded to float32 first, as src/signal/features.ts does with every window;
- dB (librosa.power_to_db): 10 log10(max(amin, S)) - 10 log10(max(amin, ref)), then max(., max - top_db);
  magnitudes use 20 log10 with amin 1e-5 (amplitude_to_db).
Known values checked below: slaney mel(1000 Hz) = 15, mel(6400 Hz) = 42; htk mel(700 Hz) = 2595 log10 2.

Run:  /usr/bin/python3 scripts/reference/mel_reference.py  (writes test/fixtures/mel-reference.json)
"""
import json
import math
import os

import numpy as np


def hz_to_mel(f, scale):
    f = np.asarray(f, dtype=np.float64)
    if scale == "htk":
        return 2595.0 * np.log10(1.0 + f / 700.0)
    return np.where(f < 1000.0, f / (200.0 / 3.0), 15.0 + np.log(np.maximum(f, 1e-300) / 1000.0) / (np.log(6.4) / 27.0))


def mel_to_hz(m, scale):
    m = np.asarray(m, dtype=np.float64)
    if scale == "htk":
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    return np.where(m < 15.0, m * (200.0 / 3.0), 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0)))


def mel_bank(sr, n_fft, n_mels, fmin, fmax, scale, norm):
    bin_hz = np.linspace(0.0, sr / 2.0, 1 + n_fft // 2)
    points = mel_to_hz(np.linspace(hz_to_mel(fmin, scale), hz_to_mel(fmax, scale), n_mels + 2), scale)
    widths = np.diff(points)
    ramps = points[:, None] - bin_hz[None, :]
    rise = -ramps[:-2] / widths[:-1, None]
    fall = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rise, fall))
    if norm == "slaney":
        weights *= (2.0 / (points[2:] - points[:-2]))[:, None]
    return weights, points[1:-1]


def stft_power(x, frame_length, hop, n_fft, center):
    x = np.asarray(x, dtype=np.float64)
    if center:
        x = np.concatenate([np.zeros(frame_length // 2), x, np.zeros(frame_length // 2)])
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(frame_length) / frame_length)
    frames = 1 + (len(x) - frame_length) // hop
    index = np.arange(frame_length)[None, :] + hop * np.arange(frames)[:, None]
    spectrum = np.fft.rfft(x[index] * window, n=n_fft, axis=1)
    return (spectrum.real**2 + spectrum.imag**2).T  # [bins][frames]


def to_db(s, multiplier, ref, top_db):
    amin = 1e-10 if multiplier == 10 else 1e-5
    reference = np.max(s) if ref == "max" else ref
    out = multiplier * np.log10(np.maximum(amin, s)) - multiplier * np.log10(max(amin, reference))
    if top_db is not None:
        out = np.maximum(out, out.max() - top_db)
    return out


def signal(sr, n):
    t = np.arange(n)
    noise = ((t * 7919) % 101 - 50) / 50.0
    return np.sin(2 * np.pi * 440 * t / sr) + 0.5 * np.sin(2 * np.pi * 1234 * t / sr) + 0.01 * noise


def main():
    assert abs(hz_to_mel(1000.0, "slaney") - 15.0) < 1e-12
    assert abs(hz_to_mel(6400.0, "slaney") - 42.0) < 1e-12
    assert abs(hz_to_mel(700.0, "htk") - 2595.0 * math.log10(2.0)) < 1e-12
    out = {"scales": [], "banks": [], "spectrograms": []}
    for scale in ("slaney", "htk"):
        hz = [0.0, 200.0, 999.0, 1000.0, 1001.0, 4000.0, 11025.0]
        out["scales"].append({"scale": scale, "hz": hz, "mel": hz_to_mel(hz, scale).tolist()})
    # Small banks in full; librosa-sized ones (128 and 40 bands) as per-band statistics.
    cases = [
        dict(sr=8000, n_fft=256, n_mels=20, fmin=0.0, fmax=4000.0, scale="slaney", norm="slaney", full=True),
        dict(sr=8000, n_fft=256, n_mels=20, fmin=100.0, fmax=3000.0, scale="htk", norm="none", full=True),
        dict(sr=22050, n_fft=2048, n_mels=128, fmin=0.0, fmax=11025.0, scale="slaney", norm="slaney", full=False),
        dict(sr=16000, n_fft=512, n_mels=40, fmin=20.0, fmax=8000.0, scale="htk", norm="slaney", full=False),
    ]
    for case in cases:
        w, centres = mel_bank(case["sr"], case["n_fft"], case["n_mels"], case["fmin"], case["fmax"], case["scale"], case["norm"])
        entry = {k: v for k, v in case.items() if k != "full"}
        entry["centreHz"] = centres.tolist()
        entry["rowSums"] = w.sum(axis=1).tolist()
        entry["rowMoments"] = (w * np.arange(w.shape[1])[None, :]).sum(axis=1).tolist()
        entry["rowMax"] = w.max(axis=1).tolist()
        if case["full"]:
            entry["weights"] = w.tolist()
        out["banks"].append(entry)
    sr = 8000
    # The feature pipeline rounds each window to float32 before its spectrum (the models saw float32 signals): so here.
    x = signal(sr, 4000).astype(np.float32).astype(np.float64)
    specs = [
        dict(name="mel-power-ref-max-top80-center", frame=256, hop=128, n_fft=256, center=True, scale="mel", n_mels=32,
             fmin=0.0, fmax=4000.0, mel_scale="slaney", norm="slaney", power=2, ref="max", top_db=80.0),
        dict(name="mel-htk-magnitude-ref1", frame=200, hop=80, n_fft=256, center=False, scale="mel", n_mels=24,
             fmin=50.0, fmax=3500.0, mel_scale="htk", norm="none", power=1, ref=1.0, top_db=None),
        dict(name="linear-power-ref1", frame=256, hop=128, n_fft=512, center=False, scale="linear", bins=100,
             power=2, ref=1.0, top_db=None),
    ]
    for spec in specs:
        p = stft_power(x, spec["frame"], spec["hop"], spec["n_fft"], spec["center"])
        s = p if spec["power"] == 2 else np.sqrt(p)
        if spec["scale"] == "mel":
            w, _ = mel_bank(sr, spec["n_fft"], spec["n_mels"], spec["fmin"], spec["fmax"], spec["mel_scale"], spec["norm"])
            s = w @ s
        else:
            s = s[: spec["bins"]]
        db = to_db(s, 10 if spec["power"] == 2 else 20, spec["ref"], spec["top_db"])
        entry = dict(spec)
        entry["sampleRate"] = sr
        entry["db"] = db.tolist()  # [rows][frames], row 0 = lowest frequency
        out["spectrograms"].append(entry)
    out["signal"] = "sin(2 pi 440 n / 8000) + 0.5 sin(2 pi 1234 n / 8000) + 0.01 ((7919 n mod 101) - 50) / 50, n < 4000"
    path = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "mel-reference.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {os.path.normpath(path)} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
