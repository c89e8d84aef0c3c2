"""Independent reference for ONNX files as models (issue 23).

Exports small PyTorch classifiers with torch.onnx.export (dynamic batch axis, opset 13 and 17) to
test/fixtures/onnx-files/*.onnx (ConvTranspose and Resize among the ops), and writes their float64 logits and input gradients (autograd, target = the top
class of each example; guided-backprop gradients for the ReLU CNNs) for fixed inputs to test/fixtures/onnx-files/reference.json.
For every model with a convolution it adds Grad-CAM (Selvaraju et al. 2017) on the output of the last Conv or
ConvTranspose module the forward pass calls (a forward hook reads it; float64): the layer map ReLU(sum_c w_c A_c) with
w_c the mean gradient over the non-channel axes, the map resized to the input's non-channel axes by F.interpolate
(linear or bilinear, align_corners=False), and guided Grad-CAM (the guided-backprop gradient times the resized map).

Run with Debian's PyTorch (no `onnx` package needed):  /usr/bin/python3 scripts/reference/onnx-files.py
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'onnx-files')


class PsdNet(nn.Module):
    """A Welch-PSD-like 1-D CNN: Conv1d, BatchNorm, ReLU, MaxPool, flatten through view, dropout, Linear, softmax."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(1, 4, 5, padding=2)
        self.bn1 = nn.BatchNorm1d(4)
        self.conv2 = nn.Conv1d(4, 6, 3, stride=2)
        self.drop = nn.Dropout(0.3)
        self.fc = nn.Linear(6 * 7, 5)

    def logits(self, x):
        x = F.max_pool1d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.relu(self.conv2(x))
        x = x.view(x.size(0), -1)
        return self.fc(self.drop(x))

    def forward(self, x):
        return F.softmax(self.logits(x), dim=1)


class SpectrogramNet(nn.Module):
    """A spectrogram-like 2-D CNN: an input BatchNorm (kept as BatchNormalization: no convolution before it to fold
    it into), Conv2d + BatchNorm (folded by the exporter), ReLU, MaxPool, grouped conv, LeakyReLU, adaptive average
    pool, flatten, dropout, Linear (logits)."""

    def __init__(self):
        super().__init__()
        self.bn0 = nn.BatchNorm2d(2)
        self.conv1 = nn.Conv2d(2, 4, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 6, 3, padding=1, groups=2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(6, 3)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(self.bn0(x)))), 2)
        x = F.leaky_relu(self.conv2(x), 0.1)
        x = torch.flatten(self.pool(x), 1)
        return self.fc(self.drop(x))


class OpsNet(nn.Module):
    """Structural ops torch emits: Pad, Clip (hardtanh), Concat, Transpose, Unsqueeze/Squeeze, ReduceMean, GELU (Erf),
    AvgPool, Sigmoid, Gemm."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(3, 4, 3)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        y = self.conv(F.pad(x, (1, 2)))
        y = F.hardtanh(y, -1.0, 1.0)
        y = torch.cat([y, F.gelu(y) * 0.5], 1)
        y = F.avg_pool1d(y, 2, padding=1, count_include_pad=False)
        y = y.transpose(1, 2).unsqueeze(1)
        y = y.mean(dim=2).squeeze(1)
        return self.fc(y * torch.sigmoid(y))


class RecurrentNet(nn.Module):
    """A sequence classifier over [time, features]: a bidirectional LSTM (batch first) and a GRU, then Linear."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(4, 5, batch_first=True, bidirectional=True)
        self.gru = nn.GRU(10, 3, batch_first=True)
        self.fc = nn.Linear(3, 3)

    def forward(self, x):
        y, _ = self.lstm(x)
        _, h = self.gru(y)
        return self.fc(h[0])


