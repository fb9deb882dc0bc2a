"""The sandbox: submissions run in separate, isolated processes and exchange values only."""
