// The GraphQL client: the only way the page reaches data. The token lives in
// sessionStorage, so it is gone when the tab closes and never reaches the URL.

const TOKEN_KEY = "tellgraph.token";
const ENDPOINT = "/graphql";

export class ApiError extends Error {
  constructor(message, code, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

export function setToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

let onUnauthenticated = () => {};

/** Called when the API answers 401: the page then asks for a token again. */
export function whenUnauthenticated(callback) {
  onUnauthenticated = callback;
}

/** Run one GraphQL operation; resolves to `data`, rejects with an ApiError carrying the first error. */
export async function gql(query, variables = {}, { token = getToken() } = {}) {
  const headers = { "Content-Type": "application/json", Accept: "application/graphql-response+json, application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(ENDPOINT, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  } catch (err) {
    throw new ApiError(`The API did not answer (${err.message})`, "NETWORK", 0);
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`The API answered ${response.status} without JSON`, "BAD_RESPONSE", response.status);
  }
  const first = body && Array.isArray(body.errors) ? body.errors[0] : null;
  if (response.status === 401) {
    onUnauthenticated();
    throw new ApiError(first ? first.message : "A valid API token is needed", "UNAUTHENTICATED", 401);
  }
  if (first) {
    const code = (first.extensions && first.extensions.code) || "ERROR";
    throw new ApiError(first.message, code, response.status);
  }
  if (!response.ok) throw new ApiError(`The API answered ${response.status}`, "HTTP", response.status);
  return body.data;
}

const ACTION_FIELDS = `fragment ActionFields on SuggestedAction { id kind agent channel status title goalId
  recipients subject draft reasons priority needsApproval decidedBy decidedAt rejectReason executionError }`;

export const Q = {
  viewer: `query Viewer { viewer { role actor } }`,
  team: `query Team {
    people(filter: {isTeam: true}, first: 50) { nodes { id name emails } }
    goals(first: 50) { nodes { id name owner { id name emails } team { id name emails } } }
  }`,
  search: `query Search($q: String!) {
    search(query: $q, first: 8) { nodes { score matchedBy node {
      __typename
      ... on Person { id name title emails isTeam company { name domain } }
      ... on Company { id name domain peopleCount }
      ... on Goal { id name status }
      ... on Project { id name stage }
      ... on Topic { id name }
      ... on Event { id name startsAt }
      ... on Communication { id subject timestamp channel }
    } } }
  }`,
  network: `query Network($center: String!, $depth: Int, $limit: Int) {
    network(center: $center, depth: $depth, limit: $limit) {
      truncated asOf
      center { id name }
      nodes { id depth person { id name title isTeam emails company { name domain } } }
      edges { source target strength interactionCount lastInteraction recency sentiment }
    }
  }`,
  person: `query Person($id: ID!) {
    person(id: $id) { id name title emails isTeam degree lastInteraction company { name domain }
      relationships(first: 6) { nodes { strength interactionCount lastInteraction trend other { id name } } }
      timeline(first: 5) { nodes { id subject timestamp channel } } }
  }`,
  company: `query Company($id: ID!) {
    company(id: $id) { id name domain industry peopleCount lastInteraction
      people(first: 30) { nodes { current title person { id name emails degree } } } }
  }`,
  intros: `query Intros($from: [String!]!, $to: String!, $maxHops: Int, $first: Int) {
    warmIntroPaths(from: $from, to: $to, maxHops: $maxHops, first: $first) {
      score rawScore explanation warnings collapsed length
      hops { from { id name title } to { id name title } strength lastInteraction interactionCount stale negative
             daysSinceLastInteraction }
    }
  }`,
  goals: `query Goals { goals(first: 50) { nodes { id name status deadline owner { name } targets { id } } } }`,
  goalMap: `query GoalMap($id: ID!) {
    goalMap(goalId: $id) {
      generatedAt daysToDeadline
      goal { id name description deadline status owner { name } team { id name emails } }
      coverage { threshold covered direct total ratio explanation }
      targets { id kind name origin covered bestScore evidence }
      people { person { id name title } companyName status decisionMaker targeted roleScore
               bestPath { score names explanation } }
      gaps { key kind title severity evidence }
      momentum { activity30 activityPrev30 activity90 activityPrev90 inbound30 outbound30 reachScore reachChange
                 trend explanation }
      stalls { key kind subject daysWaiting daysSilent chasers lastActivityAt evidence new }
      nextSteps { key kind actor { name } contact { name } via { name } why whyNow priority }
      history { at coverage reachScore activity30 openStalls gaps }
      changes { since coverageDelta newStalls resolvedStalls newGaps closedGaps }
    }
    suggestedActions(first: 100) { nodes { ...ActionFields } }
  }
  ${ACTION_FIELDS}`,
  approve: `mutation Approve($id: ID!) { approveAction(id: $id) { message executedNow
    action { id status decidedBy decidedAt executionError } } }`,
  reject: `mutation Reject($id: ID!, $reason: String) { rejectAction(id: $id, reason: $reason) { message
    action { id status decidedBy decidedAt rejectReason } } }`,
  health: `query Health($people: [String!]!, $kinds: [HealthKind!]) {
    relationshipHealth(people: $people, kinds: $kinds, first: 60) {
      kinds atRisk riskReasons attentionInDays sentimentTrend preferredChannel preferredFormat priority
      relationship { strength interactionCount lastInteraction nextContactDue trend
        person { id name } other { id name title emails company { name } } }
    }
    suggestedActions(first: 100) { nodes { ...ActionFields } }
  }
  ${ACTION_FIELDS}`,
};
