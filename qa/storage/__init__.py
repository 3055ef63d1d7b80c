"""The index on disk: SQLite is the truth (every SQL statement lives here); FAISS is derived."""
