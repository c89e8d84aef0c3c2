/** The library's messages in the page's words: command-line hints ("(CLI: --pad)") become the page's controls. */

/** The page controls that stand for the options the library's hints name. */
const CONTROL_FOR_OPTION: Record<string, string> = {
  '--pad': "tick 'Zero-pad short recordings'",
  '--force-preset': "tick 'Use this preset anyway'",
};

/**
 * A library message with its command-line hints turned into the page's controls, or dropped (with the space before
 * them) when the page has no such control. Every other character is kept: "a Keras .keras or .h5 file" stays as it is.
 * @example pageMessage('Too short (CLI: --pad).') // "Too short (on this page: tick 'Zero-pad short recordings')."
 */
export function pageMessage(message: string): string {
  return message.replace(/(\s*)\(CLI: (--[a-z-]+)\)/g, (_whole, space: string, option: string) =>
    CONTROL_FOR_OPTION[option] === undefined ? '' : `${space}(on this page: ${CONTROL_FOR_OPTION[option]})`,
  );
}
