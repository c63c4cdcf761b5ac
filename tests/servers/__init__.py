"""Local protocol servers (Anthropic Messages, Workers AI, OpenAI chat completions) for tests."""
