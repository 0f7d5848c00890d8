"""Use cases: one module each. They take their ports (repositories, clock) as arguments."""
