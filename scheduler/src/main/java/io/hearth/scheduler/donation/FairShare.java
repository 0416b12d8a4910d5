package io.hearth.scheduler.donation;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Weighted max-min fair share of an offer among claims, in whole grant units (core-hours): every
 * claimant gets min(its claim, its weighted share), the share of satisfied claimants is spread over
 * the others, and the units left by rounding down go to the largest remainders. Grants never exceed
 * a claim, and never sum above the offer. Pure and deterministic (ties by claimant id).
 */
public final class FairShare {

  private FairShare() {}

  /** One claimant: how much it asked for and its weight (> 0). */
  public record Claim(String id, double requested, double weight) {}

  /** Whole units granted per claimant id, in the claims' order. */
  public static Map<String, Long> allocate(double offered, List<Claim> claims) {
    Map<String, Double> exact = new LinkedHashMap<>();
    for (Claim c : claims) {
      exact.put(c.id(), 0.0);
    }
    List<Claim> open = new ArrayList<>(claims);
    open.removeIf(c -> c.requested() <= 0);
    double remaining = Math.max(0, offered);
    while (!open.isEmpty() && remaining > 1e-9) {
      double weights = open.stream().mapToDouble(Claim::weight).sum();
      List<Claim> satisfied = new ArrayList<>();
      for (Claim c : open) {
        double share = remaining * c.weight() / weights;
        if (c.requested() - exact.get(c.id()) <= share + 1e-9) {
          satisfied.add(c);
        }
      }
      if (satisfied.isEmpty()) {
        for (Claim c : open) {
          exact.merge(c.id(), remaining * c.weight() / weights, Double::sum);
        }
        remaining = 0;
      } else {
        for (Claim c : satisfied) {
          remaining -= c.requested() - exact.get(c.id());
          exact.put(c.id(), c.requested());
        }
        open.removeAll(satisfied);
      }
    }
    Map<String, Long> units = new LinkedHashMap<>();
    long given = 0;
    for (Map.Entry<String, Double> e : exact.entrySet()) {
      long u = (long) Math.floor(e.getValue() + 1e-9);
      units.put(e.getKey(), u);
      given += u;
    }
    long left = (long) Math.floor(Math.max(0, offered) + 1e-9) - given;
    List<Claim> byRemainder = new ArrayList<>(claims);
    byRemainder.sort(Comparator.<Claim>comparingDouble(c -> -(exact.get(c.id()) - units.get(c.id())))
        .thenComparing(Claim::id));
    for (Claim c : byRemainder) {
      if (left <= 0) {
        break;
      }
      double frac = exact.get(c.id()) - units.get(c.id());
      if (frac > 1e-9 && units.get(c.id()) + 1 <= Math.floor(c.requested() + 1e-9)) {
        units.merge(c.id(), 1L, Long::sum);
        left--;
      }
    }
    return units;
  }
}
