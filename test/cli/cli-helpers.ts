/** Helpers for command-line tests: run the CLI in-process, save tiny tfjs models as model.json. */
import * as tf from '@tensorflow/tfjs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { main } from '../../src/node/cli/main.js';
import { conv1dNet, randomBatch } from '../tiny-models.js';

/** Runs `wingbeats-xai <argv>` in-process; returns the exit code and what went to stdout and stderr. */
export async function runCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) });
  return { code, stdout, stderr };
}

/** Saves a tfjs LayersModel as `dir/model.json` + `dir/weights.bin`; returns the model.json path. */
export async function saveModelJson(model: tf.LayersModel, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightsManifest = [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }];
      await writeFile(
        path.join(dir, 'model.json'),
        JSON.stringify({ modelTopology: artifacts.modelTopology, format: 'layers-model', weightsManifest }),
      );
      await writeFile(path.join(dir, 'weights.bin'), new Uint8Array(artifacts.weightData as ArrayBuffer));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return path.join(dir, 'model.json');
}

/**
 * The tiny Conv1D net of test/tiny-models.ts saved as `dir/conv1d/model.json` and a random batch of 2 inputs [12, 2]
 * written as `dir/inputs.json`: the files a command-line test feeds its command, and the inputs as numbers.
 */
export async function writeConv1dFiles(
  dir: string,
  seeds: { model?: number; inputs: number },
): Promise<{ modelFile: string; inputFile: string; inputs: number[][][] }> {
  const net = conv1dNet(seeds.model);
  const modelFile = await saveModelJson(net, path.join(dir, 'conv1d'));
  net.dispose();
  const x = randomBatch([2, 12, 2], seeds.inputs);
  const inputs = x.arraySync() as number[][][];
  x.dispose();
  const inputFile = path.join(dir, 'inputs.json');
  await writeFile(inputFile, JSON.stringify(inputs));
  return { modelFile, inputFile, inputs };
}
