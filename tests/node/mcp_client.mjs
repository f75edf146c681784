// The official TypeScript SDK's client against /mcp: node mcp_client.mjs <MCP URL>, the access
// token in MCP_TOKEN (kept off the command line), the tool calls to make on stdin as a JSON list of
// {name, arguments}. Connects (initialize), pings, lists the tools, makes the calls, and prints one
// JSON object of what it saw for tests/integration/test_mcp_typescript_client.py; exits 1 on an error.
import { readFileSync } from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [url] = process.argv.slice(2);
const token = process.env.MCP_TOKEN;
if (!url || !token) {
  console.error("usage: MCP_TOKEN=<access token> node mcp_client.mjs <MCP URL>");
  process.exit(2);
}

const calls = JSON.parse(readFileSync(0, "utf8"));
const transport = new StreamableHTTPClientTransport(new URL(url), {
  requestInit: { headers: { Authorization: `Bearer ${token}` } },
});
const client = new Client({ name: "gpt-google-auth-tests", version: "1.0.0" });

try {
  await client.connect(transport); // initialize, then notifications/initialized
  const seen = {
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
}
