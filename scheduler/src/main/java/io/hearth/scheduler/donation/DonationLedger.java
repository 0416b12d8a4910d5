package io.hearth.scheduler.donation;

import com.google.protobuf.InvalidProtocolBufferException;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.hearth.api.v1.Grant;
import io.hearth.api.v1.Nonprofit;
import io.hearth.api.v1.Offer;
import io.hearth.scheduler.api.HearthException;
import io.hearth.scheduler.cluster.NonprofitStore;
import io.hearth.scheduler.job.JobLifecycle;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Offers, claims and grants in the cluster state. An offer is fixed when first asked for (its
 * core-hours do not move under the claimants); every claim re-shares the offer by weighted fair
 * share among all claims on it, under a cluster lock on the offer, so grants never sum above it.
 * Thread-safe; its calls block on Hazelcast (never call it from an event loop).
 */
public final class DonationLedger {

  public static final String OFFERS_MAP = "hearth.offers";
  public static final String CLAIMS_MAP = "hearth.claims";
  public static final String GRANTS_MAP = "hearth.grants";

  private final IMap<String, byte[]> offers;
  private final IMap<String, Double> claims;
  private final IMap<String, byte[]> grants;
  private final NonprofitStore nonprofits;
  private final long windowSeconds;

  public DonationLedger(HazelcastInstance hz, NonprofitStore nonprofits, long windowSeconds) {
    this.offers = hz.getMap(OFFERS_MAP);
    this.claims = hz.getMap(CLAIMS_MAP);
    this.grants = hz.getMap(GRANTS_MAP);
    this.nonprofits = nonprofits;
    this.windowSeconds = windowSeconds;
  }

  /** Idle heat capacity forecast for a window: cores, and how they were counted. */
  public record Capacity(double cores, String basis) {}

  /** The offer of the window containing {@code now}, created from {@code capacity} if new. */
  public Offer currentOffer(Instant now, Supplier<Capacity> capacity) {
    long start = Math.floorDiv(now.getEpochSecond(), windowSeconds) * windowSeconds;
    String id = "offer-" + start;
    byte[] existing = offers.get(id);
    if (existing != null) {
      return withTotals(decodeOffer(existing));
    }
    Capacity c = capacity.get();
    double hours = windowSeconds / 3600.0;
    Offer fresh = Offer.newBuilder()
        .setOfferId(id)
        .setWindowStart(JobLifecycle.timestamp(Instant.ofEpochSecond(start)))
        .setWindowEnd(JobLifecycle.timestamp(Instant.ofEpochSecond(start + windowSeconds)))
        .setCoreHours(Math.floor(Math.max(0, c.cores()) * hours))
        .setBasis(c.basis() + String.format(java.util.Locale.ROOT, ", over a %.2f h window", hours))
        .build();
    byte[] won = offers.putIfAbsent(id, fresh.toByteArray());
    return withTotals(won == null ? fresh : decodeOffer(won));
  }

