// Preloaded into a chaos worker (NODE_OPTIONS=--import …) when CHAOS_PROFILE names a folder: profiles the
// whole process with V8's sampling profiler and writes `<name>-<pid>.cpuprofile` there when it exits (a
// SIGTERM: the worker's own graceful stop). Open the file in Chrome DevTools or speedscope.
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import path from "node:path";

const dir = process.env.RAPPORT_CPU_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 1000 });
  session.post("Profiler.start");
  process.once("exit", () => {
    session.post("Profiler.stop", (error, result) => {
      if (error) return;
      const name = process.env.RAPPORT_CPU_PROFILE_NAME ?? "worker";
      writeFileSync(path.join(dir, `${name}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
