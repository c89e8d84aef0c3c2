/**
 * Method options on the command line are generated from the registry's option specs: every command that takes a
 * method lists each option with the same flag, default and help; old flag names still work as hidden aliases.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { attributionMethods, methodOptionSpecs } from '../../src/attribution/registry.js';
import { useWasm } from '../helpers.js';
import { conv1dNet, randomBatch } from '../tiny-models.js';
import { runCli, saveModelJson } from './cli-helpers.js';

before(useWasm);

const METHOD_COMMANDS = ['explain', 'report', 'batch', 'evaluate', 'uncertainty'];

/** The help block of one flag (its line and continuation lines), whitespace normalised. */
function flagHelp(help: string, flag: string): string | undefined {
  const lines = help.split('\n');
  const start = lines.findIndex((l) => new RegExp(`^\\s+${flag}( <|\\s)`).test(l));
  if (start < 0) return undefined;
  const block = [lines[start]];
  for (let i = start + 1; i < lines.length && /^\s{10,}\S/.test(lines[i]); i++) block.push(lines[i]);
  return block.join(' ').replace(/\s+/g, ' ').trim();
}

test('every command that takes a method shows every method option with one flag, one default and one help text', async () => {
  const helps = new Map<string, string>();
  for (const command of METHOD_COMMANDS) {
    const { code, stdout } = await runCli([command, '--help']);
    assert.equal(code, 0);
    helps.set(command, stdout);
  }
  const specs = methodOptionSpecs();
  assert.deepEqual(specs.map((s) => s.flag).sort(), [
    '--alpha',
    '--background',
    '--baseline',
    '--beta',
    '--coalitions',
    '--epsilon',
    '--fold-batch-norm',
    '--gamma',
    '--groups',
    '--integration',
    '--kernel-width',
    '--layer',
    '--noise-samples',
    '--noise-stdev',
    '--permutations',
    '--ridge',
    '--rule',
    '--steps',
    '--stride',
    '--window',
  ]);
  for (const spec of specs) {
    const blocks = METHOD_COMMANDS.map((c) => flagHelp(helps.get(c) as string, spec.flag));
    blocks.forEach((b, i) => assert.ok(b !== undefined, `${METHOD_COMMANDS[i]} --help lacks ${spec.flag}`));
    assert.equal(new Set(blocks).size, 1, `${spec.flag} differs between commands:\n${blocks.join('\n')}`);
    assert.ok((blocks[0] as string).includes(spec.help.slice(0, 20)), `${spec.flag}: its help text`);
    if (spec.defaultText !== undefined)
      assert.ok(
        (blocks[0] as string).replace(/\s+/g, ' ').includes(`default: ${spec.defaultText})`),
        `${spec.flag}: its default`,
      );
    else if (spec.default !== undefined)
      assert.match(
        blocks[0] as string,
        new RegExp(`default: "?${String(spec.default)}"?\\)`),
        `${spec.flag}: its default`,
      );
    if (spec.max !== undefined)
      assert.match(blocks[0] as string, new RegExp(`${spec.min} to ${spec.max}`), `${spec.flag}: its range`);
  }
  // Options only appear under methods that take them, and no old name is shown.
  for (const [name, d] of Object.entries(attributionMethods))
    for (const o of d.options) assert.ok(specs.includes(o), `${name}: ${o.name}`);
  for (const help of helps.values()) assert.doesNotMatch(help, /--smooth-samples|--step </);
});

test('old flag names are hidden aliases: explain --samples (each method’s sample count) and evaluate --smooth-samples / --step', async () => {
  const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-flags-'));
  const net = conv1dNet(91);
  const modelFile = await saveModelJson(net, path.join(work, 'model'));
  const inputFile = path.join(work, 'x.json');
  const x = randomBatch([1, 12, 2], 92);
  writeFileSync(inputFile, JSON.stringify(x.arraySync()));
  x.dispose();
  const explain = async (flags: string[], method = 'smoothgrad'): Promise<unknown> => {
    const { code, stdout, stderr } = await runCli([
      'explain',
      '--model',
      modelFile,
      '--input',
      inputFile,
      '--method',
      method,
      '--seed',
      '3',
      '--json',
      '--quiet',
      ...flags,
    ]);
    assert.equal(code, 0, stderr);
    return JSON.parse(stdout).results[0].attributions;
  };
  assert.deepEqual(await explain(['--samples', '3']), await explain(['--noise-samples', '3']));
  assert.notDeepEqual(await explain(['--noise-samples', '3']), await explain([]));
  // --samples is KernelSHAP's and LIME's coalition count too (as the anchors name it); its own flag wins.
  const kernel = (flags: string[]) => explain(['--groups', 'bands:6', ...flags], 'kernel-shap');
  assert.deepEqual(await kernel(['--samples', '20']), await kernel(['--coalitions', '20']));
  assert.notDeepEqual(await kernel(['--samples', '20']), await kernel([]));
  assert.deepEqual(await kernel(['--coalitions', '30', '--samples', '20']), await kernel(['--coalitions', '30']));
  const evaluate = async (flags: string[]): Promise<unknown> => {
    const { code, stdout, stderr } = await runCli([
      'evaluate',
      '--model',
      modelFile,
      '--input',
      inputFile,
      '--methods',
      'smoothgrad',
      '--random-seeds',
      '1',
      '--json',
      '--quiet',
      ...flags,
    ]);
    assert.equal(code, 0, stderr);
    const document = JSON.parse(stdout);
    return [document.step, document.results[0].curves[0].targetScores];
  };
  assert.deepEqual(
    await evaluate(['--smooth-samples', '2', '--step', '0.1']),
    await evaluate(['--noise-samples', '2', '--flip-step', '0.1']),
  );
  const bad = await runCli(['explain', '--model', modelFile, '--input', inputFile, '--noise-samples', '100001']);
  assert.equal(bad.code, 1);
  assert.equal(
    bad.stderr,
    "wingbeats-xai: Option '--noise-samples' must be an integer in [1, 100000] but got '100001'.\n",
  );
  net.dispose();
});
