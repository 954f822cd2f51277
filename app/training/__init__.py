"""Training runs outside the GUI: datasets, the training engine and checkpoints.

Kept Qt-free so the CLI, the tests and the editor's worker thread share one code path.
"""
