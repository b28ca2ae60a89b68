"""`pizzabox ci`: a pipeline's client for the API (results, findings, readiness), over HTTP only.

Nothing here imports the server: a CI job installs the package and talks to a running Pizzabox.
"""
