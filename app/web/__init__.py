"""The web layer: the JSON API's and the pages' shared machinery (errors, the caller, sessions, pagination, files)."""
