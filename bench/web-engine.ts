/**
 * `npm run bench -- web-engine`: 50-step integrated gradients of the Potamitis spectrogram CNN (SimpleCls) in the
 * browser page (Debian's Chromium, driven by playwright-core) against Node's default call (`engine: 'auto'`, ONNX
 * Runtime), interleaved round by round on the same input. The page runs its default engine, ONNX Runtime Web, twice:
 * served cross-origin isolated (COOP/COEP headers) and served plainly; on both it uses as many cores as Node's default
 * (onnxruntime-web with one thread in the page and in each Web Worker of its run pool, `onnxWorkers` of them: see
 * src/onnx/web-run-pool.ts). Reports medians of the library's time (the page's `explainMs`: reading the input and drawing
 * excluded), the ratio page ÷ Node (the target: ≤ 2) and page ÷ Node with one core, the engines that ran, how
 * far the page's attributions are from Node's (beside how far Node's TensorFlow.js is), and the machine's load.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { defaultWorkerCount, disposeAttribution, integratedGradients } from '../src/node-main.js';
import { loadModelFile } from '../src/node/load-model-file.js';
import type { PageState } from '../web/main.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MODEL = fileURLToPath(
  new URL('../../shared/models/Potatamis/spectro/SimpleCls/SimpleCls_spectro_frozen.h5', import.meta.url),
);
const CHROMIUM = '/usr/bin/chromium';
const ROUNDS = Number(process.env.WEB_ENGINE_ROUNDS ?? 5);
const STEPS = 50;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** Serves `root` on 127.0.0.1; `isolated` adds the headers that make the page cross-origin isolated. */
async function serve(root: string, isolated: boolean): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    void (async () => {
      const path = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
      const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
      const headers: Record<string, string> = { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' };
      if (isolated) {
        headers['cross-origin-opener-policy'] = 'same-origin';
        headers['cross-origin-embedder-policy'] = 'require-corp';
      }
      try {
        if (!file.startsWith(root + sep) || !(await stat(file)).isFile()) throw new Error('not served');
        response.writeHead(200, headers).end(await readFile(file));
      } catch {
        response.writeHead(404).end();
      }
    })();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Loads the spectrogram model and the input file into the page and chooses 50-step integrated gradients. */
async function preparePage(page: Page, inputFile: string): Promise<void> {
  await page.waitForFunction(() => ['ready', 'error'].includes(window.__wingbeats?.state), undefined, {
    timeout: 60_000,
  });
  await page.selectOption('#model-source', 'file');
  await page.setInputFiles('#model-files', MODEL);
  await page.waitForFunction(
    () => window.__wingbeats.model === 'SimpleCls_spectro_frozen' || window.__wingbeats.state === 'error',
    undefined,
    { timeout: 60_000 },
  );
  await page.selectOption('#input-source', 'file');
  await page.setInputFiles('#input-file', inputFile);
  await page.selectOption('#method', 'integrated-gradients');
  await page.fill('#option-steps', String(STEPS));
  await page.selectOption('#engine', 'auto');
}

/** One Explain press: the library's milliseconds, the engine and the attributions. */
async function explainOnce(page: Page): Promise<{ ms: number; engine: string; attributions: number[] }> {
  const runs = await page.evaluate(() => window.__wingbeats.runs);
  await page.click('#explain');
  await page.waitForFunction((n) => window.__wingbeats.runs === n + 1 || window.__wingbeats.state === 'error', runs, {
    timeout: 300_000,
  });
  const state: PageState = await page.evaluate(() => window.__wingbeats);
  if (state.error !== null || state.last === null || state.explainMs === null)
    throw new Error(`page error: ${state.error}`);
  return { ms: state.explainMs, engine: state.last.engine, attributions: state.last.items[0].attributions };
}

/** Largest |a − b| over max |b|. */
function relativeMaxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / Math.max(scale, 1e-30);
}

