package io.zkpod;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Helm chart's {@code helm test} (docker/helm/zookeeper/templates/tests): every member answers
 * {@code zkpod status} and is serving ({@code zkpod probe ready}), exactly one is the leader (or the
 * one standalone server), and a znode written through the client Service reads back, after a sync,
 * through every member; then it is deleted.
 *
 * <p>It runs in the server image, which has no shell: Java is the one program there that can run a
 * sequence of steps. zkpod does the four-letter-word checks; ZooKeeper's own command-line client
 * class ({@code org.apache.zookeeper.ZooKeeperMain}, what zkCli.sh runs) does the write and the
 * reads, from the jars of the same image, in a JVM of its own per step.
 *
 * <p>Environment: MEMBERS (host names, space-separated), CLIENT_PORT, CLIENT_SERVICE (host:port),
 * ZK_CLASSPATH (where the image's ZooKeeper jars are). Exit status 0 when every check passed; 1 with
 * a {@code zkpod helm test: FAILED: ...} line naming the first that did not.
 */
public final class EnsembleCheck {
    private static final Pattern MODE = Pattern.compile("\"mode\":\"([a-z]+)\"");

    private final String port = env("CLIENT_PORT");
    private final String service = env("CLIENT_SERVICE");
    private final String classpath = env("ZK_CLASSPATH");
    private final String java = ProcessHandle.current().info().command().orElse("java");

    public static void main(String[] args) throws Exception {
        try {
            new EnsembleCheck().run(env("MEMBERS").trim().split("\\s+"));
        } catch (Failed e) {
            System.out.flush();
            System.err.println("zkpod helm test: FAILED: " + e.getMessage());
            System.exit(1);
        }
    }

    /** A check that did not pass; the message says which. */
    private static final class Failed extends Exception {
        Failed(String message) {
            super(message);
        }
    }

    private static String env(String name) {
        String v = System.getenv(name);
        if (v == null || v.isEmpty()) {
            System.err.println("zkpod helm test: FAILED: the environment variable " + name
                    + " is not set: the test pod's spec is incomplete; fix: render it from the chart");
            System.exit(1);
        }
        return v;
    }

    private void run(String[] members) throws Exception {
        int leaders = 0;
        for (String m : members) {
            System.out.println("--- zkpod status --host " + m);
            if (zkpod(true, "status", "--host", m, "--port", port, "--timeout", "2s").code != 0) {
                throw new Failed(m + ":" + port + " did not answer (the line above says why)");
            }
            if (zkpod(true, "probe", "ready", "--host", m, "--port", port, "--timeout", "2s").code != 0) {
                throw new Failed(m + ":" + port + " is not serving (the line above says why)");
            }
            Matcher mode = MODE.matcher(zkpod(false, "status", "--host", m, "--port", port, "--timeout", "2s", "--json").out);
            if (mode.find() && (mode.group(1).equals("leader") || mode.group(1).equals("standalone"))) {
                leaders++;
            }
        }
        if (leaders != 1) {
            throw new Failed(leaders + " leaders among the members, expected exactly 1");
        }
        String path = "/zkpod-helm-test-" + UUID.randomUUID();
        String value = "written-by-" + hostname() + "-at-" + System.currentTimeMillis() / 1000;
        System.out.println("--- create " + path + " through " + service);
        Result r = zkcli(service, null, "create", path, value);
        if (r.code != 0) {
            System.err.print(r.out);
            throw new Failed("could not create " + path + " through " + service);
        }
        for (String m : members) {
            r = zkcli(m + ":" + port, "sync " + path + "\nget " + path + "\nquit\n");
            if (r.code != 0 || !r.out.lines().anyMatch(value::equals)) {
                System.err.print(r.out);
                throw new Failed(m + " does not return the value written to " + path);
            }
            System.out.println("read back through " + m + ": " + value);
        }
        if (zkcli(service, null, "delete", path).code != 0) {
            throw new Failed("could not delete " + path);
        }
        System.out.println("zkpod helm test: passed: " + members.length
                + " member(s) serving, 1 leader, a write read back through every member");
    }

    private static String hostname() throws IOException {
        String h = System.getenv("HOSTNAME");
        return h != null && !h.isEmpty() ? h : Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
    }

    private record Result(int code, String out) {}

    /** Runs zkpod; its own lines go to our output when `show`, else are returned. */
    private Result zkpod(boolean show, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add("zkpod");
        cmd.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        if (show) {
            pb.inheritIO();
            return new Result(waitFor(pb.start()), "");
        }
        pb.redirectErrorStream(true);
        Process p = pb.start();
        p.getOutputStream().close();
        String out = read(p.getInputStream());
        return new Result(waitFor(p), out);
    }

    /** ZooKeeperMain against `server`: one command from args, or the lines of `stdin`. */
    private Result zkcli(String server, String stdin, String... command) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                // Without SASL the client does no reverse lookup of the server's address.
                "-Dzookeeper.sasl.client=false", "-cp", classpath, "org.apache.zookeeper.ZooKeeperMain",
                "-server", server));
        cmd.addAll(Arrays.asList(command));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        String out = read(p.getInputStream());
        return new Result(waitFor(p), out);
    }

    private static String read(InputStream s) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        s.transferTo(b);
        return b.toString(StandardCharsets.UTF_8);
    }

    private static int waitFor(Process p) throws Exception {
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return 124;
        }
        return p.exitValue();
    }
}
