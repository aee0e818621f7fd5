package dev.linepulse.bench;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Piece counts per equipment, the same rules as processors/counts (counter readings with rollover and reset,
 * discrete counts, GOOD/REJECT/TOTAL with rejects netted out of TOTAL counters), simplified where the peer would
 * need linepulse's calendar: SHIFT (06/14/22 h), HOUR and DAY windows in UTC, no DST, no Dispatch input (the
 * PieceCount's own work order), no reorder buffer (offset order), no dedup by event id. One CountIncrement per
 * count that produced pieces or a counter note, and a new CountTotal revision of each window it touched.
 */
final class CountProcessor implements Processor<String, byte[], String, byte[]> {
  static final String STORE = "piece-counts";
  static final String INCREMENTS = "increments";
  static final String TOTALS = "totals";

  private static final long HOUR = 3_600_000L;
  private static final long DAY = 24 * HOUR;
  private static final long ALLOWED_LATENESS = DAY;
  private static final long NONE = Long.MIN_VALUE;
  private static final long[] INFERRED_MAXIMA = {32_767L, 65_535L, 2_147_483_647L, 4_294_967_295L};
  private static final double NEAR_MAX_FRACTION = 0.1;
  private static final long RESET_MAX_VALUE = 1_000;

  private final GenericDatumReader<GenericRecord> reader;
  private final GenericDatumWriter<GenericRecord> incrementWriter;
  private final GenericDatumWriter<GenericRecord> totalWriter;
  private final Schema incrementSchema;
  private final Schema totalSchema;
  private final Schema windowKindSchema;
  private final PieceCountPeer.Stats stats;
  private BinaryDecoder decoder;
  private BinaryEncoder encoder;
  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(256);
  private ProcessorContext<String, byte[]> context;
  private KeyValueStore<String, byte[]> store;

  CountProcessor(Schema pieceCount, Schema increment, Schema total, PieceCountPeer.Stats stats) {
    this.reader = new GenericDatumReader<>(pieceCount);
    this.incrementWriter = new GenericDatumWriter<>(increment);
    this.totalWriter = new GenericDatumWriter<>(total);
    this.incrementSchema = increment;
    this.totalSchema = total;
    this.windowKindSchema = total.getField("windowKind").schema();
    this.stats = stats;
  }

  @Override
  public void init(ProcessorContext<String, byte[]> context) {
    this.context = context;
    this.store = context.getStateStore(STORE);
  }

  @Override
  public void process(Record<String, byte[]> record) {
    if (stats.firstAt == 0) stats.firstAt = System.nanoTime();
    try {
      handle(record);
    } finally {
      stats.processed++;
      stats.lastAt = System.nanoTime();
    }
  }

