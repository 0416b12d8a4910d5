package io.hearth.scheduler.cluster;

import com.google.protobuf.InvalidProtocolBufferException;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.hearth.api.v1.Nonprofit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Approved nonprofits in the cluster state (Hazelcast map {@value HazelcastConfigs#NONPROFITS_MAP}),
 * each a {@code hearth.v1.Nonprofit} stored as bytes under its id. The donation service reads the
 * weights for its fair share. Thread-safe; its calls block on Hazelcast, so never call it from an
 * event loop.
 */
public final class NonprofitStore {

  private final IMap<String, byte[]> nonprofits;

  public NonprofitStore(HazelcastInstance hz) {
    this.nonprofits = hz.getMap(HazelcastConfigs.NONPROFITS_MAP);
  }

  /** Stores (or replaces) an approval. */
  public void put(Nonprofit nonprofit) {
    nonprofits.set(nonprofit.getNonprofitId(), nonprofit.toByteArray());
  }

  /** The approval of {@code id}, or null. */
  public Nonprofit get(String id) {
    byte[] bytes = nonprofits.get(id);
    return bytes == null ? null : decode(id, bytes);
  }

  /** Every approval, ordered by id. */
  public List<Nonprofit> list() {
    List<Nonprofit> out = new ArrayList<>();
    nonprofits.forEach((id, bytes) -> out.add(decode(id, bytes)));
    out.sort(Comparator.comparing(Nonprofit::getNonprofitId));
    return out;
  }

  private static Nonprofit decode(String id, byte[] bytes) {
    try {
      return Nonprofit.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt nonprofit record " + id, e);
    }
  }
}
