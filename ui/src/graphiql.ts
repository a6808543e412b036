// GraphiQL for riskgraph's API, bundled with the UI so that it works where
// the server has no way out to a CDN. It sends the token the map UI keeps
// for this tab (session storage, as an Authorization header), and any
// headers typed into GraphiQL's own editor on top.
import { createElement } from "react";
import { createRoot } from "react-dom/client";
import { GraphiQL, type GraphiQLProps } from "graphiql";
import "graphiql/graphiql.css";

// The map UI's key (src/api.ts): importing that module would split it into
// a chunk of its own that the map page then loads as a second request.
const token = () => sessionStorage.getItem("riskgraph.token");

const fetcher: GraphiQLProps["fetcher"] = async (params, opts) => {
  const t = token();
  const res = await fetch("/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(t ? { Authorization: `Bearer ${t}` } : {}), ...(opts?.headers ?? {}) },
    body: JSON.stringify(params),
  });
  // GraphQL errors come back as a body with errors; a 401 or 413 too.
  return res.json();
};

// ?query= opens with that query (links from docs and tests); otherwise
// GraphiQL's own storage keeps the last one.
const query = new URLSearchParams(location.search).get("query") ?? undefined;
const initialQuery = `# riskgraph: what is really at risk in production?
{
  topRisks(limit: 3) { title risk dataClasses path { kind name } }
  kpis { open openExploitableReachable fixRate }
}
`;
createRoot(document.getElementById("graphiql")!).render(
  createElement(GraphiQL, { fetcher, query, defaultQuery: initialQuery, isHeadersEditorEnabled: true }),
);
