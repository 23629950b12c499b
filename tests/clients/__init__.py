"""Real Java clients of ZooKeeper: Apache Curator and a Kafka broker (issue 10)."""
