import { setupBackend } from './src/core/backend.js';
import { loadModelFile } from './src/models/load-model-file.js';
import { readWavFile } from './src/signal/read-wav-file.js';
import { featuresFromRecording } from './src/signal/features.js';
import { trainingInputStatistics, checkInputRange, inputRangeWarning } from './src/core/input-range.js';
import { readdirSync } from 'node:fs';
await setupBackend();
const dir = '/work/shared/data/recordings/';
for (const [p, preset] of [['/work/shared/models/Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5','potamitis-psd'],['/work/shared/models/Potatamis/psd/HieraEmbCls/HieraEmbCls_psd_frozen.h5','potamitis-psd'],['/work/shared/models/Potatamis/spectro/SimpleCls/SimpleCls_spectro_frozen.h5','potamitis-spectrogram']] as const) {
  const m = await loadModelFile(p);
  const s = trainingInputStatistics(m)!;
  console.log(m.name, s.layer, s.axis, s.mean, s.std);
  for (const f of readdirSync(dir)) {
    const rec = await readWavFile(dir + f);
    const feat = featuresFromRecording(rec, preset);
    const c = checkInputRange(s, feat.data, feat.shape);
    console.log(f, rec.sampleRate, c.inputMean.toFixed(2), c.deviation.toFixed(2), c.above, c.below, c.positions, c.farOff);
  }
}