class Upsample1dNet(nn.Module):
    """An autoencoder-like 1-D classifier: a strided Conv1d, ConvTranspose1d back up, then Resize as torch writes it
    for F.interpolate: nearest by a scale factor (asymmetric, floor), linear with align_corners=True to a size,
    linear with align_corners=False by a scale factor (half_pixel) and nearest to a size that is no integer multiple.
    Smooth activations (tanh) so that finite differences check the gradients."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 4, 3, stride=2, padding=1)
        self.up = nn.ConvTranspose1d(4, 3, 4, stride=2, padding=1)
        self.fc = nn.Linear(3 * 20, 3)

    def forward(self, x):
        y = torch.tanh(self.conv(x))  # [N, 4, 8]
        y = torch.tanh(self.up(y))  # [N, 3, 16]
        y = F.interpolate(y, scale_factor=2, mode='nearest')  # 32
        y = F.interpolate(y, size=12, mode='linear', align_corners=True)
        y = F.interpolate(y, scale_factor=1.5, mode='linear', align_corners=False)  # 18
        y = F.interpolate(y, size=20, mode='nearest')
        return self.fc(y.flatten(1))


class Upsample2dNet(nn.Module):
    """A U-Net-like 2-D classifier: a strided Conv2d, ConvTranspose2d with output_padding, nn.Upsample (nearest,
    scale 2), bilinear interpolation to sizes with align_corners False and True, a skip connection (a 1×1 Conv2d),
    then Linear."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3, stride=2, padding=1)
        self.up = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1)
        self.skip = nn.Conv2d(2, 2, 1)
        self.upsample = nn.Upsample(scale_factor=2, mode='nearest')
        self.fc = nn.Linear(2 * 5 * 7, 3)

    def forward(self, x):
        y = torch.tanh(self.conv(x))  # [N, 3, 3, 4]
        y = torch.tanh(self.up(y)) + self.skip(x)  # [N, 2, 6, 8]
        y = self.upsample(y)  # [N, 2, 12, 16]
        y = F.interpolate(y, size=(7, 9), mode='bilinear', align_corners=False)
        y = F.interpolate(y, size=(5, 7), mode='bilinear', align_corners=True)
        return self.fc(y.flatten(1))


MODELS = [
    ('psd', PsdNet, (1, 32)),
    ('spectrogram', SpectrogramNet, (2, 8, 6)),
    ('ops', OpsNet, (3, 10)),
    ('recurrent', RecurrentNet, (6, 4)),
    ('upsample1d', Upsample1dNet, (2, 16)),
    ('upsample2d', Upsample2dNet, (2, 6, 8)),
]


def metadata_entry(key, value):
    """A ModelProto metadata_props field (number 14) as protobuf bytes: appending it to a serialized ModelProto adds
    the entry (torch.onnx.export cannot write metadata without the onnx package)."""

    def varint(n):
        out = bytearray()
        while True:
            b = n & 0x7F
            n >>= 7
            out.append(b | (0x80 if n else 0))
            if not n:
                return bytes(out)

    def field(number, data):
        return varint((number << 3) | 2) + varint(len(data)) + data

    return field(14, field(1, key.encode()) + field(2, value.encode()))


