#!/usr/bin/env node
// The `rapport` command. Rapport is written in TypeScript and runs through tsx's loader, so there is no
// build step between `npm install` and `npx rapport`.
import { register } from "tsx/esm/api";

register();
// A pipe closed early (`rapport campaigns validate | head`) ends the command quietly, as other tools do.
process.stdout.on("error", (error) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});
await import("./main.ts");
