"""Settings shared by the web app, the CLI and the workers."""
