"""Genre definitions (TOML data), one file per genre; read by :func:`optimizer.load_genre_file`."""
