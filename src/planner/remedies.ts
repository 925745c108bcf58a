/** The CLI commands diagnostics suggest; spelled once, in the model, so executors name them too. */
export { createRemedy, purgeRemedy } from "../model/remedies.js";
