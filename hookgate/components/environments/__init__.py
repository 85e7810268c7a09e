"""Each function's environment, from the stack's settings sections and its resources' names.

One module per function (`ingest`, `process`, `publish`; the deliver function's is in
`hookgate/components/http_destination.py`), and on the program side the only modules that
know the functions' variables. Each fills the handler's own settings class
(`webhooks.*_settings`), whose `to_environ()` renders the variables: names, formats and
defaults have one owner, the handler, and `tests/components/test_environment_round_trip.py`
reads every rendered environment back into the sections it came from.

Every module has `handler_settings` (plain values: what the round-trip test and the program's
checks call) and `environment` (the same once the resources' names are known, as the component
declares it). Every function gets the stack's name as its `ENVIRONMENT`: the value of its
metrics' `Environment` dimension, so stacks sharing an account keep their metrics apart.
"""