  private void handle(Record<String, byte[]> record) {
    GenericRecord p;
    try {
      decoder = DecoderFactory.get().binaryDecoder(record.value(), decoder);
      p = reader.read(null, decoder);
    } catch (IOException | RuntimeException e) {
      stats.skipped++;
      return;
    }
    if ("BAD".equals(p.get("quality").toString())) return;
    String key = record.key() != null ? record.key() : p.get("equipment").toString();
    long eventTime = (Long) p.get("eventTime");
    String eventId = p.get("eventId").toString();
    String kind = p.get("kind").toString();
    Long counterValue = (Long) p.get("counterValue");
    Long increment = (Long) p.get("increment");
    State s = State.decode(store.get(key));

    long pieces;
    String note = null;
    if (counterValue != null) {
      GenericRecord origin = (GenericRecord) p.get("origin");
      String id = kind + "|" + origin.get("sourceId");
      long[] last = s.counters.get(id);
      if (last != null && eventTime < last[1]) return; // covered by the later reading's difference
      Long counterMax = (Long) p.get("counterMax");
      long[] delta = counterDelta(last == null ? null : last[0], counterValue, counterMax);
      s.counters.put(id, new long[] {counterValue, eventTime});
      pieces = delta[0];
      note = delta[1] == 1 ? "FIRST_READING" : delta[1] == 2 ? "ROLLOVER" : delta[1] == 3 ? "RESET" : null;
    } else if (increment != null && increment >= 0) {
      pieces = increment;
    } else {
      return;
    }

    long good = 0;
    long reject = 0;
    if (kind.equals("GOOD")) {
      good = pieces;
    } else if (kind.equals("REJECT")) {
      reject = pieces;
      if (s.hasTotal) s.pendingRejects += pieces;
    } else {
      s.hasTotal = true;
      long netted = Math.min(pieces, s.pendingRejects);
      s.pendingRejects -= netted;
      good = pieces - netted;
    }
    s.maxEventTime = Math.max(s.maxEventTime, eventTime);
    if (good + reject == 0 && note == null) {
      store.put(key, s.encode());
      return;
    }
    Object workOrder = p.get("workOrder");
    Object rejectReason = reject > 0 ? p.get("rejectReason") : null;

    GenericRecord inc = new GenericData.Record(incrementSchema);
    inc.put("eventId", eventId + ":inc");
    inc.put("eventTime", eventTime);
    inc.put("equipment", key);
    inc.put("good", good);
    inc.put("reject", reject);
    inc.put("workOrder", workOrder == null ? null : workOrder.toString());
    inc.put("rejectReason", rejectReason == null ? null : rejectReason.toString());
    inc.put("sourceEventId", eventId);
    inc.put("note", note);
    forward(INCREMENTS, key, incrementWriter, inc, record.timestamp());

    if (good + reject > 0) {
      List<Window> touched = new ArrayList<>(4);
      long shiftStart = shiftStart(eventTime);
      touched.add(s.add("SHIFT", shiftId(shiftStart), shiftStart, shiftStart + 8 * HOUR, good, reject, eventTime));
      long hourStart = Math.floorDiv(eventTime, HOUR) * HOUR;
      touched.add(s.add("HOUR", Instant.ofEpochMilli(hourStart).toString(), hourStart, hourStart + HOUR, good, reject, eventTime));
      long dayStart = Math.floorDiv(eventTime, DAY) * DAY;
      touched.add(s.add("DAY", Instant.ofEpochMilli(dayStart).toString(), dayStart, dayStart + DAY, good, reject, eventTime));
      if (workOrder != null) touched.add(s.add("WORK_ORDER", workOrder.toString(), NONE, NONE, good, reject, eventTime));
      for (Window w : touched) {
        GenericRecord t = new GenericData.Record(totalSchema);
        t.put("eventId", key + "|" + w.kind + "|" + w.id + "|" + w.revision);
        t.put("eventTime", w.lastEventTime);
        t.put("equipment", key);
        t.put("windowKind", new GenericData.EnumSymbol(windowKindSchema, w.kind));
        t.put("windowId", w.id);
        t.put("windowStart", w.start == NONE ? null : w.start);
        t.put("windowEnd", w.end == NONE ? null : w.end);
        t.put("good", w.good);
        t.put("reject", w.reject);
        t.put("revision", w.revision);
        forward(TOTALS, key, totalWriter, t, record.timestamp());
      }
    }
    s.evict(ALLOWED_LATENESS);
    store.put(key, s.encode());
  }

