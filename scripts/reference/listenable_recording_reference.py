"""Independent NumPy version of splitRecording (src/signal/listenable-recording.ts) on deterministic signals.

A recording at 16 kHz (not the presets' 8 kHz) is split by
- a PSD band mask (potamitis-psd: 129 bins of 8000/256 Hz): the model's window (5000 samples at 8 kHz from sample
  700, i.e. samples 1400 ... 11400 here) filtered by a zero-phase filter (FFT of the span zero-padded to a power of two
  >= twice its length, gain linearly interpolated at each FFT bin's Hz, 0 above 4 kHz), zero outside the window;
- a spectrogram mask (potamitis-spectrogram: 129 x 113, frame 256 step 42 at 8 kHz): STFT at 16 kHz with periodic
  Hann frames of 512 samples, hop 84, FFT 512, frames from -ceil(512/84) to ceil(n/84); each frame centred inside the
  window takes the mask bilinearly interpolated at its centre time (model frame index, clamped) and each bin's Hz;
  weighted overlap-add (sum w*frame / sum w^2).
Writes test/fixtures/listenable-recording-reference.json: sampled values of `used` and its energy.
Run: python3 scripts/reference/listenable_recording_reference.py
"""
import json
import math
import os

import numpy as np

RATE = 16000
N = 16000
START = 700  # model window start at 8 kHz
t = np.arange(N)
signal = (np.sin(2 * np.pi * 600 * t / RATE) + 0.5 * np.sin(2 * np.pi * 2500 * t / RATE)
          + 0.3 * np.sin(2 * np.pi * 5000 * t / RATE)).astype(np.float32).astype(np.float64)


def lerp(values, x):
    lo = min(len(values) - 1, max(0, math.floor(x)))
    hi = min(len(values) - 1, lo + 1)
    w = min(1.0, max(0.0, x - lo))
    return values[lo] * (1 - w) + values[hi] * w


def model_bin(hz, bins=129, fft=256, rate=8000):
    k = hz * fft / rate
    return k if k <= bins - 1 + 1e-9 else -1


def psd_split(gains):
    a, b = math.floor(START * 2), min(N, math.ceil((START + 5000) * 2))
    span = b - a
    size = 4
    while size < 2 * span:
        size *= 2
    frame = np.zeros(size)
    frame[:span] = signal[a:b]
    spectrum = np.fft.fft(frame)
    g = np.array([(lambda m: 0.0 if m < 0 else lerp(gains, m))(model_bin(min(j, size - j) * RATE / size))
                  for j in range(size)])
    used = np.zeros(N)
    used[a:b] = np.real(np.fft.ifft(spectrum * g))[:span]
    return used


def spectrogram_split(mask):  # mask[bin][frame], bin 0 = DC
    bins, frames = mask.shape
    ratio = RATE / 8000
    a, b = math.floor(START * ratio), min(N, math.ceil((START + 5000) * ratio))
    L = round(256 * ratio)
    step = max(1, min(round(42 * ratio), L // 2))
    size = 4
    while size < L:
        size *= 2
    w = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(L) / L)
    used = np.zeros(N)
    weight = np.zeros(N)
    bin_of = [model_bin(k * RATE / size) for k in range(size // 2 + 1)]
    for f in range(-math.ceil(L / step), math.ceil(N / step) + 1):
        s = f * step
        centre = s + L / 2
        inside = a <= centre < b
        column = (centre / ratio - START - 128) / 42
        frame = np.zeros(size)
        for i in range(L):
            if 0 <= s + i < N:
                frame[i] = w[i] * signal[s + i]
        gains_half = []
        for k in range(size // 2 + 1):
            m = bin_of[k]
            if not inside or m < 0:
                gains_half.append(0.0)
                continue
            lo = min(bins - 1, math.floor(m))
            hi = min(bins - 1, lo + 1)
            wb = m - lo
            gains_half.append(lerp(mask[lo], column) * (1 - wb) + lerp(mask[hi], column) * wb)
        g = np.array([gains_half[min(j, size - j)] for j in range(size)])
        back = np.real(np.fft.ifft(np.fft.fft(frame) * g))
        for i in range(L):
            if 0 <= s + i < N:
                used[s + i] += w[i] * back[i]
                weight[s + i] += w[i] ** 2
    return used / weight


psd_gains = [1.0 if abs(k - 19.2) <= 3 else 0.0 for k in range(129)]
rng_mask = np.array([[((k * 7 + f * 3) % 11) / 10 for f in range(113)] for k in range(129)])
psd_used = psd_split(psd_gains)
spec_used = spectrogram_split(rng_mask)
picks = list(range(0, N, 397))
out = {
    'description': __doc__.strip().splitlines()[0],
    'rate': RATE, 'length': N, 'start': START, 'picks': picks,
    'psd': {'used': [float(psd_used[i]) for i in picks], 'energy': float((psd_used ** 2).sum())},
    'spectrogram': {'used': [float(spec_used[i]) for i in picks], 'energy': float((spec_used ** 2).sum())},
}
path = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'listenable-recording-reference.json')
with open(path, 'w') as fh:
    json.dump(out, fh, indent=1)
print('psd energy', out['psd']['energy'], 'spectrogram energy', out['spectrogram']['energy'])
