// Launch Debian's Chromium through playwright-core (installed by `npm ci` in web/):
// no browser download, a fresh profile per run, nothing reaching the network.
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

const webDir = process.env.TELLGRAPH_WEB_DIR;
if (!webDir) throw new Error("TELLGRAPH_WEB_DIR must point at the web/ folder (with node_modules)");
const require = createRequire(join(webDir, "package.json"));
const { chromium } = require("playwright-core");

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A persistent context on a throw-away profile; call close() when done. */
export async function launch({ width = 1440, height = 900 } = {}) {
  const profile = mkdtempSync(join(tmpdir(), "tellgraph-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.TELLGRAPH_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width, height },
    deviceScaleFactor: 1,
    timeout: 30_000,
  });
  context.setDefaultTimeout(20_000);
  const page = context.pages()[0] || (await context.newPage());
  const problems = [];
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console error: ${msg.text()}`);
  });
  return {
    context,
    page,
    problems,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Run `steps(page, check)`; print one JSON line with what was checked; exit 1 on the first failure. */
export async function run(name, steps) {
  const browser = await launch();
  const checks = [];
  const started = Date.now();
  const check = (what, ok, detail = "") => {
    checks.push({ what, ok: !!ok, detail: String(detail), ms: Date.now() - started });
    if (!ok) throw new Error(`${what} failed ${detail}`);
  };
  let failure = null;
  try {
    await steps(browser.page, check);
  } catch (err) {
    failure = err.stack || String(err);
    const shot = join(process.env.TELLGRAPH_ARTIFACTS || tmpdir(), `${name}-failure.png`);
    await browser.page.screenshot({ path: shot, fullPage: true }).catch(() => {});
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify({ name, checks, problems: browser.problems, failure }));
  process.exit(failure ? 1 : 0);
}
