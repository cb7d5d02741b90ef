"""The school's home: what needs doing now, read in a fixed number of queries."""
