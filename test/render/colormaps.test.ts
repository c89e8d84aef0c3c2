import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  COLORMAPS,
  COLORMAP_NAMES,
  colormap,
  colormapAnchors,
  colormapLut,
  lightness,
  rgbToHex,
  vegaColorScale,
} from '../../src/render/colormaps.js';
import { resolveColorScale } from '../../src/render/color-domain.js';
import { WingbeatsError } from '../../src/util/errors.js';

test('every table has at least 16 anchors', () => {
  for (const name of COLORMAP_NAMES) assert.ok(colormapAnchors(name).length / 3 >= 16, name);
});

test('viridis and inferno endpoints match matplotlib', () => {
  assert.equal(rgbToHex(colormap('viridis')(0)), '#440154');
  assert.equal(rgbToHex(colormap('viridis')(1)), '#fde725');
  assert.equal(rgbToHex(colormap('inferno')(0)), '#000004');
  assert.equal(rgbToHex(colormap('inferno')(1)), '#fcffa4');
  assert.equal(rgbToHex(colormap('viridis')(-3)), '#440154', 'clamped below');
  assert.equal(rgbToHex(colormap('viridis')(7)), '#fde725', 'clamped above');
  assert.equal(rgbToHex(colormap('viridis')(NaN)), '#440154');
});

test('sequential maps have monotonically rising lightness', () => {
  for (const name of COLORMAP_NAMES.filter((n) => COLORMAPS[n].kind === 'sequential')) {
    const map = colormap(name);
    let previous = -Infinity;
    for (let i = 0; i <= 200; i++) {
      const l = lightness(map(i / 200));
      assert.ok(l > previous - 1e-9, `${name}: L* falls at t=${i / 200} (${l} after ${previous})`);
      previous = l;
    }
  }
});

// Moreland's cool-warm is balanced by construction; ColorBrewer's RdBu (hand-tuned) differs by up to 4.4 L*.
const SYMMETRY_TOLERANCE: Record<string, number> = { coolwarm: 0.5, rdbu: 5 };

test('diverging maps are white-ish at the centre and symmetric in lightness', () => {
  for (const name of COLORMAP_NAMES.filter((n) => COLORMAPS[n].kind === 'diverging')) {
    const tolerance = SYMMETRY_TOLERANCE[name] ?? 1;
    const map = colormap(name);
    const centre = lightness(map(0.5));
    assert.ok(centre > 85, `${name}: centre L* ${centre}`);
    for (let i = 0; i <= 50; i++) {
      const t = i / 100;
      assert.ok(Math.abs(lightness(map(t)) - lightness(map(1 - t))) < tolerance, `${name} asymmetric at t=${t}`);
      assert.ok(lightness(map(t)) <= centre + 1e-9, `${name}: lighter than centre at ${t}`);
    }
    const [r0, , b0] = map(0);
    const [r1, , b1] = map(1);
    assert.ok(b0 > r0 && r1 > b1, `${name}: blue at 0, red at 1`);
  }
});

test('signed values get a diverging map on a domain symmetric around 0', () => {
  assert.deepEqual(resolveColorScale([[-0.2, 0.5]]), { colormap: 'rdbu', domain: [-0.5, 0.5], diverging: true });
  assert.deepEqual(resolveColorScale([[0, 0.7]]), { colormap: 'inferno', domain: [0, 1], diverging: false });
  assert.deepEqual(resolveColorScale([[2, 5]], { colormap: 'viridis' }).domain, [2, 5]);
});

test('lut and vega scale agree with the colormap', () => {
  const lut = colormapLut('inferno', 5);
  assert.equal(rgbToHex([lut[6], lut[7], lut[8]]), rgbToHex(colormap('inferno')(0.5)));
  const scale = vegaColorScale('viridis', [0, 2], 3);
  assert.deepEqual(scale.domain, [0, 1, 2]);
  assert.equal(scale.range[2], '#fde725');
});

test('unknown colormap names throw a WingbeatsError naming the choices', () => {
  assert.throws(
    () => colormap('jet' as never),
    (e: unknown) => e instanceof WingbeatsError && /passed to 'colormap' must be one of 'viridis'/.test(e.message),
  );
});
