// GraphQL client: every byte of data the UI shows comes through POST /graphql.
// The bearer token (when the server needs one) is kept in session storage
// and sent in a header, never in a URL.

const TOKEN_KEY = "riskgraph.token";

export class AuthError extends Error {}

export class GraphQLError extends Error {
  constructor(message: string, public codes: string[]) {
    super(message);
  }
}

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(t: string | null): void {
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export async function gql<T = any>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const headers: Record<string, string> = { "Content-Type": "application/json", Accept: "application/json" };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  let res: Response;
  try {
    res = await fetch("/graphql", { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  } catch (e) {
    throw new Error(`the server did not answer: ${(e as Error).message}`);
  }
  let body: any = null;
  const text = await res.text();
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    throw new Error(`HTTP ${res.status}: ${text.slice(0, 300)}`);
  }
  if (res.status === 401) {
    throw new AuthError(body?.errors?.[0]?.message ?? "a bearer token is required");
  }
  if (body?.errors?.length) {
    // Shown as the server wrote them, one per line.
    const msgs = body.errors.map((e: any) => (e.path ? `${e.path.join(".")}: ` : "") + e.message);
    throw new GraphQLError(msgs.join("\n"), body.errors.map((e: any) => e.extensions?.code ?? ""));
  }
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return body.data as T;
}

// The largest page the server accepts; lowered when it says so
// (--max-page-size below the default 1,000).
let maxPage = 1000;

// all fetches every page of a connection. field is the query's top-level
// field; the query must take $first and $after and select
// pageInfo { hasNextPage endCursor } and nodes.
export async function all<N = any>(query: string, field: string, variables: Record<string, unknown> = {}): Promise<N[]> {
  const out: N[] = [];
  let after: string | null = null;
  for (;;) {
    let data: any;
    const first = maxPage;
    try {
      data = await gql(query, { ...variables, first, after });
    } catch (e) {
      // Several lists load at once: each retries below what it asked for.
      const m = e instanceof GraphQLError && /first: at most (\d+) per page/.exec(e.message);
      const limit = m ? Number(m[1]) : 0;
      if (limit < 1 || limit >= first) throw e;
      maxPage = Math.min(maxPage, limit);
      continue;
    }
    const conn = data[field];
    out.push(...conn.nodes);
    if (!conn.pageInfo.hasNextPage) return out;
    after = conn.pageInfo.endCursor;
  }
}
