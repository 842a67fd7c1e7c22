// The tellgraph page: a hash-routed single page over the public GraphQL API.

import { ApiError, Q, getToken, gql, setToken, whenUnauthenticated } from "./api.js";
import { momentumChart } from "./chart.js";
import { badge, clear, errorBox, fmtDate, fmtScore, h, loading, pct } from "./dom.js";
import { drawNetwork, drawPaths, recencyColour } from "./graph.js";

const state = { viewer: null, team: [], owner: null, goals: [], cy: null };
const view = document.getElementById("view");
const who = document.getElementById("who");

// -- sign-in -------------------------------------------------------------------------

function showSignIn(message) {
  destroyGraph();
  document.body.classList.add("signed-out");
  const input = h("input", {
    id: "token",
    type: "password",
    autocomplete: "off",
    placeholder: "API token",
    "aria-label": "API token",
    required: true,
  });
  const form = h(
    "form",
    {
      class: "card signin",
      id: "signin",
      onsubmit: async (event) => {
        event.preventDefault();
        setToken(input.value.trim());
        await start();
      },
    },
    h("h1", {}, "Sign in to tellgraph"),
    h("p", {}, "Paste an API token (one of TELLGRAPH_API_TOKENS). It is kept in this tab only."),
    message ? h("div", { class: "error", role: "alert" }, message) : null,
    input,
    h("button", { type: "submit", class: "primary" }, "Connect"),
  );
  clear(view, form);
  clear(who);
  input.focus();
}

whenUnauthenticated(() => {
  if (getToken()) setToken("");
});

async function start() {
  try {
    const data = await gql(Q.viewer);
    state.viewer = data.viewer;
  } catch (err) {
    if (err instanceof ApiError && err.code === "UNAUTHENTICATED") {
      showSignIn(getToken() || document.getElementById("token") ? "That token was not accepted." : "");
      return;
    }
    clear(view, errorBox(err));
    return;
  }
  document.body.classList.remove("signed-out");
  clear(
    who,
    h("span", { class: "role", title: state.viewer.actor }, state.viewer.role),
    getToken()
      ? h(
          "button",
          {
            class: "link",
            onclick: () => {
              setToken("");
              showSignIn("Signed out.");
            },
          },
          "Sign out",
        )
      : null,
  );
  await loadTeam();
  route();
}

async function loadTeam() {
  try {
    const data = await gql(Q.team);
    const byId = new Map();
    for (const p of data.people.nodes) byId.set(p.id, p);
    for (const goal of data.goals.nodes) {
      for (const p of [goal.owner, ...goal.team]) if (p) byId.set(p.id, p);
    }
    state.team = [...byId.values()].sort((a, b) => (a.name || "").localeCompare(b.name || ""));
    state.goals = data.goals.nodes;
    const owner = data.goals.nodes.find((g) => g.owner)?.owner || data.people.nodes[0] || state.team[0];
    state.owner = owner ? byId.get(owner.id) || owner : null;
  } catch (err) {
    state.team = [];
  }
}

// -- routing ---------------------------------------------------------------------------

function destroyGraph() {
  if (state.cy) {
    state.cy.destroy();
    state.cy = null;
  }
}

