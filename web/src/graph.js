// Drawing with Cytoscape.js: a neighbourhood (strength as edge width, recency
// as colour) and warm paths (a chain of introductions, left to right).

import cytoscape from "cytoscape";

// Recency 0 (long ago) to 1 (this week): slate blue to warm orange.
const RECENCY_STOPS = [
  [0.0, [148, 163, 184]],
  [0.35, [96, 165, 250]],
  [0.7, [250, 204, 21]],
  [1.0, [234, 88, 12]],
];

export function recencyColour(recency) {
  const r = Math.min(1, Math.max(0, recency ?? 0));
  for (let i = 1; i < RECENCY_STOPS.length; i++) {
    const [x1, c1] = RECENCY_STOPS[i];
    const [x0, c0] = RECENCY_STOPS[i - 1];
    if (r <= x1) {
      const t = (r - x0) / (x1 - x0);
      const mix = c0.map((v, k) => Math.round(v + (c1[k] - v) * t));
      return `rgb(${mix.join(",")})`;
    }
  }
  return "rgb(234,88,12)";
}

/** Recency from the last interaction when the score's own component is missing (90-day half-life). */
export function recencyOf(edge, asOf) {
  if (edge.recency !== null && edge.recency !== undefined) return edge.recency;
  if (!edge.lastInteraction) return 0;
  const ref = asOf ? new Date(asOf).getTime() : Date.now();
  const days = Math.max(0, (ref - new Date(edge.lastInteraction).getTime()) / 86_400_000);
  return Math.pow(0.5, days / 90);
}

export function edgeWidth(strength) {
  return 1 + 9 * Math.min(1, Math.max(0, strength || 0));
}

const BASE_STYLE = [
  {
    selector: "node",
    style: {
      label: "data(label)",
      "font-size": 11,
      "font-family": "system-ui, sans-serif",
      color: "#1f2937",
      "text-valign": "bottom",
      "text-margin-y": 4,
      "text-outline-color": "#ffffff",
      "text-outline-width": 2,
      "background-color": "#64748b",
      width: 22,
      height: 22,
      "border-width": 2,
      "border-color": "#ffffff",
    },
  },
  { selector: "node[?team]", style: { "background-color": "#0d9488" } },
  { selector: "node[depth = 1]", style: { width: 26, height: 26 } },
  {
    selector: "node.centre",
    style: { "background-color": "#7c3aed", width: 40, height: 40, "font-size": 13, "font-weight": "bold" },
  },
  { selector: "node.target", style: { "background-color": "#dc2626", width: 32, height: 32 } },
  { selector: "node:selected", style: { "border-color": "#111827", "border-width": 3 } },
  {
    selector: "edge",
    style: {
      width: "data(width)",
      "line-color": "data(colour)",
      "curve-style": "haystack",
      "haystack-radius": 0,
      opacity: 0.85,
    },
  },
  { selector: "edge.faded, node.faded", style: { opacity: 0.15 } },
  {
    selector: "edge.path",
    style: {
      "curve-style": "bezier",
      label: "data(label)",
      "font-size": 10,
      "text-background-color": "#ffffff",
      "text-background-opacity": 1,
      "text-background-padding": 2,
      "target-arrow-shape": "triangle",
      "target-arrow-color": "data(colour)",
    },
  },
];

function makeCy(container, elements, layout) {
  return cytoscape({
    container,
    elements,
    style: BASE_STYLE,
    layout,
    minZoom: 0.2,
    maxZoom: 3,
    wheelSensitivity: 0.3,
    boxSelectionEnabled: false,
  });
}

/** The neighbourhood of a person: rings by hops from the centre. */
export function drawNetwork(container, network, { onSelect, teamIds = new Set() } = {}) {
  const elements = [];
  for (const node of network.nodes) {
    const p = node.person;
    const team = !!p.isTeam || teamIds.has(node.id);
    elements.push({
      group: "nodes",
      data: { id: node.id, label: p.name || (p.emails && p.emails[0]) || node.id, depth: node.depth, team },
      classes: node.depth === 0 ? "centre" : "",
    });
  }
  for (const edge of network.edges) {
    const recency = recencyOf(edge, network.asOf);
    elements.push({
      group: "edges",
      data: {
        id: `${edge.source}|${edge.target}`,
        source: edge.source,
        target: edge.target,
        width: edgeWidth(edge.strength),
        colour: recencyColour(recency),
        strength: edge.strength,
        recency,
      },
    });
  }
  // Rings by hops first, then a force-directed pass from there (not from random positions,
  // so the same network always draws the same way): strong ties pull people closer.
  const cy = makeCy(container, elements, {
    name: "concentric",
    concentric: (n) => 10 - n.data("depth"),
    levelWidth: () => 1,
    minNodeSpacing: 28,
    animate: false,
  });
  if (network.nodes.length > 12) {
    cy.layout({
      name: "cose",
      randomize: false,
      animate: false,
      fit: true,
      padding: 24,
      nodeRepulsion: () => 600_000,
      nodeOverlap: 40,
      idealEdgeLength: (edge) => 170 - 100 * (edge.data("strength") || 0),
      edgeElasticity: (edge) => 60 + 140 * (edge.data("strength") || 0),
      gravity: 0.3,
      numIter: 1500,
      // Use the canvas's shape (wider than tall) so names stay legible once it fits.
      boundingBox: { x1: 0, y1: 0, w: container.clientWidth || 900, h: container.clientHeight || 600 },
    }).run();
    cy.style().selector("node").style("font-size", 13).update();
  }
  cy.on("tap", "node", (evt) => {
    const id = evt.target.id();
    cy.elements().addClass("faded");
    evt.target.closedNeighborhood().removeClass("faded");
    if (onSelect) onSelect(id);
  });
  cy.on("tap", (evt) => {
    if (evt.target === cy) cy.elements().removeClass("faded");
  });
  return cy;
}

/** One or more warm paths as chains from the team (left) to the target (right). */
export function drawPaths(container, paths, asOf) {
  const elements = [];
  const seen = new Set();
  paths.forEach((path, row) => {
    const people = [path.hops[0].from, ...path.hops.map((hop) => hop.to)];
    people.forEach((person, col) => {
      const id = `${row}:${person.id}`;
      if (seen.has(id)) return;
      seen.add(id);
      const classes = col === people.length - 1 ? "target" : col === 0 ? "centre" : "";
      elements.push({
        group: "nodes",
        data: { id, label: person.name || person.id, depth: col },
        position: { x: col * 190, y: row * 90 },
        classes,
      });
    });
    path.hops.forEach((hop, i) => {
      const recency = recencyOf(hop, asOf);
      elements.push({
        group: "edges",
        data: {
          id: `${row}:${i}`,
          source: `${row}:${hop.from.id}`,
          target: `${row}:${hop.to.id}`,
          width: edgeWidth(hop.strength),
          colour: recencyColour(recency),
          label: Number(hop.strength).toFixed(2),
        },
        classes: "path",
      });
    });
  });
  const cy = makeCy(container, elements, { name: "preset", padding: 30 });
  cy.fit(undefined, 30);
  return cy;
}
