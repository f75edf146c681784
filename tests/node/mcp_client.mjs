// The official TypeScript SDK's client against /mcp: node mcp_client.mjs <MCP URL>. Its first
// stdin line is the tool calls to make, a JSON list of {name, arguments}. With MCP_TOKEN set it
// sends that access token (kept off the command line); without it, it signs in with the SDK's
// OAuth client provider: discovery, registration with MCP_REDIRECT_URI, PKCE, then it prints
// {"authorize": <URL>} and reads the redirect back (the callback URL the browser reached) as its
// next stdin line, and redeems the code. Then: initialize, ping, tools/list, the calls; its last
// stdout line is one JSON object of what it saw (tests/integration/test_mcp_typescript_client.py).
// Exits 1 on an error.
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [url] = process.argv.slice(2);
const token = process.env.MCP_TOKEN;
const redirectUri = process.env.MCP_REDIRECT_URI;
if (!url || !(token || redirectUri)) {
  console.error("usage: MCP_TOKEN=<access token> | MCP_REDIRECT_URI=<loopback URL> node mcp_client.mjs <MCP URL>");
  process.exit(2);
}
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const nextLine = async () => (await lines.next()).value;

// Everything in memory: a client that never signed in before.
class LoopbackClient {
  saved = { state: randomBytes(16).toString("base64url") };
  get redirectUrl() {
    return redirectUri;
  }
  get clientMetadata() {
    return {
      client_name: "gpt-google-auth tests (TypeScript SDK)",
      redirect_uris: [redirectUri],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }
  state() {
    return this.saved.state;
  }
  clientInformation() {
    return this.saved.client;
  }
  saveClientInformation(client) {
    this.saved.client = client;
  }
  tokens() {
    return this.saved.tokens;
  }
  saveTokens(tokens) {
    this.saved.tokens = tokens;
  }
  redirectToAuthorization(authorizationUrl) {
    this.authorizationUrl = authorizationUrl;
  }
  saveCodeVerifier(verifier) {
    this.saved.verifier = verifier;
  }
  codeVerifier() {
    return this.saved.verifier;
  }
}

const provider = token ? undefined : new LoopbackClient();
const transportOptions = provider
  ? { authProvider: provider }
  : { requestInit: { headers: { Authorization: `Bearer ${token}` } } };
const client = new Client({ name: "gpt-google-auth-tests", version: "1.0.0" });

async function signIn() {
  // The first connection meets the 401; the provider discovers, registers and builds the URL.
  const first = new StreamableHTTPClientTransport(new URL(url), transportOptions);
  try {
    await client.connect(first);
    throw new Error("/mcp answered without a token");
  } catch (error) {
    if (!(error instanceof UnauthorizedError)) throw error;
  }
  console.log(JSON.stringify({ authorize: provider.authorizationUrl.href }));
  const callback = new URL(await nextLine());
  const code = callback.searchParams.get("code");
  if (!code) throw new Error(`no code in the redirect back: ${callback.search}`);
  // The SDK leaves state to the application; a redirect back from another sign-in is refused here.
  if (callback.searchParams.get("state") !== provider.saved.state) throw new Error("state mismatch");
  await first.finishAuth(code);
  return {
    client_id: provider.saved.client?.client_id,
    // what came back, the code left out (single use, and never printed)
    redirect: { params: [...callback.searchParams.keys()].sort(), iss: callback.searchParams.get("iss") },
    token_type: provider.saved.tokens?.token_type,
    scope: provider.saved.tokens?.scope,
    refresh_token: Boolean(provider.saved.tokens?.refresh_token),
  };
}

try {
  const calls = JSON.parse(await nextLine());
  const signedIn = provider ? await signIn() : undefined;
  const transport = new StreamableHTTPClientTransport(new URL(url), transportOptions);
  await client.connect(transport); // initialize, then notifications/initialized
  const seen = {
    signedIn,
    protocolVersion: transport.protocolVersion,
    serverInfo: client.getServerVersion(),
    capabilities: client.getServerCapabilities(),
    ping: await client.ping(),
    tools: (await client.listTools()).tools,
    calls: [],
  };
  for (const call of calls) seen.calls.push(await client.callTool(call));
  console.log(JSON.stringify(seen));
} catch (error) {
  console.error(String(error?.stack ?? error));
  process.exitCode = 1;
} finally {
  await client.close();
  process.exit(); // stdin may still be open; stdout to a pipe is written synchronously on Linux
}
