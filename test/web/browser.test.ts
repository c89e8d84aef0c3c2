/**
 * The browser page in a real browser: builds web/ into a temporary folder, serves it on 127.0.0.1, drives Debian's
 * Chromium with playwright-core, explains a demo recording with several methods through the UI, and checks that the
 * page computed the same features and attributions as the library in Node — on ONNX Runtime Web (the default engine for
 * a model that lowers to ONNX) and on TensorFlow.js (forced, or for a model that does not lower, after a notice).
 * Also issue 25, HDF5 in the page (on a page of its own in the same browser): a picked `.h5` (and the
 * `model.weights.h5` of a `.keras`) is read in a Web Worker under the time limit Node uses. A file on which libhdf5
 * loops gives one clean page message within the limit while the page stays responsive; a `.keras` whose weights hold
 * a DAG of 2^40 paths and a link cycle loads; sound files load. (Those checks had a file of their own, which built
 * the page and started Chromium again: 9 s of CPU for the build and 4 s for the browser.)
 * Skips when /usr/bin/chromium is absent.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import type { Browser, Page } from 'playwright-core';
import { chromiumMissing, launchChromium } from './chromium.js';
import * as tf from '@tensorflow/tfjs';
import {
  AUDIO_OPTIONS,
  attributionMethods,
  audioPartCaption,
  computeFeatures,
  decodeWav,
  modelWindow,
  nestArray,
  relevanceMask,
  splitRecording,
  disposeAttribution,
  featuresFromRecording,
  loadModel,
  loadModelBytes,
  setupBackend,
  type AttributionMethodName,
  type ExplainableModel,
} from '../../src/index.js';
import type { ExplainRecord, PageState } from '../../web/main.js';
import { ENGINE_CHOICES } from '../../src/execution/execution-settings.js';
import { compileGradientGraph } from '../../src/onnx/compile-gradient-graph.js';
import { H5_READ_TIMEOUT_MS } from '../../src/models/hdf5.js';
import { makeCase } from '../../scripts/fuzz/cases.js';
import { buildSeeds, functionalConfig, functionalWeights, kerasH5Bytes } from '../../scripts/fuzz/seeds.js';
import { linkedGroupsFile } from '../hostile/hostile-h5.js';
import { sharedDir, skipWithoutShared } from '../helpers.js';
import { saveModelJson } from '../cli/cli-helpers.js';
import * as wavefileModule from 'wavefile';

const WaveFile = (wavefileModule as any).WaveFile ?? (wavefileModule as any).default.WaveFile;

const ROOT = resolve(import.meta.dirname, '..', '..');
const RECORDING = 'Ae_aegypti_synthetic.wav';
const SPECIES = 'Ae_aegypti';
const METHODS: AttributionMethodName[] = ['saliency', 'integrated-gradients', 'grad-cam', 'lrp'];
const SCREENSHOT = join(tmpdir(), 'wingbeats-xai-web.png');
const SCREENSHOT_LISTENING = join(tmpdir(), 'wingbeats-xai-web-listening.png');
const SCREENSHOT_SHAP = join(tmpdir(), 'wingbeats-xai-web-deeplift-shap.png');
/** Three other demo recordings: the background set of the SHAP methods with baselines from the data. */
const BACKGROUND = ['Ae_albopictus_synthetic.wav', 'An_gambiae_synthetic.wav', 'Cu_pipiens_synthetic.wav'];

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.wav': 'audio/wav',
  '.bin': 'application/octet-stream',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** A static server for `root` on 127.0.0.1 (random port); refuses paths outside it. */
async function serve(root: string): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    void (async () => {
      const path = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
      const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
      if (file !== root && !file.startsWith(root + sep)) {
        response.writeHead(403).end();
        return;
      }
      try {
        if (!(await stat(file)).isFile()) throw new Error('not a file');
        const body = await readFile(file);
        response
          .writeHead(200, {
            'content-type': MIME[extname(file)] ?? 'application/octet-stream',
            'cache-control': 'no-store',
          })
          .end(body);
      } catch {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      }
    })();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

/** Largest |a − b| over max |b| (relative to the reference's scale). */
function relativeMaxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths differ');
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / Math.max(scale, 1e-30);
}

async function loadDemoModelInNode(): Promise<ExplainableModel> {
  const dir = join(ROOT, 'assets', 'demo-model');
  const labels = JSON.parse(await readFile(join(dir, 'labels.json'), 'utf8')) as Record<string, string[]>;
  const weights = await readFile(join(dir, 'weights.bin'));
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength);
  return loadModelBytes(new Uint8Array(await readFile(join(dir, 'model.json'))), {
    fileName: 'model.json',
    weightData,
    labels,
    name: 'wingbeats-demo',
  });
}

