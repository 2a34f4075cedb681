package serepok;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.apache.solr.cloud.MiniSolrCloudCluster;
import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;

/**
 * A throwaway Solr 9 for Serepok's tests and developers (scripts/solr-test).
 *
 * <p>Usage: {@code SolrLauncher STATE_DIR [NODES]}. Starts a SolrCloud of NODES
 * (default 2) Jetty nodes and an embedded ZooKeeper in one JVM, all on 127.0.0.1
 * and random free ports, with the data under STATE_DIR/data. When the cluster is up
 * it writes STATE_DIR/state (one {@code key=value} a line: {@code zk}, {@code node0},
 * {@code node1}…, {@code control}) and prints the same lines to stdout.
 *
 * <p>A control port on 127.0.0.1 takes one command per connection and answers one
 * line: {@code status}, {@code stop-node N}, {@code start-node N} (same port again),
 * {@code shutdown}. SIGTERM shuts down cleanly too.
 */
public final class SolrLauncher {

  private SolrLauncher() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("Usage: SolrLauncher STATE_DIR [NODES]");
      System.exit(2);
    }
    Path stateDir = Paths.get(args[0]).toAbsolutePath();
    int nodes = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    Path data = stateDir.resolve("data");
    Files.createDirectories(data);
    // Loopback only, and let the cluster read configsets we upload.
    System.setProperty("host", "127.0.0.1");
    System.setProperty("solr.zookeeper.client.timeout", "30000");
    System.setProperty("solr.allowPaths", data.toString());
    System.setProperty("jetty.host", "127.0.0.1");

    JettyConfig jetty = JettyConfig.builder().setPort(0).stopAtShutdown(true).build();
    MiniSolrCloudCluster cluster = new MiniSolrCloudCluster(nodes, data, jetty);
    CountDownLatch done = new CountDownLatch(1);
    Object lock = new Object();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      synchronized (lock) {
        stop(cluster);
      }
      done.countDown();
    }, "serepok-solr-shutdown"));

    ServerSocket control = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
    List<String> lines = new ArrayList<>();
    lines.add("zk=" + cluster.getZkServer().getZkAddress());
    List<JettySolrRunner> runners = cluster.getJettySolrRunners();
    for (int i = 0; i < runners.size(); i++) {
      lines.add("node" + i + "=" + runners.get(i).getBaseUrl());
    }
    lines.add("control=" + control.getLocalPort());
    Path state = stateDir.resolve("state");
    Files.write(stateDir.resolve("state.tmp"), lines, StandardCharsets.UTF_8);
    Files.move(stateDir.resolve("state.tmp"), state,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    for (String line : lines) {
      System.out.println(line);
    }
    System.out.flush();

    Thread server = new Thread(() -> serve(control, cluster, lock, done), "serepok-solr-control");
    server.setDaemon(true);
    server.start();
    done.await();
    control.close();
    Files.deleteIfExists(state);
    System.exit(0);
  }

  private static void serve(ServerSocket control, MiniSolrCloudCluster cluster, Object lock,
                            CountDownLatch done) {
    while (!control.isClosed()) {
      try (Socket socket = control.accept();
           BufferedReader in = new BufferedReader(
               new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
           PrintWriter out = new PrintWriter(socket.getOutputStream(), true,
               StandardCharsets.UTF_8)) {
        String command = in.readLine();
        String answer;
        synchronized (lock) {
          answer = run(command == null ? "" : command.trim(), cluster);
        }
        out.println(answer);
        if ("shutdown".equals(command == null ? "" : command.trim())) {
          socket.close();
          new Thread(() -> System.exit(0)).start();   // the hook stops the cluster
          return;
        }
      } catch (Exception e) {
        if (control.isClosed()) {
          return;
        }
        System.err.println("control: " + e);
      }
    }
  }

  private static String run(String command, MiniSolrCloudCluster cluster) {
    String[] words = command.split("\\s+");
    try {
      switch (words[0]) {
        case "status": {
          StringBuilder b = new StringBuilder("ok");
          List<JettySolrRunner> runners = cluster.getJettySolrRunners();
          for (int i = 0; i < runners.size(); i++) {
            b.append(" node").append(i).append('=')
                .append(runners.get(i).isRunning() ? "up" : "down");
          }
          return b.toString();
        }
        case "stop-node": {
          JettySolrRunner runner = cluster.getJettySolrRunner(Integer.parseInt(words[1]));
          if (runner.isRunning()) {
            runner.stop();
            cluster.waitForJettyToStop(runner);
          }
          return "ok";
        }
        case "start-node": {
          JettySolrRunner runner = cluster.getJettySolrRunner(Integer.parseInt(words[1]));
          if (!runner.isRunning()) {
            runner.start(true);          // the same port: the node keeps its name
            cluster.waitForNode(runner, 60);
          }
          return "ok";
        }
        case "shutdown":
          return "ok";
        default:
          return "error unknown command: " + command;
      }
    } catch (Exception e) {
      return "error " + e;
    }
  }

  private static void stop(MiniSolrCloudCluster cluster) {
    try {
      cluster.shutdown();
    } catch (Exception e) {
      System.err.println("shutdown: " + e);
    }
  }
}
