"""The `make demo` story, in small modules: provision, events, stage runner, endpoints, segments, report, story."""
