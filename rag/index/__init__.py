"""The index on disk: its layout, writing it atomically, reading it back with checks, and building it."""
