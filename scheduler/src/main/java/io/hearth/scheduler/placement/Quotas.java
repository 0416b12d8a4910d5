package io.hearth.scheduler.placement;

import java.util.HashMap;
import java.util.Map;

/**
 * Running-core quotas per owner and tier: {@code acme/ON_DEMAND=64} caps acme's running ON_DEMAND
 * cores, {@code acme/*=128} all of acme's running cores, {@code * /FLEX=32} (without the space) every
 * owner's FLEX cores each. The most specific rule of each kind applies; no rule means no limit.
 * Immutable and thread-safe.
 */
public final class Quotas {

  public static final Quotas NONE = new Quotas(Map.of());
  private static final String ANY = "*";

  private final Map<String, Integer> limits;

  private Quotas(Map<String, Integer> limits) {
    this.limits = Map.copyOf(limits);
  }

  /** Parses {@code owner/TIER=cores} entries separated by commas; errors name the entry and the bound. */
  public static Quotas parse(String text) {
    Map<String, Integer> limits = new HashMap<>();
    if (text == null || text.isBlank()) {
      return NONE;
    }
    for (String raw : text.split(",")) {
      String entry = raw.trim();
      if (entry.isEmpty()) {
        continue;
      }
      int eq = entry.indexOf('=');
      int slash = entry.indexOf('/');
      if (eq < 0 || slash < 0 || slash > eq) {
        throw new IllegalArgumentException("quota.running-cores: '" + entry + "' (expected: owner/TIER=cores, * for any)");
      }
      String owner = entry.substring(0, slash).trim();
      String tier = entry.substring(slash + 1, eq).trim().toUpperCase(java.util.Locale.ROOT);
      if (owner.isEmpty() || !(tier.equals(ANY) || tierNumber(tier) > 0)) {
        throw new IllegalArgumentException("quota.running-cores: '" + entry
            + "' (expected: owner/TIER=cores with TIER one of RESERVED, ON_DEMAND, FLEX, DONATED or *)");
      }
      int cores;
      try {
        cores = Integer.parseInt(entry.substring(eq + 1).trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("quota.running-cores: '" + entry + "' (expected: a whole number of cores)");
      }
      if (cores < 0 || cores > 10_000_000) {
        throw new IllegalArgumentException("quota.running-cores: " + cores + " in '" + entry + "' (expected: 0..10000000)");
      }
      limits.put(owner + "/" + tier, cores);
    }
    return new Quotas(limits);
  }

  private static int tierNumber(String name) {
    for (int t = Tiers.MIN; t <= Tiers.MAX; t++) {
      if (Tiers.name(t).equals(name)) {
        return t;
      }
    }
    return -1;
  }

  /** The limit for {@code owner}'s running cores of one tier, or -1 for none. */
  public int tierLimit(String owner, int tier) {
    String name = Tiers.name(tier);
    Integer v = limits.get(owner + "/" + name);
    if (v == null) {
      v = limits.get(ANY + "/" + name);
    }
    return v == null ? -1 : v;
  }

  /** The limit for all of {@code owner}'s running cores, or -1 for none. */
  public int ownerLimit(String owner) {
    Integer v = limits.get(owner + "/" + ANY);
    if (v == null) {
      v = limits.get(ANY + "/" + ANY);
    }
    return v == null ? -1 : v;
  }

  /**
   * Why a job of {@code cores} would exceed a quota given what the owner runs now (per tier, indexed
   * by tier number), or null when it fits.
   */
  public String exceeded(String owner, int tier, int cores, int[] runningByTier) {
    int tierLimit = tierLimit(owner, tier);
    if (tierLimit >= 0 && runningByTier[tier] + cores > tierLimit) {
      return "over quota: " + owner + " runs " + runningByTier[tier] + " of " + tierLimit + " " + Tiers.name(tier)
          + " cores";
    }
    int ownerLimit = ownerLimit(owner);
    if (ownerLimit >= 0) {
      int total = 0;
      for (int t = Tiers.MIN; t <= Tiers.MAX; t++) {
        total += runningByTier[t];
      }
      if (total + cores > ownerLimit) {
        return "over quota: " + owner + " runs " + total + " of " + ownerLimit + " cores";
      }
    }
    return null;
  }

  public boolean isEmpty() {
    return limits.isEmpty();
  }
}