class GuidedRelu(torch.autograd.Function):
    """ReLU whose backward pass lets through only positive gradients at positive inputs (guided backpropagation,
    Springenberg et al. 2015), as the library's guided-ReLU rule."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, dy):
        (x,) = ctx.saved_tensors
        return dy * (x > 0) * (dy > 0)


def guided_gradients(model, name, x, targets):
    """Input gradients of the target logits with every F.relu guided (leaky ReLUs keep their plain gradient)."""
    plain = F.relu
    F.relu = GuidedRelu.apply
    try:
        x = x.detach().clone().requires_grad_(True)
        logits = model.logits(x) if name == 'psd' else model(x)
        (gradient,) = torch.autograd.grad(logits.gather(1, targets[:, None]).sum(), x)
    finally:
        F.relu = plain
    return gradient


CONVOLUTIONS = (nn.Conv1d, nn.Conv2d, nn.ConvTranspose1d, nn.ConvTranspose2d)


def model_logits(model, name, x):
    return model.logits(x) if name == 'psd' else model(x)


def last_convolution(model, name, x):
    """The name of the last convolution module the forward pass calls (forward hooks record the order)."""
    called = []
    handles = [
        m.register_forward_hook(lambda m, i, o, key=key: called.append(key))
        for key, m in model.named_modules()
        if isinstance(m, CONVOLUTIONS)
    ]
    try:
        with torch.no_grad():
            model_logits(model, name, x)
    finally:
        for h in handles:
            h.remove()
    return called[-1] if called else None


def grad_cam(model, name, layer, x, targets, guided):
    """Grad-CAM on the output of module `layer`: the layer map, the map resized to the input, guided Grad-CAM."""
    kept = {}
    module = dict(model.named_modules())[layer]
    handle = module.register_forward_hook(lambda m, i, o: kept.setdefault('a', o))
    try:
        logits = model_logits(model, name, x)
    finally:
        handle.remove()
    activations = kept['a']
    (gradient,) = torch.autograd.grad(logits.gather(1, targets[:, None]).sum(), activations)
    spatial = tuple(range(2, activations.dim()))
    weights = gradient.mean(dim=spatial, keepdim=True)
    layer_map = torch.relu((weights * activations).sum(dim=1))
    mode = 'linear' if layer_map.dim() == 2 else 'bilinear'
    resized = F.interpolate(layer_map[:, None], size=x.shape[2:], mode=mode, align_corners=False)[:, 0]
    return {
        'module': layer,
        'layerMap': layer_map.detach().tolist(),
        'map': resized.detach().tolist(),
        'guided': (guided * resized[:, None]).detach().tolist(),
    }


def randomise_batch_norms(model, generator):
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.running_mean.copy_(torch.randn(m.num_features, generator=generator) * 0.3)
            m.running_var.copy_(torch.rand(m.num_features, generator=generator) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=generator) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=generator) * 0.2)


def main():
    os.makedirs(OUT, exist_ok=True)
    reference = {'torch': torch.__version__, 'models': {}}
    for name, make, shape in MODELS:
        torch.manual_seed(7)
        model = make()
        generator = torch.Generator().manual_seed(11)
        with torch.no_grad():
            randomise_batch_norms(model, generator)
        model.eval()
        inputs = torch.randn((3,) + shape, generator=generator)
        for opset in (13, 17):
            path = os.path.join(OUT, f'{name}-opset{opset}.onnx')
            torch.onnx.export(
                model,
                inputs[:1],
                path,
                input_names=['input'],
                output_names=['scores'],
                dynamic_axes={'input': {0: 'batch'}, 'scores': {0: 'batch'}},
                opset_version=opset,
                do_constant_folding=(opset == 17),
            )
            if name == 'psd' and opset == 13:
                with open(path, 'ab') as f:
                    f.write(metadata_entry('labels', json.dumps(['aedes', 'anopheles', 'culex', 'fly', 'bee'])))
        double = make().double()
        double.load_state_dict({k: v.double() for k, v in model.state_dict().items()})
        double.eval()
        x = inputs.double().clone().requires_grad_(True)
        # The project explains logits: a model ending in softmax is explained before it.
        logits = double.logits(x) if name == 'psd' else double(x)
        targets = logits.argmax(dim=1)
        picked = logits.gather(1, targets[:, None]).sum()
        (gradient,) = torch.autograd.grad(picked, x)
        guided = guided_gradients(double, name, inputs.double(), targets) if name in ('psd', 'spectrogram') else None
        layer = last_convolution(double, name, inputs.double())
        reference['models'][name] = {
            'inputShape': list(shape),
            'endsInSoftmax': name == 'psd',
            'inputs': inputs.double().tolist(),
            'logits': logits.detach().tolist(),
            'targets': targets.tolist(),
            'gradients': gradient.tolist(),
        }
        if guided is not None:
            reference['models'][name]['guidedGradients'] = guided.tolist()
        if layer is not None:
            # guided backprop equals the plain gradient on a network without ReLUs
            guided_all = guided if guided is not None else guided_gradients(double, name, inputs.double(), targets)
            reference['models'][name]['gradCam'] = grad_cam(double, name, layer, inputs.double(), targets, guided_all)
    with open(os.path.join(OUT, 'reference.json'), 'w') as f:
        json.dump(reference, f)
        f.write('\n')


if __name__ == '__main__':
    main()
