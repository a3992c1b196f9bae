#!/usr/bin/env node
// The published entry: runs the built scaffolder with the process's arguments and streams.
import { runCreateTandem } from '../dist/index.js';

process.exitCode = await runCreateTandem(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
