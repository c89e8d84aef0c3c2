/** The `--audio` options as specs, free of TensorFlow.js (the command line builds its flags and help from them). */
import type { OptionSpec } from '../util/option-spec.js';
import { MASK_MAPPINGS } from '../signal/listenable.js';
import { UNSEEN_PARTS } from '../signal/listenable-recording.js';

/** The `--audio` options of `explain` and `report`, as specs (flags, defaults, ranges, help). */
export const AUDIO_OPTIONS = [
  {
    name: 'audio',
    flag: '--audio',
    type: 'boolean',
    default: false,
    help: "split each .wav input into what the model used and what it ignored, each classified again (explain: NAME.used.wav and NAME.ignored.wav in --out and JSON 'audio'; report: two players under every explanation)",
  },
  {
    name: 'audioMask',
    flag: '--audio-mask',
    type: 'choice',
    choices: MASK_MAPPINGS,
    default: 'hard',
    help: 'how relevance becomes the --audio mask: hard (1 on the top share, 0 elsewhere) or soft (the rest in proportion to its relevance)',
  },
  {
    name: 'audioShare',
    flag: '--audio-share',
    type: 'number',
    default: 0.2,
    min: 0,
    max: 1,
    help: 'share of the most relevant positions that --audio counts as used',
  },
  {
    name: 'audioUnseen',
    flag: '--audio-unseen',
    type: 'choice',
    choices: UNSEEN_PARTS,
    default: 'ignored',
    help: "where --audio puts what the model never saw (the recording outside its window, frequencies above its highest bin): 'ignored' (it cannot have been used) or 'used' (then a mask of all ones gives back the recording)",
  },
] as const satisfies readonly OptionSpec[];
