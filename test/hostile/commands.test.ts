/**
 * Hostile command lines (issue 14): options that pass validation but cannot finish, outputs in places nobody pointed
 * at, arguments checked before any work starts, a user's files never replaced unasked, one line on a full disk.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { psdValues, toneWav } from '../../scripts/fuzz/seeds.js';
import { cliBin, repoRoot, useWasm } from '../helpers.js';
import { runCli } from '../cli/cli-helpers.js';

const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-hostile-cli-'));
const model = path.join(repoRoot, 'assets', 'demo-model', 'model.json');
const wav = path.join(work, 'tone.wav');
const inputs = path.join(work, 'inputs.json');
const bin = cliBin;
before(async () => {
  await useWasm();
  writeFileSync(wav, toneWav({ rate: 8000, seconds: 0.8, channels: 1, bits: 16 }));
  writeFileSync(inputs, JSON.stringify(Array.from({ length: 20 }, (_, i) => psdValues(i))));
});
after(() => rmSync(work, { recursive: true, force: true }));

/** Asserts exit code 1 and exactly one stderr line matching `pattern`. */
function oneLine(result: { code: number; stderr: string }, pattern: RegExp): void {
  assert.equal(result.code, 1, result.stderr);
  assert.equal(result.stderr.split('\n').filter(Boolean).length, 1, result.stderr);
  assert.match(result.stderr, pattern);
}

test('count options are bounded, and --help states the bounds', async () => {
  oneLine(
    await runCli([
      'explain',
      '--model',
      model,
      '--input',
      inputs,
      '--method',
      'integrated-gradients',
      '--steps',
      '1000000000',
    ]),
    /Option '--steps' must be an integer in \[1, 100000\] but got '1000000000'\./,
  );
  oneLine(
    await runCli(['evaluate', '--model', model, '--input', inputs, '--random-seeds', '1000000000']),
    /Option '--random-seeds' must be an integer in \[1, 10000\]/,
  );
  oneLine(
    await runCli(['uncertainty', '--model', model, '--input', inputs, '--samples', '1e9']),
    /Option '--samples' must be an integer in \[1, 100000\] but got '1e9'/,
  );
  let help = '';
  const { main } = await import('../../src/node/cli/main.js');
  await main(['explain', '--help'], { stdout: (t: string) => void (help += t), stderr: () => undefined });
  assert.match(help.replace(/\s+/g, ' '), /--steps <n> .*1 to 100000/);
});

test('a run whose results would not fit in memory is refused with its estimate before allocating', async () => {
  const many = path.join(work, 'many-inputs.json');
  writeFileSync(many, JSON.stringify(Array.from({ length: 50 }, (_, i) => psdValues(i % 40))));
  oneLine(
    await runCli(['uncertainty', '--model', model, '--input', many, '--samples', '10000', '--keep-samples', '--json']),
    /uncertainty: 10000 samples × 6450 input values would take about 2\.4 GB, more than the budget of 1\.0 GB; lower --samples or give fewer inputs\./,
  );
});

test('arguments are checked before any work: --target, --channel, --baseline, no command, --out under /proc', async () => {
  const out = path.join(work, 'batch-target');
  oneLine(
    await runCli(['batch', '--model', model, '--input', wav, '--target', '99', '--out', out]),
    /Option '--target' must be in \[0, 6\) \(number of classes\) but got 99\./,
  );
  assert.equal(existsSync(out), false, 'nothing was computed or written');
  oneLine(
    await runCli(['features', '--input', wav, '--preset', 'potamitis-psd', '--channel', '']),
    /Option '--channel' must be 'mix' or a channel index from 0 but got ''\./,
  );
  const folder = path.join(work, 'a-folder');
  mkdirSync(folder, { recursive: true });
  oneLine(
    await runCli([
      'explain',
      '--model',
      model,
      '--input',
      inputs,
      '--method',
      'integrated-gradients',
      '--baseline',
      folder,
    ]),
    /The --baseline file '.*a-folder' is a folder, not a regular file/,
  );
  const folderJson = path.join(work, 'folder.json');
  mkdirSync(folderJson, { recursive: true });
  oneLine(
    await runCli([
      'explain',
      '--model',
      model,
      '--input',
      inputs,
      '--method',
      'integrated-gradients',
      '--baseline',
      folderJson,
    ]),
    /The --baseline file '.*folder\.json' is a folder, not a regular file/,
  );
  oneLine(await runCli([]), /^wingbeats-xai: no command given; one of .*explain.* is needed/);
  for (const place of ['/proc/wingbeats-out', '/proc/self', '/sys/kernel/x']) {
    oneLine(
      await runCli(['features', '--input', wav, '--preset', 'potamitis-psd', '--out', place]),
      /Option '--out' must be a folder on a regular file system but got '.*' \(under \/(proc|sys)\)\./,
    );
  }
  oneLine(
    await runCli(['stats', '--input', inputs, '--preset', 'potamitis-psd', '--out', '/proc/stats.json']),
    /Option '--out' must be a file on a regular file system/,
  );
  oneLine(
    await runCli(['explain', '--model', '/dev/urandom', '--input', inputs]),
    /The model '\/dev\/urandom' is a character device, not a regular file/,
  );
  oneLine(
    await runCli(['features', '--input', '/dev/zero', '--preset', 'potamitis-psd']),
    /Option '--input' of 'features' takes \.wav recordings but got '\/dev\/zero'/,
  );
  const zeroWav = path.join(work, 'zero.wav');
  execFileSync('ln', ['-sf', '/dev/zero', zeroWav]);
  oneLine(
    await runCli(['features', '--input', zeroWav, '--preset', 'potamitis-psd']),
    /The --input file '.*zero\.wav' is a character device/,
  );
});