function route() {
  if (document.body.classList.contains("signed-out")) return;
  destroyGraph();
  const hash = location.hash.replace(/^#\/?/, "");
  const [path, query = ""] = hash.split("?");
  const [section, ...rest] = path.split("/");
  const arg = decodeURIComponent(rest.join("/"));
  const params = new URLSearchParams(query);
  for (const link of document.querySelectorAll("nav a")) {
    link.classList.toggle("active", link.dataset.section === (section || "network"));
  }
  switch (section) {
    case "person":
      return showNetwork(arg);
    case "company":
      return showCompany(arg);
    case "intros":
      return showIntros(params.get("to") || "");
    case "goals":
      return showGoals();
    case "goal":
      return showGoal(arg);
    case "health":
      return showHealth(params.get("kind") || "");
    default:
      return showHome();
  }
}

window.addEventListener("hashchange", route);

function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

// -- search ----------------------------------------------------------------------------

const searchInput = document.getElementById("search");
const searchResults = document.getElementById("search-results");
let searchSeq = 0;

function hitLink(hit) {
  const n = hit.node;
  switch (n.__typename) {
    case "Person":
      return {
        href: `#/person/${encodeURIComponent(n.id)}`,
        title: n.name || n.emails[0] || n.id,
        sub: [n.title, n.company && n.company.name].filter(Boolean).join(" · ") || (n.emails[0] ?? ""),
      };
    case "Company":
      return {
        href: `#/company/${encodeURIComponent(n.id)}`,
        title: n.name || n.domain,
        sub: `${n.domain || ""} · ${n.peopleCount} people`,
      };
    case "Goal":
      return { href: `#/goal/${encodeURIComponent(n.id)}`, title: n.name, sub: `goal · ${n.status}` };
    case "Project":
      return { href: null, title: n.name, sub: `project${n.stage ? ` · ${n.stage}` : ""}` };
    case "Topic":
      return { href: null, title: n.name, sub: "topic" };
    case "Event":
      return { href: null, title: n.name, sub: `event · ${fmtDate(n.startsAt)}` };
    default:
      return { href: null, title: n.subject || "(no subject)", sub: `${n.channel} · ${fmtDate(n.timestamp)}` };
  }
}

async function runSearch(text) {
  const seq = ++searchSeq;
  if (text.trim().length < 2) {
    searchResults.hidden = true;
    return;
  }
  try {
    const data = await gql(Q.search, { q: text });
    if (seq !== searchSeq) return;
    const hits = data.search.nodes;
    clear(
      searchResults,
      hits.length
        ? hits.map((hit) => {
            const link = hitLink(hit);
            const body = [
              h("span", { class: "kind" }, hit.node.__typename),
              h("strong", {}, link.title),
              h("small", {}, link.sub),
            ];
            return link.href
              ? h(
                  "a",
                  {
                    class: "hit",
                    href: link.href,
                    onclick: () => {
                      searchResults.hidden = true;
                    },
                  },
                  body,
                )
              : h("div", { class: "hit inert" }, body);
          })
        : h("div", { class: "hit inert" }, "Nothing found"),
    );
    searchResults.hidden = false;
  } catch (err) {
    if (seq === searchSeq) {
      clear(searchResults, errorBox(err));
      searchResults.hidden = false;
    }
  }
}

let searchTimer = null;
searchInput.addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => runSearch(searchInput.value), 200);
});
document.getElementById("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  clearTimeout(searchTimer);
  runSearch(searchInput.value);
});
document.addEventListener("click", (event) => {
  if (!event.target.closest("#search-form")) searchResults.hidden = true;
});

// -- views -----------------------------------------------------------------------------

function teamRefs() {
  return state.team.map((p) => (p.emails && p.emails[0]) || p.id);
}

function personLink(person) {
  if (!person) return "—";
  return h("a", { href: `#/person/${encodeURIComponent(person.id)}` }, person.name || person.id);
}

function showHome() {
  const owner = state.owner;
  clear(
    view,
    h(
      "section",
      { class: "home" },
      h("h1", {}, "See the network"),
      h("p", { class: "muted" }, "Search for a person or a company above, or start from the team or a goal."),
      h(
        "div",
        { class: "grid two" },
        h(
          "div",
          { class: "card" },
          h("h2", {}, "Team"),
          state.team.length
            ? h(
                "ul",
                { class: "plain" },
                state.team.map((p) => h("li", {}, personLink(p))),
              )
            : h("p", { class: "muted" }, "No team members yet: flag people with isTeam or create a goal."),
        ),
        h(
          "div",
          { class: "card" },
          h("h2", {}, "Goals"),
          state.goals.length
            ? h(
                "ul",
                { class: "plain" },
                state.goals.map((g) => h("li", {}, h("a", { href: `#/goal/${encodeURIComponent(g.id)}` }, g.name))),
              )
            : h("p", { class: "muted" }, "No goals yet."),
        ),
      ),
      owner ? h("p", {}, h("a", { href: `#/person/${encodeURIComponent(owner.id)}` }, `Open ${owner.name}'s network →`)) : null,
    ),
  );
}

