#!/usr/bin/env node
import { runCli } from "./cli.js";

process.exitCode = await runCli(process.argv.slice(2));
// The command is over. Steps abandoned after a second Ctrl-C/SIGTERM may still hold the event loop
// (a plugin process, a pending call): exit anyway once the output had a moment to drain.
setTimeout(() => process.exit(), 1000).unref();
