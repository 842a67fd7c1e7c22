// Build the page into the Python package (tellgraph/api/static/), so that
// `pip install` serves it without node. `node build.mjs --check-size` fails
// when the bundle grows past the budget below.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "tellgraph", "api", "static");
const BUDGET_GZIP_BYTES = 200_000;

mkdirSync(out, { recursive: true });
await esbuild.build({
  entryPoints: { app: join(here, "src", "main.js") },
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2022"],
  outdir: out,
  legalComments: "eof",
  logLevel: "warning",
});
await esbuild.build({
  entryPoints: { app: join(here, "src", "style.css") },
  bundle: true,
  minify: true,
  outdir: out,
  logLevel: "warning",
});

const files = ["app.js", "app.css"].map((name) => join(out, name));
const version = createHash("sha256")
  .update(Buffer.concat(files.map((f) => readFileSync(f))))
  .digest("hex")
  .slice(0, 12);
const html = readFileSync(join(here, "src", "index.html"), "utf8").replaceAll("__VERSION__", version);
writeFileSync(join(out, "index.html"), html);

let total = 0;
for (const file of files) {
  const raw = statSync(file).size;
  const gz = gzipSync(readFileSync(file)).length;
  total += gz;
  console.log(`${file.slice(out.length + 1).padEnd(8)} ${(raw / 1024).toFixed(1).padStart(7)} KiB, ${(gz / 1024).toFixed(1).padStart(6)} KiB gzipped`);
}
if (process.argv.includes("--check-size") && total > BUDGET_GZIP_BYTES) {
  console.error(`bundle is ${total} bytes gzipped, over the ${BUDGET_GZIP_BYTES} budget`);
  process.exit(1);
}