function legend() {
  const gradient = `linear-gradient(90deg, ${[0, 0.35, 0.7, 1].map((r) => recencyColour(r)).join(", ")})`;
  const bar = h("span", { class: "gradient" });
  bar.style.background = gradient;
  return h(
    "div",
    { class: "legend" },
    h("span", { class: "key width" }, "edge width = tie strength"),
    h("span", { class: "key" }, "colour = recency: ", h("small", {}, "long ago "), bar, h("small", {}, " this week")),
    h("span", { class: "key team" }, "team"),
    h("span", { class: "key centre" }, "centre"),
  );
}

async function showNetwork(ref) {
  if (!ref) return showHome();
  const canvas = h("div", { id: "graph", class: "graph" });
  const side = h("aside", { class: "side card", id: "side" }, loading());
  const header = h("div", { class: "view-head" }, h("h1", {}, "Network"));
  clear(view, header, h("div", { class: "network-layout" }, h("div", {}, canvas, legend()), side));
  let data;
  try {
    data = await gql(Q.network, { center: ref, depth: 2, limit: 45 });
  } catch (err) {
    clear(side, errorBox(err));
    return;
  }
  const net = data.network;
  clear(
    header,
    h("h1", {}, `${net.center.name || net.center.id}'s network`),
    h(
      "p",
      { class: "muted" },
      `${net.nodes.length} people, ${net.edges.length} ties, two hops out${net.truncated ? " (strongest ties only)" : ""}.`,
      net.asOf ? ` Newest communication: ${fmtDate(net.asOf)}.` : "",
    ),
  );
  state.cy = drawNetwork(canvas, net, {
    onSelect: (id) => showPersonPanel(side, id, net),
    teamIds: new Set(state.team.map((p) => p.id)),
  });
  showPersonPanel(side, net.center.id, net);
}

async function showPersonPanel(side, id, net) {
  clear(side, loading());
  try {
    const { person } = await gql(Q.person, { id });
    const isCentre = net && net.center.id === person.id;
    const onTeam = person.isTeam || state.team.some((p) => p.id === person.id);
    const email = person.emails[0];
    clear(
      side,
      h("h2", { class: "person-name" }, person.name || email || person.id),
      h(
        "p",
        { class: "muted" },
        [person.title, person.company && person.company.name].filter(Boolean).join(" · ") || email || "",
      ),
      onTeam ? badge("team", "team") : null,
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "Ties"),
        h("dd", {}, String(person.degree)),
        h("dt", {}, "Last interaction"),
        h("dd", {}, fmtDate(person.lastInteraction)),
      ),
      h("h3", {}, "Strongest ties"),
      h(
        "ul",
        { class: "ties" },
        person.relationships.nodes.map((r) =>
          h(
            "li",
            {},
            personLink(r.other),
            h("span", { class: "strength" }, fmtScore(r.strength)),
            h("small", { class: "muted" }, ` ${r.interactionCount} msgs · ${fmtDate(r.lastInteraction)}`),
          ),
        ),
      ),
      person.timeline.nodes.length ? h("h3", {}, "Latest") : null,
      h(
        "ul",
        { class: "timeline" },
        person.timeline.nodes.map((c) =>
          h("li", {}, h("small", { class: "muted" }, `${fmtDate(c.timestamp)} · ${c.channel} `), c.subject || "(no subject)"),
        ),
      ),
      h(
        "div",
        { class: "actions" },
        isCentre
          ? null
          : h("a", { class: "button", href: `#/person/${encodeURIComponent(person.id)}` }, "Centre here"),
        onTeam
          ? null
          : h(
              "a",
              { class: "button primary", href: `#/intros?to=${encodeURIComponent(email || person.id)}` },
              "Who can introduce us?",
            ),
      ),
    );
  } catch (err) {
    clear(side, errorBox(err));
  }
}

