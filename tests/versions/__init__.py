"""The ZooKeeper version matrix (issue 10)."""
