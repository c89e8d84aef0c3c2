/** `--contrast CLASS|rival`, the same flag and reading for `explain`, `batch` and `report`. */
import type { Command } from 'commander';
import type { ContrastOption } from '../../attribution/contrast.js';
import { parseTarget } from '../../pipeline/selectors.js';

/** Adds `--contrast <class>` to a command. */
export function addContrastOption(command: Command): Command {
  return command.option(
    '--contrast <class>',
    "explain score(target) − score(class): a class index or name, one per input separated by commas, or 'rival' (each input's runner-up)",
  );
}

/** The job setting of `--contrast` (nothing when it is not given). */
export function contrastSetting(options: Record<string, unknown>): { contrast?: ContrastOption } {
  if (options.contrast === undefined) return {};
  return {
    contrast: options.contrast === 'rival' ? 'rival' : (parseTarget(options.contrast as string) as ContrastOption),
  };
}