async function showCompany(id) {
  clear(view, loading());
  try {
    const { company } = await gql(Q.company, { id });
    const people = company.people.nodes;
    clear(
      view,
      h(
        "div",
        { class: "view-head" },
        h("h1", {}, company.name || company.domain),
        h(
          "p",
          { class: "muted" },
          `${company.domain || ""} · ${company.peopleCount} people now · last interaction ${fmtDate(company.lastInteraction)}`,
        ),
        h(
          "a",
          { class: "button primary", href: `#/intros?to=${encodeURIComponent(company.domain || company.id)}` },
          `Who can introduce us to ${company.name || company.domain}?`,
        ),
      ),
      h(
        "table",
        { class: "list" },
        h("thead", {}, h("tr", {}, h("th", {}, "Person"), h("th", {}, "Title"), h("th", {}, "Ties"), h("th", {}, ""))),
        h(
          "tbody",
          {},
          people.map((e) =>
            h(
              "tr",
              {},
              h("td", {}, personLink(e.person)),
              h("td", {}, e.title || ""),
              h("td", {}, String(e.person.degree)),
              h("td", {}, e.current ? "" : badge("former", "muted")),
            ),
          ),
        ),
      ),
    );
  } catch (err) {
    clear(view, errorBox(err));
  }
}

// -- introductions ---------------------------------------------------------------------

function showIntros(target) {
  const selected = new Set(teamRefs());
  const chips = h(
    "div",
    { class: "chips", id: "team-chips" },
    state.team.map((p) => {
      const ref = (p.emails && p.emails[0]) || p.id;
      const box = h("input", {
        type: "checkbox",
        checked: true,
        onchange: () => (box.checked ? selected.add(ref) : selected.delete(ref)),
      });
      return h("label", { class: "chip" }, box, p.name || ref);
    }),
  );
  const input = h("input", {
    id: "intro-target",
    type: "text",
    value: target,
    placeholder: "email, person id, company domain",
    "aria-label": "Whom to reach",
  });
  const hops = h(
    "select",
    { id: "intro-hops", "aria-label": "Longest path" },
    [2, 3, 4].map((n) => h("option", { value: n, selected: n === 3 }, `${n} hops`)),
  );
  const results = h("div", { id: "intro-results" });
  const form = h(
    "form",
    {
      class: "card intro-form",
      onsubmit: (event) => {
        event.preventDefault();
        const to = input.value.trim();
        if (location.hash !== `#/intros?to=${encodeURIComponent(to)}`) {
          history.replaceState(null, "", `#/intros?to=${encodeURIComponent(to)}`);
        }
        findIntros(results, [...selected], to, Number(hops.value));
      },
    },
    h("label", {}, "Who can introduce us to ", input),
    hops,
    h("button", { type: "submit", class: "primary" }, "Find warm paths"),
    h("div", { class: "muted small" }, "From the team:"),
    chips,
  );
  clear(view, h("div", { class: "view-head" }, h("h1", {}, "Who can introduce us?")), form, results);
  if (target) findIntros(results, [...selected], target, Number(hops.value));
}

