#!/usr/bin/env node
// The `rapport` command. Rapport is written in TypeScript and runs through tsx's loader, so there is no
// build step between `npm install` and `npx rapport`.
import { register } from "tsx/esm/api";

register();
await import("./main.ts");
