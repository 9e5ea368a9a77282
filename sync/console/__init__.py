"""The operator's pages: the admin of tenants, connections and runs, the connection form and its
rules, test connection and sync now, live progress, the overview columns, import/export, and
what a tenant's staff may see. A thin shell over the run and the sources.
"""
