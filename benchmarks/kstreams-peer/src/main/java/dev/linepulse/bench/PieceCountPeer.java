package dev.linepulse.bench;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The Kafka Streams peer of linepulse's piece-count processor, for benchmarks/harness: reads PieceCount records
 * (Avro binary, the lp-schema header is ignored) from the same topic format as linepulse, keeps per-equipment
 * counter state in a RocksDB store with a changelog, and writes CountIncrement and CountTotal records, with
 * processing.guarantee=exactly_once_v2.
 *
 * Stops by itself: with --events N once N input records are processed (then closes, which commits), with
 * --duration S after S seconds from the first record; --timeout bounds either. Prints one JSON line on stdout.
 */
public final class PieceCountPeer {
  private PieceCountPeer() {}

  public static void main(String[] args) throws Exception {
    Options o = Options.parse(args);
    Schema.Parser parser = new Schema.Parser();
    // Named types first (Quality, Origin), then the records that reference them by name.
    for (String name : new String[] {"Quality", "Origin", "PieceCount", "CountIncrement", "CountTotal"}) {
      parser.parse(new File(o.schemas, name + ".avsc"));
    }
    Schema pieceCount = parser.getTypes().get("linepulse.PieceCount");
    Schema increment = parser.getTypes().get("linepulse.CountIncrement");
    Schema total = parser.getTypes().get("linepulse.CountTotal");
    if (pieceCount == null || increment == null || total == null) throw new IllegalStateException("schemas not found in " + o.schemas);

    Path stateDir = Files.createTempDirectory("lp-kstreams-peer-");
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, o.appId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, o.bootstrap);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, o.threads);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");

    Stats stats = new Stats();
    Topology topology = new Topology();
    topology.addSource("pieceCounts", new StringDeserializer(), new ByteArrayDeserializer(), o.input);
    topology.addProcessor("counts", () -> new CountProcessor(pieceCount, increment, total, stats), "pieceCounts");
    topology.addStateStore(
        Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(CountProcessor.STORE), Serdes.String(), Serdes.ByteArray())
            .withCachingEnabled(),
        "counts");
    topology.addSink(CountProcessor.INCREMENTS, o.increments, new StringSerializer(), new ByteArraySerializer(), "counts");
    topology.addSink(CountProcessor.TOTALS, o.totals, new StringSerializer(), new ByteArraySerializer(), "counts");

    KafkaStreams streams = new KafkaStreams(topology, props);
    CountDownLatch failed = new CountDownLatch(1);
    streams.setUncaughtExceptionHandler(error -> {
      System.err.println("kstreams-peer: stream thread failed: " + error);
      failed.countDown();
      return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> streams.close(java.time.Duration.ofSeconds(10))));

    long startedAt = System.nanoTime();
    streams.start();
    System.err.println("kstreams-peer: started " + o.appId + " on " + o.input);
    long deadline = startedAt + TimeUnit.SECONDS.toNanos(o.timeoutSeconds);
    boolean timedOut = false;
    while (failed.getCount() > 0) {
      long now = System.nanoTime();
      if (now > deadline) {
        timedOut = true;
        break;
      }
      if (o.events > 0 && stats.processed >= o.events) break;
      if (o.events <= 0 && stats.firstAt != 0 && now - stats.firstAt >= TimeUnit.SECONDS.toNanos(o.durationSeconds)) break;
      Thread.sleep(10);
    }
    long stoppedAt = System.nanoTime();
    streams.close(java.time.Duration.ofSeconds(30));
    long closedAt = System.nanoTime();
    streams.cleanUp();
    deleteQuietly(stateDir.toFile());

    long processed = stats.processed;
    double drainSeconds = stats.firstAt == 0 ? 0 : ((o.events > 0 ? stats.lastAt : stoppedAt) - stats.firstAt) / 1e9;
    double withFinalCommit = stats.firstAt == 0 ? 0 : (closedAt - stats.firstAt) / 1e9;
    System.out.println(String.format(Locale.ROOT,
        "{\"peer\":\"kstreams\",\"guarantee\":\"exactly_once_v2\",\"threads\":%d,\"events\":%d,\"undecodable\":%d,\"outputs\":%d,"
            + "\"seconds\":%.3f,\"eventsPerSec\":%.1f,\"secondsWithFinalCommit\":%.3f,\"eventsPerSecWithFinalCommit\":%.1f,"
            + "\"startupSeconds\":%.3f,\"timedOut\":%s,\"failed\":%s}",
        o.threads, processed, stats.skipped, stats.outputs, drainSeconds, drainSeconds > 0 ? processed / drainSeconds : 0,
        withFinalCommit, withFinalCommit > 0 ? processed / withFinalCommit : 0,
        stats.firstAt == 0 ? 0 : (stats.firstAt - startedAt) / 1e9, timedOut, failed.getCount() == 0));
    System.exit(failed.getCount() == 0 || timedOut ? 1 : 0);
  }

  private static void deleteQuietly(File file) {
    File[] children = file.listFiles();
    if (children != null) for (File child : children) deleteQuietly(child);
    if (!file.delete() && file.exists()) System.err.println("kstreams-peer: could not delete " + file);
  }

  /** Written by the single stream thread, read by main: volatile is enough for progress figures. */
  static final class Stats {
    volatile long processed;
    volatile long skipped;
    volatile long outputs;
    volatile long firstAt;
    volatile long lastAt;
  }

  static final class Options {
    String bootstrap = "127.0.0.1:19092";
    String input;
    String increments;
    String totals;
    String appId;
    File schemas = new File("schemas/avro");
    long events;
    long durationSeconds = 10;
    long timeoutSeconds = 300;
    int threads = 1;

    static Options parse(String[] args) throws IOException {
      Options o = new Options();
      for (int i = 0; i < args.length; i += 2) {
        String name = args[i];
        if (i + 1 >= args.length) throw new IllegalArgumentException(name + " needs a value");
        String v = args[i + 1];
        switch (name) {
          case "--bootstrap" -> o.bootstrap = v;
          case "--input" -> o.input = v;
          case "--increments" -> o.increments = v;
          case "--totals" -> o.totals = v;
          case "--app-id" -> o.appId = v;
          case "--schemas" -> o.schemas = new File(v);
          case "--events" -> o.events = Long.parseLong(v);
          case "--duration" -> o.durationSeconds = Long.parseLong(v);
          case "--timeout" -> o.timeoutSeconds = Long.parseLong(v);
          case "--threads" -> o.threads = Integer.parseInt(v);
          default -> throw new IllegalArgumentException("unknown option " + name
              + " (known: --bootstrap --input --increments --totals --app-id --schemas --events --duration --timeout --threads)");
        }
      }
      if (o.input == null || o.increments == null || o.totals == null || o.appId == null)
        throw new IllegalArgumentException("--input, --increments, --totals and --app-id are required");
      return o;
    }
  }
}
