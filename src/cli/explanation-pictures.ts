/** The picture of one explanation (moved to src/render/explanation-spec.ts, which the web page shares). */
export { explanationSpec, isSpectrumShape } from '../render/explanation-spec.js';
export type { ExplanationPicture } from '../render/explanation-spec.js';
