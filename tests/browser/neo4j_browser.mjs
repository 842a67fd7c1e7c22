// Neo4j Browser (served by the project's Neo4j) in headless Chromium: connect over Bolt,
// load the shipped style and guide from the API, run a shipped query from the guide,
// check the graph renders with the style's captions, and take screenshots.
import { join } from "node:path";

import { run } from "./chromium.mjs";

const BROWSER_URL = process.env.TELLGRAPH_NEO4J_BROWSER_URL; // http://127.0.0.1:<http>/browser/
const BOLT = process.env.TELLGRAPH_NEO4J_BOLT; // 127.0.0.1:<bolt>
const USER = process.env.TELLGRAPH_NEO4J_USER;
const PASSWORD = process.env.TELLGRAPH_NEO4J_PASSWORD;
const API = process.env.TELLGRAPH_API_URL;
const OUT = process.env.TELLGRAPH_ARTIFACTS;
// [{name, slide (counting from 1), captions: [...], shot: "file.png"}]: the guide's queries to run.
const QUERIES = JSON.parse(process.env.TELLGRAPH_GUIDE_QUERIES);

await run("neo4j-browser", async (page, check) => {
  await page.goto(BROWSER_URL);
  await page.locator("[data-testid=connect]").waitFor({ timeout: 45_000 });
  await page.selectOption("[data-testid=bolt-scheme-select]", "bolt://");
  await page.fill("[data-testid=boltaddress]", BOLT);
  await page.selectOption("[data-testid=authenticationMethod]", "NATIVE");
  await page.fill("[data-testid=username]", USER);
  await page.fill("[data-testid=password]", PASSWORD);
  await page.click("[data-testid=connect]");
  await page.getByText("You are connected as user").waitFor({ timeout: 45_000 });
  check("connected over Bolt", true, BOLT);

  const frames = page.locator("[data-testid=frame]");
  const editor = page.locator("[data-testid=activeEditor] .monaco-editor[role=code]");
  // The newest frame whose command starts with `command` (frames stack newest first).
  const frameFor = (command) =>
    frames.filter({ has: page.locator("[data-testid=frameCommand]", { hasText: command }) }).first();
  // Run what the editor holds (typed, or copied there from a guide) and wait for its frame.
  const runEditor = async () => {
    const before = await frames.count();
    await editor.click();
    await page.keyboard.press("Control+Enter");
    await page.waitForFunction((n) => document.querySelectorAll("[data-testid=frame]").length > n, before);
  };
  const type = async (command) => {
    await editor.click();
    await page.keyboard.insertText(command);
    await runEditor();
    return frameFor(command);
  };

  // The shipped style, fetched from the API (allow-listed host, CORS).
  // Browser reads the server's remote-content allowlist from the database just after connecting;
  // a `:style` sent before that arrives is checked against Browser's default list and refused.
  // Retry until the server's list is in place.
  for (let attempt = 1; ; attempt++) {
    const style = await type(`:style ${API}/browser-guide/tellgraph.grass`);
    const outcome = await Promise.race([
      style.getByText("node.Person").first().waitFor().then(() => "loaded", () => "timeout"),
      style.getByText("not allowed").first().waitFor().then(() => "refused", () => "timeout"),
    ]);
    if (outcome === "loaded") break;
    if (attempt >= 6) throw new Error(`the style was ${outcome} ${attempt} times`);
    await page.waitForTimeout(2_000);
  }
  check("style loaded from the API", true);

  // The guide, then the slides with the chosen queries.
  const guide = await type(`:play ${API}/browser-guide`);
  await guide.getByText("tellgraph in Neo4j Browser").waitFor();
  check("guide loaded from the API", (await guide.textContent()).includes("1 / 7"));
  for (const wanted of QUERIES) {
    const heading = guide.locator("h3", { hasText: wanted.name });
    await guide.locator(`[data-testid=carousel] li[aria-label="${wanted.slide}"]`).click();
    await heading.waitFor();
    const slide = guide.locator("div.col-sm-12", { has: page.locator("h3", { hasText: wanted.name }) });

    // Parameters, then the query, each copied from the guide into the editor and run.
    const params = slide.locator("pre.params");
    if (await params.count()) {
      await params.click();
      await runEditor();
      await frameFor(":params").getByText("Successfully set your parameters").waitFor();
      check(`${wanted.name}: parameters set from the guide`, true, await params.textContent());
    }
    const query = slide.locator("pre.query");
    const firstLine = (await query.textContent()).trim().split("\n")[0];
    await query.click();
    await runEditor();
    const result = frameFor(firstLine);
    const canvas = result.locator("svg g.node");
    await canvas.first().waitFor({ timeout: 30_000 });
    const nodes = await canvas.count();
    check(`${wanted.name}: results render as a graph`, nodes >= 3, `${nodes} nodes`);
    await page.waitForTimeout(2_500); // let the force layout settle
    // Captions wrap over several tspans: compare without spaces.
    const squash = (value) => (value || "").replace(/\s+/g, "");
    const text = squash((await canvas.allTextContents()).join("|"));
    for (const caption of wanted.captions) {
      check(`${wanted.name}: caption "${caption}" drawn`, text.includes(squash(caption)), text.slice(0, 300));
    }
    if (wanted.shot) await result.screenshot({ path: join(OUT, wanted.shot) });
  }
  await guide.locator(`[data-testid=carousel] li[aria-label="${QUERIES[0].slide}"]`).click();
  await guide.locator("h3", { hasText: QUERIES[0].name }).waitFor();
  await guide.screenshot({ path: join(OUT, "neo4j-browser-guide.png") });
});