test("features --out stages its files and never replaces a user's files unless --force", async () => {
  const out = path.join(work, 'features-out');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'features.json'), 'my own notes');
  oneLine(
    await runCli(['features', '--input', wav, '--preset', 'potamitis-psd', '--out', out]),
    /'.*features\.json' already exists and this run did not create it; pass --force to replace it/,
  );
  assert.equal(readFileSync(path.join(out, 'features.json'), 'utf8'), 'my own notes');
  assert.deepEqual(readdirSync(out), ['features.json'], 'no staging folder or half-written file is left');
  const forced = await runCli([
    'features',
    '--input',
    wav,
    '--preset',
    'potamitis-psd',
    '--out',
    out,
    '--force',
    '--quiet',
  ]);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(JSON.parse(readFileSync(path.join(out, 'features.json'), 'utf8')).preset, 'potamitis-psd');
  assert.deepEqual(readdirSync(out).sort(), ['.wingbeats-xai-output', 'features.json', 'features.npy']);
});

/** Runs the binary with `--out` on a 64 kB tmpfs of a private mount namespace; returns its result and what is left there. */
function onTinyDisk(argv: (mount: string) => string[]): { code: number; stderr: string; left: string[] } | null {
  const mount = path.join(work, `tiny-${Math.random().toString(36).slice(2)}`);
  mkdirSync(mount);
  const script =
    'mount -t tmpfs -o size=64k none "$1" || exit 99; shift; node "$@" 2>"$TMPDIR_ERR"; echo "exit=$?"; find "$MOUNT" -mindepth 1';
  const errFile = path.join(work, `err-${path.basename(mount)}`);
  const run = spawnSync('unshare', ['-m', 'sh', '-c', script, 'sh', mount, bin, ...argv(mount)], {
    encoding: 'utf8',
    env: { ...process.env, TMPDIR_ERR: errFile, MOUNT: mount },
  });
  if (run.status === 99 || run.error !== undefined || !/exit=\d+/.test(run.stdout)) return null;
  const code = Number(/exit=(\d+)/.exec(run.stdout)?.[1]);
  const left = run.stdout
    .split('\n')
    .filter((l) => l.startsWith(mount))
    .map((l) => path.relative(mount, l));
  return { code, stderr: readFileSync(errFile, 'utf8'), left };
}

const canMount = ((): boolean => {
  try {
    execFileSync('unshare', ['-m', 'sh', '-c', `mount -t tmpfs -o size=4k none ${JSON.stringify(tmpdir())}`], {
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
})();

test(
  'a full disk: one line, nothing half-written, no empty folders (features, batch)',
  { skip: canMount ? false : 'needs unshare -m and tmpfs (root)' },
  () => {
    const long = path.join(work, 'long.wav');
    writeFileSync(long, toneWav({ rate: 8000, seconds: 30, channels: 1, bits: 16 }));
    const features = onTinyDisk((mount) => [
      'features',
      '--input',
      long,
      '--preset',
      'potamitis-spectrogram',
      '--windows',
      'all',
      '--out',
      path.join(mount, 'f'),
    ]);
    assert.ok(features !== null);
    assert.equal(features.code, 1, features.stderr);
    assert.equal(features.stderr.split('\n').filter(Boolean).length, 1, features.stderr);
    assert.match(features.stderr, /^wingbeats-xai: Cannot write '.*features\.json': no space left on the device\.\n$/);
    assert.deepEqual(features.left, [], 'no 0-byte file, no staging folder, no empty folder');

    const recordings = path.join(work, 'recordings');
    cpSync(path.join(repoRoot, 'assets', 'demo-recordings'), recordings, { recursive: true });
    const batch = onTinyDisk((mount) => [
      'batch',
      '--model',
      model,
      '--input',
      recordings,
      '--methods',
      'saliency,input-x-gradient,smoothgrad',
      '--out',
      path.join(mount, 'b'),
      '--quiet',
    ]);
    assert.ok(batch !== null);
    assert.equal(batch.code, 1, batch.stderr);
    assert.equal(batch.stderr.split('\n').filter(Boolean).length, 1, batch.stderr);
    assert.match(
      batch.stderr,
      /No space left on the device while writing the results of '.*\.wav' into '.*'; nothing half-written was kept\. Free some space and run the same command again to resume\./,
    );
    for (const entry of batch.left)
      assert.doesNotMatch(entry, /\.wingbeats-xai-partial-|\.lock$/, `left behind: ${entry}`);
    const folders = batch.left.filter((e) => path.dirname(e) === 'b');
    for (const folder of folders)
      assert.ok(
        batch.left.some((e) => e.startsWith(`${folder}/`)),
        `empty folder left: ${folder}`,
      );
  },
);
