package io.zkpod.clients;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.RetryNTimes;

/**
 * Apache Curator against a ZooKeeper ensemble through a leader kill (zkpod issue 10).
 *
 * <p>Usage: {@code CuratorCheck CONNECT_STRING [SECONDS_AFTER_GO]}
 *
 * <p>Several workers, each with its own client (its own session), take an {@link InterProcessMutex}
 * in turn and, while holding it, read a counter znode and write it back plus one: a read-modify-write
 * that loses updates as soon as two workers hold the lock at once. Several candidates, each with its
 * own client, run a {@link LeaderLatch}; a sampler counts how many of them claim leadership at the
 * same moment.
 *
 * <p>Protocol: prints {@code READY} when lock and latch work; the caller then kills the ZooKeeper
 * leader and writes {@code GO} on stdin once the ensemble serves again; the check keeps running for
 * SECONDS_AFTER_GO (default 8), stops, and prints one line {@code RESULT {json}}. Exit status 0 when
 * every invariant held: never two lock holders, never two leaders, no session lost, the counter equal
 * to the increments ZooKeeper acknowledged, and lock and latch working again after the kill.
 */
public final class CuratorCheck {
    private static final String ROOT = "/zkpod-check";
    private static final String COUNTER = ROOT + "/counter";
    private static final int WORKERS = 4;
    private static final int CANDIDATES = 3;