async function findIntros(results, from, to, maxHops) {
  if (!to) return;
  if (!from.length) {
    clear(results, errorBox("Choose at least one team member."));
    return;
  }
  destroyGraph();
  clear(results, loading("Searching warm paths…"));
  try {
    const data = await gql(Q.intros, { from, to, maxHops, first: 5 });
    const paths = data.warmIntroPaths;
    if (!paths.length) {
      clear(results, h("p", { class: "card" }, `No warm path to ${to} within ${maxHops} hops.`));
      return;
    }
    const canvas = h("div", { id: "path-graph", class: "graph small" });
    const list = h("ol", { class: "paths", id: "paths" });
    const open = (index) => {
      for (const [i, item] of [...list.children].entries()) item.classList.toggle("open", i === index);
      destroyGraph();
      state.cy = drawPaths(canvas, [paths[index]]);
    };
    paths.forEach((path, index) => {
      const names = [path.hops[0].from, ...path.hops.map((hop) => hop.to)].map((p) => p.name || p.id);
      list.append(
        h(
          "li",
          { class: "path card", dataset: { index: String(index) } },
          h(
            "button",
            { class: "path-head", type: "button", onclick: () => open(index), "aria-label": `Open path ${index + 1}` },
            h("span", { class: "rank" }, `#${index + 1}`),
            h("span", { class: "chain" }, names.join(" → ")),
            h("span", { class: "score" }, `score ${fmtScore(path.score)}`),
          ),
          h(
            "div",
            { class: "path-body" },
            h("p", { class: "explanation" }, path.explanation),
            path.warnings.map((w) => h("p", { class: "warning" }, w)),
            path.collapsed ? h("p", { class: "muted small" }, `${path.collapsed} similar paths folded in.`) : null,
            h(
              "table",
              { class: "hops" },
              h(
                "thead",
                {},
                h("tr", {}, h("th", {}, "From"), h("th", {}, "To"), h("th", {}, "Strength"), h("th", {}, "Messages"), h("th", {}, "Last")),
              ),
              h(
                "tbody",
                {},
                path.hops.map((hop) =>
                  h(
                    "tr",
                    { class: hop.stale ? "stale" : "" },
                    h("td", {}, personLink(hop.from)),
                    h("td", {}, personLink(hop.to)),
                    h("td", {}, fmtScore(hop.strength)),
                    h("td", {}, String(hop.interactionCount)),
                    h(
                      "td",
                      {},
                      fmtDate(hop.lastInteraction),
                      hop.stale ? badge("stale", "warn") : null,
                      hop.negative ? badge("negative", "bad") : null,
                    ),
                  ),
                ),
              ),
            ),
          ),
        ),
      );
    });
    clear(results, h("div", { class: "paths-layout" }, list, h("div", {}, canvas, legend())));
    open(0);
  } catch (err) {
    clear(results, errorBox(err));
  }
}

// -- goals -----------------------------------------------------------------------------

async function showGoals() {
  clear(view, loading());
  try {
    const data = await gql(Q.goals);
    state.goals = data.goals.nodes;
    clear(
      view,
      h("div", { class: "view-head" }, h("h1", {}, "Goals")),
      state.goals.length
        ? h(
            "div",
            { class: "grid three" },
            state.goals.map((g) =>
              h(
                "a",
                { class: "card goal-card", href: `#/goal/${encodeURIComponent(g.id)}` },
                h("h2", {}, g.name),
                h(
                  "p",
                  { class: "muted" },
                  `${g.status} · ${g.targets.length} targets · deadline ${fmtDate(g.deadline)}${g.owner ? ` · ${g.owner.name}` : ""}`,
                ),
              ),
            ),
          )
        : h("p", { class: "card" }, "No goals yet. Create one with the createGoal mutation or `tellgraph demo`."),
    );
  } catch (err) {
    clear(view, errorBox(err));
  }
}

const STATUS_KIND = { proposed: "", approved: "good", executed: "good", executing: "warn", rejected: "bad" };

