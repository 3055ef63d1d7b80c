"""Bridges to the tools people already work in, each a thin module over `NewsIndex` that imports
its third-party library only there: `langchain` (a LangChain retriever, extra `.[langchain]`) and
`tools` (the app's API endpoints, which Gradio also serves as MCP tools, extra `.[mcp]`)."""