/** The benchmark (see the file comment); skipped without ../shared or Chromium. */
export async function benchWebEngine(): Promise<unknown> {
  if (!existsSync(MODEL)) return { skipped: `${MODEL} is absent (../shared is not here)` };
  if (!existsSync(CHROMIUM)) return { skipped: `${CHROMIUM} is not installed` };
  const work = await mkdtemp(join(tmpdir(), 'wingbeats-bench-web-'));
  const servers: Server[] = [];
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  const model = await loadModelFile(MODEL);
  const x = tf.randomUniform([1, ...(model.inputShape as number[])], -1, -0.6, 'float32', 6);
  try {
    const built = spawnSync(process.execPath, [join(ROOT, 'web', 'build.mjs'), '--out', join(work, 'page')], {
      encoding: 'utf8',
    });
    if (built.status !== 0) throw new Error(`web build failed: ${built.stderr}`);
    const inputFile = join(work, 'spectrogram.json');
    await writeFile(inputFile, JSON.stringify((x.arraySync() as number[][][][])[0]));
    const pages: {
      name: string;
      page: Page;
      ms: number[];
      engine?: string;
      threads?: number;
      diff?: number;
      workers?: number;
    }[] = [];
    for (const isolated of [true, false]) {
      const { server, url } = await serve(resolve(work, 'page'), isolated);
      servers.push(server);
      const page = await browser.newPage();
      await page.goto(url);
      await preparePage(page, inputFile);
      const threads = await page.evaluate(() => window.__wingbeats.onnxThreads);
      pages.push({ name: isolated ? 'page, cross-origin isolated' : 'page, not isolated', page, ms: [], threads });
    }
    const node: { ms: number[]; engine: string; attributions: Float32Array } = {
      ms: [],
      engine: '',
      attributions: new Float32Array(),
    };
    const oneCore: number[] = [];
    const runNode = async (options: Record<string, unknown> = {}): Promise<number> => {
      const started = performance.now();
      const result = await integratedGradients(model, x, { steps: STEPS, ...options });
      const ms = performance.now() - started;
      if (options.workers === undefined) {
        node.engine = result.engine;
        node.attributions = (await result.attributions.data()) as Float32Array;
      }
      disposeAttribution(result);
      return ms;
    };
    // How far two engines are apart on this model and input anyway: Node's TensorFlow.js against Node's default (a
    // path point near a max-pooling tie routes its gradient by float32 rounding, which differs between engines).
    await runNode();
    const tfjs = await integratedGradients(model, x, { steps: STEPS, engine: 'tfjs' });
    const tfjsVsNode = relativeMaxDiff((await tfjs.attributions.data()) as Float32Array, node.attributions);
    disposeAttribution(tfjs);
    const load = { before: loadavg()[0] };
    // One warm-up call of each (compiles the model), then interleaved rounds.
    await runNode();
    for (const entry of pages) await explainOnce(entry.page);
    for (let round = 0; round < ROUNDS; round++) {
      node.ms.push(await runNode());
      oneCore.push(await runNode({ workers: 1 }));
      for (const entry of pages) {
        const run = await explainOnce(entry.page);
        entry.ms.push(run.ms);
        entry.engine = run.engine;
        entry.diff = relativeMaxDiff(run.attributions, node.attributions);
        entry.workers = entry.page.workers().filter((w) => w.url().endsWith('/ort-worker.js')).length;
      }
    }
    const nodeMedian = median(node.ms);
    return {
      case: `integrated gradients, ${STEPS} steps, SimpleCls spectrogram CNN [${model.inputShape?.join(', ')}], 1 input`,
      rounds: ROUNDS,
      cores: cpus().length,
      load: { ...load, after: loadavg()[0] },
      node: {
        engine: node.engine,
        workers: defaultWorkerCount(),
        medianMs: Math.round(nodeMedian),
        ms: node.ms.map(Math.round),
      },
      nodeOneCore: { workers: 1, medianMs: Math.round(median(oneCore)), ms: oneCore.map(Math.round) },
      tfjsVsNode,
      pages: pages.map((p) => ({
        name: p.name,
        engine: p.engine,
        onnxThreads: p.threads,
        onnxWorkers: p.workers,
        medianMs: Math.round(median(p.ms)),
        ms: p.ms.map(Math.round),
        ratioToNode: Number((median(p.ms) / nodeMedian).toFixed(2)),
        ratioToNodeOneCore: Number((median(p.ms) / median(oneCore)).toFixed(2)),
        attributionsVsNode: p.diff,
      })),
    };
  } finally {
    x.dispose();
    model.dispose();
    await browser.close();
    for (const server of servers) await new Promise<void>((done) => server.close(() => done()));
    await rm(work, { recursive: true, force: true });
  }
}