// The whole suite (about 45 s on a quiet 2-core machine, 15 s of it the HDF5 time limit; 3–4× that when it is shared
// with other jobs).
describe('web page in Chromium', { skip: chromiumMissing, timeout: 330_000 }, () => {
  let outDir = '';
  let server: Server | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let url = '';
  const pageErrors: string[] = [];

  before(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'wingbeats-web-'));
    const built = spawnSync(process.execPath, [join(ROOT, 'web', 'build.mjs'), '--out', outDir], { encoding: 'utf8' });
    assert.equal(built.status, 0, `web build failed:\n${built.stdout}${built.stderr}`);
    ({ server, url } = await serve(outDir));
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await page.goto(url);
    await page.waitForFunction(() => ['ready', 'error'].includes(window.__wingbeats?.state), undefined, {
      timeout: 20_000,
    });
  });

  after(async () => {
    await browser?.close();
    await new Promise<void>((done) => (server === undefined ? done() : server.close(() => done())));
    if (outDir !== '') await rm(outDir, { recursive: true, force: true });
  });

  test('the bundle imports no Node built-in', async () => {
    const bundle = await readFile(join(outDir, 'main.js'), 'utf8');
    assert.doesNotMatch(bundle, /(?:from\s*|import\s*\(\s*|require\s*\(\s*)["']node:/);
  });

  test('starts on the wasm backend with the demo model and menus derived from the registries', async () => {
    const state = await page.evaluate(() => window.__wingbeats);
    assert.equal(state.error, null, `page error: ${state.error}`);
    assert.equal(state.backend, 'wasm');
    assert.equal(await page.getAttribute('body', 'data-backend'), 'wasm');
    assert.equal(await page.isHidden('#notice'), true, 'no fallback notice on wasm');
    assert.equal(await page.isHidden('#engine-notice'), true, 'no engine notice');
    // The Engine menu: one entry per engine choice of the library, 'auto' (ONNX Runtime Web when the model lowers)
    // first, except CUDA, which only Node has.
    const engines = await page.$$eval('#engine option', (options) =>
      options.map((o) => (o as HTMLOptionElement).value),
    );
    assert.deepEqual(
      engines,
      ENGINE_CHOICES.filter((choice) => choice !== 'onnx-cuda'),
    );
    assert.equal(await page.inputValue('#engine'), 'auto');
    assert.equal(
      state.onnxThreads,
      state.workers,
      'ONNX Runtime Web on every core (the page and its run-pool workers), although the page is not cross-origin isolated',
    );
    const methods = await page.$$eval('#method option', (options) =>
      options.map((o) => (o as HTMLOptionElement).value),
    );
    // Every registry method but those that need a file the page does not take (the SHAP background set).
    const offered = Object.values(attributionMethods)
      .filter((m) => !m.options.some((o) => o.type === 'file' && !('default' in o)))
      .map((m) => m.name);
    assert.deepEqual(methods, offered);
    assert.ok(methods.includes('shapley') && !methods.includes('deeplift-shap'), methods.join(', '));
    const targets = await page.$$eval('#target option', (options) => options.map((o) => o.textContent));
    assert.equal(targets.length, 7);
    assert.match(targets[1] ?? '', /Ae_aegypti/);
    assert.deepEqual(await page.$$eval('#head option', (options) => options.map((o) => o.textContent)), ['species']);
    assert.equal(await page.inputValue('#preset'), 'potamitis-psd');
    const recordings = await page.$$eval('#input-source option', (options) =>
      options.map((o) => (o as HTMLOptionElement).value),
    );
    assert.ok(recordings.includes(`demo/recordings/${RECORDING}`), recordings.join(', '));
  });

  test('explains a demo recording with two methods; the page and Node agree to float32 precision', async (t) => {
    await setupBackend({ warn: () => undefined });
    const model = await loadDemoModelInNode();
    const recording = decodeWav(new Uint8Array(await readFile(join(ROOT, 'assets', 'demo-recordings', RECORDING))), {
      name: RECORDING,
    });
    const features = featuresFromRecording(recording, 'potamitis-psd');
    try {
      await page.selectOption('#input-source', `demo/recordings/${RECORDING}`);
      for (const [run, method] of METHODS.entries()) {
        await page.selectOption('#method', method);
        // Tuning inputs appear only for the methods the registry says take them.
        assert.equal(
          await page.isVisible('#option-steps'),
          attributionMethods[method].options.some((o) => o.name === 'steps'),
        );
        assert.equal(await page.isVisible('#option-noiseSamples'), false);
        if (method === 'integrated-gradients') {
          // 10 Gauss–Legendre nodes: with 12 or 16 the node nearest 0 (α = 0.0092 for 12) meets a near-tie in the first
          // max pooling (two window values 5e-6 apart), and float32 rounding that differs between engines (onnxruntime-web's
          // wasm kernels against TensorFlow.js) can pick the other maximum there, routing one row's gradient to
          // neighbouring positions (0.4 % of the largest attribution) — a discontinuity of the gradient, not an error.
          await page.fill('#option-steps', '10');
          await page.selectOption('#option-integration', 'gauss-legendre');
        }
        // One control per option, generated from the method's specs (a baseline file is a command-line option).
        const generated = await page.$$eval('#method-options [data-option]', (controls) =>
          controls.map((c) => (c as HTMLElement).dataset.option),
        );
        assert.deepEqual(
          generated,
          attributionMethods[method].options.filter((o) => o.type !== 'file').map((o) => o.name),
        );
        if (method === 'lrp') {
          await page.selectOption('#option-rule', 'alpha-beta');
          await page.fill('#option-alpha', '1');
          await page.fill('#option-beta', '0');
          await page.check('#option-foldBatchNorm');
        }
        await page.click('#explain');
        await page.waitForFunction(
          (n) => window.__wingbeats.runs === n || window.__wingbeats.state === 'error',
          run + 1,
          { timeout: 20_000 },
        );
        const state: PageState = await page.evaluate(() => window.__wingbeats);
        assert.equal(state.error, null, `page error: ${state.error}`);
        const record = state.last as ExplainRecord;
        assert.equal(record.method, method);
        assert.equal(record.items.length, 1);
        // Gradients, integrated gradients, LRP (its rules override the ONNX ops' gradients) and Grad-CAM (its layer's
        // activations and their gradient) run on ONNX Runtime Web by default.
        assert.equal(record.engineChoice, 'auto');
        assert.equal(record.engine, 'onnx', method);
        const item = record.items[0];

        // what the page shows
        assert.equal(item.targetName, SPECIES);
        assert.match((await page.textContent('#output article h2')) ?? '', new RegExp(`predicted ${SPECIES}`));
        assert.equal((await page.textContent('#output table.prediction tr.top td'))?.startsWith(SPECIES), true);
        assert.equal(await page.locator('#output .chart svg').count(), 1);
        assert.ok((await page.locator('#output .chart svg').innerHTML()).length > 1000, 'the chart SVG has content');

        // the same computation in Node
        assert.ok(
          relativeMaxDiff(item.input, features.data) <= 1e-6,
          `features differ: ${relativeMaxDiff(item.input, features.data)}`,
        );
        const x = tf.tensor(features.data, [1, ...features.shape]);
        if (method === 'integrated-gradients')
          assert.deepEqual(record.tuning, { steps: 10, integration: 'gauss-legendre' });
        if (method === 'lrp')
          assert.deepEqual(record.tuning, {
            rule: 'alpha-beta',
            epsilon: 1e-6,
            gamma: 0.25,
            alpha: 1,
            beta: 0,
            foldBatchNorm: true,
          });
        const result = await attributionMethods[method].run(model, x, {
          ...record.tuning,
          output: record.output,
          target: record.target ?? undefined,
          seed: record.seed,
        });
        try {
          assert.deepEqual(result.targets, [item.target]);
          const attributions = await result.attributions.data();
          const diff = relativeMaxDiff(item.attributions, attributions);
          t.diagnostic(`${method}: browser vs Node attributions, max |diff| / max |value| = ${diff.toExponential(2)}`);
          assert.ok(
            diff <= 1e-5,
            `${method}: browser and Node attributions differ by ${diff.toExponential(2)} of max |value|`,
          );
          const probabilities = await (result.probabilities as tf.Tensor).data();
          assert.ok(
            relativeMaxDiff(item.probabilities ?? [], probabilities) <= 1e-5,
            `${method}: probabilities differ`,
          );
        } finally {
          disposeAttribution(result);
          x.dispose();
        }
      }
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      assert.deepEqual(pageErrors, []);
    } finally {
      model.layersModel?.dispose();
    }
  });

  test('listening: the recording and what the model used and ignored play at one gain, add up, and are classified as the library does', async () => {
    await setupBackend({ warn: () => undefined });
    const model = await loadDemoModelInNode();
    const bytes = new Uint8Array(await readFile(join(ROOT, 'assets', 'demo-recordings', RECORDING)));
    const recording = decodeWav(bytes, { name: RECORDING });
    const features = featuresFromRecording(recording, 'potamitis-psd');
    try {
      // The mask's controls come from the library's option specs, with its defaults.
      assert.equal(await page.inputValue('#option-audioMask'), AUDIO_OPTIONS[1].default);
      assert.equal(Number(await page.inputValue('#option-audioShare')), AUDIO_OPTIONS[2].default);
      assert.match((await page.textContent('#listening-hint')) ?? '', /^Split each recording into what the model used/);
      await page.selectOption('#model-source', 'demo');
      await page.selectOption('#input-source', `demo/recordings/${RECORDING}`);
      await page.selectOption('#method', 'saliency');
      const runs = await page.evaluate(() => window.__wingbeats.runs);
      await page.click('#explain');
      await page.waitForFunction(
        (n) => window.__wingbeats.runs === n + 1 || window.__wingbeats.state === 'error',
        runs,
        { timeout: 20_000 },
      );
      const record = (await page.evaluate(() => window.__wingbeats.last)) as ExplainRecord;
      assert.equal(await page.evaluate(() => window.__wingbeats.error), null);
      assert.deepEqual(record.listening, { audioMask: 'hard', audioShare: 0.2, audioUnseen: 'ignored' });
      const item = record.items[0];
      const audio = item.audio;
      assert.ok(audio !== undefined, 'the record carries the audio entry');

      // Three players with the report's captions (one function for both).
      assert.equal(await page.locator('#output .listening audio').count(), 3);
      const captions = await page.$$eval('#output .listening .part-caption', (c) => c.map((e) => e.textContent));
      assert.deepEqual(captions, [
        'The recording',
        audioPartCaption('used', audio.used),
        audioPartCaption('ignored', audio.ignored),
      ]);

      // The players' sources, decoded by Chromium at the recording's rate: its length, one gain for all three, and
      // used + ignored = the recording.
      const decoded = await page.evaluate(async () => {
        const out: { part: string; sampleRate: number; samples: number[] }[] = [];
        for (const element of Array.from(document.querySelectorAll<HTMLElement>('#output .listening .part'))) {
          const player = element.querySelector('audio') as HTMLAudioElement;
          const bytes = await (await fetch(player.src)).arrayBuffer();
          // Decoded in a context at the rate the file states (decodeAudioData resamples to its context's rate).
          const context = new OfflineAudioContext(1, 1, new DataView(bytes).getUint32(24, true));
          const buffer = await context.decodeAudioData(bytes);
          out.push({
            part: element.dataset.part ?? '',
            sampleRate: buffer.sampleRate,
            samples: Array.from(buffer.getChannelData(0)),
          });
        }
        return out;
      });
      assert.deepEqual(
        decoded.map((d) => [d.part, d.sampleRate, d.samples.length]),
        ['original', 'used', 'ignored'].map((part) => [part, recording.sampleRate, recording.samples.length]),
      );
      const [original, used, ignored] = decoded.map((d) => d.samples);
      const gain = audio.playbackGain;
      assert.ok(
        relativeMaxDiff(
          original,
          Array.from(recording.samples, (v) => v * gain),
        ) <= 1e-6,
        'original × gain',
      );
      assert.ok(
        relativeMaxDiff(
          used.map((u, t) => u + ignored[t]),
          original,
        ) <= 1e-6,
        'used + ignored = original',
      );
      const loudest = Math.max(...[original, used, ignored].map((x) => Math.max(...x.map(Math.abs))));
      assert.ok(Math.abs(loudest - 0.9) <= 1e-6, `the loudest of the three peaks at 0.9 (got ${loudest})`);

      // The downloads are the CLI's files: the library's split of this recording by the page's heatmap, float32, at the
      // common gain.
      assert.equal(audio.playbackGain, audio.gain.value);
      const files: Record<string, Float32Array> = {};
      for (const part of ['used', 'ignored']) {
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          page.click(`#output .listening .wav-links a[data-part="${part}"]`),
        ]);
        assert.equal(download.suggestedFilename(), `${RECORDING}.${part}.wav`, "the CLI's file name");
        const wav = decodeWav(new Uint8Array(await readFile((await download.path()) as string)), { name: part });
        assert.equal(wav.sampleRate, recording.sampleRate);
        // The files hold part × the common gain (the JSON's audio.gain); back at the recording's level here.
        files[part] = Float32Array.from(wav.samples, (v) => v / audio.gain.value);
      }
      const split = splitRecording(
        recording.samples,
        recording.sampleRate,
        relevanceMask(item.heatmap, { mapping: 'hard', share: 0.2 }),
        features.settings,
        features.start,
      );
      assert.ok(relativeMaxDiff(files.used, split.used) <= 1e-6, 'used part as the library splits it');
      assert.ok(relativeMaxDiff(files.ignored, split.ignored) <= 1e-6, 'ignored part as the library splits it');
      const sum = Array.from(files.used, (u, t) => u + files.ignored[t]);
      assert.ok(relativeMaxDiff(sum, recording.samples) <= 1e-6, 'the downloaded parts add up to the recording');

      // Re-classification: the model in Node on the downloaded WAV files gives the page's classes and probabilities.
      for (const part of ['used', 'ignored'] as const) {
        const window = modelWindow(
          files[part],
          recording.sampleRate,
          features.start,
          features.settings.windowLength,
          features.settings.sampleRate,
        );
        const input = computeFeatures(window, features.settings);
        const p = tf.tidy(() =>
          Array.from(
            model
              .run(tf.tensor(input.data, [1, ...input.shape]), { outputIndex: record.output, scores: 'probabilities' })
              .dataSync(),
          ),
        );
        const best = p.indexOf(Math.max(...p));
        assert.equal(audio[part].predicted, best, `${part}: predicted class`);
        assert.ok(Math.abs((audio[part].probability ?? -1) - p[best]) <= 1e-5, `${part}: probability`);
      }
      // Chromium's players load them too (32-bit float WAV): the recording's duration.
      await page.waitForFunction(
        () => Array.from(document.querySelectorAll('audio')).every((a) => a.readyState >= 1),
        undefined,
        { timeout: 10_000 },
      );
      const durations = await page.$$eval('#output .listening audio', (a) =>
        a.map((e) => (e as HTMLAudioElement).duration),
      );
      for (const d of durations)
        assert.ok(Math.abs(d - recording.samples.length / recording.sampleRate) < 1e-3, `${d} s`);
      await page.screenshot({ path: SCREENSHOT_LISTENING, fullPage: true });
      assert.deepEqual(pageErrors, []);
    } finally {
      model.layersModel?.dispose();
    }
  });

  test('gradient SHAP and DeepLIFT SHAP: offered once a background set is picked, the same numbers as the library', async (t) => {
    const methods = (): Promise<string[]> =>
      page.$$eval('#method option', (options) => options.map((o) => (o as HTMLOptionElement).value));
    await page.selectOption('#model-source', 'demo');
    await page.selectOption('#input-source', `demo/recordings/${RECORDING}`);
    assert.ok(!(await methods()).includes('gradient-shap'), 'hidden without a background set');
    assert.match(
      (await page.textContent('#background-hint')) ?? '',
      new RegExp(
        `^${attributionMethods['gradient-shap'].title} and ${attributionMethods['deeplift-shap'].title} need a background set`,
      ),
    );
    await page.setInputFiles(
      '#background-files',
      BACKGROUND.map((name) => join(ROOT, 'assets', 'demo-recordings', name)),
    );
    assert.ok((await methods()).includes('gradient-shap') && (await methods()).includes('deeplift-shap'));
    assert.match((await page.textContent('#background-hint')) ?? '', /^Background set: 3 files/);

    await setupBackend({ warn: () => undefined });
    const model = await loadDemoModelInNode();
    const features = featuresFromRecording(
      decodeWav(new Uint8Array(await readFile(join(ROOT, 'assets', 'demo-recordings', RECORDING))), {
        name: RECORDING,
      }),
      'potamitis-psd',
    );
    const background = await Promise.all(
      BACKGROUND.map(async (name) => {
        const f = featuresFromRecording(
          decodeWav(new Uint8Array(await readFile(join(ROOT, 'assets', 'demo-recordings', name))), { name }),
          'potamitis-psd',
        );
        return nestArray(f.data, f.shape);
      }),
    );
    try {
      for (const method of ['gradient-shap', 'deeplift-shap'] as const) {
        await page.selectOption('#method', method);
        await page.fill('#seed', '3');
        const runs = await page.evaluate(() => window.__wingbeats.runs);
        await page.click('#explain');
        await page.waitForFunction(
          (n) => window.__wingbeats.runs === n + 1 || window.__wingbeats.state === 'error',
          runs,
          { timeout: 20_000 },
        );
        assert.equal(await page.evaluate(() => window.__wingbeats.error), null);
        const record = (await page.evaluate(() => window.__wingbeats.last)) as ExplainRecord;
        assert.equal(record.method, method);
        assert.deepEqual(record.background, BACKGROUND);
        const x = tf.tensor(features.data, [1, ...features.shape]);
        const result = await attributionMethods[method].run(model, x, {
          ...record.tuning,
          background,
          output: record.output,
          target: record.target ?? undefined,
          seed: record.seed,
        });
        try {
          assert.equal(record.seed, 3);
          assert.deepEqual(result.targets, [record.items[0].target]);
          const diff = relativeMaxDiff(record.items[0].attributions, await result.attributions.data());
          t.diagnostic(
            `${method} (${record.engine}): browser vs Node, max |diff| / max |value| = ${diff.toExponential(2)}`,
          );
          assert.ok(diff <= 1e-5, `${method}: browser and Node attributions differ by ${diff.toExponential(2)}`);
          assert.ok(Math.abs((record.items[0].delta ?? 0) - (result.delta?.[0] ?? 0)) <= 1e-4);
        } finally {
          disposeAttribution(result);
          x.dispose();
        }
      }
      await page.screenshot({ path: SCREENSHOT_SHAP, fullPage: true });
      // Without the background set the methods go again and the menu falls back to the default method.
      await page.setInputFiles('#background-files', []);
      assert.ok(!(await methods()).includes('deeplift-shap'));
      assert.equal(await page.inputValue('#method'), 'saliency');
      await page.fill('#seed', '0');
      assert.deepEqual(pageErrors, []);
    } finally {
      model.layersModel?.dispose();
    }
  });

  test(
    'loads a Keras .h5 through the file input (h5wasm in the bundle) and explains its species head',
    { skip: skipWithoutShared },
    async () => {
      const file = join(sharedDir, 'models', 'Potatamis', 'psd', 'HieraEmbCls', 'HieraEmbCls_psd_frozen.h5');
      await page.selectOption('#model-source', 'file');
      await page.setInputFiles('#model-files', file);
      await page.waitForFunction(
        () =>
          (document.querySelector('#model-hint')?.textContent ?? '').startsWith('HieraEmbCls') ||
          window.__wingbeats.state === 'error',
        undefined,
        { timeout: 20_000 },
      );
      assert.equal(await page.evaluate(() => window.__wingbeats.error), null);
      assert.deepEqual(await page.$$eval('#head option', (options) => options.map((o) => o.textContent)), [
        'embedding',
        'genus',
        'species',
      ]);
      assert.equal(
        await page.$eval('#head', (select) => (select as HTMLSelectElement).selectedOptions[0]?.textContent),
        'species',
      );
      await page.selectOption('#input-source', `demo/recordings/${RECORDING}`);
      await page.selectOption('#method', 'saliency');
      const runs = await page.evaluate(() => window.__wingbeats.runs);
      await page.click('#explain');
      await page.waitForFunction(
        (n) => window.__wingbeats.runs === n + 1 || window.__wingbeats.state === 'error',
        runs,
        { timeout: 20_000 },
      );
      const state: PageState = await page.evaluate(() => window.__wingbeats);
      assert.equal(state.error, null, `page error: ${state.error}`);
      const record = state.last as ExplainRecord;
      assert.equal(record.output, 2);
      assert.equal(await page.locator('#output .chart svg').count(), 1);

      const model = await loadModel(file);
      const x = tf.tensor(record.items[0].input, [1, 129, 1]);
      const result = await attributionMethods.saliency.run(model, x, { output: 'species' });
      try {
        assert.deepEqual(result.targets, [record.items[0].target]);
        assert.ok(relativeMaxDiff(record.items[0].attributions, await result.attributions.data()) <= 1e-5);
      } finally {
        disposeAttribution(result);
        x.dispose();
        model.layersModel?.dispose();
        await page.selectOption('#model-source', 'demo');
      }
    },
  );

  test('shows a failure as one clear line, not a blank page', async () => {
    await page.selectOption('#input-source', 'file');
    await page.setInputFiles('#input-file', {
      name: 'broken.wav',
      mimeType: 'audio/wav',
      buffer: Buffer.from('not a wav file at all'),
    });
    await page.click('#explain');
    await page.waitForFunction(() => window.__wingbeats.state === 'error', undefined, { timeout: 10_000 });
    const message = (await page.textContent('#error')) ?? '';
    assert.match(message, /broken\.wav/);
    assert.doesNotMatch(message, /\n/);
    assert.equal(await page.isVisible('#error'), true);
    assert.equal(await page.locator('#output .chart svg').count(), 1, 'the previous explanation stays, dimmed');
    assert.equal(await page.getAttribute('#output', 'class'), 'stale');
  });

  test('the result card names the model and the head; JSON and PNG downloads carry the result', async () => {
    await page.selectOption('#model-source', 'demo');
    await page.selectOption('#input-source', `demo/recordings/${RECORDING}`);
    await page.selectOption('#method', 'integrated-gradients');
    const runs = await page.evaluate(() => window.__wingbeats.runs);
    await page.click('#explain');
    await page.waitForFunction((n) => window.__wingbeats.runs === n + 1 || window.__wingbeats.state === 'error', runs, {
      timeout: 20_000,
    });
    assert.equal(await page.evaluate(() => window.__wingbeats.error), null);
    const meta = (await page.textContent('#output article .meta')) ?? '';
    assert.match(
      meta,
      /— model 'wingbeats-demo', head 'species', features: potamitis-psd\. Most relevant: \d+–\d+ Hz \(\d+ %\)/,
    );
    // On every core, the page's thread and its run-pool workers: one thread each
    const threads = await page.evaluate(() => window.__wingbeats.onnxThreads);
    assert.match(
      (await page.textContent('#status')) ?? '',
      new RegExp(
        `^Engine: ONNX Runtime Web \\(WebAssembly, ${threads} threads?\\)\\. Model 'wingbeats-demo', head 'species': Integrated gradients of 1 input`,
      ),
    );
    assert.match(meta, /Engine: ONNX Runtime Web\.$/);
    assert.match((await page.textContent('#output .caption')) ?? '', /% of \|f\(x\) − f\(baseline\)\|/);
    assert.equal(await page.isVisible('#downloads'), true);

    const [jsonDownload] = await Promise.all([page.waitForEvent('download'), page.click('#download-json')]);
    assert.equal(jsonDownload.suggestedFilename(), 'wingbeats-demo-species-integrated-gradients.json');
    const document = JSON.parse(await readFile((await jsonDownload.path()) as string, 'utf8')) as ExplainRecord;
    assert.equal(document.model, 'wingbeats-demo');
    assert.equal(document.engine, 'onnx', 'the JSON names the engine that ran');
    assert.equal(document.head, 'species');
    const item = document.items[0];
    assert.deepEqual(item.warnings, []);
    assert.equal(item.axes?.frequencyHz.length, 129);
    assert.equal(item.axes?.frequencyHz[128], 4000);
    assert.equal(item.attributions.length, 129);
    assert.ok(typeof item.relativeDelta === 'number' && item.relativeDelta >= 0);

    const [pngDownload] = await Promise.all([page.waitForEvent('download'), page.click('#download-png')]);
    assert.equal(pngDownload.suggestedFilename(), 'wingbeats-demo-species-integrated-gradients.png');
    const png = await readFile((await pngDownload.path()) as string);
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG file');
    assert.ok(
      png.readUInt32BE(16) >= 600 && png.readUInt32BE(20) >= 300,
      `PNG of ${png.readUInt32BE(16)} × ${png.readUInt32BE(20)} px`,
    );
  });

  test('a hint names a control of the page: a short recording asks for "Zero-pad short recordings", which works', async () => {
    await page.selectOption('#model-source', 'demo');
    await page.selectOption('#method', 'saliency');
    await page.selectOption('#input-source', 'file');
    const samples = Array.from({ length: 2400 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 500 * i) / 8000)));
    const wav = new WaveFile();
    wav.fromScratch(1, 8000, '16', samples);
    await page.setInputFiles('#input-file', {
      name: 'short.wav',
      mimeType: 'audio/wav',
      buffer: Buffer.from(wav.toBuffer()),
    });
    await page.click('#explain');
    await page.waitForFunction(() => window.__wingbeats.state === 'error', undefined, { timeout: 10_000 });
    const message = (await page.textContent('#error')) ?? '';
    assert.match(message, /on this page: tick 'Zero-pad short recordings'/);
    assert.doesNotMatch(message, /CLI|--pad/);
    assert.match((await page.textContent('label.check:has(#pad)')) ?? '', /Zero-pad short recordings/);
    await page.check('#pad');
    const runs = await page.evaluate(() => window.__wingbeats.runs);
    await page.click('#explain');
    await page.waitForFunction((n) => window.__wingbeats.runs === n + 1 || window.__wingbeats.state === 'error', runs, {
      timeout: 20_000,
    });
    assert.equal(await page.evaluate(() => window.__wingbeats.error), null);
    await page.uncheck('#pad');
  });

  test(
    'a real model on a microphone recording: the result card shows the input-range warning with its figures',
    { skip: skipWithoutShared },
    async () => {
      await page.selectOption('#model-source', 'file');
      await page.setInputFiles(
        '#model-files',
        join(sharedDir, 'models', 'Potatamis_Sequential', 'PSD', 'Mosquito_CNN_PSD.h5'),
      );
      await page.waitForFunction(
        () => window.__wingbeats.model === 'Mosquito_CNN_PSD' || window.__wingbeats.state === 'error',
        undefined,
        { timeout: 20_000 },
      );
      assert.equal(await page.evaluate(() => window.__wingbeats.error), null);
      await page.selectOption('#input-source', 'file');
      await page.setInputFiles(
        '#input-file',
        join(sharedDir, 'data', 'recordings', 'Ae.Aegypti_1F_5D_25C_SmallCylinder_Cut16.wav'),
      );
      await page.selectOption('#method', 'saliency');
      const runs = await page.evaluate(() => window.__wingbeats.runs);
      await page.click('#explain');
      await page.waitForFunction(
        (n) => window.__wingbeats.runs === n + 1 || window.__wingbeats.state === 'error',
        runs,
        { timeout: 20_000 },
      );
      assert.equal(await page.evaluate(() => window.__wingbeats.error), null);
      const warning = (await page.textContent('#output ul.warnings li')) ?? '';
      assert.match(
        warning,
        /input mean -62\.0 dB, 3\.5 training standard deviations above the training mean \(-95\.0 dB, std 9\.5 dB\); 76 of 129 positions/,
      );
      const record = (await page.evaluate(() => window.__wingbeats.last)) as ExplainRecord;
      assert.equal(record.model, 'Mosquito_CNN_PSD');
      assert.equal(record.items[0].warnings.length, 1);
      await page.selectOption('#model-source', 'demo');
      await page.waitForFunction(() => window.__wingbeats.model === 'wingbeats-demo', undefined, { timeout: 10_000 });
    },
  );

  test('a failed model load leaves nothing ambiguous: no model, the status says so, Explain does not use the previous one', async () => {
    const before = await page.evaluate(() => window.__wingbeats.runs);
    await page.selectOption('#model-source', 'file');
    await page.setInputFiles('#model-files', {
      name: 'broken.h5',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from('this is not an HDF5 file'),
    });
    await page.waitForFunction(() => window.__wingbeats.state === 'error', undefined, { timeout: 10_000 });
    const state: PageState = await page.evaluate(() => window.__wingbeats);
    assert.equal(state.model, null);
    assert.match((await page.textContent('#status')) ?? '', /No model loaded: 'broken\.h5' could not be loaded/);
    assert.doesNotMatch((await page.textContent('#status')) ?? '', /Demo model loaded|'wingbeats-demo' loaded/i);
    assert.match((await page.textContent('#error')) ?? '', /broken\.h5/);
    assert.equal(await page.isDisabled('#explain'), true);
    assert.equal(await page.locator('#head option').count(), 0);
    assert.equal(await page.isHidden('#downloads'), true);
    await page.evaluate(() => document.querySelector<HTMLFormElement>('#controls')?.requestSubmit());
    assert.equal(
      await page.evaluate(() => window.__wingbeats.runs),
      before,
      'nothing was explained with the previous model',
    );
    await page.selectOption('#model-source', 'demo');
    await page.waitForFunction(() => window.__wingbeats.model === 'wingbeats-demo', undefined, { timeout: 10_000 });
    assert.equal(await page.isDisabled('#explain'), false);
    assert.match((await page.textContent('#status')) ?? '', /Model 'wingbeats-demo' loaded \(the demo model\)/);
  });

  test(
    'a model load that finishes after a newer (failed) one was started is dropped, not used',
    { skip: skipWithoutShared },
    async () => {
      await page.selectOption('#model-source', 'file');
      await page.setInputFiles(
        '#model-files',
        join(sharedDir, 'models', 'Potatamis', 'spectro', 'HieraEmbCls', 'HieraEmbCls_spectro_frozen.h5'),
      );
      await page.waitForFunction(() => window.__wingbeats.model === 'HieraEmbCls_spectro_frozen', undefined, {
        timeout: 20_000,
      });
      // Reading the valid file is made slow (1.5 s), so its reload finishes after the broken file's load has failed.
      // (A string, so the test's compiler adds no helper names to the page's code.)
      await page.evaluate(`{
      const read = File.prototype.arrayBuffer;
      File.prototype.arrayBuffer = function () {
        const bytes = read.call(this);
        return this.name === 'broken.h5' ? bytes : new Promise((done) => setTimeout(() => done(bytes), 1500));
      };
      window.restoreRead = () => { File.prototype.arrayBuffer = read; };
    }`);
      // Choosing "Your model file…" again reloads the picked file; a broken file picked meanwhile starts a newer load.
      await page.selectOption('#model-source', 'file');
      await page.setInputFiles('#model-files', {
        name: 'broken.h5',
        mimeType: 'application/octet-stream',
        buffer: Buffer.from('this is not an HDF5 file'),
      });
      await page.waitForFunction(() => window.__wingbeats.state === 'error', undefined, { timeout: 10_000 });
      // Let the older (valid, slow) load finish: it must not bring its model back.
      await page.waitForTimeout(3000);
      await page.evaluate('window.restoreRead()');
      assert.equal(await page.evaluate(() => window.__wingbeats.model), null);
      assert.match((await page.textContent('#status')) ?? '', /No model loaded: 'broken\.h5' could not be loaded/);
      assert.equal(await page.isDisabled('#explain'), true);
      await page.selectOption('#model-source', 'demo');
      await page.waitForFunction(() => window.__wingbeats.model === 'wingbeats-demo', undefined, { timeout: 10_000 });
    },
  );

  test('integrated gradients: ONNX Runtime Web by default; forced TensorFlow.js agrees, with workers 1 and 2 (a pool of Web Workers)', async () => {
    await page.selectOption('#model-source', 'demo');
    await page.waitForFunction(() => window.__wingbeats.model === 'wingbeats-demo', undefined, { timeout: 10_000 });
    await page.selectOption('#input-source', `demo/recordings/${RECORDING}`);
    await page.selectOption('#method', 'integrated-gradients');
    await page.fill('#option-steps', '40');
    const errorsBefore = pageErrors.length;
    const explainWith = async (workers: number, engine: string): Promise<ExplainRecord> => {
      await page.selectOption('#engine', engine);
      const runs = await page.evaluate((n) => {
        window.__wingbeats.workers = n;
        return window.__wingbeats.runs;
      }, workers);
      await page.click('#explain');
      await page.waitForFunction(
        (n) => window.__wingbeats.runs === n || window.__wingbeats.state === 'error',
        runs + 1,
        { timeout: 30_000 },
      );
      const state: PageState = await page.evaluate(() => window.__wingbeats);
      assert.equal(state.error, null, `page error: ${state.error}`);
      return state.last as ExplainRecord;
    };
    const native = await explainWith(1, 'auto');
    assert.equal(native.engine, 'onnx');
    const one = await explainWith(1, 'tfjs');
    assert.equal(one.engine, 'tfjs');
    assert.match((await page.textContent('#status')) ?? '', /^Engine: TensorFlow\.js \(wasm\)\./);
    assert.match((await page.textContent('#output article .meta')) ?? '', /Engine: TensorFlow\.js \(wasm\)\.$/);
    const diff = relativeMaxDiff(native.items[0].attributions, one.items[0].attributions);
    assert.ok(diff <= 1e-5, `ONNX Runtime Web and TensorFlow.js differ by ${diff.toExponential(2)} of max |value|`);
    assert.ok(relativeMaxDiff(native.items[0].probabilities ?? [], one.items[0].probabilities ?? []) <= 1e-5);
    assert.equal(await page.evaluate(() => window.__wingbeats.poolTasks()), 0, 'workers 1: no pool');
    await page.evaluate(() => {
      window.__wingbeats.workers = 2;
    });
    assert.equal(await page.evaluate(() => window.__wingbeats.startPool()), 2, 'a pool of 2 Web Workers started');
    const started = await page.evaluate(() => window.__wingbeats.poolTasks());
    const two = await explainWith(2, 'tfjs');
    assert.ok((await page.evaluate(() => window.__wingbeats.poolTasks())) > started, 'workers 2 used the pool');
    assert.deepEqual(two.items[0].attributions, one.items[0].attributions);
    assert.deepEqual(two.items[0].probabilities, one.items[0].probabilities);
    assert.deepEqual(pageErrors.slice(errorsBefore), [], 'no page or worker error');
    await page.selectOption('#engine', 'auto');
  });

  test('a model that does not lower to ONNX runs on TensorFlow.js after one notice naming the layer', async () => {
    // The first of these layers that has no ONNX lowering (the lowering registry grows; one of them stays unlowered).
    const candidates: [string, () => tf.layers.Layer][] = [
      ['LayerNormalization', () => tf.layers.layerNormalization()],
      ['PReLU', () => tf.layers.prelu()],
      // TensorFlow.js has no gradient for ThresholdedReLU's comparison: not a candidate.
      ['GaussianNoise', () => tf.layers.gaussianNoise({ stddev: 0.1 })],
      ['ELU', () => tf.layers.elu()],
    ];
    const build = (layer: tf.layers.Layer): tf.LayersModel =>
      tf.sequential({
        layers: [
          tf.layers.conv1d({
            inputShape: [16, 2],
            filters: 3,
            kernelSize: 3,
            kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
          }),
          layer,
          tf.layers.flatten(),
          tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
        ],
      });
    const unlowered = candidates.find(([, make]) => {
      const net = build(make());
      try {
        compileGradientGraph(net, { scores: 'logits' });
        return false;
      } catch {
        return true;
      } finally {
        net.dispose();
      }
    });
    assert.ok(unlowered !== undefined, 'every candidate layer lowers to ONNX now: add one that does not');
    const work = await mkdtemp(join(tmpdir(), 'wingbeats-web-unlowered-'));
    try {
      const net = build(unlowered[1]());
      await saveModelJson(net, work);
      net.dispose();
      const x = Array.from({ length: 16 }, (_, i) => [Math.sin(i), Math.cos(i * 0.7)]);
      await page.selectOption('#model-source', 'file');
      await page.setInputFiles('#model-files', [join(work, 'model.json'), join(work, 'weights.bin')]);
      await page.waitForFunction(() => window.__wingbeats.model !== null || window.__wingbeats.state === 'error');
      assert.equal(await page.evaluate(() => window.__wingbeats.error), null);
      await page.selectOption('#input-source', 'file');
      await page.setInputFiles('#input-file', {
        name: 'x.json',
        mimeType: 'application/json',
        buffer: Buffer.from(JSON.stringify(x)),
      });
      await page.selectOption('#method', 'saliency');
      const runs = await page.evaluate(() => window.__wingbeats.runs);
      await page.click('#explain');
      await page.waitForFunction(
        (n) => window.__wingbeats.runs === n + 1 || window.__wingbeats.state === 'error',
        runs,
        {
          timeout: 20_000,
        },
      );
      assert.equal(await page.evaluate(() => window.__wingbeats.error), null);
      const record = (await page.evaluate(() => window.__wingbeats.last)) as ExplainRecord;
      assert.equal(record.engine, 'tfjs');
      assert.equal(await page.locator('#output .listening').count(), 0, 'a .json input has nothing to listen to');
      assert.equal(await page.isVisible('#engine-notice'), true);
      const notice = (await page.textContent('#engine-notice')) ?? '';
      assert.match(notice, new RegExp(`\\(${unlowered[0]}\\) cannot be compiled to ONNX.*; using TensorFlow\\.js\\.$`));
      assert.doesNotMatch(notice, /\n/);
      // Back to the demo model (it lowers): the notice goes, the next explanation runs natively.
      await page.selectOption('#model-source', 'demo');
      await page.selectOption('#input-source', `demo/recordings/${RECORDING}`);
      assert.equal(await page.isHidden('#engine-notice'), true);
      await page.click('#explain');
      await page.waitForFunction(
        (n) => window.__wingbeats.runs === n + 2 || window.__wingbeats.state === 'error',
        runs,
        {
          timeout: 20_000,
        },
      );
      assert.equal(await page.evaluate(() => window.__wingbeats.last?.engine), 'onnx');
      assert.equal(await page.isHidden('#engine-notice'), true);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  test('falls back to the cpu backend with a visible notice when wasm cannot load', async () => {
    const fallback = await (browser as Browser).newPage();
    try {
      await fallback.route('**/*.wasm', (route) => route.abort());
      await fallback.goto(url);
      await fallback.waitForFunction(() => ['ready', 'error'].includes(window.__wingbeats?.state), undefined, {
        timeout: 20_000,
      });
      const state = await fallback.evaluate(() => window.__wingbeats);
      assert.equal(state.error, null, `page error: ${state.error}`);
      assert.equal(state.backend, 'cpu');
      assert.equal(await fallback.isVisible('#notice'), true);
      assert.match((await fallback.textContent('#notice')) ?? '', /'wasm' is unavailable; falling back to 'cpu'/);
      // ONNX Runtime Web cannot start either: the explanation runs on TensorFlow.js after one notice saying why.
      await fallback.selectOption('#method', 'saliency');
      await fallback.click('#explain');
      await fallback.waitForFunction(
        () => window.__wingbeats.runs === 1 || window.__wingbeats.state === 'error',
        undefined,
        {
          timeout: 20_000,
        },
      );
      assert.equal(await fallback.evaluate(() => window.__wingbeats.error), null);
      assert.equal(await fallback.evaluate(() => window.__wingbeats.last?.engine), 'tfjs');
      assert.match(
        (await fallback.textContent('#engine-notice')) ?? '',
        /^ONNX Runtime Web could not start from 'http:\/\/127\.0\.0\.1:\d+\/ort\/': .*; using TensorFlow\.js\.$/,
      );
    } finally {
      await fallback.close();
    }
  });

  describe('HDF5 in a Web Worker', { timeout: 180_000 }, () => {
    let h5Page: Page;
    /** The fuzz run's seed files: the hostile case is made from them, and the sound .keras is one of them. */
    let seeds: Awaited<ReturnType<typeof buildSeeds>>;

    before(async () => {
      seeds = await buildSeeds();
      h5Page = await (browser as Browser).newPage();
      await h5Page.goto(url);
      await h5Page.waitForFunction(() => ['ready', 'error'].includes(window.__wingbeats?.state), undefined, {
        timeout: 30_000,
      });
      await h5Page.selectOption('#model-source', 'file');
    });

    after(async () => {
      await h5Page?.close();
    });

    /** Picks `bytes` as the model file `name`. */
    const pick = (name: string, bytes: Uint8Array): Promise<void> =>
      h5Page.setInputFiles('#model-files', { name, mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) });

    test('a .h5 on which libhdf5 loops: one page message after the time limit; the page answers meanwhile', async () => {
      // Case 6494 of the fuzz run with seed 1: a mutated string attribute that libhdf5 reads forever.
      const hostile = await makeCase(6494, 1, seeds, 'h5');
      const started = Date.now();
      await pick('loop.h5', hostile.files[0].bytes as Uint8Array);
      await h5Page.waitForFunction(() => window.__wingbeats.state === 'busy', undefined, { timeout: 10_000 });
      // (The limit starts once the worker has loaded; the upper bound leaves room for that on a busy machine.)
      // While the worker is stuck in libhdf5, the page's thread runs script, paints frames and takes a click.
      const probe = Date.now();
      const answered = await h5Page.evaluate(
        () =>
          new Promise<string>((done) =>
            requestAnimationFrame(() => {
              document.querySelector<HTMLElement>('#model-source')?.click();
              done(window.__wingbeats.state);
            }),
          ),
      );
      assert.equal(answered, 'busy', 'the file was still being read');
      assert.ok(Date.now() - probe < 5000, `the page took ${Date.now() - probe} ms to answer during the read`);
      await h5Page.waitForFunction(() => window.__wingbeats.state === 'error', undefined, {
        timeout: H5_READ_TIMEOUT_MS + 30_000,
      });
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= H5_READ_TIMEOUT_MS - 1000 && elapsed < H5_READ_TIMEOUT_MS + 25_000, `${elapsed} ms`);
      const message = (await h5Page.textContent('#error')) ?? '';
      assert.equal(message, "'loop.h5' could not be read as HDF5 within 15 s; the file is damaged.");
      assert.equal(await h5Page.evaluate(() => window.__wingbeats.model), null);
    });

    test('after a stopped read, a sound .h5 loads (a fresh worker); so does a .keras whose weights hold a link DAG and cycle', async () => {
      await pick('good.h5', await kerasH5Bytes(functionalWeights(), functionalConfig()));
      await h5Page.waitForFunction(() => window.__wingbeats.model === 'good', undefined, { timeout: 20_000 });
      assert.match((await h5Page.textContent('#model-hint')) ?? '', /^good: input \[129\]/);

      await pick('plain.keras', seeds.keras);
      await h5Page.waitForFunction(() => window.__wingbeats.model === 'plain', undefined, { timeout: 20_000 });

      const entries: Record<string, Uint8Array> = unzipSync(seeds.keras);
      entries['model.weights.h5'] = await linkedGroupsFile(entries['model.weights.h5']);
      const started = Date.now();
      await pick('linked.keras', zipSync(entries));
      await h5Page.waitForFunction(() => window.__wingbeats.model === 'linked', undefined, { timeout: 20_000 });
      assert.ok(Date.now() - started < 10_000, `${Date.now() - started} ms`);
      assert.equal(await h5Page.evaluate(() => window.__wingbeats.error), null);
    });
  });
});
