// Bundles web/src into chatapp/static/app/ (app.js, app.css and their source
// maps), then prints each file's gzipped size: the JavaScript should stay
// under 100 KB gzipped (docs/benchmarks.md).
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "chatapp", "static", "app");
const BUDGET_KB = 100;

mkdirSync(out, { recursive: true });
await esbuild.build({
  // main.ts imports app.css, so esbuild writes app.css beside app.js.
  entryPoints: { app: join(here, "src", "main.ts") },
  outdir: out,
  bundle: true,
  minify: true,
  sourcemap: true,
  target: ["es2020", "chrome100", "firefox100", "safari15"],
  format: "iife",
  legalComments: "linked",
  logLevel: "warning",
});

let failed = false;
for (const file of ["app.js", "app.css"]) {
  const bytes = readFileSync(join(out, file));
  const kb = (n) => (n / 1024).toFixed(1);
  const gzipped = gzipSync(bytes, { level: 9 }).length;
  console.log(`${relative(process.cwd(), join(out, file))}: ${kb(bytes.length)} KB, ${kb(gzipped)} KB gzipped`);
  if (file === "app.js" && gzipped > BUDGET_KB * 1024) {
    console.error(`app.js is over its budget of ${BUDGET_KB} KB gzipped`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
