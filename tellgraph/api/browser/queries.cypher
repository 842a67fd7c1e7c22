// tellgraph: saved Cypher queries for Neo4j Browser.
//
// Each query starts with a header: `// name:` (a short title), `// description:`
// (one or more lines) and, when it takes parameters, `// param NAME: VALUE` lines
// whose VALUE is a Cypher literal. In Neo4j Browser set a parameter with
// `:param NAME => VALUE`, then run the query. `tellgraph serve` turns this file
// into a Browser guide: `:play http://127.0.0.1:8000/browser-guide`.
// The team is everyone flagged is_team plus the owners and members of goals.

// name: The team and its strongest ties
// description: Every team member with the people they know best. Edge captions are tie
// strengths (0-1); thicker means stronger.
// param minStrength: 0.45
MATCH (m:Person)
WHERE coalesce(m.is_team, false) OR EXISTS { (m)-[:MEMBER_OF|OWNS]->(:Goal) }
MATCH (m)-[k:KNOWS]-(o:Person)
WHERE k.strength >= $minStrength
RETURN m, k, o;

// name: Warm paths to a person
// description: The best chains of introductions from any team member to the target, up to
// three hops, scored as the product of tie strengths (as warmIntroPaths does, without its
// discount for stale ties). Nobody appears twice on a path and no one from the team sits
// in the middle.
// param target: 'omar.haddad@the-afc.example'
MATCH (target:Person) WHERE $target IN target.emails
MATCH (m:Person)
WHERE (coalesce(m.is_team, false) OR EXISTS { (m)-[:MEMBER_OF|OWNS]->(:Goal) }) AND m <> target
MATCH p = (m)-[:KNOWS*1..3]-(target)
WHERE all(i IN range(0, size(nodes(p)) - 2) WHERE NOT nodes(p)[i] IN nodes(p)[i + 1..])
  AND none(x IN nodes(p)[1..-1] WHERE coalesce(x.is_team, false) OR EXISTS { (x)-[:MEMBER_OF|OWNS]->(:Goal) })
WITH p, reduce(score = 1.0, k IN relationships(p) | score * k.strength) AS score
RETURN p, round(score, 3) AS score
ORDER BY score DESC
LIMIT 5;

// name: A goal's map
// description: The goal, its owner and team, its targets (companies, people, projects), the
// people who work at the target companies now, and the team's direct ties to any of them.
// param goal: 'Win the AFC rights package'
MATCH (g:Goal {name: $goal})
OPTIONAL MATCH (member:Person)-[role:MEMBER_OF|OWNS]->(g)
OPTIONAL MATCH (g)-[targets:TARGETS]->(target)
OPTIONAL MATCH (target)<-[job:WORKS_AT]-(staff:Person) WHERE job.valid_to IS NULL
WITH g, member, role, targets, target, job, staff
OPTIONAL MATCH (member)-[tie:KNOWS]-(contact:Person) WHERE contact = target OR contact = staff
RETURN g, member, role, targets, target, job, staff, tie, contact;

// name: At-risk relationships
// description: The team's ties that scoring flagged as at risk, strongest first, with the
// reasons (overdue against the pair's own rhythm, falling activity, unanswered messages,
// slowing replies, cooling tone).
MATCH (m:Person)-[k:KNOWS]-(o:Person)
WHERE k.at_risk
  AND (coalesce(m.is_team, false) OR EXISTS { (m)-[:MEMBER_OF|OWNS]->(:Goal) })
  AND NOT (coalesce(o.is_team, false) OR EXISTS { (o)-[:MEMBER_OF|OWNS]->(:Goal) })
RETURN m.name AS teamMember, o.name AS contact, round(k.strength, 2) AS strength,
       k.last_interaction AS lastInteraction, k.attention_in_days AS attentionInDays,
       k.risk_reasons AS reasons
ORDER BY k.strength DESC, contact;

// name: A person's timeline
// description: The person's latest communications, newest first: when, how, their part in it
// (SENT, TO, CC, BCC or PARTICIPATED), who sent it and what it was about.
// param person: 'maya.chen@northlight.tv'
MATCH (p:Person) WHERE $person IN p.emails
MATCH (p)-[r:SENT|TO|CC|BCC|PARTICIPATED]-(c:Communication)
WITH c, collect(DISTINCT type(r)) AS part
OPTIONAL MATCH (sender:Person)-[:SENT]->(c)
RETURN c.timestamp AS at, c.channel AS channel, part, collect(sender.name)[0] AS sender,
       c.subject AS subject, c.preview AS preview
ORDER BY at DESC
LIMIT 30;

// name: Recently inferred connections
// description: Ties nobody logged, inferred from co-attendance, shared threads or working at
// the same company at the same time; the newest and most confident first. Each edge keeps its
// evidence and confidence.
MATCH (a:Person)-[i:INFERRED_KNOWS]->(b:Person)
WITH a, i, b ORDER BY i.inferred_at DESC, i.confidence DESC, a.id, b.id LIMIT 25
RETURN a, i, b;