function actionCard(action) {
  const status = action.status.toLowerCase();
  const message = h("div", { class: "action-message muted small" });
  const buttons = h("div", { class: "actions" });
  const statusBadge = badge(status, `status ${STATUS_KIND[status] ?? ""}`);
  const card = h(
    "li",
    { class: "card action", dataset: { actionId: action.id, status } },
    h("div", { class: "action-head" }, h("strong", {}, action.title), statusBadge),
    h(
      "div",
      { class: "muted small" },
      `${action.kind.replaceAll("_", " ")} · ${action.channel}${action.recipients.length ? ` → ${action.recipients.join(", ")}` : ""} · priority ${fmtScore(action.priority)}`,
    ),
    h("ul", { class: "reasons" }, action.reasons.map((r) => h("li", {}, r))),
    action.draft
      ? h(
          "details",
          {},
          h("summary", {}, action.subject ? `Draft: ${action.subject}` : "Draft"),
          h("pre", { class: "draft" }, action.draft),
        )
      : null,
    buttons,
    message,
  );
  const render = (current) => {
    const now = current.status.toLowerCase();
    card.dataset.status = now;
    statusBadge.textContent = now;
    statusBadge.className = `badge status ${STATUS_KIND[now] ?? ""}`.trim();
    const decided = current.decidedBy ? `${now} by ${current.decidedBy} on ${fmtDate(current.decidedAt)}` : "";
    message.textContent = [decided, current.rejectReason, current.executionError].filter(Boolean).join(" · ");
    clear(
      buttons,
      now === "proposed" || now === "approved"
        ? [
            now === "proposed"
              ? h("button", { class: "primary approve", type: "button", onclick: () => decide("approve") }, "Approve")
              : null,
            h("button", { class: "reject", type: "button", onclick: () => decide("reject") }, "Reject"),
          ]
        : null,
    );
  };
  const decide = async (what) => {
    for (const b of buttons.querySelectorAll("button")) b.disabled = true;
    try {
      const data =
        what === "approve"
          ? (await gql(Q.approve, { id: action.id })).approveAction
          : (await gql(Q.reject, { id: action.id, reason: "Rejected in the web page" })).rejectAction;
      render({ ...action, ...data.action });
      message.textContent = `${data.message}${message.textContent ? ` · ${message.textContent}` : ""}`;
    } catch (err) {
      render(action);
      message.replaceChildren(errorBox(err));
    }
  };
  render(action);
  return card;
}

function section(title, ...children) {
  return h("section", { class: "card" }, h("h2", {}, title), ...children);
}

