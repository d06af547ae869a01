/**
 * The starvation rule, alone in a module with no imports so the twin, the planner and the
 * app's main thread share one value without loading the simulator.
 */

/**
 * A server starves when its throughput over the window is below this share of the ideal
 * (the tokens its arrived requests asked for ÷ the window). Source: the rule of Agulló et al.
 * (arXiv 2602.24044, §starvation) applied to the measured vLLM runs in `../shared/data`.
 */
export const STARVATION_THRESHOLD = 0.9;