  private void forward(String child, String key, GenericDatumWriter<GenericRecord> writer, GenericRecord value, long timestamp) {
    buffer.reset();
    encoder = EncoderFactory.get().binaryEncoder(buffer, encoder);
    try {
      writer.write(value, encoder);
      encoder.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    context.forward(new Record<>(key, buffer.toByteArray(), timestamp), child);
    stats.outputs++;
  }

  /** {pieces, note}: note 0 none, 1 first reading, 2 rollover, 3 reset. Never negative. */
  static long[] counterDelta(Long previous, long value, Long counterMax) {
    if (previous == null) return new long[] {0, 1};
    if (value >= previous) return new long[] {value - previous, 0};
    long max = NONE;
    if (counterMax != null && counterMax > 0 && counterMax >= previous) max = counterMax;
    else for (long m : INFERRED_MAXIMA) if (m >= previous) { max = m; break; }
    if (max != NONE) {
      long min = value < 0 ? -(max + 1) : 0;
      double band = max * NEAR_MAX_FRACTION;
      if (previous >= max - band && value - min <= band) return new long[] {max - previous + (value - min) + 1, 2};
    }
    if (value <= RESET_MAX_VALUE) return new long[] {Math.max(0, value), 3};
    return new long[] {0, 3};
  }

  /** Shifts 06-14, 14-22, 22-06 UTC. */
  static long shiftStart(long t) {
    long day = Math.floorDiv(t, DAY) * DAY;
    long h = (t - day) / HOUR;
    if (h < 6) return day - 2 * HOUR;
    if (h < 14) return day + 6 * HOUR;
    if (h < 22) return day + 14 * HOUR;
    return day + 22 * HOUR;
  }

  static String shiftId(long start) {
    LocalDate date = Instant.ofEpochMilli(start).atZone(ZoneOffset.UTC).toLocalDate();
    long h = (start - Math.floorDiv(start, DAY) * DAY) / HOUR;
    return date + "/" + (h == 6 ? "early" : h == 14 ? "late" : "night");
  }

  static final class Window {
    String kind;
    String id;
    long start;
    long end;
    long good;
    long reject;
    long revision;
    long lastEventTime;
  }

  /** State of one equipment, stored as compact binary in the RocksDB store (and its changelog). */
  static final class State {
    final Map<String, long[]> counters = new HashMap<>();
    final Map<String, Window> windows = new LinkedHashMap<>();
    boolean hasTotal;
    long pendingRejects;
    long maxEventTime = NONE;

    Window add(String kind, String id, long start, long end, long good, long reject, long eventTime) {
      String k = kind + " " + id;
      Window w = windows.get(k);
      if (w == null) {
        w = new Window();
        w.kind = kind;
        w.id = id;
        w.start = start;
        w.end = end;
        windows.put(k, w);
      }
      w.good += good;
      w.reject += reject;
      w.revision += 1;
      w.lastEventTime = Math.max(w.lastEventTime, eventTime);
      return w;
    }

    void evict(long lateness) {
      int workOrders = 0;
      for (Iterator<Window> it = windows.values().iterator(); it.hasNext(); ) {
        Window w = it.next();
        if (w.end != NONE && w.end + lateness < maxEventTime) it.remove();
        else if (w.kind.equals("WORK_ORDER")) workOrders++;
      }
      // at most 50 work orders, least recently counted first
      while (workOrders > 50) {
        Window oldest = null;
        for (Window w : windows.values()) if (w.kind.equals("WORK_ORDER") && (oldest == null || w.lastEventTime < oldest.lastEventTime)) oldest = w;
        windows.remove(oldest.kind + " " + oldest.id);
        workOrders--;
      }
    }

    byte[] encode() {
      try {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeBoolean(hasTotal);
        out.writeLong(pendingRejects);
        out.writeLong(maxEventTime);
        out.writeInt(counters.size());
        for (Map.Entry<String, long[]> e : counters.entrySet()) {
          out.writeUTF(e.getKey());
          out.writeLong(e.getValue()[0]);
          out.writeLong(e.getValue()[1]);
        }
        out.writeInt(windows.size());
        for (Window w : windows.values()) {
          out.writeUTF(w.kind);
          out.writeUTF(w.id);
          out.writeLong(w.start);
          out.writeLong(w.end);
          out.writeLong(w.good);
          out.writeLong(w.reject);
          out.writeLong(w.revision);
          out.writeLong(w.lastEventTime);
        }
        return bytes.toByteArray();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    static State decode(byte[] bytes) {
      State s = new State();
      if (bytes == null) return s;
      try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
        s.hasTotal = in.readBoolean();
        s.pendingRejects = in.readLong();
        s.maxEventTime = in.readLong();
        for (int i = in.readInt(); i > 0; i--) s.counters.put(in.readUTF(), new long[] {in.readLong(), in.readLong()});
        for (int i = in.readInt(); i > 0; i--) {
          Window w = new Window();
          w.kind = in.readUTF();
          w.id = in.readUTF();
          w.start = in.readLong();
          w.end = in.readLong();
          w.good = in.readLong();
          w.reject = in.readLong();
          w.revision = in.readLong();
          w.lastEventTime = in.readLong();
          s.windows.put(w.kind + " " + w.id, w);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return s;
    }
  }
}