async function showGoal(id) {
  clear(view, loading("Mapping the goal…"));
  let data;
  try {
    data = await gql(Q.goalMap, { id });
  } catch (err) {
    clear(view, errorBox(err));
    return;
  }
  const m = data.goalMap;
  const goal = m.goal;
  const actions = data.suggestedActions.nodes.filter((a) => a.goalId === goal.id);
  const points = [
    ...m.history.filter((p) => new Date(p.at).getTime() < new Date(m.generatedAt).getTime() - 3_600_000),
    {
      at: m.generatedAt,
      coverage: m.coverage.ratio,
      reachScore: m.momentum.reachScore,
      activity30: m.momentum.activity30,
    },
  ];
  const trendKind = { rising: "good", falling: "bad", steady: "" }[m.momentum.trend] ?? "";
  clear(
    view,
    h(
      "div",
      { class: "view-head goal-head" },
      h("h1", { id: "goal-title" }, goal.name),
      h(
        "p",
        { class: "muted" },
        `${goal.status} · owner ${goal.owner ? goal.owner.name : "—"} · deadline ${fmtDate(goal.deadline)}`,
        m.daysToDeadline !== null ? ` (${m.daysToDeadline} days)` : "",
        ` · team: ${goal.team.map((p) => p.name).join(", ")}`,
      ),
      goal.description ? h("p", { class: "description" }, goal.description) : null,
    ),
    h(
      "div",
      { class: "grid four stats" },
      h(
        "div",
        { class: "card stat" },
        h("div", { class: "big" }, pct(m.coverage.ratio)),
        h("div", {}, `coverage: ${m.coverage.covered} of ${m.coverage.total} key people reachable`),
      ),
      h("div", { class: "card stat" }, h("div", { class: "big" }, String(m.gaps.length)), h("div", {}, "gaps")),
      h("div", { class: "card stat" }, h("div", { class: "big" }, String(m.stalls.length)), h("div", {}, "stalled threads")),
      h(
        "div",
        { class: "card stat" },
        h("div", { class: `big ${trendKind}` }, m.momentum.trend),
        h("div", {}, `momentum: ${m.momentum.activity30} communications in 30 days (${m.momentum.activityPrev30} before)`),
      ),
    ),
    h(
      "div",
      { class: "grid two" },
      section(
        "Momentum",
        momentumChart(points),
        h("p", { class: "muted small" }, m.momentum.explanation),
      ),
      section(
        "Targets",
        h(
          "table",
          { class: "list" },
          h("thead", {}, h("tr", {}, h("th", {}, "Target"), h("th", {}, "Kind"), h("th", {}, "Covered"), h("th", {}, "Best path"))),
          h(
            "tbody",
            {},
            m.targets.map((t) =>
              h(
                "tr",
                {},
                h("td", {}, t.name || t.id),
                h("td", {}, t.kind),
                h("td", {}, t.covered ? badge("yes", "good") : badge("no", "bad")),
                h("td", {}, fmtScore(t.bestScore)),
              ),
            ),
          ),
        ),
        h("p", { class: "muted small" }, m.coverage.explanation),
      ),
    ),
    section(
      "Key people",
      h(
        "table",
        { class: "list" },
        h(
          "thead",
          {},
          h("tr", {}, h("th", {}, "Person"), h("th", {}, "Company"), h("th", {}, "Status"), h("th", {}, "Best warm path")),
        ),
        h(
          "tbody",
          {},
          m.people.map((k) =>
            h(
              "tr",
              {},
              h(
                "td",
                {},
                personLink(k.person),
                k.decisionMaker ? badge("decision maker", "warn") : null,
                k.person.title ? h("div", { class: "muted small" }, k.person.title) : null,
              ),
              h("td", {}, k.companyName || ""),
              h("td", {}, badge(k.status, { warm: "good", direct: "good", cold: "bad", unreachable: "bad" }[k.status] ?? "")),
              h(
                "td",
                {},
                k.bestPath
                  ? [h("span", {}, k.bestPath.names.join(" → ")), h("span", { class: "strength" }, fmtScore(k.bestPath.score))]
                  : "—",
              ),
            ),
          ),
        ),
      ),
    ),
    h(
      "div",
      { class: "grid two" },
      section(
        "Gaps",
        m.gaps.length
          ? h(
              "ul",
              { class: "gaps" },
              m.gaps.map((g) =>
                h("li", {}, badge(g.kind.replaceAll("_", " "), "bad"), " ", g.title, h("div", { class: "muted small" }, g.evidence.join(" · "))),
              ),
            )
          : h("p", { class: "muted" }, "No gaps."),
      ),
      section(
        "Stalled threads",
        m.stalls.length
          ? h(
              "ul",
              { class: "stalls" },
              m.stalls.map((s) =>
                h(
                  "li",
                  {},
                  h("strong", {}, s.subject || "(no subject)"),
                  s.new ? badge("new", "warn") : null,
                  h(
                    "div",
                    { class: "muted small" },
                    `${s.kind.replaceAll("_", " ")} · waiting ${s.daysWaiting} days · silent ${s.daysSilent} days · ${s.chasers} chasers`,
                  ),
                ),
              ),
            )
          : h("p", { class: "muted" }, "Nothing stalled."),
      ),
    ),
    section(
      "Suggested actions",
      h("p", { class: "muted small" }, "Nothing leaves tellgraph until someone approves it."),
      actions.length
        ? h("ul", { class: "actions-list", id: "actions" }, actions.map(actionCard))
        : h("p", { class: "muted" }, "No suggested actions: run `tellgraph agents run`."),
      m.nextSteps.length
        ? h(
            "details",
            {},
            h("summary", {}, `Next steps the map suggests (${m.nextSteps.length})`),
            h(
              "ul",
              {},
              m.nextSteps.map((s) =>
                h("li", {}, `${s.actor ? s.actor.name : "The team"} → ${s.contact.name}${s.via ? ` via ${s.via.name}` : ""}: ${s.why}`),
              ),
            ),
          )
        : null,
    ),
  );
}

