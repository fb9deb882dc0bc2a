"""rnnkit: auto-graded LSTM & GRU exercises with sandboxed hidden graders."""

__version__ = "0.1.0"
