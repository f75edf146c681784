"""The declared actions as MCP tools: JSON-RPC (jsonrpc), the tools (tools), the /mcp route (endpoint)."""
