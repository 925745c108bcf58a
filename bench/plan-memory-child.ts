/**
 * Child process of `bench/plan-memory.ts`: runs one `kuke plan` in-process (output discarded) and
 * prints its peak resident set size, so the figure covers exactly one plan plus Node's own start-up.
 */
import { Writable } from "node:stream";
import { runCli } from "../src/cli/cli.js";

const sink = () =>
  new Writable({
    write(_chunk, _enc, done) {
      done();
    },
  });
const code = await runCli(process.argv.slice(2), {
  stdout: sink() as unknown as NodeJS.WriteStream,
  stderr: sink() as unknown as NodeJS.WriteStream,
});
// maxRSS is in kilobytes.
process.stdout.write(`${JSON.stringify({ code, maxRssKb: process.resourceUsage().maxRSS })}\n`);
