"""Search: one interface (`backend.SearchBackend`), several engines (embedded SQLite by default)."""