// -- relationship health ---------------------------------------------------------------

const KIND_LABEL = { DUE: "due", AT_RISK: "at risk", COOLING: "cooling" };
const KIND_CLASS = { DUE: "warn", AT_RISK: "bad", COOLING: "cool" };

function whenDue(item) {
  const days = item.attentionInDays;
  if (days === null || days === undefined) return "—";
  if (days < 0) return `overdue ${-days} days`;
  if (days === 0) return "due today";
  return `due in ${days} days`;
}

async function showHealth(kind) {
  const filters = h(
    "div",
    { class: "chips", id: "health-filters" },
    ["", "DUE", "AT_RISK", "COOLING"].map((k) =>
      h("a", { class: `chip ${k === kind ? "active" : ""}`, href: `#/health${k ? `?kind=${k}` : ""}` }, k ? KIND_LABEL[k] : "all"),
    ),
  );
  const body = h("div", {}, loading());
  clear(
    view,
    h(
      "div",
      { class: "view-head" },
      h("h1", {}, "Relationship health"),
      h("p", { class: "muted" }, `The team's ties that are due, at risk or cooling (team: ${state.team.map((p) => p.name).join(", ") || "none"}).`),
      filters,
    ),
    body,
  );
  if (!state.team.length) {
    clear(body, h("p", { class: "card" }, "No team members known yet."));
    return;
  }
  try {
    const data = await gql(Q.health, { people: teamRefs(), kinds: kind ? [kind] : null });
    const items = data.relationshipHealth;
    const touchpoints = data.suggestedActions.nodes.filter((a) => !a.goalId && a.kind === "touchpoint");
    clear(
      body,
      items.length
        ? h(
            "table",
            { class: "list health", id: "health" },
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                h("th", {}, "Contact"),
                h("th", {}, "Whose tie"),
                h("th", {}, "Why"),
                h("th", {}, "When"),
                h("th", {}, "Strength"),
                h("th", {}, "Last contact"),
              ),
            ),
            h(
              "tbody",
              {},
              items.map((item) => {
                const r = item.relationship;
                return h(
                  "tr",
                  {},
                  h(
                    "td",
                    {},
                    personLink(r.other),
                    h("div", { class: "muted small" }, [r.other.title, r.other.company && r.other.company.name].filter(Boolean).join(" · ")),
                  ),
                  h("td", {}, personLink(r.person)),
                  h(
                    "td",
                    {},
                    item.kinds.map((k) => badge(KIND_LABEL[k], KIND_CLASS[k])),
                    item.riskReasons.length ? h("ul", { class: "reasons small" }, item.riskReasons.map((x) => h("li", {}, x))) : null,
                  ),
                  h("td", {}, whenDue(item), item.preferredChannel ? h("div", { class: "muted small" }, `by ${item.preferredChannel}${item.preferredFormat ? `, ${item.preferredFormat}` : ""}`) : null),
                  h("td", {}, fmtScore(r.strength)),
                  h("td", {}, fmtDate(r.lastInteraction), h("div", { class: "muted small" }, `${r.interactionCount} communications`)),
                );
              }),
            ),
          )
        : h("p", { class: "card" }, "Nothing needs attention."),
      touchpoints.length
        ? section(
            "Suggested touchpoints",
            h("p", { class: "muted small" }, "Drafted by the relationship agent; nothing is sent until you approve."),
            h("ul", { class: "actions-list", id: "touchpoints" }, touchpoints.slice(0, 6).map(actionCard)),
          )
        : null,
    );
  } catch (err) {
    clear(body, errorBox(err));
  }
}

start();