  /**
   * Records {@code nonprofit}'s claim on an offer (replacing its earlier claim there) and re-shares
   * the offer; returns the nonprofit's grant.
   */
  public Grant claim(String nonprofit, String offerId, double coreHours, Instant now) {
    Nonprofit approved = nonprofits.get(nonprofit);
    if (approved == null) {
      throw HearthException.denied("nonprofit " + nonprofit + " is not approved to claim donations (an operator approves it)");
    }
    byte[] bytes = offers.get(offerId);
    if (bytes == null) {
      throw HearthException.notFound("offer " + offerId + " not found");
    }
    Offer offer = decodeOffer(bytes);
    if (!now.isBefore(JobLifecycle.instant(offer.getWindowEnd()))) {
      throw new HearthException(HearthException.Kind.FAILED_PRECONDITION,
          "offer " + offerId + " ended at " + JobLifecycle.instant(offer.getWindowEnd()));
    }
    if (!(coreHours > 0 && coreHours <= offer.getCoreHours())) {
      throw HearthException.invalid("core_hours: " + coreHours + " (expected: more than 0 and at most "
          + offer.getCoreHours() + ", the offer's core-hours)");
    }
    offers.lock(offerId);
    try {
      claims.set(offerId + "/" + nonprofit, coreHours);
      List<FairShare.Claim> all = new ArrayList<>();
      for (Map.Entry<String, Double> e : claims.entrySet(com.hazelcast.query.Predicates.like("__key", offerId + "/%"))) {
        String who = e.getKey().substring(offerId.length() + 1);
        Nonprofit np = nonprofits.get(who);
        all.add(new FairShare.Claim(who, e.getValue(), np == null ? 0 : np.getWeight()));
      }
      all.removeIf(c -> c.weight() <= 0);
      all.sort(Comparator.comparing(FairShare.Claim::id));
      Map<String, Long> shares = FairShare.allocate(offer.getCoreHours(), all);
      for (FairShare.Claim c : all) {
        String grantId = grantId(offerId, c.id());
        byte[] old = grants.get(grantId);
        double used = old == null ? 0 : decodeGrant(old).getUsedCoreHours();
        grants.set(grantId, Grant.newBuilder()
            .setGrantId(grantId)
            .setOfferId(offerId)
            .setNonprofitId(c.id())
            .setRequestedCoreHours(c.requested())
            .setCoreHours(shares.getOrDefault(c.id(), 0L))
            .setUsedCoreHours(used)
            .setExpiresAt(offer.getWindowEnd())
            .build().toByteArray());
      }
    } finally {
      offers.unlock(offerId);
    }
    return decodeGrant(grants.get(grantId(offerId, nonprofit)));
  }

  public Grant grant(String grantId) {
    byte[] b = grants.get(grantId);
    return b == null ? null : decodeGrant(b);
  }

  /** Grants of one nonprofit (null: everyone's), newest offer first. */
  public List<Grant> grantsOf(String nonprofit) {
    List<Grant> out = new ArrayList<>();
    for (byte[] b : grants.values()) {
      Grant g = decodeGrant(b);
      if (nonprofit == null || g.getNonprofitId().equals(nonprofit)) {
        out.add(g);
      }
    }
    out.sort(Comparator.comparing(Grant::getOfferId).reversed().thenComparing(Grant::getNonprofitId));
    return out;
  }

  /** Why a DONATED job of {@code owner} cannot spend {@code grantId} now, or null when it can. */
  public String blocked(String owner, String grantId, Instant now) {
    Grant g = grant(grantId);
    if (g == null || !g.getNonprofitId().equals(owner)) {
      return "grant " + grantId + " not found for nonprofit " + owner;
    }
    if (!now.isBefore(JobLifecycle.instant(g.getExpiresAt()))) {
      return "grant " + grantId + " expired at " + JobLifecycle.instant(g.getExpiresAt());
    }
    if (g.getUsedCoreHours() >= g.getCoreHours()) {
      return String.format(java.util.Locale.ROOT, "grant %s has no core-hours left (used %.2f of %.0f)", grantId,
          g.getUsedCoreHours(), g.getCoreHours());
    }
    return null;
  }

  /** Adds spent core-hours to a grant (compare-and-set). */
  public void spend(String grantId, double coreHours) {
    for (int i = 0; i < 100; i++) {
      byte[] old = grants.get(grantId);
      if (old == null) {
        return;
      }
      Grant g = decodeGrant(old);
      byte[] next = g.toBuilder().setUsedCoreHours(g.getUsedCoreHours() + coreHours).build().toByteArray();
      if (grants.replace(grantId, old, next)) {
        return;
      }
    }
  }

  static String grantId(String offerId, String nonprofit) {
    return offerId + "." + nonprofit;
  }

  private Offer withTotals(Offer o) {
    double claimed = 0;
    double granted = 0;
    for (Map.Entry<String, Double> e : claims.entrySet(com.hazelcast.query.Predicates.like("__key", o.getOfferId() + "/%"))) {
      claimed += e.getValue();
      Grant g = grant(grantId(o.getOfferId(), e.getKey().substring(o.getOfferId().length() + 1)));
      granted += g == null ? 0 : g.getCoreHours();
    }
    return o.toBuilder().setClaimedCoreHours(claimed).setGrantedCoreHours(granted).build();
  }

  private static Offer decodeOffer(byte[] b) {
    try {
      return Offer.parseFrom(b);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt offer record", e);
    }
  }

  private static Grant decodeGrant(byte[] b) {
    try {
      return Grant.parseFrom(b);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt grant record", e);
    }
  }
}
