"""The official's home: each requirement with what to do next, their cohorts and progress, their certificates."""
