"""A Kafka 3.9 broker in ZooKeeper mode through a ZooKeeper leader kill
(issue 10): kafka_2.13's own broker (kafka.Kafka) on 127.0.0.30, its
metadata under /kafka in three servers of the image's default release
started through zkpod, and Kafka's admin, producer and consumer clients
(tests/clients/java/kafka-check). Asserted: the broker registers in the
ensemble; a topic is created, and every message produced with acks=all is
consumed, before and after the ZooKeeper leader is SIGKILLed; a second topic
is created after the kill (the controller writes to ZooKeeper); the broker's
ZooKeeper session survives the failover (the same ephemeral owner).
"""

from __future__ import annotations

import json

import pytest

from tests.clients.failover import check_through_leader_kill
from tests.clients.jvm import NO_SASL, Jvm, hosts_file
from tests.lib import harness as h
from tests.lib.clients import kazoo_session
from tests.lib.wait import wait_until

BROKER_IP = "127.0.0.30"
CLIENT_IP = "127.0.0.31"
CHROOT = "/kafka"
PER_PHASE = 500


def broker_config(tmp, ensemble) -> tuple:
    props = tmp / "server.properties"
    props.write_text("\n".join([
        "broker.id=1",
        f"listeners=PLAINTEXT://{BROKER_IP}:9092",
        f"advertised.listeners=PLAINTEXT://{BROKER_IP}:9092",
        f"zookeeper.connect={ensemble.connect_string}{CHROOT}",
        "zookeeper.session.timeout.ms=18000",
        f"log.dirs={tmp / 'kafka-logs'}",
        "num.partitions=3",
        "offsets.topic.replication.factor=1",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "group.initial.rebalance.delay.ms=0",
        "auto.create.topics.enable=false",
        "",
    ]))
    log4j = tmp / "log4j.properties"
    log4j.write_text("\n".join([
        "log4j.rootLogger=INFO, stdout",
        "log4j.appender.stdout=org.apache.log4j.ConsoleAppender",
        "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout",
        "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n",
        "",
    ]))
    return props, log4j


@pytest.fixture
def broker(ensemble, checks, tmp_path):
    props, log4j = broker_config(tmp_path, ensemble)
    hosts = hosts_file(tmp_path / "broker-hosts", "kafka-0", BROKER_IP, [])
    mod = checks / "kafka-check"
    jvm = Jvm("kafka broker", "kafka-0", hosts, [
        h.java_binary(), "-Xmx512m", NO_SASL, f"-Dlog4j.configuration=file:{log4j}",
        "-cp", f"{mod}/lib/*", "kafka.Kafka", str(props),
    ], tmp_path / "broker.log").start()
    try:
        yield jvm
    finally:
        jvm.stop()


def registration(servers) -> tuple[dict, int]:
    """The broker's registration znode: its data and its session (ephemeral owner)."""
    with kazoo_session(servers) as zk:
        zk.sync("/")
        data, stat = zk.get(f"{CHROOT}/brokers/ids/1")
        return json.loads(data), stat.ephemeralOwner


def test_kafka_broker_through_a_leader_kill(ensemble, broker, checks, tmp_path):
    servers = [p.connect for p in ensemble.pods]
    reg, session = wait_until("the broker's registration in ZooKeeper",
                              lambda: registration(servers), 120, interval=1, ignore=(Exception,),
                              on_fail=broker.tail)
    assert reg["endpoints"] == [f"PLAINTEXT://{BROKER_IP}:9092"], reg

    hosts = hosts_file(tmp_path / "client-hosts", "kafka-check", CLIENT_IP, [("kafka-0", BROKER_IP)])
    mod = checks / "kafka-check"
    check = Jvm("KafkaCheck", "kafka-check", hosts, [
        h.java_binary(), "-Xmx256m", "-Dlog4j.configuration=file:/dev/null", "-cp", f"{mod}/classes:{mod}/lib/*",
        "io.zkpod.clients.KafkaCheck", f"{BROKER_IP}:9092", str(PER_PHASE),
    ], tmp_path / "kafka-check.log").start()
    phase1, killed, result, code = check_through_leader_kill(check, ensemble, "kafka", "PHASE1", 180, 300)
    assert phase1 == f"PHASE1 {PER_PHASE}", phase1
    assert code == 0 and result["errors"] == [], f"{result}\n{check.tail()}\n--- broker ---\n{broker.tail()}"
    assert result["acked"] == result["consumed"] == 2 * PER_PHASE and result["lost"] == 0, result

    survivors = [p.connect for p in ensemble.pods if p is not killed]
    reg_after, session_after = registration(survivors)
    assert reg_after == reg and session_after == session, "the broker's ZooKeeper session did not survive"
    with kazoo_session(survivors) as zk:
        zk.sync("/")
        topics = set(zk.get_children(f"{CHROOT}/brokers/topics"))
        assert {"zkpod-check", "zkpod-after-kill"} <= topics, topics
        assert zk.exists(f"{CHROOT}/controller") is not None
