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
const SLIDE = process.env.TELLGRAPH_GUIDE_SLIDE; // the query's name
const SLIDE_NUMBER = process.env.TELLGRAPH_GUIDE_SLIDE_NUMBER; // its slide, counting from 1
const EXPECT = (process.env.TELLGRAPH_EXPECT_CAPTIONS || "").split("|").filter(Boolean);

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
  const style = await type(`:style ${API}/browser-guide/tellgraph.grass`);
  await style.getByText("node.Person").first().waitFor();
  check("style loaded from the API", true);

  // The guide, then the slide with the chosen query.
  const guide = await type(`:play ${API}/browser-guide`);
  await guide.getByText("tellgraph in Neo4j Browser").waitFor();
  check("guide loaded from the API", (await guide.textContent()).includes("1 / 7"));
  const heading = guide.locator("h3", { hasText: SLIDE });
  await guide.locator(`[data-testid=carousel] li[aria-label="${SLIDE_NUMBER}"]`).click();
  await heading.waitFor();
  check("query slide shown", await heading.isVisible(), SLIDE);
  const slide = guide.locator("div.col-sm-12", { has: page.locator("h3", { hasText: SLIDE }) });

  // Parameters, then the query, each copied from the guide into the editor and run.
  const params = slide.locator("pre.params");
  if (await params.count()) {
    await params.click();
    await runEditor();
    await frameFor(":params").getByText("Successfully set your parameters").waitFor();
    check("parameters set from the guide", true, await params.textContent());
  }
  const query = slide.locator("pre.query");
  const firstLine = (await query.textContent()).trim().split("\n")[0];
  await query.click();
  await runEditor();
  const result = frameFor(firstLine);
  const canvas = result.locator("svg g.node, svg .node");
  await canvas.first().waitFor({ timeout: 30_000 });
  const nodes = await canvas.count();
  check("query results render as a graph", nodes >= 3, `${nodes} nodes`);
  await page.waitForTimeout(2_500); // let the force layout settle
  // Captions wrap over several tspans: compare without spaces.
  const squash = (value) => (value || "").replace(/\s+/g, "");
  const text = squash((await canvas.allTextContents()).join("|"));
  for (const caption of EXPECT) check(`caption "${caption}" drawn`, text.includes(squash(caption)), text.slice(0, 300));
  await result.screenshot({ path: join(OUT, "neo4j-browser-query.png") });
  await guide.screenshot({ path: join(OUT, "neo4j-browser-guide.png") });
  await page.screenshot({ path: join(OUT, "neo4j-browser.png") });
});
