"""The Convas application: CLI, editor and training runner."""
