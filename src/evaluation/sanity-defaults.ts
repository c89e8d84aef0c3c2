/** The methods a sanity check runs by default, free of TensorFlow.js (the command line shows them in its help). */
import type { AttributionMethodName } from '../attribution/method-catalog.js';

/** Default methods of the check. */
export const SANITY_DEFAULT_METHODS: readonly AttributionMethodName[] = [
  'gradients',
  'guided-backprop',
  'integrated-gradients',
];
