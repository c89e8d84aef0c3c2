/** Helpers for command-line tests: run the CLI in-process, save tiny tfjs models as model.json. */
import * as tf from '@tensorflow/tfjs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { main } from '../../src/node/cli/main.js';

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
