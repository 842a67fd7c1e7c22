// The tellgraph page in headless Chromium, against the real API over the demo data:
// sign in, search a person, see their network, open a warm path, open the AFC goal,
// approve an action, check the page (and, after a reload, the API) reflect it.
import { join } from "node:path";

import { run } from "./chromium.mjs";

const BASE = process.env.TELLGRAPH_API_URL;
const TOKEN = process.env.TELLGRAPH_TOKEN;
const OUT = process.env.TELLGRAPH_ARTIFACTS;
const shot = (page, name, fullPage = false) => page.screenshot({ path: join(OUT, `${name}.png`), fullPage });

await run("webapp", async (page, check) => {
  // The page itself is public; it asks for a token before any data.
  await page.goto(`${BASE}/`);
  await page.locator("#signin").waitFor();
  check("sign-in form shown without a token", await page.locator("#token").isVisible());
  await page.fill("#token", "not-a-valid-token-at-all");
  await page.click("#signin button[type=submit]");
  await page.locator("#signin .error").waitFor();
  check("a wrong token is refused", (await page.locator("#signin .error").textContent()).includes("not accepted"));
  await page.fill("#token", TOKEN);
  await page.click("#signin button[type=submit]");
  await page.locator("#who .role").waitFor();
  check("signed in as editor", (await page.locator("#who .role").textContent()) === "editor");
  check("token kept in sessionStorage", (await page.evaluate(() => sessionStorage.getItem("tellgraph.token"))) === TOKEN);

  // Search a person and open their neighbourhood.
  await page.fill("#search", "Omar Haddad");
  const hit = page.locator("#search-results a.hit", { hasText: "Omar Haddad" }).first();
  await hit.waitFor();
  await hit.click();
  await page.locator("#side .person-name", { hasText: "Omar Haddad" }).waitFor();
  await page.locator("#graph canvas").first().waitFor();
  const summary = await page.locator(".view-head p").first().textContent();
  const people = Number(summary.match(/(\d+) people/)[1]);
  const ties = Number(summary.match(/(\d+) ties/)[1]);
  check("network drawn with people and ties", people >= 5 && ties >= 5, summary);
  await page.waitForTimeout(300);
  await shot(page, "web-network");

  // Who can introduce us? Ranked warm paths with explanations; open the second one.
  await page.click("#side a.button.primary");
  await page.locator("#paths li.path").first().waitFor();
  const paths = await page.locator("#paths li.path").count();
  check("warm paths listed", paths >= 2, `${paths} paths`);
  const target = await page.inputValue("#intro-target");
  check("target prefilled from the person", target === "omar.haddad@the-afc.example", target);
  await page.click("#paths li.path:nth-child(2) .path-head");
  await page.locator("#paths li.path:nth-child(2).open .explanation").waitFor();
  const explanation = await page.locator("#paths li.path.open .explanation").textContent();
  check("opened path explains itself", explanation.length > 20, explanation);
  const chain = await page.locator("#paths li.path.open .chain").textContent();
  check("opened path ends at the target", chain.trim().endsWith("Omar Haddad"), chain);
  check("opened path has hops", (await page.locator("#paths li.path.open table.hops tbody tr").count()) >= 1);
  await page.locator("#path-graph canvas").first().waitFor();
  await page.click("#paths li.path:nth-child(1) .path-head");
  await page.waitForTimeout(300);
  await shot(page, "web-intros");

  // The AFC goal: its map, momentum over time, and a suggested action to approve.
  await page.click("nav a[data-section=goals]");
  await page.locator("a.goal-card", { hasText: "Win the AFC rights package" }).click();
  await page.locator("#goal-title", { hasText: "Win the AFC rights package" }).waitFor();
  const points = await page.locator(".momentum-chart .coverage circle").count();
  check("momentum chart has a history", points >= 3, `${points} points`);
  check("targets listed", (await page.locator("section:has(h2:text('Targets')) tbody tr").count()) >= 3);
  check("key people listed", (await page.locator("section:has(h2:text('Key people')) tbody tr").count()) >= 3);
  const proposed = page.locator("#actions li.action[data-status=proposed]").first();
  await proposed.waitFor();
  const actionId = await proposed.getAttribute("data-action-id");
  const title = await proposed.locator(".action-head strong").textContent();
  await proposed.locator("button.approve").click();
  const decided = page.locator(`#actions li.action[data-action-id="${actionId}"]`);
  await page.waitForFunction(
    (id) => document.querySelector(`li.action[data-action-id="${id}"]`)?.dataset.status !== "proposed",
    actionId,
  );
  const status = await decided.getAttribute("data-status");
  check("approved action shows its new status", ["approved", "executed"].includes(status), `${title}: ${status}`);
  check("approve button gone", (await decided.locator("button.approve").count()) === 0);
  check("decision recorded", (await decided.locator(".action-message").textContent()).includes("by api:editor"));
  await shot(page, "web-goal-approved");

  // A reload reads the decision back from the API.
  await page.reload();
  await page.locator("#goal-title").waitFor();
  const after = await page.locator(`#actions li.action[data-action-id="${actionId}"]`).getAttribute("data-status");
  check("decision persisted", after === status, after);
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, "web-goal", true);

  // Relationship health: due, at risk, cooling.
  await page.click("nav a[data-section=health]");
  await page.locator("#health tbody tr").first().waitFor();
  const rows = await page.locator("#health tbody tr").count();
  check("health list has ties", rows >= 3, `${rows} rows`);
  check("at-risk ties flagged", (await page.locator("#health .badge.bad").count()) >= 1);
  await shot(page, "web-health");

  // The owner's wider network, from the home page.
  await page.click("a.brand");
  await page.locator(".home a", { hasText: "network" }).click();
  await page.locator("#side .person-name").waitFor();
  await page.locator("#graph canvas").first().waitFor();
  const wide = await page.locator(".view-head p").first().textContent();
  check("the owner's network is wider", Number(wide.match(/(\d+) people/)[1]) >= 20, wide);
  await page.waitForTimeout(300);
  await shot(page, "web-network-owner");
});