    private final String connect;
    private final AtomicInteger holders = new AtomicInteger();
    private final AtomicInteger maxHolders = new AtomicInteger();
    private final AtomicLong acked = new AtomicLong();
    private final AtomicLong ackedAfterGo = new AtomicLong();
    private final AtomicLong uncertain = new AtomicLong();
    private final AtomicInteger maxLeaders = new AtomicInteger();
    private final AtomicBoolean leaderAfterGo = new AtomicBoolean();
    private final AtomicBoolean afterGo = new AtomicBoolean();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Map<String, AtomicInteger> states = new TreeMap<>();
    private final List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());
    private final List<CuratorFramework> clients = new ArrayList<>();

    private CuratorCheck(String connect) {
        this.connect = connect;
        for (ConnectionState s : ConnectionState.values()) {
            states.put(s.name(), new AtomicInteger());
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: CuratorCheck CONNECT_STRING [SECONDS_AFTER_GO]");
            System.exit(2);
        }
        int after = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        System.exit(new CuratorCheck(args[0]).run(after) ? 0 : 1);
    }

    private CuratorFramework client(String name) {
        CuratorFramework c = CuratorFrameworkFactory.builder()
                .connectString(connect)
                .sessionTimeoutMs(15000)
                .connectionTimeoutMs(5000)
                // 30 tries, 500 ms apart: a leader election takes a few seconds.
                .retryPolicy(new RetryNTimes(30, 500))
                .build();
        c.getConnectionStateListenable().addListener((cl, state) -> {
            states.get(state.name()).incrementAndGet();
            System.out.println("STATE " + name + " " + state);
        });
        c.start();
        clients.add(c);
        return c;
    }

    private boolean run(int after) throws Exception {
        CuratorFramework admin = client("admin");
        if (!admin.blockUntilConnected(30, TimeUnit.SECONDS)) {
            System.out.println("RESULT {\"error\": \"no connection to " + connect + " in 30 s\"}");
            return false;
        }
        if (admin.checkExists().forPath(COUNTER) == null) {
            admin.create().creatingParentsIfNeeded().forPath(COUNTER, "0".getBytes(StandardCharsets.UTF_8));
        }

        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < WORKERS; i++) {
            CuratorFramework c = client("worker-" + i);
            InterProcessMutex lock = new InterProcessMutex(c, ROOT + "/lock");
            Thread t = new Thread(() -> work(c, lock), "worker-" + i);
            threads.add(t);
            t.start();
        }
        List<LeaderLatch> latches = new ArrayList<>();
        for (int i = 0; i < CANDIDATES; i++) {
            LeaderLatch latch = new LeaderLatch(client("candidate-" + i), ROOT + "/leader", "candidate-" + i);
            latch.start();
            latches.add(latch);
        }
        Thread sampler = new Thread(() -> sample(latches), "sampler");
        sampler.start();

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (acked.get() < 20 || leaders(latches) != 1) {
            if (System.nanoTime() > deadline) {
                errors.add("lock and latch did not work within 60 s (" + acked.get() + " increments)");
                break;
            }
            Thread.sleep(50);
        }
        System.out.println("READY " + acked.get());
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line = in.readLine();
        if (!"GO".equals(line)) {
            errors.add("expected GO on stdin, got " + line);
        }
        long atGo = acked.get();
        afterGo.set(true);
        Thread.sleep(TimeUnit.SECONDS.toMillis(after));
        stop.set(true);
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(30));
        }
        // Exactly one leader once things have settled.
        long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        int finalLeaders = leaders(latches);
        while (finalLeaders != 1 && System.nanoTime() < settle) {
            Thread.sleep(100);
            finalLeaders = leaders(latches);
        }
        sampler.interrupt();
        sampler.join();
        admin.sync().forPath(COUNTER);
        long counter = Long.parseLong(new String(admin.getData().forPath(COUNTER), StandardCharsets.UTF_8));
        for (LeaderLatch l : latches) {
            l.close();
        }
        for (CuratorFramework c : clients) {
            c.close();
        }

        if (maxHolders.get() != 1) {
            errors.add(maxHolders.get() + " workers held the lock at once");
        }
        if (maxLeaders.get() > 1) {
            errors.add(maxLeaders.get() + " candidates were leader at once");
        }
        if (counter < acked.get() || counter > acked.get() + uncertain.get()) {
            errors.add("counter is " + counter + " but ZooKeeper acknowledged " + acked.get()
                    + " increments (" + uncertain.get() + " unanswered)");
        }
        if (states.get("LOST").get() != 0) {
            errors.add(states.get("LOST").get() + " sessions were lost");
        }
        if (ackedAfterGo.get() < 10) {
            errors.add("only " + ackedAfterGo.get() + " increments after the kill");
        }
        if (!leaderAfterGo.get() || finalLeaders != 1) {
            errors.add("leadership after the kill: seen=" + leaderAfterGo.get() + ", at the end " + finalLeaders);
        }
        StringBuilder json = new StringBuilder("{");
        json.append("\"increments\": ").append(acked.get());
        json.append(", \"increments_before_go\": ").append(atGo);
        json.append(", \"increments_after_go\": ").append(ackedAfterGo.get());
        json.append(", \"unanswered\": ").append(uncertain.get());
        json.append(", \"counter\": ").append(counter);
        json.append(", \"max_lock_holders\": ").append(maxHolders.get());
        json.append(", \"max_leaders\": ").append(maxLeaders.get());
        json.append(", \"final_leaders\": ").append(finalLeaders);
        json.append(", \"clients\": ").append(clients.size());
        for (Map.Entry<String, AtomicInteger> e : states.entrySet()) {
            json.append(", \"").append(e.getKey().toLowerCase()).append("\": ").append(e.getValue().get());
        }
        json.append(", \"errors\": [");
        for (int i = 0; i < errors.size(); i++) {
            json.append(i == 0 ? "" : ", ").append('"').append(errors.get(i).replace("\"", "'")).append('"');
        }
        json.append("]}");
        System.out.println("RESULT " + json);
        return errors.isEmpty();
    }

    /** One worker: lock, read-modify-write the counter, unlock; until told to stop. */
    private void work(CuratorFramework c, InterProcessMutex lock) {
        while (!stop.get()) {
            try {
                if (!lock.acquire(20, TimeUnit.SECONDS)) {
                    errors.add(Thread.currentThread().getName() + " could not take the lock in 20 s");
                    continue;
                }
                try {
                    int now = holders.incrementAndGet();
                    try {
                        maxHolders.accumulateAndGet(now, Math::max);
                        long v = Long.parseLong(new String(c.getData().forPath(COUNTER), StandardCharsets.UTF_8));
                        Thread.sleep(2);
                        // An absolute value, so a retry after a lost reply writes the same value again.
                        byte[] next = Long.toString(v + 1).getBytes(StandardCharsets.UTF_8);
                        try {
                            c.setData().forPath(COUNTER, next);
                        } catch (Exception e) {
                            uncertain.incrementAndGet(); // applied or not: ZooKeeper did not say
                            throw e;
                        }
                        acked.incrementAndGet();
                        if (afterGo.get()) {
                            ackedAfterGo.incrementAndGet();
                        }
                    } finally {
                        holders.decrementAndGet();
                    }
                } finally {
                    lock.release();
                }
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                errors.add(Thread.currentThread().getName() + ": " + e);
            }
        }
    }

    private static int leaders(List<LeaderLatch> latches) {
        int n = 0;
        for (LeaderLatch l : latches) {
            if (l.hasLeadership()) {
                n++;
            }
        }
        return n;
    }

    /** Counts the candidates that claim leadership, every 5 ms. */
    private void sample(List<LeaderLatch> latches) {
        while (!Thread.currentThread().isInterrupted()) {
            int n = leaders(latches);
            maxLeaders.accumulateAndGet(n, Math::max);
            if (n == 1 && afterGo.get()) {
                leaderAfterGo.set(true);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
