"""One module per `python -m deploy` command: a docstring, EPILOG, configure(parser) and run(args)."""
