/** The library's messages in the page's words: command-line hints ("(CLI: --pad)") become the page's controls. */

/** The page controls that stand for the options the library's hints name. */
const CONTROL_FOR_OPTION: Record<string, string> = {
  '--pad': "tick 'Zero-pad short recordings'",
  '--force-preset': "tick 'Use this preset anyway'",
};

/**
 * Other command-line words of the library's messages, in the page's words: the background set of the SHAP methods,
 * the preset menu, and listening (which the page always does for recordings).
 */
const PAGE_WORDS: readonly [RegExp, string][] = [
  [/; command line: --background [^)]*\)/g, "; on this page: pick them under 'Background set')"],
  [/choose another --preset\b/g, "choose another 'Feature preset'"],
  [/Option '--audio' needs/g, 'Listening needs'],
  [/ \(--audio\)/g, ''],
];

/**
 * A library message with its command-line hints turned into the page's controls, or dropped (with the space before
 * them) when the page has no such control. Every other character is kept: "a Keras .keras or .h5 file" stays as it is.
 * @example pageMessage('Too short (CLI: --pad).') // "Too short (on this page: tick 'Zero-pad short recordings')."
 */
export function pageMessage(message: string): string {
  const controls = message.replace(/(\s*)\(CLI: (--[a-z-]+)\)/g, (_whole, space: string, option: string) =>
    CONTROL_FOR_OPTION[option] === undefined ? '' : `${space}(on this page: ${CONTROL_FOR_OPTION[option]})`,
  );
  return PAGE_WORDS.reduce((text, [pattern, words]) => text.replace(pattern, words), controls);
}
