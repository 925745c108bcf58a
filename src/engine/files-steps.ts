import { parseAddress } from "../model/index.js";
import { removeLogs } from "./container-files.js";
import { removeSecrets } from "./secrets.js";
import type { StepHandler } from "./step-handler.js";

/**
 * `files.remove`: kuke's own files of an address and everything inside it, whatever run left
 * them (`kuke purge`). Paths come from the address (valid names only, so they never leave the
 * log dir, the runtime dir or the records folder). Files already gone are success.
 */
export const filesRemove: StepHandler<"files.remove"> = async (ctx, s) => {
  const a = parseAddress(s.address);
  switch (s.area) {
    case "logs":
      return removeLogs(ctx.host.logDir, a);
    case "secrets":
      return removeSecrets(ctx.host.runtimeDir, a);
    case "records":
      await ctx.host.records.deleteUnder(a);
      return;
  }
};
