"""The command line: one module per command or mode, one parent parser, one place that turns errors into sentences."""
