"""A parsed question and a reader of the index -> a cited Answer."""
