package io.zkpod.clients;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A Kafka broker in ZooKeeper mode, used through a ZooKeeper leader kill (zkpod issue 10).
 *
 * <p>Usage: {@code KafkaCheck BOOTSTRAP [MESSAGES_PER_PHASE]}
 *
 * <p>Phase 1 creates a topic (the controller writes it to ZooKeeper), produces MESSAGES_PER_PHASE
 * messages with acks=all and consumes them in a consumer group; then prints {@code PHASE1 n}. The
 * caller kills the ZooKeeper leader and writes {@code GO} on stdin once the ensemble serves again.
 * Phase 2 creates a second topic and produces and consumes as many messages again. Prints one line
 * {@code RESULT {json}}; exit status 0 when every acknowledged message of both phases was consumed
 * and both topics were created with a partition leader.
 */
public final class KafkaCheck {
    private static final String TOPIC = "zkpod-check";
    private static final String TOPIC_AFTER = "zkpod-after-kill";

    private final String bootstrap;
    private final int perPhase;
    private final BitSet acked = new BitSet();
    private final BitSet consumed = new BitSet();
    private int duplicates;
    private final List<String> errors = new ArrayList<>();

    private KafkaCheck(String bootstrap, int perPhase) {
        this.bootstrap = bootstrap;
        this.perPhase = perPhase;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: KafkaCheck BOOTSTRAP [MESSAGES_PER_PHASE]");
            System.exit(2);
        }
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 500;
        System.exit(new KafkaCheck(args[0], n).run() ? 0 : 1);
    }

    private boolean run() throws Exception {
        Properties ap = new Properties();
        ap.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        ap.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 60000);
        Properties pp = new Properties();
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        pp.put(ProducerConfig.ACKS_CONFIG, "all");
        pp.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        pp.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120000);
        pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        Properties cp = new Properties();
        cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        cp.put(ConsumerConfig.GROUP_ID_CONFIG, "zkpod-check");
        cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        cp.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        cp.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());

        boolean created1;
        boolean created2;
        try (Admin admin = Admin.create(ap);
                KafkaProducer<String, String> producer = new KafkaProducer<>(pp);
                KafkaConsumer<String, String> consumer = new KafkaConsumer<>(cp)) {
            created1 = create(admin, TOPIC);
            consumer.subscribe(Collections.singletonList(TOPIC));
            produce(producer, 0, perPhase);
            consume(consumer, perPhase);
            System.out.println("PHASE1 " + consumed.cardinality());
            System.out.flush();

            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line = in.readLine();
            if (!"GO".equals(line)) {
                errors.add("expected GO on stdin, got " + line);
            }
            created2 = create(admin, TOPIC_AFTER);
            produce(producer, perPhase, 2 * perPhase);
            consume(consumer, 2 * perPhase);
        }

        BitSet lost = (BitSet) acked.clone();
        lost.andNot(consumed);
        if (acked.cardinality() != 2 * perPhase) {
            errors.add("only " + acked.cardinality() + " of " + 2 * perPhase + " messages were acknowledged");
        }
        if (!lost.isEmpty()) {
            errors.add(lost.cardinality() + " acknowledged messages were never consumed, first " + lost.nextSetBit(0));
        }
        if (!created1 || !created2) {
            errors.add("topic creation: " + TOPIC + "=" + created1 + ", " + TOPIC_AFTER + "=" + created2);
        }
        StringBuilder json = new StringBuilder("{");
        json.append("\"per_phase\": ").append(perPhase);
        json.append(", \"acked\": ").append(acked.cardinality());
        json.append(", \"consumed\": ").append(consumed.cardinality());
        json.append(", \"duplicates\": ").append(duplicates);
        json.append(", \"lost\": ").append(lost.cardinality());
        json.append(", \"topics\": [\"").append(TOPIC).append("\", \"").append(TOPIC_AFTER).append("\"]");
        json.append(", \"errors\": [");
        for (int i = 0; i < errors.size(); i++) {
            json.append(i == 0 ? "" : ", ").append('"').append(errors.get(i).replace("\"", "'")).append('"');
        }
        json.append("]}");
        System.out.println("RESULT " + json);
        return errors.isEmpty();
    }

    /** Creates a topic of 3 partitions and waits until each has a leader. */
    private boolean create(Admin admin, String topic) throws Exception {
        try {
            admin.createTopics(Collections.singletonList(new NewTopic(topic, 3, (short) 1))).all().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            errors.add("create " + topic + ": " + e);
            return false;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try {
                TopicDescription d = admin.describeTopics(Collections.singletonList(topic)).allTopicNames()
                        .get(30, TimeUnit.SECONDS).get(topic);
                boolean led = d.partitions().size() == 3;
                for (TopicPartitionInfo p : d.partitions()) {
                    led &= p.leader() != null;
                }
                if (led) {
                    return true;
                }
            } catch (Exception e) {
                // not known yet: retry
            }
            Thread.sleep(200);
        }
        errors.add(topic + " has no leader for every partition after 60 s");
        return false;
    }

    /** Sends messages from..to-1 (value = id) and waits for every acknowledgement. */
    private void produce(KafkaProducer<String, String> producer, int from, int to) {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (int i = from; i < to; i++) {
            sent.add(producer.send(new ProducerRecord<>(TOPIC, "m-" + i, Integer.toString(i))));
        }
        producer.flush();
        for (int i = from; i < to; i++) {
            try {
                sent.get(i - from).get(120, TimeUnit.SECONDS);
                acked.set(i);
            } catch (Exception e) {
                errors.add("message " + i + " not acknowledged: " + e);
            }
        }
    }

    /** Polls until every id below `upTo` that was acknowledged has been seen, or 90 s. */
    private void consume(KafkaConsumer<String, String> consumer, int upTo) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                int id = Integer.parseInt(r.value());
                if (consumed.get(id)) {
                    duplicates++;
                }
                consumed.set(id);
            }
            BitSet want = acked.get(0, upTo);
            want.andNot(consumed);
            if (want.isEmpty()) {
                consumer.commitSync();
                return;
            }
        }
    }
}
